"""Pure signal transforms: recording -> labelled, standardised windows.

Nothing here reads files; the tfds builders read raw files into a
:class:`Recording` and call :func:`windows_from_recording`. Every window
that is rejected is counted with its reason in :attr:`WindowSet.dropped`.
"""

import collections
import dataclasses
import warnings

import numpy as np
from scipy import ndimage, signal

from keras_ppg_kd._csource import copy_sources
from keras_ppg_kd.data.filters import _fill_non_finite, bandpass, resample
from keras_ppg_kd.heart_rate import DEFAULT_CLASSES, bpm_to_class
from keras_ppg_kd.protocol import WindowConfig as _WindowConfig

# Reasons a window is dropped (keys of WindowSet.dropped).
NON_FINITE = "non_finite"
FLAT = "flat"
CLIPPED = "clipped"
MISSING_LABEL = "missing_label"
HR_OUT_OF_RANGE = "hr_out_of_range"
PAST_LAST_LABEL = "past_last_label"
IRREGULAR_REFERENCE = "irregular_reference"
# Windows whose detected RR intervals vary more than this (coefficient of
# variation) are dropped as IRREGULAR_REFERENCE: the R-peak detector was
# lost in noise (a clean ECG, exercise included, gives a few percent).
# Annotated beats (beat_correction=False) are trusted as given.
MAX_RR_VARIATION = 0.2
# Motion cancellation (NumPy and the C step alike): the ridge on the unit
# diagonal of the normal equations (large enough for float32: identical
# axes stay solvable; it leaves 0.1 % of a single axis's motion), and the
# variation, relative to its level, below which an axis counts as still.
CANCEL_RIDGE = 1e-3
STILL_RELATIVE = 1e-5
# An accelerometer axis this correlated with the band-passed PPG over a
# whole recording is the PPG itself (synthetic and the PhysioNet wrist
# recordings, motion artefacts and all, stay far below).
MAX_PPG_CORRELATION = 0.98


@dataclasses.dataclass
class Recording:
    """One participant's raw recording, as a builder reads it.

    Args:
        dataset: Dataset name (``"ppg_dalia"``, ...).
        participant: Participant id, unique within the dataset.
        ppg: Green PPG samples, shape ``(n,)``.
        fs: Sampling rate of ``ppg`` in Hz.
        window_hr: Heart rate the dataset gives per window (BPM), on the
            grid ``window_hr_grid = (window_seconds, stride_seconds)``.
        beat_times: Heartbeat times in seconds (e.g. ECG R-peaks), from
            which each window's HR is derived; used when ``window_hr`` is
            ``None``.
        beat_correction: Correct missed/extra beats (detected beats; see
            :func:`hr_from_beats`). False for exact beat times.
        invalid: Reason -> boolean mask over ``ppg`` samples that the
            dataset marks unusable (gap fills, status flags, ...).
        activity: Optional ``(times_s, labels)`` activity annotation.
        acc: Optional ``(n, 3)`` accelerometer on the same clock as ``ppg``
            (readers resample it to ``fs``); any unit.
        source: The file the recording came from (for error messages).
    """

    dataset: str
    participant: str
    ppg: np.ndarray
    fs: float
    window_hr: np.ndarray | None = None
    window_hr_grid: tuple = (8.0, 2.0)
    beat_times: np.ndarray | None = None
    beat_correction: bool = False
    invalid: dict = dataclasses.field(default_factory=dict)
    activity: tuple | None = None
    acc: np.ndarray | None = None
    source: str = ""


