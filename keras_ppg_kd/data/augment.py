"""tf.data augmentation of labelled windows, HR-preserving and HR-changing.

A model trained on one protocol learns that protocol's heart rates (a
treadmill set is mostly 100-170 BPM) and its sensor's polarity, not the
pulse. The augmentations here attack both:

- **Time stretch with the label scaled** (HR-changing): a window is
  resampled by a factor ``r`` so its heart rate becomes ``r * HR``; the
  target is drawn uniformly from ``hr_range``, which flattens the label
  prior. Speeding a window up needs more than 8 s of signal, so each window
  carries a *context*: itself plus the next 4 s, rebuilt exactly from the
  overlapping later window (:func:`stretch_context`).
- **Polarity flip**: camera and photodiode PPG are upside down relative to
  each other; a random sign makes the model invariant to it.
- **Motion artefacts**: a random periodic interference (fundamental 0.5-3 Hz
  with two harmonics), not tied to the heart rate, as arm movement and
  steps add; and **sensor noise**. Windows with accelerometer channels get
  the same interference on the accelerometer, as a real arm movement
  would show, so a model learns to discount what the accelerometer sees.

Stretching acts on every channel; flips and noise on the PPG only.

Labels come out as fractional class positions (``(HR - min_bpm) /
resolution``), which :func:`keras_ppg_kd.losses.sparse_ce` and the
Distiller accept (ordinal soft targets with ``label_sigma > 0``).
"""

import dataclasses

import numpy as np

from keras_ppg_kd import _backend
from keras_ppg_kd.data.transforms import WindowSet

tf = _backend.LazyTensorFlow("augmentation (a tf.data pipeline)")


