"""Windowed PPG data: transforms, synthetic data, splits.

Reading datasets lives with them in :mod:`keras_ppg_kd.datasets`
(``load_windows``); nothing here imports it.
"""

import warnings

from keras_ppg_kd import _backend  # noqa: F401
from keras_ppg_kd.data.ecg import detect_r_peaks, hr_from_ecg
from keras_ppg_kd.data.lag import (
    AccelerometerLag,
    AccelerometerLagWarning,
    accelerometer_lag,
)
from keras_ppg_kd.data.splits import (
    k_fold,
    leave_one_dataset_out,
    leave_one_participant_out,
    train_test_split,
)
from keras_ppg_kd.data.synthetic import SyntheticConfig, generate_recording
from keras_ppg_kd.data.transforms import (
    Recording,
    WindowSet,
    cancel_motion,
    export_cancel_motion_c,
    heart_band_fraction,
    hr_from_beats,
    rate_suspicion,
    standardize,
    windows_from_recording,
    windows_from_signal,
)

__all__ = [
    "AccelerometerLag",
    "AccelerometerLagWarning",
    "Recording",
    "SyntheticConfig",
    "WindowSet",
    "accelerometer_lag",
    "cancel_motion",
    "detect_r_peaks",
    "export_cancel_motion_c",
    "generate_recording",
    "heart_band_fraction",
    "hr_from_beats",
    "hr_from_ecg",
    "k_fold",
    "leave_one_dataset_out",
    "leave_one_participant_out",
    "rate_suspicion",
    "standardize",
    "train_test_split",
    "windows_from_recording",
    "windows_from_signal",
]


def __getattr__(name):
    # Deprecated: WindowConfig lives in keras_ppg_kd.protocol.
    if name == "WindowConfig":
        from keras_ppg_kd.protocol import WindowConfig

        warnings.warn(
            "keras_ppg_kd.data.WindowConfig is deprecated and will be "
            "removed in the next release; import it from "
            "keras_ppg_kd.protocol.",
            DeprecationWarning,
            stacklevel=2,
        )
        return WindowConfig
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
