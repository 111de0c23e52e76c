"""Scaling laws: student MAE as a function of its parameter count.

Two explicit laws, fitted with ``scipy.optimize.curve_fit``:

* ``exponential`` (the study's saturating exponential):
  ``MAE(N) = c + a * exp(-N / s)``
* ``power`` (a power law with an irreducible term, as in Busbridge et al.
  2025): ``MAE(N) = c + a * N ** (-alpha)``

``N`` is given in parameters; the fit works in thousands of parameters so
the optimiser sees numbers of order one, and reports ``s`` in parameters.

Parameters are bounded to physical ranges (``a, c >= 0``, ``s > 0``,
``0 < alpha <= 3``, the gain at the smallest size at most twice the
largest MAE), and a fit says whether the data identify it
(:attr:`ScalingFit.identifiable`): with too few sizes, a poor R², a
parameter pinned at a bound, or a confidence interval that is unbounded
or reaches a bound (the data allow no gain, or no curvature) it is
reported as points only, never as a curve or a 13-digit constant.
"""

import dataclasses
import math
import warnings

import numpy as np
from numpy.typing import ArrayLike
from scipy import optimize

LAWS = {
    "exponential": ("a", "s", "c"),
    "power": ("a", "alpha", "c"),
}
_SCALE = 1e3  # fit on thousands of parameters
# Fewer runs than this give a percentile bootstrap too few distinct
# resamples (3 runs: 10) to cover the truth; the covariance is used then.
MIN_BOOTSTRAP_RUNS = 5
# Parameter draws a fit keeps (for predict_interval; ~10 KB of JSON).
KEPT_DRAWS = 200


def law_value(law, n, params):
    """Evaluate ``law`` at ``n`` parameters with ``params`` (a dict)."""
    n = np.asarray(n, "float64")
    if law == "exponential":
        return params["c"] + params["a"] * np.exp(-n / params["s"])
    if law == "power":
        return params["c"] + params["a"] * (n / _SCALE) ** (-params["alpha"])
    raise ValueError(f"Unknown law {law!r}. Available: {sorted(LAWS)}")


def _model(law, k0=1.0):
    """The law in fitting form: ``b`` is the gain over ``c`` at ``k0``."""
    if law == "exponential":
        return lambda k, b, s, c: c + b * np.exp(-(k - k0) / s)
    return lambda k, b, alpha, c: c + b * (k / k0) ** (-alpha)


def _to_params(law, popt, k0):
    """Fitting-form ``(b, s|alpha, c)`` -> the law's ``a, s|alpha, c``."""
    b, shape, c = (np.float64(v) for v in popt)
    if law == "exponential":
        # A scale far below the smallest size overflows the gain at zero
        # parameters: inf, which the identifiability check refuses.
        with np.errstate(over="ignore"):
            a = b * np.exp(k0 / shape)
        shape_name, shape_value = "s", shape * _SCALE
    else:
        a, shape_name, shape_value = b * np.float64(k0) ** shape, "alpha", shape
    return {"a": float(a), shape_name: float(shape_value), "c": float(c)}


