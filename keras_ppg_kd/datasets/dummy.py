"""Signals for the builders' ``dummy_data/`` trees and format tests.

Each dataset folder has a ``make_dummy_data.py`` that writes a small tree in
the dataset's exact raw format from these signals: PPG from the synthetic
generator and an ECG whose R-peaks sit at the same beat times.
"""

import numpy as np

from keras_ppg_kd.data.synthetic import SyntheticConfig, generate_recording
from keras_ppg_kd.data.transforms import hr_from_beats, resample


def ecg_from_beats(beat_times, seconds, fs, seed=0):
    """A plausible ECG (P, QRS, T waves) with R-peaks at ``beat_times``."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * fs)) / fs
    ecg = 0.01 * rng.standard_normal(len(t))
    for beat in beat_times:
        near = np.abs(t - beat) < 0.5
        d = t[near] - beat
        ecg[near] += (
            1.0 * np.exp(-0.5 * (d / 0.012) ** 2)
            - 0.15 * np.exp(-0.5 * ((d + 0.03) / 0.01) ** 2)
            + 0.1 * np.exp(-0.5 * ((d + 0.18) / 0.03) ** 2)
            + 0.25 * np.exp(-0.5 * ((d - 0.25) / 0.05) ** 2)
        )
    return ecg


def dummy_participant(index, seconds, ppg_fs, ecg_fs):
    """``(ppg, acc, ecg, beat_times, window_hr)`` for one participant.

    ``window_hr`` is the HR of 8 s windows every 2 s (as DaLiA/SPC give).
    """
    config = SyntheticConfig(
        num_participants=1, minutes=seconds / 60, fs=64.0, seed=1234
    )
    recording = generate_recording(index, config)
    ppg = resample(recording.ppg, 64.0, ppg_fs)
    acc = resample(recording.acc.T, 64.0, ppg_fs).T
    ecg = ecg_from_beats(recording.beat_times, seconds, ecg_fs, seed=index)
    starts = np.arange(0.0, seconds - 8 + 1e-9, 2.0)
    window_hr = hr_from_beats(recording.beat_times, starts, 8.0)
    return ppg, acc, ecg, recording.beat_times, window_hr
