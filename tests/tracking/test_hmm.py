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


@pytest.mark.parametrize("prior", [None, 80.0])
def test_the_calibration_grid_side_by_side_is_the_one_by_one_answer(prior):
    """The grid's candidates differing in temperature and jump run side by
    side: every estimate equals each candidate's own ``track``, with gaps,
    resets, windows that restart the belief, and a start prior."""
    import itertools

    from keras_ppg_kd.tracking.calibration import _track_candidates

    rng = np.random.default_rng(3)
    truth = np.concatenate([_truth(60), _truth(60)[::-1]])
    logits = _logits(truth, rng, wrong=set(range(3, 120, 7)))
    logits[::11] *= 400.0  # sharp windows: some leave no class possible
    ids = np.repeat(["a", "b", "c"], 40)
    gaps = rng.choice([2.0, 4.0, 50.0], size=120, p=[0.85, 0.1, 0.05])
    times = np.concatenate([np.cumsum(g) for g in np.split(gaps, 3)])
    order = rng.permutation(120)
    logits, ids, times = logits[order], ids[order], times[order]
    base = HRTracker(prior_mean_bpm=prior, prior_std_bpm=prior and 20.0)
    candidates = [
        base.replace(
            temperature=hot, transition_scale=wide, jump_probability=jump
        )
        for hot, wide, jump in itertools.product(
            (0.5, 2.0), (1.0, 4.0), (0.0, 1e-3, 5e-2)
        )
    ]
    together = _track_candidates(candidates, logits, ids, times)
    for candidate, found in zip(candidates, together, strict=True):
        np.testing.assert_array_equal(
            found, candidate.track(logits, ids, times)
        )


def test_check_protocol_names_classes_and_stride():
    from keras_ppg_kd.heart_rate import HRClasses
    from keras_ppg_kd.protocol import WindowConfig

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


# === Fixed lag and the start's prior ===


def _noisy(n, seed, wrong=()):
    rng = np.random.default_rng(seed)
    return _logits(_truth(n), rng, noise=1.0, wrong=wrong)


def test_fixed_lag_zero_is_the_filter_and_a_full_lag_the_smoother():
    logits = _noisy(60, 6, wrong=set(range(3, 60, 5)))
    times = 2.0 * np.arange(60)
    times[30:] += 40.0  # a reset: no message crosses it
    tracker = HRTracker(transition_scale=1.5, temperature=2.0)
    np.testing.assert_array_equal(
        tracker.fixed_lag(logits, times, lag=0), tracker.filter(logits, times)
    )
    np.testing.assert_array_equal(
        tracker.fixed_lag_beliefs(logits, times, lag=0),
        tracker.filter_beliefs(logits, times),
    )
    np.testing.assert_array_equal(
        tracker.fixed_lag_beliefs(logits, times, lag=59),
        tracker.smooth_beliefs(logits, times),
    )


@pytest.mark.parametrize("lag", [1, 3, 7])
def test_fixed_lag_window_t_is_the_smoother_of_the_windows_up_to_t_plus_lag(
    lag,
):
    logits = _noisy(40, 7, wrong=set(range(2, 40, 3)))
    times = 2.0 * np.arange(40)
    times[20:] += 4.0  # a gap of three strides
    tracker = HRTracker(transition_scale=2.0, temperature=1.5)
    beliefs = tracker.fixed_lag_beliefs(logits, times, lag)
    for t in range(40):
        end = min(t + lag + 1, 40)
        smoothed = tracker.smooth_beliefs(logits[:end], times[:end])
        np.testing.assert_array_equal(beliefs[t], smoothed[t])
    # the last `lag` windows are the smoother's over the whole recording
    np.testing.assert_array_equal(
        tracker.fixed_lag(logits, times, lag)[-lag:],
        tracker.smooth(logits, times)[-lag:],
    )


def test_a_lag_helps_where_decoys_come_in_runs():
    # Runs of three windows on the harmonic: the filter follows them, a
    # lag of 3 sees the track come back after each run, and sooner or
    # later the smoother's answer.
    truth = _truth(150)
    wrong = {i for i in range(150) if i % 25 in (10, 11, 12)}
    logits = _logits(truth, np.random.default_rng(8), noise=0.5, wrong=wrong)
    tracker = HRTracker(transition_scale=1.5, jump_probability=0.01)
    errors = [
        np.abs(tracker.fixed_lag(logits, lag=lag) - truth).mean()
        for lag in (0, 3, 5)
    ]
    assert errors[0] > 4 > 2 > errors[1] > errors[2]