@dataclasses.dataclass(frozen=True)
class ScalingFit:
    """A fitted law with its uncertainty and quality.

    Attributes:
        law: ``"exponential"`` or ``"power"``.
        params: Fitted parameters (``s`` in parameters, ``a``/``c`` in BPM).
        ci95: ``{name: (low, high)}`` 95 % confidence intervals: by
            bootstrap over seeds/folds when there are enough runs, else
            from the covariance (NaN when no degrees of freedom are left).
        r2: Coefficient of determination on the fitted points.
        loso_mae: Mean absolute error predicting each student size from a
            fit to the others (leave-one-size-out, BPM); NaN with fewer
            than four sizes.
        sizes: Parameter counts the fit saw.
        n_points: Number of points (sizes times seeds/folds).
        identifiable: Whether the data pin the law down (see
            :attr:`why_not`); only then is it drawn or used to plan.
        why_not: Why it is not identifiable (empty when it is).
        draws: Up to :data:`KEPT_DRAWS` parameter draws (bootstrap refits,
            or samples from the fit's covariance) behind ``ci95``, as
            ``(a, s|alpha, c)`` rows; :meth:`predict_interval` reads them.
    """

    law: str
    params: dict
    ci95: dict
    r2: float
    loso_mae: float
    sizes: tuple
    n_points: int
    identifiable: bool = True
    why_not: str = ""
    draws: tuple = ()

    def predict(self, num_params):
        """Predicted MAE (BPM) at ``num_params`` parameters."""
        return law_value(self.law, num_params, self.params)

    def predict_interval(self, num_params):
        """95 % interval of the predicted MAE at ``num_params``.

        The 2.5-97.5 % range of the law over its parameter draws; NaN ends
        when the fit kept none.
        """
        values = [
            law_value(self.law, num_params, dict(zip(LAWS[self.law], row)))
            for row in self.draws
        ]
        with np.errstate(invalid="ignore"):
            return _percentile_interval(values)

    def invert(self, target_mae):
        """Smallest parameter count whose predicted MAE is <= the target.

        Raises:
            ValueError: If the target is at or below the irreducible MAE
                ``c``, which no size reaches.
        """
        a, c = self.params["a"], self.params["c"]
        if target_mae <= c:
            raise ValueError(
                f"target_mae={target_mae:.3f} BPM is at or below the "
                f"{self.law} law's irreducible MAE c={c:.3f} BPM; no student "
                "size reaches it. Choose a target above c."
            )
        if a <= 0:  # flat law: every size reaches the target
            return 0.0
        if self.law == "exponential":
            return max(0.0, -self.params["s"] * math.log((target_mae - c) / a))
        return _SCALE * (a / (target_mae - c)) ** (1 / self.params["alpha"])

    def formula(self):
        """The law with its fitted numbers, for printing."""
        p = self.params
        if self.law == "exponential":
            return (
                f"MAE(N) = {p['c']:.2f} + {p['a']:.2f} * "
                f"exp(-N / {p['s']:,.0f})"
            )
        return (
            f"MAE(N) = {p['c']:.2f} + {p['a']:.2f} * "
            f"(N / 1000) ^ -{p['alpha']:.3f}"
        )

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data):
        """The inverse of :meth:`to_dict` (JSON lists become tuples)."""
        data = dict(data)
        data["sizes"] = tuple(data["sizes"])
        data["ci95"] = {k: tuple(v) for k, v in data["ci95"].items()}
        data["draws"] = tuple(tuple(row) for row in data.get("draws", ()))
        return cls(**data)


def _bounds(law, k, y):
    """Physical bounds of ``(b, s|alpha, c)`` for points ``(k, y)``."""
    top = 2.0 * float(y.max())
    if law == "exponential":
        return [0.0, 1e-3 * float(k.min()), 0.0], [
            top,
            100 * float(k.max()),
            top,
        ]
    return [0.0, 1e-3, 0.0], [top, 3.0, top]


def _fit_raw(law, k, y):
    """Least-squares fit on ``k`` (thousands of params); returns popt, pcov."""
    k0 = float(k.min())
    span = max(float(y.max() - y.min()), 1e-3)
    low, high = _bounds(law, k, y)
    p0 = (
        min(span, high[0]),
        float(np.median(k)) if law == "exponential" else 0.5,
        float(y.min()) * 0.9,
    )
    with warnings.catch_warnings():
        # With no degrees of freedom left scipy warns that the covariance
        # is undefined; fit_law reports NaN intervals for that case.
        warnings.simplefilter("ignore", optimize.OptimizeWarning)
        return optimize.curve_fit(
            _model(law, k0), k, y, p0=p0, bounds=(low, high), maxfev=20000
        )


