"""Scaling-law fits recover known laws; predict and invert are inverses."""

import re
import warnings

import numpy as np
import pytest

from keras_ppg_kd import scaling

SIZES = np.array([16_628, 27_060, 45_000, 80_000, 126_132, 208_820, 508_596])


def noisy(law, params, seeds=3, noise=0.05, rng_seed=0):
    rng = np.random.default_rng(rng_seed)
    n = np.repeat(SIZES, seeds)
    y = scaling.law_value(law, n, params) + rng.normal(0, noise, len(n))
    return n, y


@pytest.mark.parametrize(
    "law, params",
    [
        ("exponential", {"a": 9.0, "s": 60_000.0, "c": 6.0}),
        ("power", {"a": 30.0, "alpha": 0.6, "c": 5.0}),
    ],
)
def test_fit_recovers_known_parameters(law, params):
    n, y = noisy(law, params)
    fit = scaling.fit_law(law, n, y)
    for name, true in params.items():
        assert fit.params[name] == pytest.approx(true, rel=0.15), name
        low, high = fit.ci95[name]
        assert low <= true <= high, (name, low, true, high)
    assert fit.r2 > 0.98
    assert fit.loso_mae < 0.5
    # The generating law wins the comparison.
    best, _ = scaling.fit_best(n, y)
    assert best.law == law


def test_predict_and_invert_are_inverse():
    n, y = noisy("exponential", {"a": 9.0, "s": 60_000.0, "c": 6.0})
    fit = scaling.fit_law("exponential", n, y)
    needed = fit.invert(8.0)
    assert float(fit.predict(needed)) == pytest.approx(8.0, abs=1e-6)
    assert float(fit.predict(needed * 0.9)) > 8.0
    power = scaling.fit_law(
        "power", *noisy("power", {"a": 30.0, "alpha": 0.6, "c": 5.0})
    )
    assert float(power.predict(power.invert(7.0))) == pytest.approx(7.0)


def test_unreachable_target_and_too_few_sizes_raise():
    fit = scaling.fit_law(
        "exponential", *noisy("exponential", {"a": 9.0, "s": 6e4, "c": 6.0})
    )
    with pytest.raises(ValueError, match="irreducible MAE"):
        fit.invert(fit.params["c"] - 0.1)
    with pytest.raises(ValueError, match=">= 3 distinct student sizes"):
        scaling.fit_law("power", [1e4, 1e4, 2e4], [9.0, 9.1, 8.0])
    with pytest.raises(ValueError, match="Unknown law"):
        scaling.fit_law("linear", SIZES, SIZES)
    with pytest.raises(ValueError, match="finite"):
        scaling.fit_law("power", SIZES, np.full(len(SIZES), np.nan))


def test_three_sizes_fit_has_no_loso_and_nan_ci():
    n = SIZES[:3]
    y = scaling.law_value("power", n, {"a": 30.0, "alpha": 0.6, "c": 5.0})
    fit = scaling.fit_law("power", n, y)
    assert np.isnan(fit.loso_mae)
    assert all(np.isnan(v).all() for v in fit.ci95.values())
    assert "MAE(N)" in fit.formula()


def test_bootstrap_over_runs_covers_the_truth_and_identifies_the_law():
    truth = {"a": 9.0, "s": 60_000.0, "c": 6.0}
    n, y = noisy("exponential", truth, seeds=6, noise=0.1)
    runs = np.tile(np.arange(6), len(SIZES))  # seed of each point
    fit = scaling.fit_law("exponential", n, y, groups=runs)
    assert fit.identifiable and fit.why_not == ""
    for name, value in truth.items():
        low, high = fit.ci95[name]
        assert low <= value <= high, (name, low, value, high)


def test_a_flat_noisy_grid_is_reported_not_fitted():
    # The main job's old DKD row: no size trend, four sizes.
    n = [16_628, 27_060, 41_000, 62_000]
    y = [18.62, 16.48, 18.74, 17.63]
    best, fits = scaling.fit_best(n, y)
    assert not best.identifiable
    for fit in fits.values():
        assert not fit.identifiable and fit.why_not
        assert 0 < fit.params.get("alpha", 1.0) <= 3.0
        assert fit.params["c"] >= 0 and fit.params["a"] >= 0
        # The gain over c at the smallest size stays within physics.
        assert float(fit.predict(n[0])) - fit.params["c"] <= 2 * max(y)
    three = scaling.fit_law("power", n[:3], y[:3])
    assert not three.identifiable and "need >= 4" in three.why_not


