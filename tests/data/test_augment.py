"""Augmentation: the stretch moves the heart rate and the label together."""

import numpy as np
import pytest

from keras_ppg_kd.baselines import spectral_peak_bpm
from keras_ppg_kd.data import (
    SyntheticConfig,
    WindowSet,
    generate_recording,
    windows_from_recording,
)
from keras_ppg_kd.data.augment import (
    Augmentation,
    augmented_dataset,
    stretch_context,
)
from keras_ppg_kd.protocol import WindowConfig


@pytest.fixture(scope="module")
def rest():
    config = SyntheticConfig(minutes=3, activity_weights=(("rest", 1.0),))
    return WindowSet.concatenate(
        windows_from_recording(generate_recording(i, config)) for i in range(3)
    )


def test_context_rebuilds_the_next_seconds_exactly(rest):
    context, hr_next, valid = stretch_context(rest)
    assert context.shape == (len(rest), 300, 1)
    # Window i + 1 (2 s later) covers context samples 50..250 of window i:
    # the same signal up to each window's own z-score.
    for i in range(5):
        later = rest.windows[i + 1, :, 0]
        piece = context[i, 50:250, 0]
        assert valid[i] == 300
        correlation = np.corrcoef(piece, later)[0, 1]
        assert correlation > 0.9999
    last = np.flatnonzero(valid == 200)
    assert len(last) >= 3  # the final windows of each recording


def test_stretch_scales_heart_rate_and_label(rest):
    aug = Augmentation(
        stretch_prob=1.0, flip_prob=0.0, motion_prob=0.0, noise_std=0.0
    )
    x, position = next(iter(augmented_dataset(rest, aug, batch_size=256)))
    x, bpm = x.numpy(), position.numpy() + 30.0
    assert x.shape == (256, 200, 1)
    assert bpm.max() - bpm.min() > 40  # spread well beyond resting HR
    assert 40 <= bpm.min() and bpm.max() <= 200
    error = np.abs(spectral_peak_bpm(x) - bpm)
    assert np.median(error) < 2.0  # the label follows the pulse
    np.testing.assert_allclose(x.mean(axis=1), 0, atol=1e-4)
    np.testing.assert_allclose(x.std(axis=1), 1, atol=1e-3)


def test_flip_inverts_and_identity_keeps_windows(rest):
    identity = Augmentation(
        stretch_prob=0.0, flip_prob=0.0, motion_prob=0.0, noise_std=0.0
    )
    flipped = Augmentation(
        stretch_prob=0.0, flip_prob=1.0, motion_prob=0.0, noise_std=0.0
    )
    subset = rest.subset(np.arange(len(rest)) < 8)
    a, label = next(iter(augmented_dataset(subset, identity, 8, seed=1)))
    b, _ = next(iter(augmented_dataset(subset, flipped, 8, seed=1)))
    np.testing.assert_allclose(a.numpy(), -b.numpy(), atol=1e-5)
    np.testing.assert_allclose(
        np.sort(label.numpy()), np.sort(subset.hr_bpm - 30), atol=1e-4
    )
    windows = subset.windows[np.argsort(subset.hr_bpm)]
    np.testing.assert_allclose(
        a.numpy()[np.argsort(label.numpy())], windows, atol=1e-4
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"flip_prob": 1.5}, "flip_prob"),
        ({"max_stretch": 3.0}, "max_stretch"),
        ({"hr_range": (100, 50)}, "hr_range"),
        ({"noise_std": -1}, "noise_std"),
    ],
)
def test_bad_settings_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Augmentation(**kwargs)


def test_accelerometer_channels_are_stretched_with_the_ppg_and_see_motion():
    config = SyntheticConfig(minutes=2, activity_weights=(("running", 1.0),))
    window = WindowConfig(accelerometer=True)
    windows = windows_from_recording(generate_recording(0, config), window)
    subset = windows.subset(np.arange(len(windows)) < 8)
    identity = Augmentation(
        stretch_prob=0.0, flip_prob=0.0, motion_prob=0.0, noise_std=0.0
    )
    x, label = next(iter(augmented_dataset(subset, identity, 8)))
    order = np.argsort(label.numpy())
    np.testing.assert_allclose(
        x.numpy()[order], subset.windows[np.argsort(subset.hr_bpm)], atol=1e-4
    )
    # Every augmentation at once: the accelerometer stays one jointly
    # standardised block and the flip leaves it alone.
    wild = Augmentation(stretch_prob=1.0, flip_prob=1.0, motion_prob=1.0)
    y, _ = next(iter(augmented_dataset(subset, wild, 8)))
    assert y.shape == (8, 200, 4)
    np.testing.assert_allclose(y.numpy()[..., 1:].std(axis=(1, 2)), 1, 1e-3)
    np.testing.assert_allclose(y.numpy()[..., 0].std(axis=1), 1, 1e-3)


def test_one_seed_gives_one_stream_whatever_the_threads(rest):
    """Stateless draws in the parallel map: two runs agree batch for batch
    over two epochs; another seed, or the next epoch, draws anew."""
    import keras

    def stream(seed):
        keras.utils.set_random_seed(seed)  # as the recipes do
        data = augmented_dataset(rest, Augmentation(), 32, seed=seed)
        return [x.numpy() for _ in range(2) for x, _ in data]

    first = stream(7)
    again = stream(7)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[0], stream(8)[0])
    epochs = len(first) // 2
    assert not np.array_equal(first[0], first[epochs])
