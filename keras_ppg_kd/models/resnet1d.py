"""ResNet1D: the WildPPG baseline 1D ResNet (Meier et al. 2024).

Pre-activation basic blocks after Hong et al.'s ``resnet1d`` (the code the
WildPPG baseline uses): BatchNorm -> ReLU -> Dropout -> Conv1D twice, kernel
5, 32 base filters doubling every 4 blocks, stride-2 downsampling every 2nd
block with a max-pooled identity, zero-padded identity channels on growth,
final BN-ReLU, global average pooling and one Dense to the class logits.
"""

import math

import keras
from keras import layers, ops

from keras_ppg_kd.models.base import (
    PPGModel,
    check_dropout,
    check_positive_int,
    register_family,
    trainable_parameters,
)
from keras_ppg_kd.protocol import WindowConfig

# Parameters the study reports (Arora et al. 2025), by number of blocks.
STUDY_PARAMETER_COUNTS = {
    1: 23_000,
    2: 34_000,
    6: 139_000,
    8: 222_000,
    10: 534_000,
    12: 864_000,
}
# The reference PyTorch code builds a second, unused head (Dense to 200
# outputs) and an unused BatchNorm in the first block; PyTorch's count of
# trainable parameters includes both. We do not build dead layers, so our
# models are smaller by exactly that much (see `reference_parameter_count`).
_REFERENCE_UNUSED_HEAD_UNITS = 200


@keras.saving.register_keras_serializable(package="keras_ppg_kd")
class ChannelZeroPad(layers.Layer):
    """Zero-pads the channel axis (the identity path on channel growth)."""

    def __init__(self, left, right, **kwargs):
        super().__init__(**kwargs)
        self.left = left
        self.right = right

    def call(self, inputs):
        return ops.pad(inputs, [[0, 0], [0, 0], [self.left, self.right]])

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + self.left + self.right)

    def get_config(self):
        return {**super().get_config(), "left": self.left, "right": self.right}


def max_blocks(input_length, downsample_gap=2):
    """Most ResNet1D blocks before the time axis collapses to one sample.

    Every ``downsample_gap``-th block halves the length (rounding up); a
    block that only sees a single time step has nothing left to convolve.
    """
    halvings = math.ceil(math.log2(input_length)) - 1
    return downsample_gap * halvings + downsample_gap - 1


