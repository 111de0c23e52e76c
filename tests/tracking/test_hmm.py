"""HRTracker: filtering, smoothing, Viterbi, bad input, save/load, C."""

import ctypes
import shutil
import subprocess

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
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


def _c_tracker(tracker, scale, folder):
    """The exported C tracker, compiled: ``run(int8 logits, steps)``."""
    if shutil.which("gcc") is None:
        pytest.skip("needs gcc to compile the exported C tracker")
    tracker.export_c(folder, scale)
    library = folder / "libhrt.so"
    subprocess.run(
        ["gcc", "-O2", "-shared", "-fPIC", "-o", str(library)]
        + [str(folder / "hr_tracker.c")],
        check=True,
    )
    lib = ctypes.CDLL(str(library))
    floats = ctypes.POINTER(ctypes.c_float)

    def run(q, steps):
        belief = np.zeros(tracker.num_classes, "float32")
        scratch = np.zeros(tracker.num_classes, "float32")
        lib.hrt_reset(belief.ctypes.data_as(floats))
        classes, beliefs = [], []
        for row, k in zip(q, steps):
            row = np.ascontiguousarray(row, "int8")
            classes.append(
                lib.hrt_step_int8(
                    row.ctypes.data_as(ctypes.POINTER(ctypes.c_int8)),
                    int(k),
                    belief.ctypes.data_as(floats),
                    scratch.ctypes.data_as(floats),
                )
            )
            beliefs.append(belief.copy())
        return np.array(classes), np.array(beliefs)

    return run


def test_exported_c_matches_numpy_on_int8_logits(tmp_path):
    tracker = HRTracker(transition_scale=2.0, temperature=1.3)
    scale, zero_point = 0.11, -7
    rng = np.random.default_rng(4)
    true = _logits(_truth(40), rng) * 4
    q = np.clip(np.round(true / scale) + zero_point, -128, 127).astype("int8")
    run = _c_tracker(tracker, scale, tmp_path)
    classes, beliefs = run(q, np.ones(len(q)))
    expected = tracker.filter_beliefs(
        (q.astype("float64") - zero_point) * scale
    )
    np.testing.assert_allclose(beliefs, expected, rtol=1e-3, atol=1e-6)
    np.testing.assert_array_equal(classes, np.argmax(expected, axis=1))


def test_extreme_settings_stay_finite_in_c_and_numpy(tmp_path):
    """Jump 0, scale 0.05, temperature 0.05: C went NaN (30 BPM) before."""
    tracker = HRTracker(
        transition_scale=0.05, jump_probability=0.0, temperature=0.05
    )
    scale = 0.1
    rng = np.random.default_rng(0)
    centres = rng.integers(0, 180, 300)  # the model jumps about
    q = np.full((300, 180), -128, "int8")
    q[np.arange(300), centres] = 127
    run = _c_tracker(tracker, scale, tmp_path)
    classes, beliefs = run(q, np.ones(300))
    expected = tracker.filter_beliefs((q.astype("float64") + 128) * scale)
    assert np.isfinite(beliefs).all()
    np.testing.assert_array_equal(classes, np.argmax(expected, axis=1))
    # each window contradicts the last beyond float range: a restart
    np.testing.assert_array_equal(classes, centres)


def test_a_long_gap_with_a_huge_max_gap_stays_finite():
    tracker = HRTracker(max_gap_seconds=3600, jump_probability=0.0)
    logits = np.zeros((2, 180))
    logits[:, 0] = 50.0  # all mass on the lowest class, leaking out
    bpm = tracker.filter(logits, [0.0, 3598.0])
    assert np.isfinite(tracker.filter_beliefs(logits, [0.0, 3598.0])).all()
    assert (bpm == 30.0).all()
    assert list(tracker._steps(2, [0.0, 3598.0])) == [0, 1000]  # capped
    assert np.isfinite(tracker.smooth(logits, [0.0, 3598.0])).all()


@pytest.mark.parametrize(
    "name, value",
    [
        ("temperature", float("inf")),
        ("temperature", 1e-310),
        ("temperature", float("nan")),
        ("transition_scale", 0.0),
        ("jump_probability", 1.0),
        ("max_gap_seconds", 1e9),
        ("stride_seconds", "2"),
    ],
)
def test_settings_out_of_range_raise_naming_the_value(name, value):
    with pytest.raises(ValueError, match=f"`{name}` must be in .*{name}="):
        HRTracker(**{name: value})


def test_calibrate_drops_nan_labels_and_refuses_other_units():
    rng = np.random.default_rng(1)
    hr = 90 + 10 * np.sin(np.arange(120) / 10)
    logits = _logits(hr, rng)
    ids, times = np.zeros(120), 2.0 * np.arange(120)
    with_nan = hr.copy()
    with_nan[::10] = np.nan
    with pytest.warns(UserWarning, match="dropped 12 of 120 windows"):
        fitted = HRTracker().calibrate(logits, with_nan, ids, times)
    known = np.isfinite(with_nan)
    clean = HRTracker().calibrate(
        logits[known], hr[known], ids[known], times[known]
    )
    for name in ("temperature", "transition_scale", "jump_probability"):
        assert getattr(fitted, name) == pytest.approx(getattr(clean, name))
    assert 0.1 < fitted.temperature < 10
    with pytest.raises(ValueError, match="120 of 120 calibration labels"):
        HRTracker().calibrate(logits, hr / 60)  # Hz
    with pytest.raises(ValueError, match="not Hz, not RR"):
        HRTracker().calibrate(logits, 60000 / hr)  # RR in ms