def test_track_uses_the_trackers_lag_and_checks_it():
    logits = _noisy(30, 9, wrong={4, 5, 12})
    ids, times = np.zeros(30), 2.0 * np.arange(30)
    lagged = HRTracker(lag=3, temperature=2.0)
    plain = lagged.replace(lag=0)
    np.testing.assert_array_equal(
        lagged.track(logits, ids, times), plain.fixed_lag(logits, lag=3)
    )
    np.testing.assert_array_equal(
        lagged.track(logits, ids, times, lag=0), plain.filter(logits)
    )
    np.testing.assert_array_equal(
        plain.track(logits, ids, times, lag=3), lagged.track(logits, ids, times)
    )
    assert not np.array_equal(plain.filter(logits), lagged.fixed_lag(logits))
    with pytest.raises(ValueError, match="method='filter' only"):
        lagged.track(logits, ids, times, method="smooth", lag=2)
    for bad in (-1, 61, 1.5, True, "3"):
        with pytest.raises(ValueError, match="`lag` must be an integer"):
            HRTracker(lag=bad)
        with pytest.raises(ValueError, match="`lag` must be an integer"):
            plain.track(logits, ids, times, lag=bad)


def test_lag_and_prior_round_trip_and_old_files_load_uniform_lag_0(tmp_path):
    tracker = HRTracker(lag=4, prior_mean_bpm=85.0, prior_std_bpm=22.0)
    loaded = HRTracker.load(tracker.save(tmp_path / "t.json"))
    assert loaded.get_config() == tracker.get_config()
    assert (loaded.lag, loaded.prior_mean_bpm) == (4, 85.0)
    assert "lag=4" in repr(loaded)
    old = {k: v for k, v in HRTracker().get_config().items()}
    for key in ("lag", "prior_mean_bpm", "prior_std_bpm"):
        del old[key]
    path = tmp_path / "old.json"
    path.write_text(
        '{"format": "keras_ppg_kd.HRTracker/1", "config": '
        + __import__("json").dumps(old)
        + "}"
    )
    old_tracker = HRTracker.load(path)
    assert old_tracker.lag == 0 and old_tracker.prior_mean_bpm is None
    np.testing.assert_array_equal(
        old_tracker.initial_state(), np.full(180, 1 / 180, "float32")
    )


def test_prior_is_a_gaussian_over_the_class_centres():
    tracker = HRTracker(prior_mean_bpm=80.0, prior_std_bpm=10.0)
    prior = tracker.initial_state()
    expected = np.exp(-0.5 * ((np.arange(30, 210) - 80) / 10) ** 2)
    np.testing.assert_allclose(prior, expected / expected.sum(), rtol=1e-6)
    assert prior.dtype == np.float32
    with pytest.raises(ValueError, match="both `prior_mean_bpm`"):
        HRTracker(prior_mean_bpm=80.0)
    with pytest.raises(ValueError, match="prior_mean_bpm=250"):
        HRTracker(prior_mean_bpm=250, prior_std_bpm=10.0)
    with pytest.raises(ValueError, match="`prior_std_bpm` must be in"):
        HRTracker(prior_mean_bpm=80.0, prior_std_bpm=0.0)


def test_fit_learns_the_start_prior_from_each_recordings_first_30_s():
    # Recordings start near 70 BPM and climb to 150: the start's belief
    # follows the starts, not the recordings' overall mean.
    rng = np.random.default_rng(10)
    hr, ids, times = [], [], []
    for r, start in enumerate((60.0, 70.0, 80.0)):
        climb = start + np.minimum(np.arange(150), 80) + rng.normal(0, 1, 150)
        hr.append(climb)
        ids += [r] * 150
        times.append(2.0 * np.arange(150) + (200.0 if r == 2 else 0.0))
    hr, times = np.concatenate(hr), np.concatenate(times)
    tracker = HRTracker.fit(hr, np.array(ids), times)
    early = np.concatenate([hr[i * 150 : i * 150 + 15] for i in range(3)])
    assert tracker.prior_mean_bpm == pytest.approx(early.mean())
    assert 75 < tracker.prior_mean_bpm < 80 < hr.mean() - 30
    assert tracker.prior_std_bpm == 20.0  # the floor: starts spread 8 BPM
    narrow = HRTracker.fit(hr, np.array(ids), times, min_prior_std=1.0)
    assert narrow.prior_std_bpm == pytest.approx(early.std())
    uniform = HRTracker.fit(hr, np.array(ids), times, start_prior=False)
    assert uniform.prior_mean_bpm is None


def test_the_prior_keeps_a_decoy_at_the_start_from_holding_the_track():
    truth = np.full(40, 75.0)
    logits = _logits(truth, np.random.default_rng(11), noise=0.1)
    # the first six windows peak higher on the harmonic (150 BPM)
    logits[:6] += 5.0 * np.exp(-0.5 * ((np.arange(180) - 120) / 3.0) ** 2)
    uniform = HRTracker(transition_scale=1.0, temperature=2.0)
    prior = uniform.replace(prior_mean_bpm=80.0, prior_std_bpm=20.0)
    assert np.abs(np.argmax(logits[:6], 1) + 30 - 150).max() < 2
    assert np.abs(uniform.filter(logits)[:7] - 150).max() < 2  # held on
    assert np.abs(prior.filter(logits) - 75).max() < 2
    # the prior applies after a reset too
    times = 2.0 * np.arange(40)
    times[20:] += 60
    beliefs = prior.filter_beliefs(logits, times)
    np.testing.assert_allclose(
        beliefs[20], prior.step(prior.initial_state(), logits[20]), rtol=1e-6
    )
    assert prior.viterbi(logits)[0] == pytest.approx(75, abs=3)