def fit_law(
    law: str,
    num_params: ArrayLike,
    mae: ArrayLike,
    groups: ArrayLike | None = None,
    n_boot: int = 300,
    seed: int = 0,
    unit_mae: ArrayLike | None = None,
    unit_windows: ArrayLike | None = None,
) -> "ScalingFit":
    """Fit one law to ``(num_params, mae)`` points.

    Args:
        law: ``"exponential"`` or ``"power"``.
        num_params: Parameter count per point (repeat sizes for seeds).
        mae: MAE (BPM) per point.
        groups: Optional run label per point (seed and fold); with at
            least :data:`MIN_BOOTSTRAP_RUNS` runs the 95 % intervals come
            from a bootstrap that resamples whole runs, else from the
            fit's covariance.
        n_boot: Bootstrap refits.
        seed: Bootstrap seed.
        unit_mae: Optional ``(points, units)`` MAE of each point on each
            test unit (participant), and ``unit_windows`` the windows
            behind each (0 where a point was not tested on a unit). With
            them the bootstrap also resamples the units, recomputing each
            point's MAE as the window-weighted mean over the drawn ones,
            so the intervals see which people were tested as well as
            which seeds ran; it is used once runs or units number at least
            :data:`MIN_BOOTSTRAP_RUNS`.

    Returns:
        A :class:`ScalingFit`.
    """
    if law not in LAWS:
        raise ValueError(f"Unknown law {law!r}. Available: {sorted(LAWS)}")
    n = np.asarray(num_params, "float64")
    y = np.asarray(mae, "float64")
    if n.shape != y.shape or n.ndim != 1:
        raise ValueError(
            f"num_params and mae must be 1-D of equal length. Received "
            f"shapes {n.shape} and {y.shape}"
        )
    if not (np.isfinite(n).all() and np.isfinite(y).all() and (n > 0).all()):
        raise ValueError("num_params must be > 0 and every value finite.")
    sizes = np.unique(n)
    if len(sizes) < 3:
        raise ValueError(
            f"A 3-parameter law needs >= 3 distinct student sizes; got "
            f"{len(sizes)}: {sizes.astype(int).tolist()}. Add student sizes "
            "to the sweep."
        )
    k = n / _SCALE
    k0 = float(k.min())
    popt, pcov = _fit_raw(law, k, y)
    names = LAWS[law]
    params = _to_params(law, popt, k0)
    groups = np.zeros(len(y)) if groups is None else np.asarray(groups)
    runs = np.unique(groups)
    units = None
    if unit_mae is not None:
        units = (
            np.nan_to_num(np.asarray(unit_mae, "float64")),
            np.asarray(unit_windows, "float64"),
        )
        if units[0].shape != units[1].shape or len(units[0]) != len(y):
            raise ValueError(
                "unit_mae and unit_windows must both be (points, units); "
                f"received {units[0].shape} and {units[1].shape} for "
                f"{len(y)} points"
            )
    n_units = units[0].shape[1] if units else 0
    if max(len(runs), n_units) >= MIN_BOOTSTRAP_RUNS:
        draws = _bootstrap(law, k, y, groups, runs, units, n_boot, seed)
    else:
        draws = _covariance_draws(
            law, popt, pcov, len(y) - len(popt), k0, seed, _bounds(law, k, y)
        )
    ci95 = {
        name: _percentile_interval(column)
        for name, column in zip(names, draws.T)
    }
    residual = y - _model(law, k0)(k, *popt)
    total = np.sum((y - y.mean()) ** 2)
    r2 = float(1 - np.sum(residual**2) / total) if total > 0 else math.nan
    why_not = _why_not_identifiable(law, k, y, popt, params, ci95, r2, sizes)
    return ScalingFit(
        law=law,
        params=params,
        ci95=ci95,
        r2=r2,
        loso_mae=_leave_one_size_out(law, k, y),
        sizes=tuple(int(s) for s in sizes),
        n_points=len(y),
        identifiable=not why_not,
        why_not=why_not,
        draws=tuple(
            tuple(float(v) for v in row)
            for row in draws[:KEPT_DRAWS]
            if np.isfinite(row).all()
        ),
    )


def _percentile_interval(draws):
    """The 2.5-97.5 % range of ``draws``, NaN draws left out.

    Draws at +inf (a refit or sample with a sharp drop has ``a -> inf``)
    rank above every finite one, and an end among them is inf (the
    interpolation alone gives inf - inf = NaN and a warning). Without a
    single draw both ends are NaN.
    """
    draws = np.asarray(draws, "float64")
    draws = draws[~np.isnan(draws)]
    if not draws.size:
        return (math.nan, math.nan)
    top = np.finfo("float64").max
    ends = np.percentile(np.minimum(draws, top), [2.5, 97.5])
    return tuple(math.inf if v >= top else float(v) for v in ends)


def _covariance_draws(law, popt, pcov, dof, k0, seed, bounds, draws=4000):
    """``(draws, 3)`` samples of the law's parameters from its covariance.

    The fitting-form parameters are drawn from a Student-t around the fit
    (their correlations kept), clipped to their physical ``bounds`` (a
    gain below 0 is no law) and mapped to ``a, s|alpha, c``; NaN when no
    degrees of freedom are left.
    """
    if dof <= 0 or not np.isfinite(pcov).all():
        return np.full((1, 3), math.nan)
    rng = np.random.default_rng(seed)
    cov = (pcov + pcov.T) / 2 + 1e-15 * np.eye(len(popt))
    normal = rng.multivariate_normal(np.zeros(len(popt)), cov, draws)
    scale = np.sqrt(dof / rng.chisquare(dof, draws))[:, None]
    samples = np.clip(np.asarray(popt) + normal * scale, *bounds)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        return np.array(
            [list(_to_params(law, row, k0).values()) for row in samples]
        )


