"""Model builders: the WildPPG ResNet1D and MLP students."""

from keras_ppg_kd import _backend  # noqa: F401
from keras_ppg_kd.models.base import PPGModel
from keras_ppg_kd.models.mlp import MLP, mlp_for_budget, mlp_parameter_count
from keras_ppg_kd.models.resnet1d import STUDY_PARAMETER_COUNTS, ResNet1D

__all__ = [
    "MLP",
    "PPGModel",
    "ResNet1D",
    "STUDY_PARAMETER_COUNTS",
    "mlp_for_budget",
    "mlp_parameter_count",
]