@dataclasses.dataclass
class WindowSet:
    """Windows of one or more recordings and what was dropped.

    Attributes:
        windows: ``(n, window_length, channels)`` float32 (channel 0 is
            the PPG; 1-3 the accelerometer when the config asks for it).
        start_times: Window start, seconds from the recording start.
        hr_bpm: Reference heart rate per window.
        label: Class index per window.
        participant: Participant id per window.
        dataset: Dataset name per window.
        activity: Activity label per window (``""`` when unknown).
        dropped: Reason -> number of windows dropped.
        config: The :class:`~keras_ppg_kd.protocol.WindowConfig` the
            windows were made with (the protocol that models trained on
            them must share).
    """

    windows: np.ndarray
    start_times: np.ndarray
    hr_bpm: np.ndarray
    label: np.ndarray
    participant: np.ndarray
    dataset: np.ndarray
    activity: np.ndarray
    dropped: collections.Counter = dataclasses.field(
        default_factory=collections.Counter
    )
    config: _WindowConfig = _WindowConfig()

    _PER_SET = ("dropped", "config")

    def __len__(self):
        return len(self.label)

    def _per_window(self):
        return [
            f.name
            for f in dataclasses.fields(self)
            if f.name not in self._PER_SET
        ]

    def subset(self, mask):
        """The windows where ``mask`` is True (``dropped`` is kept)."""
        fields = {
            name: getattr(self, name)[mask] for name in self._per_window()
        }
        return WindowSet(
            **fields,
            dropped=collections.Counter(self.dropped),
            config=self.config,
        )

    @classmethod
    def concatenate(cls, parts):
        """Join window sets of one protocol; their drop counts add up."""
        parts = list(parts)
        if not parts:
            raise ValueError("Nothing to concatenate: no window sets given.")
        for part in parts[1:]:
            if part.config != parts[0].config:
                raise ValueError(
                    "Cannot join windows made with different protocols: "
                    f"{parts[0].config} and {part.config}."
                )
        dropped = collections.Counter()
        for part in parts:
            dropped.update(part.dropped)
        fields = {
            name: np.concatenate([getattr(p, name) for p in parts])
            for name in parts[0]._per_window()
        }
        return cls(**fields, dropped=dropped, config=parts[0].config)


def standardize(windows, axis=-2, eps=1e-8):
    """Per-window z-score (works on NumPy arrays and tensors alike).

    Mappable in tf.data: ``ds.map(lambda x, y: (standardize(x), y))``
    with windows of shape ``(length, 1)`` (``axis=-2`` is time).
    """
    mean = windows.mean(axis=axis, keepdims=True)
    std = windows.std(axis=axis, keepdims=True)
    return (windows - mean) / (std + eps)


def heart_band_fraction(
    ppg, fs, classes=DEFAULT_CLASSES, seconds=8.0, floor_hz=0.1
):
    """Share of ``seconds``-long stretches whose spectrum peaks at a pulse.

    A check of the stated sampling rate: each stretch (linear trend
    removed, Hann window) has its dominant frequency above 0.1 Hz; a
    pulse puts it between the slowest class and twice the fastest (the
    second harmonic often dominates). On correctly stated recordings of
    three devices this share was 0.73-1.0; a rate stated 10 times too low
    gave at most 0.18, 10 times too high at most 0.33 on two of them (and
    up to 1.0 on a wrist device whose baseline swings dominate). A rate
    off by a factor of 2 is not reliably seen (:func:`rate_suspicion` looks
    further). Where breathing or baseline
    swings dominate (a finger on a phone camera), few stretches peak at a
    pulse even at the right rate; ``floor_hz`` at the pulse band's lower
    edge looks past them.

    Args:
        ppg: The PPG samples, shape ``(n,)``.
        fs: Their stated sampling rate in Hz.
        classes: The :class:`HRClasses` (their range is the pulse's).
        seconds: Stretch length.
        floor_hz: The lowest frequency a stretch's peak is looked for at.

    Returns:
        The share in [0, 1], or NaN when the signal is shorter than one
        stretch.
    """
    x = np.asarray(ppg, "float64").reshape(-1)
    x = x[np.isfinite(x)]
    n = int(round(seconds * fs))
    if n < 8 or len(x) < n:
        return float("nan")
    k = len(x) // n
    stretches = signal.detrend(x[: k * n].reshape(k, n), axis=1)
    size = max(n, 2048)
    power = np.abs(np.fft.rfft(stretches * np.hanning(n), size, axis=1))
    freq = np.fft.rfftfreq(size, 1.0 / fs)
    above = freq >= floor_hz
    top = freq[above][np.argmax(power[:, above], axis=1)]
    low = (classes.min_bpm - classes.resolution / 2) / 60.0
    high = 2 * classes.max_bpm / 60.0
    return float(np.mean((top >= low) & (top <= high)))


