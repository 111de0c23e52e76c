"""Windowed PPG data: transforms, readers, synthetic data, splits, loading."""

from keras_ppg_kd import _backend  # noqa: F401
from keras_ppg_kd.data.ecg import detect_r_peaks, hr_from_ecg
from keras_ppg_kd.data.pipeline import load, load_windows, to_dataset
from keras_ppg_kd.data.splits import (
    k_fold,
    leave_one_dataset_out,
    leave_one_participant_out,
    train_test_split,
)
from keras_ppg_kd.data.synthetic import SyntheticConfig, generate_recording
from keras_ppg_kd.data.transforms import (
    Recording,
    WindowConfig,
    WindowSet,
    hr_from_beats,
    standardize,
    windows_from_recording,
    windows_from_signal,
)

__all__ = [
    "Recording",
    "SyntheticConfig",
    "WindowConfig",
    "WindowSet",
    "detect_r_peaks",
    "generate_recording",
    "hr_from_beats",
    "hr_from_ecg",
    "k_fold",
    "leave_one_dataset_out",
    "leave_one_participant_out",
    "load",
    "load_windows",
    "standardize",
    "to_dataset",
    "train_test_split",
    "windows_from_recording",
    "windows_from_signal",
]
