"""Signal filters the window pipeline and its checks share: band-pass,
resampling and gap filling."""

import fractions

import numpy as np
from scipy import signal


def bandpass(x, fs, band=(0.5, 4.0), order=4):
    """Zero-phase Butterworth band-pass along the last axis.

    Args:
        x: Signal, ``(..., n)``.
        fs: Sampling rate in Hz.
        band: ``(low, high)`` edges in Hz.
        order: Filter order (doubled by the forward-backward pass).

    Returns:
        The filtered signal, same shape, float64.
    """
    sos = signal.butter(order, band, btype="bandpass", fs=fs, output="sos")
    return signal.sosfiltfilt(sos, x, axis=-1)


def resample(x, fs, target_rate):
    """Polyphase resampling from ``fs`` to ``target_rate`` (any ratio).

    Non-integer ratios (e.g. 125 -> 25.6) use the nearest rational with a
    denominator up to 1000.
    """
    if not fs > 0:
        raise ValueError(f"Sampling rate must be positive. Received: fs={fs}")
    ratio = fractions.Fraction(target_rate / fs).limit_denominator(1000)
    if ratio == 1:
        return np.asarray(x, dtype="float64")
    return signal.resample_poly(
        np.asarray(x, "float64"), ratio.numerator, ratio.denominator, axis=-1
    )


def _fill_non_finite(x):
    """``x`` with NaN/Inf samples linearly interpolated (filters need it)."""
    good = np.isfinite(x)
    if good.all() or not good.any():
        return np.where(good, x, 0.0)
    idx = np.arange(len(x))
    return np.where(good, x, np.interp(idx, idx[good], x[good]))