def rate_suspicion(ppg, fs, classes=DEFAULT_CLASSES, seconds=8.0):
    """Why ``fs`` looks 2-4 times off for this PPG, or ``None``.

    Beside :func:`heart_band_fraction`, four limits no recording at its
    true rate crossed (12 SPC 2015, 7 PhysioNet wrist, synthetic and
    phone-like ones), taken on the median spectrum of the
    ``seconds``-long stretches and their dominant frequencies:

    - too low a rate: content (10 dB above the top fifth's floor, narrow
      lines ignored) ends below 4 Hz, where a pulse's harmonics reach
      further (checked at 16 Hz or more); or the median stretch, past
      breathing, peaks slower than the slowest class (or below 1.5 times
      it, with nine in ten stretches, breathing kept, below it);
    - too high a rate: a tenth of the stretches peak above twice the
      fastest class; or content reaches past 150 Hz.

    Returns:
        ``(factor, reason)``: 2 where the rate looks too low (the signal
        suggests 2-4 times higher), 0.5 where too high; ``None`` when
        nothing is off or the signal is shorter than one stretch.
    """
    x = np.asarray(ppg, "float64").reshape(-1)
    x = x[np.isfinite(x)]
    n = int(round(seconds * fs))
    if n < 8 or len(x) < n:
        return None
    k = len(x) // n
    stretches = signal.detrend(x[: k * n].reshape(k, n), axis=1)
    size = max(n, 2048)
    power = np.abs(np.fft.rfft(stretches * np.hanning(n), size, axis=1)) ** 2
    freq = np.fft.rfftfreq(size, 1.0 / fs)
    low = (classes.min_bpm - classes.resolution / 2) / 60.0
    top = freq[np.argmax(power[:, freq >= 0.1], axis=1) + (freq < 0.1).sum()]
    past = freq >= 0.8 * low  # breathing left out
    beat = np.median(freq[past][np.argmax(power[:, past], axis=1)])
    width = max(3, int(0.6 * size / fs)) | 1  # 0.6 Hz: narrow lines out
    median = ndimage.median_filter(np.median(power, axis=0), size=width)
    floor = np.median(median[freq > 0.4 * fs])
    above = np.nonzero(median > 10 * floor)[0]
    edge = freq[above[-1]] if len(above) else 0.0
    edge = edge if floor > 0 else float("nan")  # no floor: not judged
    fast = np.percentile(top, 90)
    if fs >= 16 and edge < 4.0:
        return 2, (
            f"its content ends at {edge:.1f} Hz, where a pulse's harmonics "
            "reach 4 Hz or more"
        )
    if beat < low or (fast < low and beat < 1.5 * low):
        return 2, (
            f"its {seconds:g} s stretches peak at {beat * 60:.0f} BPM in "
            f"the median (breathing left out), {fast * 60:.0f} BPM or less "
            "in nine of ten: slower than a pulse"
        )
    if fast > 2 * classes.max_bpm / 60.0:
        return 0.5, (
            f"a tenth of its {seconds:g} s stretches peak at "
            f"{fast * 60:.0f} BPM or more, above twice the fastest pulse"
        )
    if edge > 150.0:
        return 0.5, f"its content reaches {edge:.0f} Hz, far above a PPG's"
    return None


def _corrected_beats(beats, correct):
    """Beats and the beat count each interval stands for (see below)."""
    counts = np.ones(max(len(beats) - 1, 0))
    if correct and len(beats) > 3:
        rr = np.diff(beats)
        local = ndimage.median_filter(rr, size=21, mode="nearest")
        beats = beats[np.concatenate([[True], rr >= 0.5 * local])]
        rr = np.diff(beats)
        local = ndimage.median_filter(rr, size=21, mode="nearest")
        counts = np.maximum(1.0, np.round(rr / local))
    return beats, counts


