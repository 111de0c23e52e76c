"""HRTracker: filtering, smoothing, Viterbi, bad input, save/load, C."""

import ctypes
import shutil
import subprocess

import numpy as np
import pytest
from scipy import special

from keras_ppg_kd.heart_rate import bpm_to_class
from keras_ppg_kd.tracking import HRTracker


def _logits(true_bpm, rng, noise=0.3, wrong=()):
    """Peaked logits at the true class, a decoy peak on `wrong` windows."""
    classes = np.arange(180)
    logits = np.empty((len(true_bpm), 180))
    for i, bpm in enumerate(true_bpm):
        centre = bpm_to_class(bpm)
        if i in wrong:
            centre = bpm_to_class(2 * bpm, out_of_range="clip")  # harmonic
        logits[i] = 4.0 * np.exp(-0.5 * ((classes - centre) / 3.0) ** 2)
    return logits + noise * rng.standard_normal(logits.shape)


def _truth(n=120):
    return 90 + 30 * np.sin(np.linspace(0, 3, n))


def test_filter_follows_a_slow_heart_rate_and_rejects_outliers():
    rng = np.random.default_rng(0)
    truth = _truth()
    wrong = set(range(10, 120, 7))
    logits = _logits(truth, rng, wrong=wrong)
    raw = np.argmax(logits, axis=1) + 30.0
    tracker = HRTracker(transition_scale=1.5)
    tracked = tracker.filter(logits)
    raw_error = np.abs(raw - truth).mean()
    assert raw_error > 5  # the decoys hurt the per-window answer
    assert np.abs(tracked - truth)[5:].mean() < 2.0
    assert np.abs(tracker.smooth(logits) - truth).mean() < 2.0
    assert np.abs(tracker.viterbi(logits) - truth).mean() < 2.0


def test_step_is_the_hand_computed_forward_update():
    tracker = HRTracker(transition_scale=3.0, jump_probability=0.01)
    rng = np.random.default_rng(1)
    belief = special.softmax(rng.standard_normal(180))
    logits = rng.standard_normal(180)
    c = np.arange(180)
    rho = np.exp(-1 / 3.0)
    matrix = rho ** np.abs(c[:, None] - c[None, :]) * (1 - rho) / (1 + rho)
    predicted = 0.99 * (belief @ matrix) + 0.01 / 180
    expected = predicted * special.softmax(logits)
    expected /= expected.sum()
    np.testing.assert_allclose(
        tracker.step(belief, logits), expected, rtol=1e-4, atol=1e-7
    )


def test_fit_learns_scale_from_label_changes_and_calibrate_temperature():
    rng = np.random.default_rng(2)
    hr = np.concatenate([100 + np.cumsum(rng.laplace(0, 3, 200))] * 2)
    ids = np.repeat(["a", "b"], 200)
    times = np.tile(np.arange(200) * 2.0, 2)
    tracker = HRTracker.fit(hr, ids, times)
    assert 2.5 < tracker.transition_scale < 3.5
    # Overconfident logits (x5) calibrate to a temperature above 1.
    logits = 5 * _logits(hr[:200], rng, noise=3.0)
    calibrated = tracker.calibrate(logits, hr[:200])
    assert calibrated.temperature > 2.0
    assert tracker.temperature == 1.0  # unchanged
    with pytest.raises(ValueError, match="consecutive"):
        HRTracker.fit(hr[:5], ids[:5], times[:5])


def test_gaps_reset_and_multi_step():
    tracker = HRTracker(max_gap_seconds=30)
    assert list(tracker._steps(4, [0, 2, 8, 60])) == [0, 1, 3, 0]
    rng = np.random.default_rng(3)
    logits = _logits(np.full(4, 80.0), rng)
    with_reset = tracker.filter_beliefs(logits, [0, 2, 8, 60])
    fresh = tracker.step(tracker.initial_state(), logits[3])
    np.testing.assert_allclose(with_reset[3], fresh, rtol=1e-5)


@pytest.mark.parametrize(
    "logits, times, match",
    [
        (np.full((3, 180), np.nan), None, "NaN or Inf"),
        (np.zeros((0, 180)), None, "empty"),
        (np.zeros((3, 200)), None, "shape"),
        (np.zeros((3, 180)), [0, 2], "3 windows"),
        (np.zeros((3, 180)), [0, 4, 2], "strictly increasing"),
    ],
)
def test_bad_input_raises(logits, times, match):
    with pytest.raises(ValueError, match=match):
        HRTracker().filter(logits, times)


def test_save_load_round_trip(tmp_path):
    tracker = HRTracker(transition_scale=2.5, temperature=1.7)
    path = tracker.save(tmp_path / "tracker.json")
    loaded = HRTracker.load(path)
    assert loaded.get_config() == tracker.get_config()
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ValueError, match="not an HRTracker"):
        HRTracker.load(tmp_path / "bad.json")


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_exported_c_matches_numpy_on_int8_logits(tmp_path):
    tracker = HRTracker(transition_scale=2.0, temperature=1.3)
    scale, zero_point = 0.11, -7
    rng = np.random.default_rng(4)
    true = _logits(_truth(40), rng) * 4
    q = np.clip(np.round(true / scale) + zero_point, -128, 127).astype("int8")
    tracker.export_c(tmp_path, scale)
    library = tmp_path / "libhrt.so"
    subprocess.run(
        [
            "gcc",
            "-O2",
            "-shared",
            "-fPIC",
            "-o",
            str(library),
            str(tmp_path / "hr_tracker.c"),
        ],
        check=True,
    )
    lib = ctypes.CDLL(str(library))
    belief = np.zeros(180, "float32")
    scratch = np.zeros(180, "float32")
    pointer = ctypes.POINTER(ctypes.c_float)
    lib.hrt_reset(belief.ctypes.data_as(pointer))
    expected = tracker.filter_beliefs(
        (q.astype("float64") - zero_point) * scale
    )
    for i in range(len(q)):
        row = np.ascontiguousarray(q[i])
        cls = lib.hrt_step_int8(
            row.ctypes.data_as(ctypes.POINTER(ctypes.c_int8)),
            1,
            belief.ctypes.data_as(pointer),
            scratch.ctypes.data_as(pointer),
        )
        np.testing.assert_allclose(belief, expected[i], rtol=1e-3, atol=1e-6)
        assert cls == np.argmax(expected[i])


def test_track_groups_recordings_and_calibrate_picks_the_grid_best():
    rng = np.random.default_rng(5)
    truth = _truth(60)
    wrong = set(range(3, 60, 4))
    logits = np.concatenate(
        [_logits(truth, rng, wrong=wrong), _logits(truth[::-1], rng)]
    )
    ids = np.repeat(["a", "b"], 60)
    times = np.tile(np.arange(60) * 2.0, 2)
    order = rng.permutation(120)  # any order in, the same answer out
    tracker = HRTracker(transition_scale=1.0)
    tracked = tracker.track(logits[order], ids[order], times[order])
    np.testing.assert_allclose(
        tracked[np.argsort(order)][:60], tracker.filter(logits[:60])
    )
    hr = np.concatenate([truth, truth[::-1]])
    tuned = tracker.calibrate(logits, hr, ids, times)
    plain = tracker.calibrate(logits, hr).replace(jump_probability=1e-3)

    def mae(t):
        return np.abs(t.track(logits, ids, times) - hr).mean()

    assert mae(tuned) <= mae(plain)
    assert tuned.temperature == plain.temperature
    with pytest.raises(ValueError, match="method"):
        tracker.track(logits, ids, times, method="kalman")
