"""Model builders: the WildPPG ResNet1D, MLP and TCN students."""

from keras_ppg_kd import _backend  # noqa: F401
from keras_ppg_kd.models.base import PPGModel
from keras_ppg_kd.models.mlp import MLP, mlp_for_budget, mlp_parameter_count
from keras_ppg_kd.models.resnet1d import STUDY_PARAMETER_COUNTS, ResNet1D
from keras_ppg_kd.models.tcn import TCN


def _mlp(size, **kwargs):
    """An MLP with as many parameters as ResNet1D(size)."""
    budget = sum(int(w.numpy().size) for w in ResNet1D(size).trainable_weights)
    return mlp_for_budget(budget, **kwargs)


# family -> builder from a size (ResNet/TCN blocks; an MLP matches the
# ResNet1D of that many blocks).
REGISTRY = {"resnet": ResNet1D, "tcn": TCN, "mlp": _mlp}


def get(identifier, **kwargs):
    """A model from ``"family:size"`` (e.g. ``"resnet:1"``, ``"tcn:5"``).

    Args:
        identifier: ``"<family>:<size>"`` with a family of
            :data:`REGISTRY`, or a built model (returned as is).
        **kwargs: Passed to the family's builder (``name=...``, ...).
    """
    if isinstance(identifier, PPGModel):
        return identifier
    family, _, size = str(identifier).partition(":")
    if family not in REGISTRY or not size.isdigit():
        raise ValueError(
            f"Unknown model {identifier!r}; use '<family>:<size>' with a "
            f"family from {sorted(REGISTRY)}, e.g. 'resnet:1' or 'tcn:5'."
        )
    return REGISTRY[family](int(size), **kwargs)


__all__ = [
    "MLP",
    "PPGModel",
    "ResNet1D",
    "STUDY_PARAMETER_COUNTS",
    "REGISTRY",
    "TCN",
    "get",
    "mlp_for_budget",
    "mlp_parameter_count",
]