def hr_from_beats(
    beat_times, window_starts, window_seconds, correct=False, variation=False
):
    """Heart rate per window: 60 / mean RR of the beats inside it.

    Args:
        beat_times: Sorted beat times in seconds.
        window_starts: Window start times in seconds.
        window_seconds: Window length in seconds.
        correct: Correct detector errors (for beats found in an ECG): a
            beat closer than half the local median RR to its predecessor is
            dropped as an extra detection, and an interval of about k local
            median RRs counts as k intervals (k - 1 missed beats).
        variation: Also return each window's RR variation: the coefficient
            of variation of the RR intervals inside it, as given (before
            any correction). A clean ECG, exercise included, gives a few
            percent; an R-peak detector lost in noise, tens.

    Returns:
        BPM per window; NaN where fewer than two beats fall inside. With
        ``variation``, ``(bpm, variation)`` (NaN below two intervals).
    """
    given = np.asarray(beat_times, dtype="float64")
    beats, counts = _corrected_beats(given, correct)
    starts = np.asarray(window_starts, dtype="float64")
    first = np.searchsorted(beats, starts, side="left")
    last = np.searchsorted(beats, starts + window_seconds, side="left") - 1
    hr = np.full(len(starts), np.nan)
    ok = last - first >= 1
    # intervals between beat `first` and beat `last`: counts[first:last]
    cumulative = np.concatenate([[0.0], np.cumsum(counts)])
    intervals = cumulative[last[ok]] - cumulative[first[ok]]
    hr[ok] = 60.0 * intervals / (beats[last[ok]] - beats[first[ok]])
    if not variation:
        return hr
    first = np.searchsorted(given, starts, side="left")
    last = np.searchsorted(given, starts + window_seconds, side="left") - 1
    # RR intervals first..last-1 of each window, from cumulative sums
    rr = np.diff(given)
    total = np.concatenate([[0.0], np.cumsum(rr)])
    squares = np.concatenate([[0.0], np.cumsum(rr**2)])
    spread = np.full(len(starts), np.nan)
    ok = last - first >= 2
    n = (last - first)[ok]
    mean = (total[last[ok]] - total[first[ok]]) / n
    power = (squares[last[ok]] - squares[first[ok]]) / n
    spread[ok] = np.sqrt(np.maximum(power - mean**2, 0.0)) / mean
    return hr, spread


def _window_sums(values, starts_idx, length, dtype="int64"):
    """Sum of ``values`` over each window, from one cumulative sum (O(n))."""
    cumulative = np.concatenate([[0], np.cumsum(values, dtype=dtype)])
    return cumulative[starts_idx + length] - cumulative[starts_idx]


def _window_any(mask, starts_idx, length):
    """For each window, whether any sample of ``mask`` falls inside it."""
    return _window_sums(mask, starts_idx, length) > 0


def _window_std(x, starts_idx, length):
    """Standard deviation of each window without materialising windows."""
    centered = x - x.mean()  # keeps the running sums small
    mean = _window_sums(centered, starts_idx, length, "float64") / length
    power = _window_sums(centered**2, starts_idx, length, "float64") / length
    return np.sqrt(np.maximum(power - mean**2, 0.0))


def windows_from_recording(recording, config=_WindowConfig(), labelled=True):
    """Turn a raw recording into labelled, standardised windows.

    Resamples to ``config.target_rate``, band-passes, frames into windows,
    labels each one (dataset HR or HR from beat times) and drops, with a
    count per reason, windows that touch non-finite or dataset-flagged
    samples, are flat or clipped, or whose label is missing or out of range,
    or (beats detected in an ECG) whose RR intervals vary more than
    ``MAX_RR_VARIATION`` (``irregular_reference``). With the
    accelerometer, warns (``AccelerometerLagWarning``) where motion shows
    it late or early against the PPG (:func:`keras_ppg_kd.data.lag.
    accelerometer_lag`).

    Args:
        recording: A :class:`Recording`.
        config: The :class:`~keras_ppg_kd.protocol.WindowConfig`.
        labelled: If False, the recording needs no HR: windows keep
            ``hr_bpm`` NaN and ``label`` -1 and are not dropped for it.

    Returns:
        A :class:`WindowSet`.

    Raises:
        ValueError: bad sampling rate, a recording shorter than one window,
            or dataset labels on a grid other than the config's; the message
            names the source file.
    """
    where = recording.source or f"{recording.dataset}/{recording.participant}"
    raw, fs = _checked_ppg(recording, config, where)
    acc = (
        _accelerometer(recording, raw, where)
        if config.needs_accelerometer
        else None
    )
    bad = _bad_samples(recording, raw, acc, where)
    clean = _fill_non_finite(raw)  # so filters run; those windows drop
    starts_s, native_starts, native_length = _frame(len(raw), fs, config)
    reasons = _quality_reasons(clean, bad, native_starts, native_length, config)

    # Labels.
    tail = 0
    if recording.window_hr is not None:
        hr = _dataset_hr(recording, config, where, len(raw), fs, starts_s)
        n = len(hr)  # align on the label count
        tail = len(starts_s) - n
        starts_s, native_starts, reasons = (
            starts_s[:n],
            native_starts[:n],
            reasons[:n],
        )
    else:
        hr = _beat_hr(recording, config, labelled, where, starts_s, reasons)
    if labelled:
        _drop_unusable_labels(hr, reasons, config)
    keep = reasons == ""
    dropped = collections.Counter(reasons[~keep].tolist())
    if recording.window_hr is not None and tail:
        dropped[PAST_LAST_LABEL] += tail

    windows = _cut_windows(
        clean,
        acc,
        fs,
        config,
        where,
        starts_s[keep],
        native_starts[keep],
        native_length,
    )
    if acc is not None:  # after the checks that refuse it
        from keras_ppg_kd.data.lag import warn_if_lagged

        warn_if_lagged(clean, acc, fs, where)
    n = int(keep.sum())
    return WindowSet(
        windows=windows,
        start_times=starts_s[keep].astype("float32"),
        hr_bpm=hr[keep].astype("float32"),
        label=(
            bpm_to_class(hr[keep], config.classes)
            if labelled
            else np.full(n, -1, dtype="int32")
        ),
        participant=np.full(n, recording.participant, dtype=object),
        dataset=np.full(n, recording.dataset, dtype=object),
        activity=_activity_at(recording.activity, starts_s[keep], config),
        dropped=dropped,
        config=config,
    )


