"""MLP students on the same (window -> 180 logits) task as ResNet1D."""

import math
from collections.abc import Sequence

import keras
from keras import layers

from keras_ppg_kd.models.base import (
    PPGModel,
    check_dropout,
    check_positive_int,
)


@keras.saving.register_keras_serializable(package="keras_ppg_kd")
class MLP(PPGModel):
    """A multilayer perceptron on the flattened window.

    Feature taps: ``"hidden_1"`` ... ``"hidden_<depth>"`` (post-activation)
    and ``"head"`` (the last of them). With no time axis, feature
    distillation matches a ResNet1D teacher's pooled ``pool`` vector.

    Args:
        hidden_units: Width of each hidden layer, e.g. ``(128, 128)``.
        input_length: Samples per window.
        channels: Channels per window (1: PPG; 4: PPG + 3-axis ACC).
        num_classes: Output logits.
        dropout: Dropout after each hidden layer.
        sampling_rate: Sampling rate (Hz) the windows are at.
        name: Model name.

    Example:
    >>> MLP(hidden_units=(64,)).count_params()
    24564
    """

    DISTILLATION_TAPS = ("pool", "head")

    def __init__(
        self,
        hidden_units: Sequence[int] = (128, 128),
        input_length: int = 200,
        channels: int = 1,
        num_classes: int = 180,
        dropout: float = 0.1,
        sampling_rate: float = 25.0,
        name: str | None = None,
        **kwargs,
    ) -> None:
        hidden_units = tuple(hidden_units)
        if not hidden_units:
            raise ValueError(
                "`hidden_units` needs at least one layer. Received: "
                f"hidden_units={hidden_units}"
            )
        for units in hidden_units:
            check_positive_int("hidden_units", units)
        check_positive_int("input_length", input_length)
        check_positive_int("channels", channels)
        check_positive_int("num_classes", num_classes)
        check_dropout(dropout)

        # === Functional Model ===
        inputs = keras.Input((input_length, channels), name="ppg")
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
        logits = layers.Dense(num_classes, name="logits")(x)
        self._init_functional(
            inputs,
            logits,
            taps,
            sampling_rate,
            name=name or "mlp_" + "x".join(map(str, hidden_units)),
            **kwargs,
        )

        # === Config ===
        self.hidden_units = hidden_units
        self.dropout = dropout

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "hidden_units": list(self.hidden_units),
            "input_length": self.input_length,
            "channels": self.channels,
            "num_classes": self.num_classes,
            "dropout": self.dropout,
            "sampling_rate": self.sampling_rate,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def mlp_parameter_count(width, depth, input_length=200, num_classes=180):
    """Parameters of an MLP with ``depth`` hidden layers of ``width``."""
    return (
        (input_length + 1) * width
        + (depth - 1) * (width + 1) * width
        + (width + 1) * num_classes
    )


def mlp_for_budget(
    num_params: int,
    depth: int = 2,
    input_length: int = 200,
    num_classes: int = 180,
    **kwargs,
) -> "MLP":
    """An :class:`MLP` of equal-width layers closest to ``num_params``.

    Args:
        num_params: Target parameter count (e.g. a ResNet student's).
        depth: Number of hidden layers.
        input_length: Samples per window.
        num_classes: Output logits.
        **kwargs: Passed to :class:`MLP`.

    Returns:
        The MLP whose parameter count is closest to the budget.

    Example:
    >>> abs(mlp_for_budget(139_000).count_params() - 139_000) < 1_000
    True
    """
    check_positive_int("depth", depth)
    smallest = mlp_parameter_count(1, depth, input_length, num_classes)
    if isinstance(num_params, bool) or num_params < smallest:
        raise ValueError(
            f"`num_params` must be >= {smallest} for depth={depth}. "
            f"Received: num_params={num_params!r}"
        )
    # Solve a*w^2 + b*w + c = num_params for the width w.
    a = depth - 1
    b = input_length + 1 + (depth - 1) + num_classes
    c = num_classes - num_params
    width = -c / b if a == 0 else (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)
    candidates = {max(1, math.floor(width)), max(1, math.ceil(width))}
    best = min(
        candidates,
        key=lambda w: abs(
            mlp_parameter_count(w, depth, input_length, num_classes)
            - num_params
        ),
    )
    return MLP(
        (best,) * depth,
        input_length=input_length,
        num_classes=num_classes,
        **kwargs,
    )
