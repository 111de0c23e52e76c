"""keras-ppg-kd: distil PPG heart-rate models into smartwatch-sized students.

The public API is small on purpose; everything else lives in subpackages
(``keras_ppg_kd.data``, ``keras_ppg_kd.losses``, ``keras_ppg_kd.models``).
"""

from keras_ppg_kd import _backend  # noqa: F401  (must come first)
from keras_ppg_kd.distiller import Distiller, cached_dataset
from keras_ppg_kd.heart_rate import (
    HRClasses,
    bpm_to_class,
    class_to_bpm,
    logits_to_bpm,
)
from keras_ppg_kd.metrics import HeartRateMAE
from keras_ppg_kd.models import MLP, TCN, ResNet1D, mlp_for_budget
from keras_ppg_kd.version import __version__

__all__ = [
    "Distiller",
    "cached_dataset",
    "HRClasses",
    "HeartRateMAE",
    "MLP",
    "ResNet1D",
    "TCN",
    "__version__",
    "bpm_to_class",
    "class_to_bpm",
    "logits_to_bpm",
    "mlp_for_budget",
]
