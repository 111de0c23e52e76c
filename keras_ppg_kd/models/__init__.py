"""Model builders: the WildPPG ResNet1D, MLP and TCN students.

Families sit behind :data:`REGISTRY` and are named by identifiers
``"<family>:<size>"`` (:func:`get`); a bare integer means ResNet1D blocks,
as in the study. A family registers itself in its own module
(:func:`~keras_ppg_kd.models.base.register_family`), and every module of
this package is imported here: a new family is one file (and its test).
"""

import functools
import importlib
import pkgutil

import keras

from keras_ppg_kd import _backend  # noqa: F401
from keras_ppg_kd.models.base import (
    FAMILIES,
    PPGModel,
    register_family,
    trainable_parameters,
)
from keras_ppg_kd.models.mlp import (
    MLP,
    mlp_for_budget,
    mlp_like_resnet,
    mlp_parameter_count,
)
from keras_ppg_kd.models.resnet1d import STUDY_PARAMETER_COUNTS, ResNet1D
from keras_ppg_kd.models.tcn import TCN

for _module in pkgutil.iter_modules(__path__):  # families added as files
    importlib.import_module(f"{__name__}.{_module.name}")

# family -> builder from a size (ResNet/TCN blocks; an MLP matches the
# ResNet1D of that many blocks).
REGISTRY = FAMILIES
# The study's family, the one default in the package: a bare integer is
# its size (``6`` is ``"resnet:6"``), and the report names its files
# without a family suffix (``fits.json``, ``table2.csv``).
DEFAULT_FAMILY = ResNet1D.family


def size_means(family: str) -> str:
    """What a size of ``family`` counts, plural (``"blocks"``,
    ``"filters"``), as the family declares it when it registers
    (:func:`~keras_ppg_kd.models.base.register_family`)."""
    return REGISTRY[family].SIZE_MEANS


def parse(identifier: str | int) -> tuple[str, int]:
    """``(family, size)`` of ``"family:size"`` or an int (ResNet1D blocks).

    Raises:
        ValueError: an unknown family or a size that is not a positive int.
    """
    if (
        isinstance(identifier, int) and not isinstance(identifier, bool)
    ) or str(identifier).isdigit():
        family, size = DEFAULT_FAMILY, str(identifier)
    else:
        family, _, size = str(identifier).partition(":")
    if family in REGISTRY and not (size.isdigit() and int(size) >= 1):
        raise ValueError(
            f"Unknown model {identifier!r}: {family} takes a positive "
            f"integer size after ':', e.g. '{family}:5'."
        )
    if family not in REGISTRY:
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


def label(model: keras.Model) -> int | str:
    """How the study names a built model (a teacher in result rows):
    ResNet1D blocks as an int, ``"family:size"`` for a family whose class
    has ``num_blocks``, else the model's name."""
    family = getattr(type(model), "family", None)
    size = getattr(model, "num_blocks", None)
    if family == DEFAULT_FAMILY:
        return size
    return f"{family}:{size}" if family and size else model.name


def get(identifier: str | int, protocol=None, **kwargs) -> PPGModel:
    """A model from ``"family:size"`` (e.g. ``"resnet:1"``, ``"tcn:5"``).

    Args:
        identifier: ``"<family>:<size>"`` with a family of
            :data:`REGISTRY`, an int (ResNet1D blocks), or a built model
            (returned as is, after checking it takes ``protocol``).
        protocol: The data's :class:`~keras_ppg_kd.protocol.WindowConfig`
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
    "DEFAULT_FAMILY",
    "MLP",
    "PPGModel",
    "ResNet1D",
    "STUDY_PARAMETER_COUNTS",
    "REGISTRY",
    "TCN",
    "cost",
    "get",
    "identifier",
    "label",
    "mlp_for_budget",
    "mlp_like_resnet",
    "mlp_parameter_count",
    "parse",
    "register_family",
    "size_means",
    "trainable_parameters",
]