# === windows_from_recording's steps ===


def _checked_ppg(recording, config, where):
    """The recording's PPG as float64 ``(n,)`` and its rate, checked to be
    usable and at least one window long."""
    fs = float(recording.fs)
    if not np.isfinite(fs) or fs < 2 * (config.band[1] if config.band else 1):
        raise ValueError(
            f"{where}: sampling rate fs={recording.fs} Hz is not usable; "
            "expected a positive rate above twice the band's upper edge."
        )
    raw = np.asarray(recording.ppg, dtype="float64").reshape(-1)
    duration = len(raw) / fs
    if duration < config.window_seconds:
        raise ValueError(
            f"{where}: recording is {duration:.2f} s long, shorter than one "
            f"{config.window_seconds} s window."
        )
    return raw, fs


def _bad_samples(recording, raw, acc, where):
    """Reason -> per-sample badness mask at the native rate."""
    bad = {NON_FINITE: ~np.isfinite(raw)}
    if acc is not None:
        bad[NON_FINITE] |= ~np.isfinite(acc).all(axis=1)
    for reason, mask in recording.invalid.items():
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != raw.shape:
            raise ValueError(
                f"{where}: invalid-sample mask {reason!r} has shape "
                f"{mask.shape}, expected {raw.shape}."
            )
        bad[reason] = mask
    if not np.isfinite(raw).any():
        raise ValueError(f"{where}: every PPG sample is NaN or Inf.")
    return bad


def _frame(num_samples, fs, config):
    """Window starts in seconds and in native samples, and the native
    window length: every window that fits in the recording."""
    duration = num_samples / fs
    native_length = int(round(config.window_seconds * fs))
    starts_s = np.arange(
        0.0, duration - config.window_seconds + 1e-9, config.stride_seconds
    )
    native_starts = np.round(starts_s * fs).astype("int64")
    native_starts = native_starts[native_starts + native_length <= num_samples]
    starts_s = starts_s[: len(native_starts)]
    return starts_s, native_starts, native_length


def _quality_reasons(clean, bad, native_starts, native_length, config):
    """Each window's drop reason from the native-rate raw signal (``""``
    for a usable one): flagged samples, then flat, then clipped."""
    reasons = np.full(len(native_starts), "", dtype=object)
    for reason, mask in bad.items():
        hit = _window_any(mask, native_starts, native_length)
        reasons[(reasons == "") & hit] = reason

    # Window statistics from running sums: O(n) memory, where cutting the
    # overlapping native-rate windows would copy the signal 4x.
    window_std = _window_std(clean, native_starts, native_length)
    typical = (
        np.median(window_std[reasons == ""]) if (reasons == "").any() else 1
    )
    reasons[(reasons == "") & (window_std <= config.flat_std * typical)] = FLAT
    low, high = np.nanmin(clean), np.nanmax(clean)
    tol = 1e-6 * max(high - low, 1e-12)
    stuck = (clean >= high - tol) | (clean <= low + tol)
    stuck_fraction = (
        _window_sums(stuck, native_starts, native_length) / native_length
    )
    clipped = stuck_fraction > config.max_clipped_fraction
    reasons[(reasons == "") & clipped] = CLIPPED
    return reasons


