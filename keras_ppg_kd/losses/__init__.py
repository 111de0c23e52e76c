"""Distillation strategies: one file each, a pure function and a class.

A strategy registers itself in its own module (``@register("name",
color=...)``, see :func:`keras_ppg_kd.losses.base.register`); every module
of this package is imported here, so a new strategy is one file (and its
test): ``get``, the study's default strategies, the CLI and the report
find it through :data:`REGISTRY`.
"""

import importlib
import pkgutil

import keras

from keras_ppg_kd import _backend  # noqa: F401
from keras_ppg_kd.losses.base import (
    REGISTRY,
    HeartRateCrossEntropy,
    PPGDistillationLoss,
    sparse_ce,
)

# Registration order is the study's strategy order.
# isort: off
from keras_ppg_kd.losses.hard import HardDistillation, hard_distillation_loss
from keras_ppg_kd.losses.soft import SoftDistillation, soft_distillation_loss
from keras_ppg_kd.losses.dkd import DKD, dkd_loss, dkd_terms
from keras_ppg_kd.losses.feature import (
    FeatureDistillation,
    feature_distillation_loss,
)
# isort: on

for _module in pkgutil.iter_modules(__path__):  # strategies added as files
    importlib.import_module(f"{__name__}.{_module.name}")


def get(identifier):
    """A loss from an instance, an alias, ``"alias:key=value,..."`` or a dict.

    ``"dkd:temperature=4,beta=2"`` is ``DKD(temperature=4.0, beta=2.0)``:
    the string form lets a sweep vary a strategy's settings and records
    them in every result's ``strategy`` column.

    Raises:
        ValueError: an unknown alias or argument (naming what is accepted).
    """
    if isinstance(identifier, PPGDistillationLoss):
        return identifier
    if isinstance(identifier, dict):
        return keras.saving.deserialize_keras_object(identifier)
    name, _, arguments = str(identifier).partition(":")
    if name.lower() not in REGISTRY:
        raise ValueError(
            f"Unknown distillation loss {identifier!r}. Use one of "
            f"{sorted(REGISTRY)} (optionally 'name:key=value,...') or a "
            "PPGDistillationLoss instance."
        )
    cls = REGISTRY[name.lower()]
    kwargs = {}
    for item in filter(None, arguments.split(",")):
        key, _, text = item.partition("=")
        accepted = cls().get_config()
        if key not in accepted or not text:
            raise ValueError(
                f"{identifier!r}: {cls.__name__} has no argument {key!r} "
                f"(or no value given); accepted: {sorted(accepted)}."
            )
        default = accepted[key]
        kwargs[key] = (
            text if isinstance(default, str) else type(default)(float(text))
        )
    return cls(**kwargs)


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
