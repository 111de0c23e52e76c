"""Distillation strategies: one file each, a pure function and a class.

A new strategy is one file, one line in ``REGISTRY`` and one test file.
"""

import keras

from keras_ppg_kd import _backend  # noqa: F401
from keras_ppg_kd.losses.base import (
    HeartRateCrossEntropy,
    PPGDistillationLoss,
    sparse_ce,
)
from keras_ppg_kd.losses.dkd import DKD, dkd_loss, dkd_terms
from keras_ppg_kd.losses.feature import (
    FeatureDistillation,
    feature_distillation_loss,
)
from keras_ppg_kd.losses.hard import HardDistillation, hard_distillation_loss
from keras_ppg_kd.losses.soft import SoftDistillation, soft_distillation_loss

REGISTRY = {
    "hard": HardDistillation,
    "soft": SoftDistillation,
    "dkd": DKD,
    "feature": FeatureDistillation,
}


def get(identifier):
    """A loss from an instance, a registry alias or a config dict."""
    if isinstance(identifier, PPGDistillationLoss):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in REGISTRY:
        return REGISTRY[identifier.lower()]()
    if isinstance(identifier, dict):
        return keras.saving.deserialize_keras_object(identifier)
    raise ValueError(
        f"Unknown distillation loss {identifier!r}. Use one of "
        f"{sorted(REGISTRY)} or a PPGDistillationLoss instance."
    )


__all__ = [
    "DKD",
    "FeatureDistillation",
    "HardDistillation",
    "HeartRateCrossEntropy",
    "PPGDistillationLoss",
    "REGISTRY",
    "SoftDistillation",
    "dkd_loss",
    "dkd_terms",
    "feature_distillation_loss",
    "get",
    "hard_distillation_loss",
    "soft_distillation_loss",
    "sparse_ce",
]