def _dataset_hr(recording, config, where, num_samples, fs, starts_s):
    """The dataset's per-window HR, checked against the config's grid and
    the signal's length; as many windows as both cover."""
    grid = tuple(float(v) for v in recording.window_hr_grid)
    if grid != (config.window_seconds, config.stride_seconds):
        raise ValueError(
            f"{where}: the dataset gives HR on {grid[0]} s windows every "
            f"{grid[1]} s; the config asks for {config.window_seconds} s "
            f"every {config.stride_seconds} s. Use the dataset's grid."
        )
    given = np.asarray(recording.window_hr, dtype="float64").reshape(-1)
    if not len(starts_s) - 3 <= len(given) <= len(starts_s) + 1:
        implied = num_samples / ((len(given) - 1) * grid[1] + grid[0])
        raise ValueError(
            f"{where}: labels cover {len(given)} windows, the signal "
            f"at fs={fs} Hz holds {len(starts_s)}. Either the labels "
            "are truncated or the sampling rate is wrong (the labels "
            f"imply about {implied:.1f} Hz)."
        )
    return given[: min(len(given), len(starts_s))]


def _beat_hr(recording, config, labelled, where, starts_s, reasons):
    """Per-window HR from the recording's beat times (NaN without them,
    when unlabelled); windows of detected beats that vary too much are
    marked ``IRREGULAR_REFERENCE`` in ``reasons``."""
    if recording.beat_times is not None:
        hr, spread = hr_from_beats(
            recording.beat_times,
            starts_s,
            config.window_seconds,
            correct=recording.beat_correction,
            variation=True,
        )
        if recording.beat_correction:  # beats detected, not annotated
            irregular = spread > MAX_RR_VARIATION
            reasons[(reasons == "") & irregular] = IRREGULAR_REFERENCE
        return hr
    if labelled:
        raise ValueError(
            f"{where}: recording has neither per-window HR nor beat times."
        )
    return np.full(len(starts_s), np.nan)


def _drop_unusable_labels(hr, reasons, config):
    """Mark windows without a finite HR, or outside the classes."""
    reasons[(reasons == "") & ~np.isfinite(hr)] = MISSING_LABEL
    out_of_range = ~config.classes.in_range(np.nan_to_num(hr, nan=0.0))
    reasons[(reasons == "") & out_of_range] = HR_OUT_OF_RANGE


def _cut_windows(
    clean, acc, fs, config, where, starts_s, native_starts, native_length
):
    """The kept windows, float32 ``(n, length, channels)``: the recording
    resampled and band-passed once, then cut and normalised."""
    channels = [clean]
    if acc is not None:
        channels += [_fill_non_finite(axis) for axis in acc.T]
    x = np.stack(
        [_preprocess(channel, fs, config) for channel in channels], axis=-1
    )
    if acc is not None:
        _check_not_the_ppg(x, where)
    length = config.window_length
    starts = np.round(starts_s * config.target_rate).astype("int64")
    starts = np.minimum(starts, len(x) - length)
    # float64 until the end: float32 squares of values near 1e20 overflow.
    windows = x[starts[:, None] + np.arange(length)]
    if acc is not None:  # a still axis carries no motion
        still = _still_in_windows(acc, native_starts, native_length)
        windows[..., 1:] = np.where(still[:, None, :], 0.0, windows[..., 1:])
    return _normalise(windows, acc is not None, config)


def _normalise(windows, with_acc, config):
    """Standardise (one scale for the three axes), cancel motion, and keep
    the config's channels as float32."""
    if config.zscore:
        windows[..., :1] = standardize(windows[..., :1], axis=1)
        if with_acc:  # one scale for the three axes
            motion = windows[..., 1:] - windows[..., 1:].mean(1, keepdims=True)
            scale = motion.std(axis=(1, 2), keepdims=True)
            windows[..., 1:] = motion / (scale + 1e-8)
    if config.cancel_motion:
        windows[..., 0] = cancel_motion(windows[..., 0], windows[..., 1:])
        if config.zscore:
            windows[..., :1] = standardize(windows[..., :1], axis=1)
    return windows[..., : config.channels].astype("float32")


