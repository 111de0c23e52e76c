"""The study runner: recipes, sweeps, scaling-law fits, figures."""

from keras_ppg_kd import _backend  # noqa: F401
from keras_ppg_kd.study.config import PRESETS, StudyConfig, get_config
from keras_ppg_kd.study.plan import Cell, plan_cells
from keras_ppg_kd.study.recipes import (
    Result,
    cross_fitted_teachers,
    distill,
    evaluate,
    train_scratch,
    train_teacher,
)
from keras_ppg_kd.study.scaling import ScalingFit, fit_best, fit_law
from keras_ppg_kd.study.sweep import run_sweep

__all__ = [
    "PRESETS",
    "Cell",
    "Result",
    "ScalingFit",
    "StudyConfig",
    "cross_fitted_teachers",
    "distill",
    "evaluate",
    "fit_best",
    "fit_law",
    "get_config",
    "plan_cells",
    "run_sweep",
    "train_scratch",
    "train_teacher",
]
