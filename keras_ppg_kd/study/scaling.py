"""Scaling laws: student MAE as a function of its parameter count.

Two explicit laws, fitted with ``scipy.optimize.curve_fit``:

* ``exponential`` (the study's saturating exponential):
  ``MAE(N) = c + a * exp(-N / s)``
* ``power`` (a power law with an irreducible term, as in Busbridge et al.
  2025): ``MAE(N) = c + a * N ** (-alpha)``

``N`` is given in parameters; the fit works in thousands of parameters so
the optimiser sees numbers of order one, and reports ``s`` in parameters.
"""

import dataclasses
import math
import warnings

import numpy as np
from scipy import optimize, stats

LAWS = {
    "exponential": ("a", "s", "c"),
    "power": ("a", "alpha", "c"),
}
_SCALE = 1e3  # fit on thousands of parameters


def law_value(law, n, params):
    """Evaluate ``law`` at ``n`` parameters with ``params`` (a dict)."""
    n = np.asarray(n, "float64")
    if law == "exponential":
        return params["c"] + params["a"] * np.exp(-n / params["s"])
    if law == "power":
        return params["c"] + params["a"] * (n / _SCALE) ** (-params["alpha"])
    raise ValueError(f"Unknown law {law!r}. Available: {sorted(LAWS)}")


def _model(law):
    if law == "exponential":
        return lambda k, a, s, c: c + a * np.exp(-k / s)
    return lambda k, a, alpha, c: c + a * k ** (-alpha)


@dataclasses.dataclass(frozen=True)
class ScalingFit:
    """A fitted law with its uncertainty and quality.

    Attributes:
        law: ``"exponential"`` or ``"power"``.
        params: Fitted parameters (``s`` in parameters, ``a``/``c`` in BPM).
        ci95: ``{name: (low, high)}`` 95 % confidence intervals from the
            covariance (NaN when the fit has no degrees of freedom left).
        r2: Coefficient of determination on the fitted points.
        loso_mae: Mean absolute error predicting each student size from a
            fit to the others (leave-one-size-out, BPM); NaN with fewer
            than four sizes.
        sizes: Parameter counts the fit saw.
        n_points: Number of points (sizes times seeds/folds).
    """

    law: str
    params: dict
    ci95: dict
    r2: float
    loso_mae: float
    sizes: tuple
    n_points: int

    def predict(self, num_params):
        """Predicted MAE (BPM) at ``num_params`` parameters."""
        return law_value(self.law, num_params, self.params)

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


def _fit_raw(law, k, y):
    """Least-squares fit on ``k`` (thousands of params); returns popt, pcov."""
    span = max(float(y.max() - y.min()), 1e-3)
    if law == "exponential":
        p0 = (span, max(float(np.median(k)), 1e-3), float(y.min()))
        bounds = ([0, 1e-3, 0], [np.inf, 1e5, np.inf])
    else:
        p0 = (span * float(k.min()) ** 0.5, 0.5, float(y.min()) * 0.9)
        bounds = ([0, 1e-3, 0], [np.inf, 10.0, np.inf])
    with warnings.catch_warnings():
        # With no degrees of freedom left scipy warns that the covariance
        # is undefined; fit_law reports NaN intervals for that case.
        warnings.simplefilter("ignore", optimize.OptimizeWarning)
        return optimize.curve_fit(
            _model(law), k, y, p0=p0, bounds=bounds, maxfev=20000
        )


def fit_law(law, num_params, mae):
    """Fit one law to ``(num_params, mae)`` points.

    Args:
        law: ``"exponential"`` or ``"power"``.
        num_params: Parameter count per point (repeat sizes for seeds).
        mae: MAE (BPM) per point.

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
    popt, pcov = _fit_raw(law, k, y)
    names = LAWS[law]
    dof = len(y) - len(popt)
    errors = np.sqrt(np.clip(np.diag(pcov), 0, None))
    t = stats.t.ppf(0.975, dof) if dof > 0 else np.nan
    scale = np.array([1.0, _SCALE if law == "exponential" else 1.0, 1.0])
    params = {
        name: float(value * s) for name, value, s in zip(names, popt, scale)
    }
    ci95 = {
        name: (float((v - t * e) * s), float((v + t * e) * s))
        if np.isfinite(t) and np.isfinite(e)
        else (math.nan, math.nan)
        for name, v, e, s in zip(names, popt, errors, scale)
    }
    residual = y - _model(law)(k, *popt)
    total = np.sum((y - y.mean()) ** 2)
    r2 = float(1 - np.sum(residual**2) / total) if total > 0 else math.nan
    return ScalingFit(
        law=law,
        params=params,
        ci95=ci95,
        r2=r2,
        loso_mae=_leave_one_size_out(law, k, y),
        sizes=tuple(int(s) for s in sizes),
        n_points=len(y),
    )


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
        errors.append(abs(float(_model(law)(size, *popt)) - held))
    return float(np.mean(errors))


def fit_best(num_params, mae):
    """Fit both laws and pick the better one.

    The better law has the lower leave-one-size-out error when both have
    one, else the higher R².

    Returns:
        ``(best, {law: ScalingFit})``.
    """
    fits = {law: fit_law(law, num_params, mae) for law in LAWS}

    def key(fit):
        if all(np.isfinite(f.loso_mae) for f in fits.values()):
            return fit.loso_mae
        return -fit.r2

    return min(fits.values(), key=key), fits