def cancel_motion(ppg, acc):
    """Each window's PPG less the part its accelerometer explains linearly.

    Least squares of the PPG on the three (centred) axes, one fit per
    window: adaptive noise cancellation with the accelerometer as the
    motion's reference. Each axis is scaled to unit energy and the normal
    equations get a ridge of ``CANCEL_RIDGE`` on their unit diagonal, so
    that identical or nearly collinear axes, and values of any size, give
    the same answer in the float32 C step (:func:`export_cancel_motion_c`:
    a 3 x 3 Cholesky solve and about 4,000 multiply-adds per 200-sample
    window). An axis whose variation is negligible beside its level
    (``STILL_RELATIVE``; float rounding of a constant) explains nothing.

    Args:
        ppg: ``(n, length)`` PPG windows.
        acc: ``(n, length, 3)`` accelerometer windows on the same samples.

    Returns:
        ``(n, length)`` float32 residual PPG (a flat accelerometer leaves
        the window as it is).
    """
    ppg = np.asarray(ppg, "float64")
    acc = np.asarray(acc, "float64")
    centred = acc - acc.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", over="ignore"):
        most = np.abs(centred).max(axis=1, keepdims=True)
        level = np.abs(acc).max(axis=1, keepdims=True)
        active = (
            (most > 1e-30)
            & np.isfinite(most)
            & np.isfinite(level)
            & (most > STILL_RELATIVE * level)
        )
        scaled = np.where(active, centred / np.where(active, most, 1.0), 0.0)
    energy = (scaled**2).sum(axis=1, keepdims=True)
    unit = scaled / np.sqrt(np.where(active, energy, 1.0))
    gram = np.einsum("nti,ntj->nij", unit, unit)
    gram += CANCEL_RIDGE * np.eye(acc.shape[-1])
    target = np.einsum("nti,nt->ni", unit, ppg)[..., None]
    weights = np.linalg.solve(gram, target)[..., 0]
    return (ppg - np.einsum("nti,ni->nt", unit, weights)).astype("float32")


def export_cancel_motion_c(directory):
    """Write the plain-C :func:`cancel_motion` step for a watch.

    Writes ``cancel_motion.c`` and ``cancel_motion.h`` into ``directory``
    (created): ``ppg_cancel_motion(ppg, acc, n)`` cleans and standardises
    one band-passed window in place, as :func:`windows_from_recording`
    does for ``WindowConfig(cancel_motion=True)``.

    Returns:
        The paths written.
    """
    return copy_sources(
        ("data/cancel_motion.c", "data/cancel_motion.h"), directory
    )


def _accelerometer(recording, raw, where):
    """The recording's ``(n, 3)`` accelerometer, checked against the PPG."""
    if recording.acc is None:
        raise ValueError(
            f"{where}: the config asks for the accelerometer "
            "(accelerometer=True or cancel_motion=True) but this recording "
            "has no `acc`. For PPG alone use a config without both (the "
            "builders' `default`; GeneralizingRecipe(cancel_motion=False))."
        )
    acc = np.asarray(recording.acc, dtype="float64")
    if acc.shape != (len(raw), 3):
        raise ValueError(
            f"{where}: `acc` must be (n, 3) on the PPG's clock, n="
            f"{len(raw)}. Received: shape={acc.shape}."
        )
    return acc