@dataclasses.dataclass(frozen=True)
class Augmentation:
    """What to randomise in each training window.

    Args:
        stretch_prob: Probability that a window is time-stretched.
        hr_range: Target heart rates of stretched windows, drawn uniformly
            (BPM), limited by ``max_stretch`` and the available context.
        max_stretch: Largest factor either way (``1/max_stretch`` to
            ``max_stretch``); speed-ups also need the window's context.
        flip_prob: Probability of inverting the window's sign.
        motion_prob: Probability of adding a periodic motion artefact.
        motion_amplitude: Largest artefact amplitude, in window standard
            deviations.
        motion_hz: Range of the artefact's fundamental frequency (Hz).
        noise_std: Largest white-noise standard deviation (window stds).

    Example:
    >>> ds = augmented_dataset(train, Augmentation(), batch_size=32)
    """

    stretch_prob: float = 0.7
    hr_range: tuple = (40.0, 200.0)
    max_stretch: float = 1.5
    flip_prob: float = 0.5
    motion_prob: float = 0.3
    motion_amplitude: float = 1.0
    motion_hz: tuple = (0.5, 3.0)
    noise_std: float = 0.3

    def __post_init__(self):
        for name in ("stretch_prob", "flip_prob", "motion_prob"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(
                    f"`{name}` must be a probability in [0, 1]. Received: "
                    f"{name}={value}"
                )
        if not 1.0 <= self.max_stretch <= 2.0:
            raise ValueError(
                "`max_stretch` must be in [1, 2]. Received: "
                f"max_stretch={self.max_stretch}"
            )
        low, high = self.hr_range
        if not 0 < low < high:
            raise ValueError(
                "`hr_range` must be (low, high) with 0 < low < high. "
                f"Received: hr_range={self.hr_range}"
            )
        if self.motion_amplitude < 0 or self.noise_std < 0:
            raise ValueError(
                "`motion_amplitude` and `noise_std` must be >= 0. Received: "
                f"motion_amplitude={self.motion_amplitude}, "
                f"noise_std={self.noise_std}"
            )


def stretch_context(windows):
    """Each window extended by the 4 s after it, and the HR there.

    Window ``i`` and the window two strides later (``j``) overlap by 4 s;
    both are the same band-passed signal, each z-scored on its own, so
    ``x_i = a * x_j + b`` on the overlap. Solving for ``a, b`` (per channel)
    and appending ``a * x_j[4 s:] + b`` rebuilds 12 s of signal in
    ``x_i``'s scale.

    Args:
        windows: A :class:`WindowSet` (its ``config`` gives the rate and
            stride).

    Returns:
        ``(context, hr_next, context_length)``: float32
        ``(n, 1.5 * length, channels)`` (zero-padded where no later window
        exists), the HR of window ``j``
        (``hr_bpm`` of ``i`` where none), and the valid samples per row.
    """
    config = windows.config
    length = config.window_length
    extra = length // 2
    shift = int(round(extra / config.target_rate / config.stride_seconds))
    seconds = shift * config.stride_seconds
    x = windows.windows
    n, _, channels = x.shape
    context = np.zeros((n, length + extra, channels), "float32")
    context[:, :length] = x
    hr_next = windows.hr_bpm.astype("float32").copy()
    valid = np.full(n, length, "int32")
    key = {
        (d, p, int(round(t * 100))): i
        for i, (d, p, t) in enumerate(
            zip(windows.dataset, windows.participant, windows.start_times)
        )
    }
    for i, (d, p, t) in enumerate(
        zip(windows.dataset, windows.participant, windows.start_times)
    ):
        j = key.get((d, p, int(round((t + seconds) * 100))))
        if j is None:
            continue
        for c in range(channels):
            overlap_j, overlap_i = x[j, : length - extra, c], x[i, extra:, c]
            design = np.stack([overlap_j, np.ones_like(overlap_j)], axis=1)
            (a, b), *_ = np.linalg.lstsq(design, overlap_i, rcond=None)
            context[i, length:, c] = a * x[j, length - extra :, c] + b
        hr_next[i] = windows.hr_bpm[j]
        valid[i] = length + extra
    return context, hr_next, valid


def augment_batch(
    context,
    hr,
    hr_next,
    valid,
    augmentation,
    length,
    rate,
    classes,
    seed,
):
    """Augment one batch (pure TensorFlow; runs inside ``tf.data``).

    Every random number is drawn by a stateless op from ``seed``, so a
    batch's augmentation depends on its seed alone, not on which thread of
    a parallel map runs it or when.

    Args:
        context: ``(batch, context_length, channels)`` float32 contexts.
        hr: ``(batch,)`` heart rate of each window (BPM).
        hr_next: ``(batch,)`` heart rate at the end of the context.
        valid: ``(batch,)`` valid context samples.
        augmentation: The :class:`Augmentation`.
        length: Output window length in samples.
        rate: Sampling rate of the windows (Hz).
        classes: :class:`~keras_ppg_kd.HRClasses` for the labels.
        seed: ``(2,)`` int seed of this batch's draws.

    Returns:
        ``(windows, labels)``: ``(batch, length, channels)`` windows,
        standardised as :func:`~keras_ppg_kd.data.windows_from_recording`
        does, and fractional class positions.
    """
    aug = augmentation
    draws = _Draws(seed, tf.shape(context)[0])
    x, acc, new_hr = _time_stretch(
        context, hr, hr_next, valid, aug, length, draws
    )
    # --- motion artefact, noise, polarity ---
    motion, amplitude = _motion_artefact(x, aug, length, rate, draws)
    x = _zscore(x) + amplitude[:, None] * motion
    x += (
        aug.noise_std
        * draws.uniform()[:, None]
        * tf.random.stateless_normal(tf.shape(x), draws.seed())
    )
    sign = tf.where(draws.uniform() < aug.flip_prob, -1.0, 1.0)
    x = sign[:, None] * _zscore(x)
    if context.shape[-1] > 1:  # the accelerometer sees the same movement
        acc = _moved_accelerometer(acc, motion, amplitude, draws)
    position = (new_hr - classes.min_bpm) / classes.resolution
    position = tf.clip_by_value(position, 0.0, classes.num_classes - 1.0)
    return tf.concat([x[..., None], acc], axis=-1), position


# === augment_batch's steps ===


class _Draws:
    """A batch's stateless random draws, each from the next of 16 seeds
    split from the batch's seed (the order of the calls fixes them)."""

    def __init__(self, seed, batch):
        self._seeds = iter(
            tf.unstack(tf.random.experimental.stateless_split(seed, 16))
        )
        self._batch = batch

    def seed(self):
        return next(self._seeds)

    def uniform(self, shape=None, low=0.0, high=1.0):
        return tf.random.stateless_uniform(
            [self._batch] if shape is None else shape, self.seed(), low, high
        )


def _time_stretch(context, hr, hr_next, valid, aug, length, draws):
    """Windows read from the contexts at a random speed ``r`` in
    ``[lo, hi]`` (target HR uniform over ``hr_range``): the PPG
    ``(batch, length)``, the accelerometer ``(batch, length, k)`` and the
    windows' new heart rate."""
    uniform = draws.uniform
    f32 = tf.float32
    hr = tf.cast(hr, f32)
    room = tf.cast(valid, f32) / length  # how far a speed-up can go
    lo = tf.maximum(aug.hr_range[0] / hr, 1.0 / aug.max_stretch)
    hi = tf.minimum(tf.minimum(aug.hr_range[1] / hr, aug.max_stretch), room)
    hi = tf.maximum(hi, lo)
    target = hr * (lo + uniform() * (hi - lo))
    stretch = uniform() < aug.stretch_prob
    r = tf.where(stretch, target / hr, tf.ones_like(hr))
    span = r * length  # source samples consumed
    # A stretched window starts anywhere its span fits; others stay put.
    offset = uniform() * tf.maximum(tf.cast(valid, f32) - span - 1.0, 0.0)
    offset = tf.where(stretch, offset, tf.zeros_like(offset))
    positions = offset[:, None] + r[:, None] * tf.range(length, dtype=f32)
    positions = tf.minimum(positions, tf.cast(valid, f32)[:, None] - 1.0)
    below = tf.floor(positions)
    frac = positions - below
    below = tf.cast(below, tf.int32)
    above = tf.minimum(below + 1, tf.shape(context)[1] - 1)
    left = tf.gather(context, below, batch_dims=1)
    right = tf.gather(context, above, batch_dims=1)
    x = left + frac[..., None] * (right - left)
    x, acc = x[..., 0], x[..., 1:]
    # HR of the source span: between this window's and the next one's.
    centre = offset + span / 2.0
    weight = tf.clip_by_value((centre - length / 2.0) / (length / 2.0), 0, 1)
    new_hr = r * (hr + weight * (tf.cast(hr_next, f32) - hr))
    return x, acc, new_hr


def _motion_artefact(x, aug, length, rate, draws):
    """A unit-std motion at a random cadence and its harmonics
    ``(batch, length)``, and each window's amplitude (0 when the window
    gets none)."""
    uniform = draws.uniform
    t = tf.range(length, dtype=tf.float32) / rate
    low_hz, high_hz = aug.motion_hz
    cadence = low_hz + uniform() * (high_hz - low_hz)
    motion = tf.zeros_like(x)
    for harmonic in (1.0, 2.0, 3.0):
        phase = 2.0 * np.pi * uniform()
        weight_h = uniform() / harmonic
        motion += weight_h[:, None] * tf.sin(
            2.0 * np.pi * harmonic * cadence[:, None] * t[None, :]
            + phase[:, None]
        )
    motion /= tf.math.reduce_std(motion, axis=1, keepdims=True) + 1e-6
    amplitude = aug.motion_amplitude * uniform()
    amplitude *= tf.cast(uniform() < aug.motion_prob, tf.float32)
    return motion, amplitude


def _moved_accelerometer(acc, motion, amplitude, draws):
    """The standardised accelerometer with the artefact's motion added
    along random axes (one scale for the axes)."""
    batch = tf.shape(acc)[0]
    acc = acc - tf.reduce_mean(acc, axis=1, keepdims=True)
    acc /= tf.math.reduce_std(acc, axis=(1, 2), keepdims=True) + 1e-8
    axes = draws.uniform([batch, 1, acc.shape[-1]], -1.0, 1.0)
    acc += amplitude[:, None, None] * motion[..., None] * axes
    acc -= tf.reduce_mean(acc, axis=1, keepdims=True)
    acc /= tf.math.reduce_std(acc, axis=(1, 2), keepdims=True) + 1e-8
    return acc


def _zscore(x):
    mean = tf.reduce_mean(x, axis=1, keepdims=True)
    std = tf.math.reduce_std(x, axis=1, keepdims=True)
    return (x - mean) / (std + 1e-8)


def augmented_dataset(
    windows,
    augmentation=Augmentation(),
    batch_size=32,
    seed=0,
    drop_remainder=False,
):
    """A shuffled, augmented, batched ``(window, class position)`` dataset.

    Args:
        windows: Training :class:`WindowSet`; its ``config`` (the window
            protocol) sets the rate, length and classes.
        augmentation: The :class:`Augmentation`.
        batch_size: Batch size.
        seed: Seed of the shuffling and of every augmentation draw: one
            seed gives the same stream, epoch after epoch, on every run.
        drop_remainder: Leave out the last partial batch (see
            :func:`keras_ppg_kd.datasets.to_dataset`).

    Returns:
        A ``tf.data.Dataset`` for ``model.fit``; every epoch draws new
        augmentations.
    """
    if not isinstance(windows, WindowSet) or len(windows) == 0:
        raise ValueError(
            "augmented_dataset needs a non-empty WindowSet. Received: "
            f"{type(windows).__name__} of length {len(windows)}"
        )
    config = windows.config
    context, hr_next, valid = stretch_context(windows)
    ds = tf.data.Dataset.from_tensor_slices(
        (context, windows.hr_bpm.astype("float32"), hr_next, valid)
    )
    ds = ds.shuffle(len(windows), seed=seed, reshuffle_each_iteration=True)
    # One seed per batch, new each epoch and the same on every run.
    batch_seeds = tf.data.Dataset.random(
        seed=seed, rerandomize_each_iteration=True
    ).batch(2)

    def apply(batch, batch_seed):
        c, hr, nxt, ok = batch
        return augment_batch(
            c,
            hr,
            nxt,
            ok,
            augmentation,
            config.window_length,
            config.target_rate,
            config.classes,
            batch_seed,
        )

    return (
        tf.data.Dataset.zip(ds.batch(batch_size, drop_remainder), batch_seeds)
        .map(apply, num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )
