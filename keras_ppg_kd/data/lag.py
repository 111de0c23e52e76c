"""Is the accelerometer on the PPG's clock? Its lag, where motion shows it.

Motion cancellation fits each window's PPG on the accelerometer's three
axes at the same instants; an accelerometer a quarter of a second late
leaves the motion in the PPG (and removes part of the pulse) without a
sign. :func:`accelerometer_lag` finds the shift of the axes that explains
the band-passed PPG best, from the windows where one shift stands out.

Periodic motion (a treadmill's steps, pedalling) explains the PPG almost
as well one step later, so its windows say little about a lag; the
synthetic generator also gives the PPG's motion harmonics phases of their
own. Only windows whose best shift beats every shift more than
``SIDE_LOBE_S`` away by ``MIN_PROMINENCE`` of the PPG's variance, and by
a factor ``1 / MAX_RIVAL`` (an arm movement, a change of pace), count,
and the lag is their median. At the
true alignment these put the best shift at -0.24 to 0 s on the real and
synthetic recordings measured (docs/results/robustness.md): the PPG's
motion artefact follows the motion, by up to a quarter second (walking),
and never leads it. So a best shift more than ``LATE_TOLERANCE_S`` late,
or more than ``EARLY_TOLERANCE_S`` early, where the fit at the recording's
own alignment keeps less than ``MAX_ZERO_SHARE`` of the best shift's,
is an accelerometer off the PPG's clock.
"""

import dataclasses
import warnings

import numpy as np

from keras_ppg_kd.data.filters import _fill_non_finite, bandpass, resample
from keras_ppg_kd.protocol import WindowConfig

# The PPG and axes are compared at this rate (Hz), in this band (Hz).
RATE = WindowConfig.target_rate
BAND = WindowConfig.band
# Shifts tried, window length and step (s); at most MAX_WINDOWS windows
# (spread evenly over longer recordings).
SEARCH_S = 1.0
WINDOW_S = 8.0
STRIDE_S = 4.0
MAX_WINDOWS = 1500
# A window counts when its best shift explains MIN_FIT of the PPG's
# variance, MIN_PROMINENCE more than any shift SIDE_LOBE_S away, and that
# rival at most MAX_RIVAL times the best (periodic motion's next step);
# the lag needs MIN_WINDOWS such windows.
MIN_FIT = 0.3
MIN_PROMINENCE = 0.15
MAX_RIVAL = 0.7
SIDE_LOBE_S = 0.2
MIN_WINDOWS = 3
# Tolerated lags (s): late (positive) and early; and the share of the best
# shift's fit below which lag 0 is worse enough to say so.
LATE_TOLERANCE_S = 0.15
EARLY_TOLERANCE_S = 0.35
MAX_ZERO_SHARE = 0.8
_RIDGE = 1e-3  # as motion cancellation (CANCEL_RIDGE)


class AccelerometerLagWarning(UserWarning):
    """The accelerometer looks late or early against the PPG."""


@dataclasses.dataclass(frozen=True)
class AccelerometerLag:
    """An estimated accelerometer lag.

    Attributes:
        lag_s: Seconds the accelerometer runs late against the PPG
            (negative: early); its samples at ``t + lag_s`` fit the PPG's
            at ``t`` best.
        windows: How many windows with a clear best shift gave it.
        zero_share: Median, over those windows, of the PPG variance the
            axes explain at the recording's own alignment, as a share of
            what they explain at the best shift (1: no loss).
    """

    lag_s: float
    windows: int
    zero_share: float

    @property
    def beyond_tolerance(self):
        """Whether the lag calls for a warning."""
        off = self.lag_s > LATE_TOLERANCE_S or self.lag_s < -EARLY_TOLERANCE_S
        return off and self.zero_share < MAX_ZERO_SHARE


def _comparable(ppg, acc, fs):
    """The PPG and the axes resampled to ``RATE`` and band-passed, as
    ``(n, 4)`` float64."""
    channels = [np.asarray(ppg, "float64").reshape(-1)]
    channels += list(np.asarray(acc, "float64").T)
    return np.stack(
        [
            bandpass(resample(_fill_non_finite(c), fs, RATE), RATE, BAND)
            for c in channels
        ],
        axis=-1,
    )


