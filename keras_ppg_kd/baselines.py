"""Classical heart-rate baselines that need no training."""

import numpy as np

from keras_ppg_kd.data.transforms import WindowSet, bandpass
from keras_ppg_kd.protocol import WindowConfig


def spectral_peak_bpm(windows, protocol=None, band=None, nfft=4096):
    """Heart rate as the highest spectral peak of each PPG window.

    Takes the zero-padded FFT magnitude of each window (optionally
    band-passed again, zero-phase Butterworth) and returns the frequency
    of its maximum within the protocol's class range. The classical
    reference point: it works at rest and fails under motion, where the
    cadence's harmonics dominate.

    Args:
        windows: A :class:`~keras_ppg_kd.data.WindowSet` (its ``config``
            is the protocol), or ``(n, length)`` / ``(n, length, channels)``
            PPG windows (channel 0 is the PPG).
        protocol: The windows' :class:`~keras_ppg_kd.protocol.WindowConfig`
            (rate and class range); the WindowSet's, else the default.
        band: Band-pass edges in Hz applied first; None takes the windows
            as they are (the protocol's windows are already band-passed).
        nfft: FFT length (zero padding sets the BPM resolution).

    Returns:
        float32 heart rate per window, in BPM.
    """
    if isinstance(windows, WindowSet):
        protocol = protocol or windows.config
        windows = windows.windows
    protocol = protocol or WindowConfig()
    fs = protocol.target_rate
    classes = protocol.classes
    bpm_range = (classes.min_bpm, classes.max_bpm)
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
