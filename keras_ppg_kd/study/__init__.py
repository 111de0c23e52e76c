"""The study runner: configurations, sweeps, figures.

The training verbs moved to :mod:`keras_ppg_kd.training` and the scaling
laws to :mod:`keras_ppg_kd.scaling`; their old names here still resolve for
one release, with a ``DeprecationWarning``.
"""

from keras_ppg_kd import _backend  # noqa: F401
from keras_ppg_kd.study._moved import moved_name
from keras_ppg_kd.study.config import PRESETS, StudyConfig, get_config
from keras_ppg_kd.study.plan import Cell, plan_cells
from keras_ppg_kd.study.sweep import run_sweep

_MOVED = {
    "Result": "keras_ppg_kd.training",
    "cross_fitted_teachers": "keras_ppg_kd.training",
    "distill": "keras_ppg_kd.training",
    "evaluate": "keras_ppg_kd.training",
    "train_scratch": "keras_ppg_kd.training",
    "train_teacher": "keras_ppg_kd.training",
    "ScalingFit": "keras_ppg_kd.scaling",
    "fit_best": "keras_ppg_kd.scaling",
    "fit_law": "keras_ppg_kd.scaling",
}


def __getattr__(name):
    # Names that moved out of the study, forwarded with a warning for one
    # release; ``import keras_ppg_kd.study`` alone stays silent.
    if name not in _MOVED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return moved_name(__name__, _MOVED[name], name)


__all__ = [
    "PRESETS",
    "Cell",
    "StudyConfig",
    "get_config",
    "plan_cells",
    "run_sweep",
]
