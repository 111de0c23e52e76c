"""Heart-rate reference from ECG: R-peak detection and HR per window.

Pan-Tompkins-style detection (Pan & Tompkins 1985): band-pass 5-20 Hz,
derivative, squaring, 150 ms moving integration; candidate beats are peaks
of that energy found with ``scipy.signal.find_peaks`` (a refractory
distance and an adaptive height), refined to the largest absolute ECG
deflection near each. ``scipy.signal.find_peaks`` is the well-kept
library part; the envelope is a few lines of standard DSP.
"""

import numpy as np
from scipy import ndimage, signal

from keras_ppg_kd.data.transforms import hr_from_beats


def detect_r_peaks(ecg, fs, max_bpm=220.0):
    """R-peak times of an ECG, in seconds.

    Args:
        ecg: ECG samples, shape ``(n,)`` (polarity does not matter).
        fs: Sampling rate in Hz (>= 50).
        max_bpm: Fastest heart rate to allow; sets the refractory period.

    Returns:
        Sorted R-peak times in seconds.
    """
    if not fs >= 50:
        raise ValueError(
            f"ECG sampling rate must be >= 50 Hz for R-peak detection. "
            f"Received: fs={fs}"
        )
    ecg = np.asarray(ecg, dtype="float64").reshape(-1)
    finite = np.isfinite(ecg)
    if not finite.all():
        ecg = np.where(finite, ecg, 0.0)
    high = min(20.0, 0.45 * fs)
    sos = signal.butter(2, (5.0, high), btype="bandpass", fs=fs, output="sos")
    filtered = signal.sosfiltfilt(sos, ecg)
    energy = np.gradient(filtered) ** 2
    energy = ndimage.uniform_filter1d(energy, max(1, int(0.15 * fs)))
    # Adaptive height: a fraction of the local (10 s) high percentile, so
    # amplitude changes across a long recording are followed.
    local = ndimage.maximum_filter1d(
        ndimage.percentile_filter(energy, 98, size=max(3, int(2 * fs))),
        int(10 * fs),
    )
    refractory = int(fs * 60.0 / max_bpm)
    peaks, _ = signal.find_peaks(
        energy, height=0.2 * local, distance=refractory
    )
    # Refine to the sharpest deflection of the filtered ECG within +-75 ms.
    half = max(1, int(0.075 * fs))
    refined = np.empty_like(peaks)
    for i, peak in enumerate(peaks):
        lo, hi = max(0, peak - half), min(len(ecg), peak + half + 1)
        refined[i] = lo + np.argmax(np.abs(filtered[lo:hi]))
    refined = np.unique(refined)
    refined = refined[finite[refined]]
    return refined / fs


def hr_from_ecg(ecg, fs, window_starts, window_seconds=8.0):
    """Heart rate per window from an ECG: 60 / mean RR inside each window.

    Missed and extra R-peaks are corrected against the local median RR
    (see :func:`hr_from_beats`).

    Args:
        ecg: ECG samples.
        fs: ECG sampling rate in Hz.
        window_starts: Window start times in seconds.
        window_seconds: Window length in seconds.

    Returns:
        BPM per window (NaN where fewer than two beats were found).
    """
    beats = detect_r_peaks(ecg, fs)
    return hr_from_beats(beats, window_starts, window_seconds, correct=True)