def test_an_interval_reaching_a_bound_is_not_identified():
    # The main job's DKD row at two seeds: a good R², but the four sizes
    # drop and flatten so fast that a gain of 0 (a) fits as well.
    n = np.repeat([16_628, 27_060, 37_492, 47_924], 2)
    y = [10.62, 9.80, 7.01, 7.73, 6.43, 6.06, 7.65, 6.11]
    fit = scaling.fit_law("exponential", n, y, groups=np.tile([0, 1], 4))
    assert fit.r2 > 0.8
    assert not fit.identifiable
    assert "the 95 % interval of a is unbounded above (from" in fit.why_not
    # Its upper end (~1e9 or an overflow) is said in words, not printed.
    numbers = re.findall(r"[-+]?\d[\d.]*(?:e[-+]?\d+)?", fit.why_not)
    assert numbers and all(abs(float(x)) < 1e6 for x in numbers)
    # Intervals from the covariance stay in the physical ranges (this row,
    # from a later run, once drew a gain a of -8.8e8).
    later = [10.41, 9.15, 8.90, 8.11, 5.75, 6.09, 7.77, 6.35]
    power = scaling.fit_law("power", n, later, groups=np.tile([0, 1], 4))
    assert not power.identifiable
    assert all(lo >= 0 for lo, _ in power.ci95.values())


def test_bootstrap_over_participants_covers_the_truth():
    # Two seeds (too few runs alone) tested on ten participants each with
    # their own offset: resampling participants gives the intervals.
    truth = {"a": 9.0, "s": 60_000.0, "c": 6.0}
    rng = np.random.default_rng(1)
    n = np.repeat(SIZES, 2)
    offsets = rng.normal(0, 1.0, 10)
    unit_mae = (
        scaling.law_value("exponential", n, truth)[:, None]
        + offsets
        + rng.normal(0, 0.05, (len(n), 10))
    )
    unit_windows = np.full(unit_mae.shape, 50.0)
    y = unit_mae.mean(axis=1)
    runs = np.tile([0, 1], len(SIZES))
    plain = scaling.fit_law("exponential", n, y, groups=runs)
    fit = scaling.fit_law(
        "exponential",
        n,
        y,
        groups=runs,
        unit_mae=unit_mae,
        unit_windows=unit_windows,
    )
    assert fit.params == plain.params  # the units change only the CI
    assert fit.identifiable, fit.why_not
    for name, value in truth.items():
        low, high = fit.ci95[name]
        assert low <= value + offsets.mean() * (name == "c") <= high
    with pytest.raises(ValueError, match="unit_mae and unit_windows"):
        scaling.fit_law(
            "exponential",
            n,
            y,
            unit_mae=unit_mae,
            unit_windows=unit_windows[1:],
        )


def test_an_interval_end_at_its_bound_prints_as_the_bound():
    n = np.repeat(SIZES[:4], 2).astype(float)
    truth = {"a": 30.0, "alpha": 0.8, "c": 5.0}
    y = scaling.law_value("power", n, truth)
    fit = scaling.fit_law("power", n, y)
    k = n / 1000
    # A bootstrap whose lower end of a is 4e-08: within rounding of 0.
    ci95 = {**fit.ci95, "a": (4e-08, 1.1e4)}
    why = scaling._why_not_identifiable(
        "power",
        k,
        y,
        [truth["a"] * k.min() ** -truth["alpha"], truth["alpha"], truth["c"]],
        fit.params,
        ci95,
        fit.r2,
        np.unique(n),
    )
    assert why == "the 95 % interval of a [0, 1.1e+04] reaches its bound"


def test_an_interval_among_infinite_refits_ends_at_inf_without_warning():
    # Five runs of three sizes that drop at once and stay flat: some
    # bootstrap refits put the exponential's gain a at +inf. The interval's
    # upper end is inf (the percentile interpolation gave NaN and a
    # RuntimeWarning that leaked into the main job's output).
    n = np.tile([16_628, 27_060, 37_492], 5)
    y = [10.36, 8.85, 8.62, 10.22, 8.59, 8.65, 10.46, 7.67, 8.19, 10.3, 8.2]
    y += [8.5, 10.4, 8.9, 8.3]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = scaling.fit_law(
            "exponential", n, y, groups=np.repeat(np.arange(5), 3)
        )
    assert fit.ci95["a"][1] == np.inf
    assert not np.isnan(np.array(list(fit.ci95.values()))).any()
    assert not fit.identifiable
    # No draw at all (every refit failed) is no interval, not one at inf.
    assert np.isnan(scaling._percentile_interval([np.nan, np.nan])).all()


def test_a_step_is_no_law_and_raises_no_overflow():
    """An exponential whose scale is far below the smallest size overflows
    its gain at zero parameters: the fit says so instead of warning."""
    n = np.array([3000.0, 3100.0, 3200.0, 3300.0])
    y = np.array([9.0, 5.0, 5.0, 5.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = scaling.fit_law("exponential", n, y)
    assert not fit.identifiable and "not finite" in fit.why_not