def _c_lag_tracker(tracker, scale, folder, lag):
    """The exported C fixed-lag tracker: ``run(int8 logits, steps)`` gives
    the classes per window, in window order (steps, then the flush)."""
    if shutil.which("gcc") is None:
        pytest.skip("needs gcc to compile the exported C tracker")
    tracker.export_c(folder, scale, lag=lag)
    library = folder / "libhrt.so"
    subprocess.run(
        ["gcc", "-O2", "-std=c99", "-Wall", "-Werror", "-shared", "-fPIC"]
        + ["-o", str(library), str(folder / "hr_tracker.c")],
        check=True,
    )
    lib = ctypes.CDLL(str(library))
    lib.hrt_lag_state_bytes.restype = ctypes.c_size_t
    state = ctypes.create_string_buffer(lib.hrt_lag_state_bytes())

    def run(q, steps):
        lib.hrt_lag_reset(state)
        out = []
        for row, k in zip(q, steps):
            row = np.ascontiguousarray(row, "int8")
            pointer = row.ctypes.data_as(ctypes.POINTER(ctypes.c_int8))
            out.append(lib.hrt_lag_step_int8(state, pointer, int(k)))
        head = out[: min(lag, len(q))]
        assert head == [-1] * len(head)  # nothing before lag windows
        out = out[len(head) :]
        while (cls := lib.hrt_lag_flush(state)) >= 0:
            out.append(cls)
        assert lib.hrt_lag_flush(state) == -1
        return np.array(out)

    return run, lib


@given(
    lag=st.sampled_from([0, 1, 3]),
    scale=st.floats(0.05, 50),
    jump=st.sampled_from([0.0, 1e-4, 1e-2, 0.3]),
    temperature=st.floats(0.05, 20),
    prior=st.sampled_from([None, (60.0, 5.0), (120.0, 30.0)]),
    quant_scale=st.floats(0.01, 1.0),
    seed=st.integers(0, 2**16),
    n=st.integers(1, 30),
)
def test_property_c_fixed_lag_equals_numpy(
    tmp_path_factory, lag, scale, jump, temperature, prior, quant_scale, seed, n
):
    """Random settings, int8 logits, gaps and resets, with and without the
    start's prior: C's class per window is NumPy's fixed-lag class (or
    within float32 rounding of it)."""
    mean, std = prior or (None, None)
    tracker = HRTracker(
        transition_scale=scale,
        jump_probability=jump,
        temperature=temperature,
        prior_mean_bpm=mean,
        prior_std_bpm=std,
    )
    rng = np.random.default_rng(seed)
    q = rng.integers(-128, 128, (n, 180))
    sharp = rng.random(n) < 0.5  # some windows one sharp class
    q[sharp] = -128
    q[sharp, rng.integers(0, 180, int(sharp.sum()))] = 127
    q = q.astype("int8")
    gaps = rng.choice([2.0, 2.0, 2.0, 4.0, 10.0, 60.0], n)
    times = np.cumsum(gaps)
    logits = (q.astype("float64") - 5) * quant_scale
    run, _ = _c_lag_tracker(
        tracker, quant_scale, tmp_path_factory.mktemp("c"), lag
    )
    classes = run(q, tracker._steps(n, times))
    assert classes.shape == (n,)
    expected = tracker.fixed_lag_beliefs(logits, times, lag)
    top = expected[np.arange(n), classes]
    np.testing.assert_allclose(top, expected.max(axis=1), atol=2e-3)
    agree = np.mean(classes == np.argmax(expected, axis=1))
    assert agree >= 0.9 or n < 10


def test_c_lag_0_is_the_causal_step_exactly_and_lag_3_its_smoother(tmp_path):
    tracker = HRTracker(transition_scale=1.5, temperature=1.3)
    scale = 0.11
    rng = np.random.default_rng(12)
    true = _logits(_truth(60), rng, noise=1.0, wrong=set(range(5, 60, 6)))
    q = np.clip(np.round(4 * true / scale) - 7, -128, 127).astype("int8")
    logits = (q.astype("float64") + 7) * scale
    steps = np.ones(60)
    causal, _ = _c_tracker(tracker, scale, tmp_path / "step")(q, steps)
    run, lib = _c_lag_tracker(tracker, scale, tmp_path / "lag0", 0)
    np.testing.assert_array_equal(run(q, steps), causal)
    run, lib = _c_lag_tracker(tracker, scale, tmp_path / "lag3", 3)
    np.testing.assert_array_equal(
        run(q, steps), np.argmax(tracker.fixed_lag_beliefs(logits, lag=3), 1)
    )
    assert lib.hrt_lag_state_bytes() == tracker.cost(lag=3)["state_bytes"]