def _check_not_the_ppg(x, where):
    """Refuse an accelerometer axis that is (nearly) the PPG itself.

    ``x``: the recording's band-passed ``(n, 4)`` PPG and axes. Motion
    cancellation would remove the pulse with it, and every window would
    still be kept.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.corrcoef(x.T)[0, 1:]
    for name, value in zip(("acc_x", "acc_y", "acc_z"), r):
        if np.abs(value) >= MAX_PPG_CORRELATION:
            raise ValueError(
                f"{where}: accelerometer axis {name} follows the PPG itself "
                f"(correlation {value:.4f} after band-passing; a real "
                f"accelerometer stays below {MAX_PPG_CORRELATION}). Was the "
                "PPG given as the accelerometer? Give the accelerometer's "
                "own axes, or a config without it."
            )


def _still_in_windows(acc, native_starts, native_length):
    """Which axes are still in each native-rate window, ``(n, 3)`` bool.

    An axis is still when its peak-to-peak is at most ``STILL_RELATIVE``
    of its level (a wrist at rest reading gravity, or zero): resampling
    and band-passing would turn its constant into edge transients and
    float noise, which cancellation must not fit (C: ``ppg_still_axes``).
    Running extrema: cutting the overlapping windows would copy the
    signal 4x.
    """
    centre = native_starts + native_length // 2
    still = []
    for axis in acc.T:
        axis = _fill_non_finite(axis)
        low = ndimage.minimum_filter1d(axis, native_length)[centre]
        high = ndimage.maximum_filter1d(axis, native_length)[centre]
        level = np.maximum(np.abs(low), np.abs(high))
        still.append(high - low <= STILL_RELATIVE * level)
    return np.stack(still, axis=-1).reshape(len(native_starts), 3)


def _preprocess(x, fs, config):
    """Resample one channel to the target rate and band-pass it."""
    x = resample(x, fs, config.target_rate)
    if config.band is not None:
        x = bandpass(x, config.target_rate, config.band, config.filter_order)
    return x


def _activity_at(activity, starts_s, config):
    """Activity label at each window's centre (``""`` when unknown)."""
    if activity is None:
        return np.full(len(starts_s), "", dtype=object)
    times, labels = activity
    centre = starts_s + config.window_seconds / 2
    index = np.clip(np.searchsorted(times, centre, side="right") - 1, 0, None)
    return np.asarray(labels, dtype=object)[index]


def as_signal(ppg, where="ppg"):
    """A 1-D float64 signal from ``(n,)``, ``(n, 1)`` or ``(1, n)`` input.

    Raises:
        ValueError: any other shape (several channels or columns would
            otherwise be interleaved into one signal), naming the shape.
    """
    x = np.asarray(ppg, dtype="float64")
    if x.ndim == 2 and 1 in x.shape:
        x = x.reshape(-1)
    if x.ndim != 1:
        raise ValueError(
            f"{where} must be one signal, shape (n,), (n, 1) or (1, n). "
            f"Received: shape={x.shape}. Pick one channel/column first."
        )
    return x


def windows_from_signal(ppg, fs, config=_WindowConfig(), acc=None):
    """Windows of a user's own recording, ready for ``model.predict``.

    Args:
        ppg: Green PPG samples, shape ``(n,)`` (or ``(n, 1)``, ``(1, n)``).
        fs: Sampling rate in Hz (any; resampled to ``config.target_rate``).
        config: The :class:`~keras_ppg_kd.protocol.WindowConfig`.
        acc: ``(n, 3)`` accelerometer on the PPG's clock, for a config with
            ``accelerometer=True`` or ``cancel_motion=True``.

    Returns:
        ``(windows, start_times)``: float32 ``(num_windows, 200, channels)`` and
        the start of each window in seconds. Windows with NaN/Inf samples,
        flat or clipped signal are dropped (the start times show which
        remain); use :func:`windows_from_recording` for the drop counts.

    Raises:
        ValueError: a multi-channel array, or no window left (the message
            gives the drop counts per reason).

    Example:
    >>> x, t = windows_from_signal(np.random.randn(64 * 60), fs=64)
    >>> x.shape, t[:3]
    ((27, 200, 1), array([0., 2., 4.], dtype=float32))
    """
    recording = Recording(
        dataset="user", participant="user", ppg=as_signal(ppg), fs=fs, acc=acc
    )
    found = windows_from_recording(recording, config, labelled=False)
    if len(found) == 0:
        raise ValueError(
            "No usable window in this recording; dropped per reason: "
            f"{dict(found.dropped)}."
        )
    return found.windows, found.start_times


def __getattr__(name):
    # Deprecated: WindowConfig lives in keras_ppg_kd.protocol.
    if name == "WindowConfig":
        warnings.warn(
            "keras_ppg_kd.data.transforms.WindowConfig is deprecated and "
            "will be removed in the next release; import it from "
            "keras_ppg_kd.protocol.",
            DeprecationWarning,
            stacklevel=2,
        )
        return _WindowConfig
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