def explained_by_shift(x, rate=RATE):
    """Share of each window's PPG variance that the shifted axes explain.

    Args:
        x: ``(n, 4)`` band-passed PPG and three axes at ``rate``.
        rate: Their sampling rate (Hz).

    Returns:
        ``(shifts_s, share)``: the shifts tried (``-SEARCH_S`` to
        ``SEARCH_S``) and ``(len(shifts_s), windows)`` least-squares
        shares (0-1) of each window's PPG explained by the axes taken
        ``shift`` later, one fit per window and shift (unit-energy axes,
        the cancellation's ridge).
    """
    reach = int(round(SEARCH_S * rate))
    length = int(round(WINDOW_S * rate))
    starts = np.arange(reach, len(x) - length - reach + 1, int(STRIDE_S * rate))
    if len(starts) > MAX_WINDOWS:
        starts = starts[
            np.linspace(0, len(starts) - 1, MAX_WINDOWS).astype(int)
        ]
    shifts = np.arange(-reach, reach + 1)
    share = np.zeros((len(shifts), len(starts)))
    if not len(starts):
        return shifts / rate, share
    index = starts[:, None] + np.arange(length)
    ppg = x[index, 0]
    mean = ppg.mean(axis=1, keepdims=True)
    power = ((ppg - mean) ** 2).sum(axis=1)
    power = np.where(power > 0, power, np.inf)  # a flat window: no share
    # Window sums of the axes, their products and their products with the
    # PPG, from running sums: each window-and-shift fit costs O(1).
    acc = x[:, 1:]
    first = _running(acc)
    second = _running(acc[:, :, None] * acc[:, None, :])
    for j, shift in enumerate(shifts):
        at = starts + shift
        total = first[at + length] - first[at]
        gram = second[at + length] - second[at]
        gram -= total[:, :, None] * total[:, None, :] / length  # centred
        with_ppg = _running(
            acc[reach + shift : len(x) - reach + shift]
            * x[reach : len(x) - reach, :1]
        )
        target = with_ppg[starts + length - reach] - with_ppg[starts - reach]
        target -= total * mean  # against the window-centred PPG
        energy = np.diagonal(gram, axis1=1, axis2=2)
        scale = 1 / np.sqrt(np.where(energy > 0, energy, 1.0))  # unit axes
        gram = gram * scale[:, :, None] * scale[:, None, :] + _RIDGE * np.eye(3)
        target = target * scale
        weights = np.linalg.solve(gram, target[..., None])[..., 0]
        share[j] = (weights * target).sum(axis=1) / power
    return shifts / rate, share


def _running(x):
    """Running sums along the first axis, with a leading 0."""
    out = np.zeros((len(x) + 1, *x.shape[1:]))
    np.cumsum(x, axis=0, out=out[1:])
    return out


def accelerometer_lag(ppg, acc, fs):
    """The accelerometer's lag against the PPG, where motion shows it.

    Args:
        ppg: ``(n,)`` PPG.
        acc: ``(n, 3)`` accelerometer, said to be on the PPG's clock.
        fs: Their sampling rate (Hz).

    Returns:
        An :class:`AccelerometerLag`, or None where fewer than
        ``MIN_WINDOWS`` windows have a clear best shift (too little
        motion, or only periodic motion, to tell).
    """
    shifts, share = explained_by_shift(_comparable(ppg, acc, fs))
    if not share.size:
        return None
    best_at = share.argmax(axis=0)
    best = share.max(axis=0)
    away = np.abs(shifts[:, None] - shifts[best_at]) > SIDE_LOBE_S
    rival = np.where(away, share, -np.inf).max(axis=0)
    inside = (best_at > 1) & (best_at < len(shifts) - 2)  # not at an edge
    clear = (
        (best >= MIN_FIT)
        & (best - rival >= MIN_PROMINENCE)
        & (rival <= MAX_RIVAL * best)
        & inside
    )
    if clear.sum() < MIN_WINDOWS:
        return None
    zero = share[np.flatnonzero(shifts == 0)[0], clear]
    return AccelerometerLag(
        lag_s=float(np.median(shifts[best_at[clear]])),
        windows=int(clear.sum()),
        zero_share=float(np.median(zero / best[clear])),
    )


def warn_if_lagged(ppg, acc, fs, where="the recording"):
    """Warn (:class:`AccelerometerLagWarning`) when the accelerometer
    looks late or early beyond the tolerance; say nothing where motion
    cannot tell. Returns the estimate (or None)."""
    lag = accelerometer_lag(ppg, acc, fs)
    if lag is None or not lag.beyond_tolerance:
        return lag
    way, fix = ("late", "earlier") if lag.lag_s > 0 else ("early", "later")
    samples = int(round(abs(lag.lag_s) * fs))
    warnings.warn(
        f"{where}: the accelerometer looks {abs(lag.lag_s):.2f} s {way} "
        f"against the PPG: in {lag.windows} windows of clear motion its "
        f"axes fit the PPG best moved {abs(lag.lag_s):.2f} s {fix}; as "
        f"recorded they explain only {lag.zero_share:.0%} as much (motion "
        f"cancellation would leave the motion in). Shift the accelerometer "
        f"{abs(lag.lag_s):.2f} s {fix} ({samples} samples at {fs:g} Hz) or "
        "leave it out (a config without the accelerometer).",
        AccelerometerLagWarning,
        stacklevel=3,
    )
    return lag
