"""MicroTCN: a TCN whose whole int8 LiteRT file fits in 8 KB.

At a few thousand parameters an int8 file is mostly not weights: the
180-class classifier keeps ``filters x 180`` weights and 180 int32 biases
at any width, and every tensor and operator costs the flatbuffer ~100
bytes besides its data. ``"tcnm:<filters>"`` spends those bytes where the
heart rate is:

* three residual blocks on a stride-2 stem, each a depthwise convolution
  of kernel 9 dilated 1, 3 and 9 straight into a pointwise one (BN and
  ReLU after the pointwise only, so the depthwise bias folds into it):
  the reach is 217 samples (8.7 s, the whole window) with 17 operators;
* a classifier over coarse classes four times as wide as the protocol's
  (45 of 4 BPM for the standard 180), read out to the protocol's classes
  by a transposed convolution (kernel 8, stride 4, no bias) that starts as
  linear interpolation and is trained with the rest: the model still
  answers one logit per class, so losses, trackers and export take it as
  any other student.

``"tcnm:16"`` has 2,309 trainable parameters; exported to int8 with per-tensor
weight scales (``export_tflite(..., per_channel=False)``, which this
family asks for through :attr:`MicroTCN.PER_CHANNEL`) its file is under
8,192 bytes. ``docs/results/benchmarks.md`` has its size, arena and
latency, and ``docs/results/cross_dataset`` its accuracy.
"""

import keras
import numpy as np
from keras import layers

from keras_ppg_kd.models.base import (
    PPGModel,
    check_dropout,
    check_positive_int,
    register_family,
)
from keras_ppg_kd.protocol import WindowConfig

READ_OUT = 4  # protocol classes per coarse class
DILATIONS = (1, 3, 9)


def interpolation_kernel(factor):
    """A ``(2 * factor, 1, 1)`` transposed-convolution kernel that, with
    stride ``factor`` and ``"same"`` padding, interpolates linearly between
    neighbouring coarse classes."""
    offsets = (np.arange(2 * factor) + 0.5 - factor) / factor
    return (1.0 - np.abs(offsets)).reshape(2 * factor, 1, 1)


@register_family("tcnm", size_means="filters")
@keras.saving.register_keras_serializable(package="keras_ppg_kd")
class MicroTCN(PPGModel):
    """Separable dilated residual blocks, pooled, to coarse classes read
    out to the protocol's classes.

    Stem: Conv1D (``kernel_size``, stride 2) -> BN -> ReLU. Block ``i``:
    depthwise Conv1D (dilation ``dilations[i]``, no bias) -> pointwise
    Conv1D -> BN -> ReLU, added to its input. Head: average over time ->
    dropout -> Dense(classes / 4) -> transposed Conv1D (kernel 8, stride
    4) to one logit per class. Feature taps: ``"stem"``, ``"block_1"`` ...,
    ``"head"`` and ``"pool"``.

    Args:
        filters: Channels throughout.
        kernel_size: Stem and depthwise kernel size.
        dilations: One dilation per block.
        dropout: Dropout before the classifier.
        protocol: The window protocol (input shape, classes); its class
            count must be a multiple of 4.
        name: Model name; defaults to ``tcnm_<filters>``.

    Example:
    >>> model = MicroTCN(16)
    >>> model.count_params() < 2500, model.output.shape
    (True, (None, 180))
    """

    PER_CHANNEL = False  # per-tensor int8 weights: 3.6 KB less file

    def __init__(
        self,
        filters: int = 16,
        kernel_size: int = 9,
        dilations: tuple[int, ...] | list[int] = DILATIONS,
        dropout: float = 0.1,
        protocol: WindowConfig | None = None,
        name: str | None = None,
        **kwargs,
    ) -> None:
        protocol = self._protocol(protocol)
        check_positive_int("filters", filters)
        check_positive_int("kernel_size", kernel_size)
        for value in dilations:
            check_positive_int("dilations", value)
        check_dropout(dropout)
        classes = protocol.classes.num_classes
        if classes % READ_OUT:
            raise ValueError(
                f"MicroTCN reads {READ_OUT} classes out of each coarse "
                f"class: the protocol's class count must be a multiple of "
                f"{READ_OUT}. Received: {classes} classes."
            )

        # === Functional Model ===
        inputs = self._input(protocol)
        x = self._conv_stem(inputs, filters, kernel_size, strides=2)
        taps = {"stem": x}
        for index, dilation in enumerate(dilations):
            prefix = f"block_{index + 1}"
            y = layers.DepthwiseConv1D(
                kernel_size,
                padding="same",
                dilation_rate=dilation,
                use_bias=False,
                name=f"{prefix}_depthwise",
            )(x)
            y = layers.Conv1D(filters, 1, name=f"{prefix}_pointwise")(y)
            y = layers.BatchNormalization(name=f"{prefix}_bn")(y)
            y = layers.ReLU(name=f"{prefix}_relu")(y)
            x = layers.Add(name=f"{prefix}_add")([x, y])
            taps[prefix] = x
        x = layers.Dropout(dropout, name="dropout")(self._pool(x, taps))
        x = layers.Dense(classes // READ_OUT, name="coarse_logits")(x)
        x = layers.Reshape((classes // READ_OUT, 1), name="coarse")(x)
        x = layers.Conv1DTranspose(
            1,
            2 * READ_OUT,
            strides=READ_OUT,
            padding="same",
            use_bias=False,
            kernel_initializer=keras.initializers.Constant(
                interpolation_kernel(READ_OUT)
            ),
            name="read_out",
        )(x)
        logits = layers.Reshape((classes,), name="logits")(x)
        self._init_functional(
            inputs,
            logits,
            taps,
            protocol,
            name=name or f"tcnm_{filters}",
            **kwargs,
        )

        # === Config ===
        self.filters = filters
        self.kernel_size = kernel_size
        self.dilations = tuple(dilations)
        self.dropout = dropout

    @property
    def receptive_field(self):
        """Input samples that reach one output position."""
        blocks = (self.kernel_size - 1) * sum(self.dilations)
        return self.kernel_size + 2 * blocks

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "dilations": list(self.dilations),
            "dropout": self.dropout,
        }
