"""SpectralFusion: the window's spectrum joins the model's posterior."""

import numpy as np
import pytest

from keras_ppg_kd.tracking.fusion import SpectralFusion, class_power

RATE, LENGTH = 25.0, 200


def _windows(hr_bpm, cadence_bpm=None, rng=None, motion=0.0):
    """PPG = pulse (+ cadence when ``motion``), ACC = the cadence alone."""
    rng = rng or np.random.default_rng(0)
    t = np.arange(LENGTH) / RATE
    out = np.zeros((len(hr_bpm), LENGTH, 4))
    for i, hr in enumerate(hr_bpm):
        phase = rng.uniform(0, 2 * np.pi, 2)
        pulse = np.sin(2 * np.pi * hr / 60 * t + phase[0])
        out[i, :, 0] = pulse + 0.3 * rng.standard_normal(LENGTH)
        if cadence_bpm is not None:
            step = np.sin(2 * np.pi * cadence_bpm[i] / 60 * t + phase[1])
            out[i, :, 0] += motion * step
            out[i, :, 1:] = step[:, None] * [1.0, 0.5, 0.2]
            out[i, :, 1:] += 0.1 * rng.standard_normal((LENGTH, 3))
        else:
            out[i, :, 1:] = 0.1 * rng.standard_normal((LENGTH, 3))
    return out.astype("float32")


def test_class_power_peaks_at_the_sinusoids_class():
    windows = _windows([72.0, 150.0])[..., 0]
    power = class_power(windows, RATE)
    assert power.shape == (2, 180)
    assert abs(np.argmax(power[0]) + 30 - 72) <= 1
    assert abs(np.argmax(power[1]) + 30 - 150) <= 1


def test_fit_trusts_a_clean_spectrum_over_a_vague_model():
    rng = np.random.default_rng(1)
    hr = rng.uniform(50, 180, 200)
    windows = _windows(hr, rng=rng)[..., :1]
    logits = 0.1 * rng.standard_normal((len(hr), 180))  # knows nothing
    fusion = SpectralFusion.fit(windows, logits, hr)
    fused = fusion.fuse(windows, logits)
    assert np.median(fusion.weights(windows, logits)) > 1.0
    assert np.mean(np.abs(np.argmax(fused, 1) + 30 - hr)) < 3.0


def test_the_accelerometer_suppresses_the_cadence():
    """PPG with a stronger cadence than pulse: the plain spectrum reads the
    cadence; with the accelerometer the fit suppresses it."""
    rng = np.random.default_rng(2)
    hr = rng.uniform(60, 100, 200)
    cadence = hr + rng.choice([-1, 1], len(hr)) * rng.uniform(25, 60, len(hr))
    windows = _windows(hr, cadence, rng, motion=2.0)
    logits = 0.1 * rng.standard_normal((len(hr), 180))
    plain = SpectralFusion.fit(windows[..., :1], logits, hr)
    assert plain.suppression == 0.0
    plain_error = np.abs(
        np.argmax(plain.fuse(windows[..., :1], logits), 1) + 30 - hr
    ).mean()
    fusion = SpectralFusion.fit(windows, logits, hr)
    error = np.abs(np.argmax(fusion.fuse(windows, logits), 1) + 30 - hr)
    assert fusion.suppression > 0
    assert plain_error > 15 and error.mean() < 5
    motion = fusion.features(windows, logits)[:, 2]
    still = SpectralFusion().features(_windows(hr, rng=rng), logits)[:, 2]
    assert motion.mean() > still.mean() + 0.2


def test_config_round_trip_and_bad_settings():
    fusion = SpectralFusion(gate=(0.5, 1.0, -2.0, 0.1), suppression=4.0)
    assert SpectralFusion.from_config(fusion.get_config()) == fusion
    with pytest.raises(ValueError, match="gate"):
        SpectralFusion(gate=(0.0, np.nan, 0.0, 0.0))
    with pytest.raises(ValueError, match="suppression"):
        SpectralFusion(suppression=-1.0)
    with pytest.raises(ValueError, match="labelled windows"):
        SpectralFusion.fit(
            np.zeros((2, 200, 1)), np.zeros((2, 180)), [np.nan] * 2
        )
