"""MLP students on the same (window -> class logits) task as ResNet1D."""

import math
from collections.abc import Sequence

import keras
from keras import layers

from keras_ppg_kd.models.base import (
    PPGModel,
    check_dropout,
    check_positive_int,
    register_family,
    trainable_parameters,
)
from keras_ppg_kd.models.resnet1d import ResNet1D
from keras_ppg_kd.protocol import WindowConfig


@keras.saving.register_keras_serializable(package="keras_ppg_kd")
class MLP(PPGModel):
    """A multilayer perceptron on the flattened window.

    Feature taps: ``"hidden_1"`` ... ``"hidden_<depth>"`` (post-activation)
    and ``"head"`` (the last of them). With no time axis, feature
    distillation matches a ResNet1D teacher's pooled ``pool`` vector.

    Args:
        hidden_units: Width of each hidden layer, e.g. ``(128, 128)``.
        protocol: The window protocol (input shape, classes); see
            :class:`~keras_ppg_kd.models.PPGModel`.
        dropout: Dropout after each hidden layer.
        name: Model name.

    Example:
    >>> MLP(hidden_units=(64,)).count_params()
    24564
    """

    DISTILLATION_TAPS = ("pool", "head")

    def __init__(
        self,
        hidden_units: Sequence[int] = (128, 128),
        protocol: WindowConfig | None = None,
        dropout: float = 0.1,
        name: str | None = None,
        **kwargs,
    ) -> None:
        protocol = self._protocol(protocol)
        hidden_units = tuple(hidden_units)
        if not hidden_units:
            raise ValueError(
                "`hidden_units` needs at least one layer. Received: "
                f"hidden_units={hidden_units}"
            )
        for units in hidden_units:
            check_positive_int("hidden_units", units)
        check_dropout(dropout)

        # === Functional Model ===
        inputs = self._input(protocol)
        x = layers.Flatten(name="flatten")(inputs)
        taps = {}
        for index, units in enumerate(hidden_units, start=1):
            x = layers.Dense(units, activation="relu", name=f"hidden_{index}")(
                x
            )
            taps[f"hidden_{index}"] = x
            if dropout:
                x = layers.Dropout(dropout, name=f"drop_{index}")(x)
        taps["head"] = taps[f"hidden_{len(hidden_units)}"]
        logits = self._logits(x, protocol)
        self._init_functional(
            inputs,
            logits,
            taps,
            protocol,
            name=name or "mlp_" + "x".join(map(str, hidden_units)),
            **kwargs,
        )

        # === Config ===
        self.hidden_units = hidden_units
        self.dropout = dropout

    def get_config(self):
        return {
            **super().get_config(),
            "hidden_units": list(self.hidden_units),
            "dropout": self.dropout,
        }


def mlp_parameter_count(width, depth, protocol=None):
    """Parameters of an MLP with ``depth`` hidden layers of ``width``."""
    protocol = protocol or WindowConfig()
    inputs = protocol.window_length * protocol.channels
    classes = protocol.classes.num_classes
    return (
        (inputs + 1) * width
        + (depth - 1) * (width + 1) * width
        + (width + 1) * classes
    )


def mlp_for_budget(
    num_params: int,
    depth: int = 2,
    protocol: WindowConfig | None = None,
    **kwargs,
) -> "MLP":
    """An :class:`MLP` of equal-width layers closest to ``num_params``.

    Args:
        num_params: Target parameter count (e.g. a ResNet student's).
        depth: Number of hidden layers.
        protocol: The window protocol (the default one if None).
        **kwargs: Passed to :class:`MLP`.

    Returns:
        The MLP whose parameter count is closest to the budget.

    Example:
    >>> abs(mlp_for_budget(139_000).count_params() - 139_000) < 1_000
    True
    """
    check_positive_int("depth", depth)
    protocol = protocol or WindowConfig()
    smallest = mlp_parameter_count(1, depth, protocol)
    if isinstance(num_params, bool) or num_params < smallest:
        raise ValueError(
            f"`num_params` must be >= {smallest} for depth={depth}. "
            f"Received: num_params={num_params!r}"
        )
    # Solve a*w^2 + b*w + c = num_params for the width w.
    a = depth - 1
    inputs = protocol.window_length * protocol.channels
    classes = protocol.classes.num_classes
    b = inputs + 1 + (depth - 1) + classes
    c = classes - num_params
    width = -c / b if a == 0 else (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)
    candidates = {max(1, math.floor(width)), max(1, math.ceil(width))}
    best = min(
        candidates,
        key=lambda w: abs(mlp_parameter_count(w, depth, protocol) - num_params),
    )
    return MLP((best,) * depth, protocol=protocol, **kwargs)


@register_family("mlp", size_means="matched ResNet1D blocks")
def mlp_like_resnet(size, protocol=None, **kwargs):
    """The ``"mlp:<size>"`` family: an MLP with as many parameters as
    ResNet1D(size) on the same protocol (the study's size-matched MLP)."""
    budget = trainable_parameters(ResNet1D(size, protocol=protocol))
    return mlp_for_budget(budget, protocol=protocol, **kwargs)


mlp_like_resnet.MAX_SIZE = ResNet1D.MAX_SIZE