def _bootstrap(law, k, y, groups, runs, units, n_boot, seed):
    """Refits on runs (and units) resampled with replacement:
    ``(n_boot, 3)`` params."""
    rng = np.random.default_rng(seed)
    k0 = float(k.min())
    draws = []
    for _ in range(n_boot):
        chosen = rng.choice(runs, len(runs), replace=True)
        index = np.concatenate([np.flatnonzero(groups == r) for r in chosen])
        values = y[index]
        if units is not None:
            unit_mae, unit_windows = units
            drawn = rng.integers(
                0, unit_windows.shape[1], unit_windows.shape[1]
            )
            weight = unit_windows[index] * np.bincount(
                drawn, minlength=unit_windows.shape[1]
            )
            total = weight.sum(axis=1)
            if not (total > 0).all():  # a fold's units were all left out
                continue
            values = (unit_mae[index] * weight).sum(axis=1) / total
        if len(np.unique(k[index])) < 3:
            continue
        try:
            popt, _ = _fit_raw(law, k[index], values)
        except RuntimeError:
            continue
        with np.errstate(over="ignore"):  # a sharp drop: a -> inf
            draws.append(list(_to_params(law, popt, k0).values()))
    if not draws:
        return np.full((1, 3), math.nan)
    return np.asarray(draws)


def _why_not_identifiable(law, k, y, popt, params, ci95, r2, sizes):
    """Empty when the law is pinned down; else the reason, for the report."""
    if len(sizes) < 4:
        return f"{len(sizes)} sizes for 3 parameters (need >= 4)"
    if not all(np.isfinite(v) for v in params.values()):
        return "a parameter is not finite (the fit is a step, not a trend)"
    if not r2 >= 0.5:
        return f"R² = {r2:.2f} < 0.5: no clear size trend"
    low, high = _bounds(law, k, y)
    for name, value, lo, hi in zip(LAWS[law], popt, low, high):
        tol = 1e-3 * max(abs(hi - lo), 1e-9) if np.isfinite(hi) else 1e-6
        if name != "c" and (value - lo < tol or hi - value < tol):
            return f"{name} at its bound"
    for name, (lo, hi) in ci95.items():
        if not np.isfinite(lo):
            return f"no finite 95 % interval for {name}"
    for name, (lo, hi) in _law_ranges(law, k, y).items():
        ci_lo, ci_hi = ci95[name]
        size = abs(float(params[name]))
        tol = 1e-3 * (hi - lo if np.isfinite(hi) else size)
        # An end within tolerance of its bound prints as the bound.
        at_lo, at_hi = ci_lo <= lo + tol, ci_hi >= hi - tol
        shown_lo = lo if at_lo else ci_lo
        # Orders of magnitude wide (or overflowed): an open range, whose
        # end is no number worth printing.
        if not ci_hi <= 1e3 * size:
            return f"the 95 % interval of {name} " + (
                f"reaches {lo:.3g} and is unbounded above"
                if at_lo
                else f"is unbounded above (from {ci_lo:.3g})"
            )
        if at_lo or at_hi:
            shown_hi = hi if at_hi else ci_hi
            return (
                f"the 95 % interval of {name} [{shown_lo:.3g}, "
                f"{shown_hi:.3g}] reaches its bound"
            )
    return ""


def _law_ranges(law, k, y):
    """Physical ranges of the law's gain and shape (``c`` may be 0)."""
    low, high = _bounds(law, k, y)
    scale = _SCALE if law == "exponential" else 1.0  # s is in parameters
    return {
        "a": (0.0, math.inf),
        LAWS[law][1]: (low[1] * scale, high[1] * scale),
    }


def _leave_one_size_out(law, k, y):
    sizes = np.unique(k)
    if len(sizes) < 4:
        return math.nan
    errors = []
    for size in sizes:
        keep = k != size
        try:
            popt, _ = _fit_raw(law, k[keep], y[keep])
        except RuntimeError:  # no convergence on the reduced set
            return math.nan
        held = y[~keep].mean()
        model = _model(law, float(k[keep].min()))
        errors.append(abs(float(model(size, *popt)) - held))
    return float(np.mean(errors))


def fit_best(
    num_params: ArrayLike,
    mae: ArrayLike,
    groups: ArrayLike | None = None,
    unit_mae: ArrayLike | None = None,
    unit_windows: ArrayLike | None = None,
) -> tuple["ScalingFit", dict[str, "ScalingFit"]]:
    """Fit both laws and pick the better one (arguments as :func:`fit_law`).

    An identifiable law beats one that is not; then the lower
    leave-one-size-out error when both have one, else the higher R².

    Returns:
        ``(best, {law: ScalingFit})``.
    """
    fits = {
        law: fit_law(
            law,
            num_params,
            mae,
            groups,
            unit_mae=unit_mae,
            unit_windows=unit_windows,
        )
        for law in LAWS
    }

    def key(fit):
        if all(np.isfinite(f.loso_mae) for f in fits.values()):
            return (not fit.identifiable, fit.loso_mae)
        return (not fit.identifiable, -fit.r2)

    return min(fits.values(), key=key), fits
