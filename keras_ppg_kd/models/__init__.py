"""Model builders: the WildPPG ResNet1D, MLP and TCN students.

Families sit behind :data:`REGISTRY` and are named by identifiers
``"<family>:<size>"`` (:func:`get`); a bare integer means ResNet1D blocks,
as in the study. A new family is its module plus one registry line.
"""

import functools

import keras

from keras_ppg_kd import _backend  # noqa: F401
from keras_ppg_kd.models.base import PPGModel, trainable_parameters
from keras_ppg_kd.models.mlp import MLP, mlp_for_budget, mlp_parameter_count
from keras_ppg_kd.models.resnet1d import STUDY_PARAMETER_COUNTS, ResNet1D
from keras_ppg_kd.models.tcn import TCN


def _mlp(size, protocol=None, **kwargs):
    """An MLP with as many parameters as ResNet1D(size)."""
    budget = trainable_parameters(ResNet1D(size, protocol=protocol))
    return mlp_for_budget(budget, protocol=protocol, **kwargs)


_mlp.MAX_SIZE = ResNet1D.MAX_SIZE


# family -> builder from a size (ResNet/TCN blocks; an MLP matches the
# ResNet1D of that many blocks).
REGISTRY = {"resnet": ResNet1D, "tcn": TCN, "mlp": _mlp}


def parse(identifier: str | int) -> tuple[str, int]:
    """``(family, size)`` of ``"family:size"`` or an int (ResNet1D blocks).

    Raises:
        ValueError: an unknown family or a size that is not a positive int.
    """
    if (
        isinstance(identifier, int) and not isinstance(identifier, bool)
    ) or str(identifier).isdigit():
        family, size = "resnet", str(identifier)
    else:
        family, _, size = str(identifier).partition(":")
    if family not in REGISTRY or not size.isdigit() or int(size) < 1:
        raise ValueError(
            f"Unknown model {identifier!r}; use '<family>:<size>' with a "
            f"family from {sorted(REGISTRY)}, e.g. 'resnet:1' or 'tcn:5' "
            "(an integer means ResNet1D blocks)."
        )
    limit = getattr(REGISTRY[family], "MAX_SIZE", None)
    if limit is not None and int(size) > limit:
        raise ValueError(
            f"{identifier!r}: {family} sizes go up to {limit} for the "
            "standard window."
        )
    return family, int(size)


def identifier(model: keras.Model) -> str:
    """The canonical ``"family:size"`` string of an identifier or int."""
    return "{}:{}".format(*parse(model))


def get(identifier: str | int, protocol=None, **kwargs) -> PPGModel:
    """A model from ``"family:size"`` (e.g. ``"resnet:1"``, ``"tcn:5"``).

    Args:
        identifier: ``"<family>:<size>"`` with a family of
            :data:`REGISTRY`, an int (ResNet1D blocks), or a built model
            (returned as is, after checking it takes ``protocol``).
        protocol: The data's :class:`~keras_ppg_kd.data.WindowConfig`
            (``WindowSet.config``); the default protocol if None.
        **kwargs: Passed to the family's builder (``name=...``, ...).
    """
    if isinstance(identifier, PPGModel):
        if protocol is not None:
            protocol.check_model(identifier)
        return identifier
    family, size = parse(identifier)
    return REGISTRY[family](size, protocol=protocol, **kwargs)


@functools.lru_cache(maxsize=None)
def cost(identifier: str | int) -> tuple[int, int]:
    """``(trainable parameters, layers)`` of a default-protocol model.

    Parameters are the study's size measure; the layer count is a rough
    per-step time proxy (small models on CPU are bound by layer count).
    """
    model = get(identifier)
    return trainable_parameters(model), len(model.layers)


__all__ = [
    "MLP",
    "PPGModel",
    "ResNet1D",
    "STUDY_PARAMETER_COUNTS",
    "REGISTRY",
    "TCN",
    "cost",
    "get",
    "identifier",
    "mlp_for_budget",
    "mlp_parameter_count",
    "parse",
    "trainable_parameters",
]
