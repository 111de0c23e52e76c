"""Classical heart-rate baselines that need no training."""

import numpy as np

from keras_ppg_kd.data.transforms import bandpass


def spectral_peak_bpm(
    windows, fs=25.0, band=(0.5, 4.0), bpm_range=(30, 210), nfft=4096
):
    """Heart rate as the highest spectral peak of each PPG window.

    Band-passes each window (zero-phase Butterworth), takes the zero-padded
    FFT magnitude, and returns the frequency of its maximum within
    ``bpm_range``. The classical reference point: it works at rest and
    fails under motion, where the cadence's harmonics dominate.

    Args:
        windows: ``(n, length)`` or ``(n, length, 1)`` PPG windows.
        fs: Sampling rate of the windows in Hz.
        band: Band-pass edges in Hz, or ``None`` if already filtered.
        bpm_range: Heart rates to search, in BPM.
        nfft: FFT length (zero padding sets the BPM resolution).

    Returns:
        float32 heart rate per window, in BPM.
    """
    x = np.asarray(windows, dtype="float64")
    if x.ndim == 3:
        x = x[..., 0]
    if band is not None:
        x = bandpass(x, fs, band)
    x = (x - x.mean(axis=1, keepdims=True)) * np.hanning(x.shape[1])
    spectrum = np.abs(np.fft.rfft(x, n=nfft, axis=1))
    bpm = np.fft.rfftfreq(nfft, 1.0 / fs) * 60.0
    inside = (bpm >= bpm_range[0]) & (bpm <= bpm_range[1])
    best = np.argmax(spectrum[:, inside], axis=1)
    return bpm[inside][best].astype("float32")