def block_filters(index, base_filters=32, increase_filter_gap=4):
    """(in, out) channels of residual block ``index`` (0-based)."""
    if index == 0:
        return base_filters, base_filters
    in_filters = base_filters * 2 ** ((index - 1) // increase_filter_gap)
    grows = index % increase_filter_gap == 0
    return in_filters, in_filters * 2 if grows else in_filters


@register_family("resnet", size_means="blocks")
@keras.saving.register_keras_serializable(package="keras_ppg_kd")
class ResNet1D(PPGModel):
    """The WildPPG-baseline 1D ResNet with ``num_blocks`` residual blocks.

    Feature taps: ``"stem"``, ``"block_1"`` ... ``"block_<num_blocks>"``,
    ``"head"`` (after the final BN-ReLU) and ``"pool"``.

    Args:
        num_blocks: Residual blocks (the study uses 1-12; more are allowed).
        protocol: The window protocol (input shape, classes); see
            :class:`~keras_ppg_kd.models.PPGModel`.
        base_filters: Filters of the first stage.
        kernel_size: Convolution kernel size.
        dropout: Dropout rate inside the blocks.
        downsample_gap: Downsample (stride 2) in every this-many blocks.
        increase_filter_gap: Double the filters every this-many blocks.
        name: Model name; defaults to ``resnet1d_<num_blocks>``.

    Example:
    >>> model = ResNet1D(num_blocks=6)
    >>> model.count_params() > 0
    True

    Reference:
        Meier et al., "WildPPG", NeurIPS 2024 Datasets and Benchmarks;
        Arora et al., arXiv 2511.18829 (2025).
    """

    # Deepest model for the standard window (models.parse checks
    # identifiers against it; other lengths: :func:`max_blocks`).
    MAX_SIZE = max_blocks(WindowConfig().window_length)

    def __init__(
        self,
        num_blocks: int,
        protocol: WindowConfig | None = None,
        base_filters: int = 32,
        kernel_size: int = 5,
        dropout: float = 0.5,
        downsample_gap: int = 2,
        increase_filter_gap: int = 4,
        name: str | None = None,
        **kwargs,
    ) -> None:
        protocol = self._protocol(protocol)
        for arg, value in [
            ("num_blocks", num_blocks),
            ("base_filters", base_filters),
            ("kernel_size", kernel_size),
            ("downsample_gap", downsample_gap),
            ("increase_filter_gap", increase_filter_gap),
        ]:
            check_positive_int(arg, value)
        check_dropout(dropout)
        length = protocol.window_length
        limit = max_blocks(length, downsample_gap)
        if num_blocks > limit:
            raise ValueError(
                f"`num_blocks` must be at most {limit} for {length}-"
                "sample windows (deeper blocks would see a single time step). "
                f"Received: num_blocks={num_blocks}"
            )

        # === Functional Model ===
        inputs = self._input(protocol)
        x = self._conv_stem(inputs, base_filters, kernel_size)
        taps = {"stem": x}
        for index in range(num_blocks):
            x = _basic_block(
                x,
                index,
                block_filters(index, base_filters, increase_filter_gap),
                kernel_size,
                dropout,
                downsample=index % downsample_gap == downsample_gap - 1,
            )
            taps[f"block_{index + 1}"] = x
        x = layers.BatchNormalization(name="head_bn")(x)
        x = layers.ReLU(name="head_relu")(x)
        logits = self._logits(self._pool(x, taps), protocol)
        self._init_functional(
            inputs,
            logits,
            taps,
            protocol,
            name=name or f"resnet1d_{num_blocks}",
            **kwargs,
        )

        # === Config ===
        self.num_blocks = num_blocks
        self.base_filters = base_filters
        self.kernel_size = kernel_size
        self.dropout = dropout
        self.downsample_gap = downsample_gap
        self.increase_filter_gap = increase_filter_gap

    def get_config(self):
        return {
            **super().get_config(),
            "num_blocks": self.num_blocks,
            "base_filters": self.base_filters,
            "kernel_size": self.kernel_size,
            "dropout": self.dropout,
            "downsample_gap": self.downsample_gap,
            "increase_filter_gap": self.increase_filter_gap,
        }

    def reference_parameter_count(self):
        """Parameters as the study's PyTorch code counts them.

        Trainable parameters plus the reference implementation's unused
        layers (a Dense head to 200 units and the first block's BatchNorm),
        which PyTorch's ``count_parameters`` includes. Compare this, not
        :meth:`count_params`, with :data:`STUDY_PARAMETER_COUNTS`.
        """
        trainable = trainable_parameters(self)
        width = int(self.get_layer("pool").output.shape[-1])
        unused_head = width * _REFERENCE_UNUSED_HEAD_UNITS
        unused_head += _REFERENCE_UNUSED_HEAD_UNITS
        return trainable + unused_head + 2 * self.base_filters


def _basic_block(x, index, filters, kernel_size, dropout, downsample):
    """Pre-activation basic block; the first block skips its first BN-ReLU."""
    in_filters, out_filters = filters
    prefix = f"block_{index + 1}"
    stride = 2 if downsample else 1
    identity = x
    if index > 0:
        x = layers.BatchNormalization(name=f"{prefix}_bn1")(x)
        x = layers.ReLU(name=f"{prefix}_relu1")(x)
        x = layers.Dropout(dropout, name=f"{prefix}_drop1")(x)
    x = layers.Conv1D(
        out_filters,
        kernel_size,
        strides=stride,
        padding="same",
        name=f"{prefix}_conv1",
    )(x)
    x = layers.BatchNormalization(name=f"{prefix}_bn2")(x)
    x = layers.ReLU(name=f"{prefix}_relu2")(x)
    x = layers.Dropout(dropout, name=f"{prefix}_drop2")(x)
    x = layers.Conv1D(
        out_filters, kernel_size, padding="same", name=f"{prefix}_conv2"
    )(x)
    if downsample:
        identity = layers.MaxPooling1D(
            2, padding="same", name=f"{prefix}_pool"
        )(identity)
    if out_filters != in_filters:
        grow = out_filters - in_filters
        identity = ChannelZeroPad(
            grow // 2, grow - grow // 2, name=f"{prefix}_pad"
        )(identity)
    return layers.Add(name=f"{prefix}_add")([x, identity])
