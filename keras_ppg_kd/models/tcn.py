"""TCN: a small dilated, depthwise-separable temporal convolutional network.

A 1-block ResNet1D sees 17 samples (0.7 s) before it averages over time:
less than one heartbeat, so it can only guess the rate from the shape of
the pulse. Dilated convolutions double the reach per block at the cost of
a few hundred parameters: five blocks with dilations 1-16 see 129 samples
(5 s, several beats) with ~13K parameters, fewer than ResNet1D(1)'s 16.6K.
Tiny temporal CNNs of this kind are the published state of the art on
microcontrollers (TimePPG, Q-PPG; Risso et al., Burrello et al.).

Every op exports to int8 LiteRT builtins (DEPTHWISE_CONV_2D with dilation,
CONV_2D, MEAN, FULLY_CONNECTED).
"""

import keras
from keras import layers

from keras_ppg_kd.models.base import (
    PPGModel,
    check_dropout,
    check_positive_int,
    register_family,
)
from keras_ppg_kd.protocol import WindowConfig


@register_family("tcn", size_means="blocks")
@keras.saving.register_keras_serializable(package="keras_ppg_kd")
class TCN(PPGModel):
    """Dilated depthwise-separable residual blocks, pooled, to logits.

    Block ``i`` (0-based): depthwise Conv1D (kernel ``kernel_size``,
    dilation ``dilations[i]``, ``2**i`` by default) -> BN -> ReLU ->
    pointwise Conv1D -> BN -> ReLU, added to its input. Feature taps:
    ``"stem"``, ``"block_1"`` ... ``"block_<num_blocks>"``, ``"head"`` and
    ``"pool"``.

    Args:
        num_blocks: Residual blocks (receptive field
            ``kernel_size + (kernel_size - 1) * (2**num_blocks - 1)``
            samples with the default dilations and stem).
        filters: Channels throughout.
        kernel_size: Depthwise kernel size.
        stem_stride: Stride of the stem convolution: 2 halves every
            block's time steps, and so the activations a microcontroller
            keeps (:mod:`~keras_ppg_kd.models.tcn_strided`).
        dilations: One dilation per block; ``None``: ``1, 2, 4, ...``.
        dropout: Dropout before the classifier.
        protocol: The window protocol (input shape, classes); see
            :class:`~keras_ppg_kd.models.PPGModel`.
        name: Model name; defaults to ``tcn_<num_blocks>``.

    Example:
    >>> TCN(5).count_params() < ResNet1D(1).count_params()
    True
    """

    def __init__(
        self,
        num_blocks: int = 5,
        filters: int = 32,
        kernel_size: int = 5,
        dropout: float = 0.1,
        stem_stride: int = 1,
        dilations: tuple[int, ...] | list[int] | None = None,
        protocol: WindowConfig | None = None,
        name: str | None = None,
        **kwargs,
    ) -> None:
        protocol = self._protocol(protocol)
        for arg, value in [
            ("num_blocks", num_blocks),
            ("filters", filters),
            ("kernel_size", kernel_size),
            ("stem_stride", stem_stride),
        ]:
            check_positive_int(arg, value)
        check_dropout(dropout)
        dilations = tuple(
            dilations
            if dilations is not None
            else (2**index for index in range(num_blocks))
        )
        if len(dilations) != num_blocks:
            raise ValueError(
                f"dilations must give one per block ({num_blocks}); "
                f"received {list(dilations)}."
            )
        for value in dilations:
            check_positive_int("dilations", value)

        # === Functional Model ===
        inputs = self._input(protocol)
        x = self._conv_stem(inputs, filters, kernel_size, stem_stride)
        taps = {"stem": x}
        for index in range(num_blocks):
            prefix = f"block_{index + 1}"
            y = layers.DepthwiseConv1D(
                kernel_size,
                padding="same",
                dilation_rate=dilations[index],
                name=f"{prefix}_depthwise",
            )(x)
            y = layers.BatchNormalization(name=f"{prefix}_bn1")(y)
            y = layers.ReLU(name=f"{prefix}_relu1")(y)
            y = layers.Conv1D(filters, 1, name=f"{prefix}_pointwise")(y)
            y = layers.BatchNormalization(name=f"{prefix}_bn2")(y)
            y = layers.ReLU(name=f"{prefix}_relu2")(y)
            x = layers.Add(name=f"{prefix}_add")([x, y])
            taps[prefix] = x
        x = layers.Dropout(dropout, name="dropout")(self._pool(x, taps))
        logits = self._logits(x, protocol)
        self._init_functional(
            inputs,
            logits,
            taps,
            protocol,
            name=name or f"tcn_{num_blocks}",
            **kwargs,
        )

        # === Config ===
        self.num_blocks = num_blocks
        self.filters = filters
        self.kernel_size = kernel_size
        self.dropout = dropout
        self.stem_stride = stem_stride
        self.dilations = dilations

    @property
    def receptive_field(self):
        """Input samples that reach one output position."""
        blocks = (self.kernel_size - 1) * sum(self.dilations)
        return self.kernel_size + blocks * self.stem_stride

    def get_config(self):
        return {
            **super().get_config(),
            "num_blocks": self.num_blocks,
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "dropout": self.dropout,
            "stem_stride": self.stem_stride,
            "dilations": list(self.dilations),
        }