def test_track_refuses_missing_recording_ids_and_mixes_types():
    logits = np.zeros((3, 180))
    with pytest.raises(ValueError, match="window 1 is None"):
        HRTracker().track(logits, ["a", None, "a"], [0, 2, 4])
    bpm = HRTracker().track(logits, ["a", 1, "a"], [0, 2, 4])
    assert bpm.shape == (3,)


@given(
    scale=st.floats(0.05, 50),
    jump=st.sampled_from([0.0, 1e-4, 1e-2, 0.3]),
    temperature=st.floats(0.05, 20),
    max_gap=st.floats(2.0, 3600),
    quant_scale=st.floats(0.01, 1.0),
    seed=st.integers(0, 2**16),
    n=st.integers(1, 40),
)
def test_property_tracker_output_is_a_class_and_c_equals_numpy(
    tmp_path_factory, scale, jump, temperature, max_gap, quant_scale, seed, n
):
    """Random legal settings, int8 logits, start times and gaps."""
    tracker = HRTracker(
        transition_scale=scale,
        jump_probability=jump,
        temperature=temperature,
        max_gap_seconds=max_gap,
    )
    rng = np.random.default_rng(seed)
    kind = rng.integers(3)
    if kind == 0:  # random
        q = rng.integers(-128, 128, (n, 180))
    elif kind == 1:  # one sharp class, jumping about
        q = np.full((n, 180), -128)
        q[np.arange(n), rng.integers(0, 180, n)] = 127
    else:  # constant: every class tied
        q = np.full((n, 180), int(rng.integers(-128, 128)))
    q = q.astype("int8")
    gaps = rng.choice([2.0, 2.0, 4.0, 30.0, 600.0, 5000.0], n)
    times = float(rng.uniform(0, 100)) + np.cumsum(gaps)
    logits = (q.astype("float64") + 3) * quant_scale
    for method in ("filter", "smooth", "viterbi"):
        bpm = getattr(tracker, method)(logits, times)
        assert np.isfinite(bpm).all()
        assert ((bpm >= 30) & (bpm <= 209)).all()
    run = _c_tracker(tracker, quant_scale, tmp_path_factory.mktemp("c"))
    classes, beliefs = run(q, tracker._steps(n, times))
    expected = tracker.filter_beliefs(logits, times)
    assert np.isfinite(beliefs).all()
    # C (float32) and NumPy (float64) agree on the belief; the class may
    # differ only where two classes are within float32 rounding.
    np.testing.assert_allclose(beliefs, expected, atol=2e-3)
    top = expected[np.arange(n), classes]
    np.testing.assert_allclose(top, expected.max(axis=1), atol=2e-3)


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
    assert tuned.temperature / plain.temperature in (1.0, 2.0, 4.0)
    with pytest.raises(ValueError, match="method"):
        tracker.track(logits, ids, times, method="kalman")


def test_check_protocol_names_classes_and_stride():
    from keras_ppg_kd.data import WindowConfig
    from keras_ppg_kd.heart_rate import HRClasses

    HRTracker().check_protocol(WindowConfig())
    shifted = HRTracker(classes=HRClasses(40.0, 220.0))
    with pytest.raises(ValueError, match="min_bpm=40.0.*min_bpm=30.0"):
        shifted.check_protocol(WindowConfig())
    with pytest.raises(ValueError, match="stride: tracker 2.0 s, model 1.0 s"):
        HRTracker().check_protocol(WindowConfig(stride_seconds=1.0))


def test_calibrate_raises_the_temperature_when_errors_come_in_runs():
    # Overlapping windows err together: runs of 6 consecutive windows
    # peak on the harmonic. Fitted window by window, the temperature
    # trusts each of them; the grid finds a hotter one that holds the track.
    rng = np.random.default_rng(3)
    truth = np.tile(_truth(120), 2)
    wrong = {i for i in range(240) if i % 20 >= 14}
    logits = _logits(truth, rng, noise=0.1, wrong=wrong)
    ids = np.repeat(["a", "b"], 120)
    times = np.tile(2.0 * np.arange(120), 2)
    tracker = HRTracker.fit(truth, ids, times)
    one = tracker.calibrate(
        logits, truth, ids, times, temperature_factors=(1.0,)
    )
    tuned = tracker.calibrate(logits, truth, ids, times)

    def mae(t):
        return np.abs(t.track(logits, ids, times) - truth).mean()

    assert tuned.temperature > one.temperature
    assert mae(tuned) < mae(one) - 1.0
