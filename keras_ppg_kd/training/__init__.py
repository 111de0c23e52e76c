"""Training: the verbs that fit teachers and students on windows.

:mod:`~keras_ppg_kd.training.recipes` trains a teacher, a scratch
baseline or a distilled student and records a :class:`Result`;
:mod:`~keras_ppg_kd.training.generalize` is the recipe that generalizes
(synthetic pre-training, gentle fine-tuning, DKD, a tracker) and scores
what ships. The study runner (:mod:`keras_ppg_kd.study`) sits above this
layer and the deployment tools (:mod:`keras_ppg_kd.deploy`) below it.
"""

from keras_ppg_kd import _backend  # noqa: F401
from keras_ppg_kd.training.generalize import (
    GeneralizingRecipe,
    Trained,
    calibration_windows,
    finetune_teacher,
    interpolate_weights,
    mix_synthetic,
    pretrain_teacher,
    pseudo_label,
    score,
    split_validation,
    synthetic_windows,
    train_and_distill,
)
from keras_ppg_kd.training.recipes import (
    SCHEDULES,
    STUDY_BATCH_SIZE,
    STUDY_EPOCHS,
    STUDY_LEARNING_RATE,
    Result,
    SelectOnValidation,
    Training,
    cross_fitted_teachers,
    distill,
    evaluate,
    load_weights_expanding_inputs,
    optimizer,
    record,
    resolve_strategy,
    steps_per_epoch,
    train_scratch,
    train_teacher,
)

__all__ = [
    "SCHEDULES",
    "STUDY_BATCH_SIZE",
    "STUDY_EPOCHS",
    "STUDY_LEARNING_RATE",
    "GeneralizingRecipe",
    "Result",
    "SelectOnValidation",
    "Trained",
    "Training",
    "calibration_windows",
    "cross_fitted_teachers",
    "distill",
    "evaluate",
    "finetune_teacher",
    "interpolate_weights",
    "load_weights_expanding_inputs",
    "mix_synthetic",
    "optimizer",
    "pretrain_teacher",
    "pseudo_label",
    "record",
    "resolve_strategy",
    "score",
    "split_validation",
    "steps_per_epoch",
    "synthetic_windows",
    "train_and_distill",
    "train_scratch",
    "train_teacher",
]
