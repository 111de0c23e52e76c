"""TCN with a stride-2 stem: TCN(5)'s blocks on half the steps.

A microcontroller's tensor arena holds the activations alive at once: in
TCN(5) (``"tcn:5"``), three 200 x 32 int8 maps (19,200 bytes) at every
residual block, the floor of that graph. ``"tcns:<blocks>"`` is a
:class:`~keras_ppg_kd.models.tcn.TCN` whose stem convolution steps by two
samples, so every block works on 100 steps and its maps take half the
bytes. Its dilations ``1, 2, 4, 8, 8`` (for 5 blocks) reach 189 samples
(7.6 s at 25 Hz) against TCN(5)'s 129. ``"tcns:5"``, with TCN(5)'s
parameters and operators, is the recipe's default student; its arena and
latency are measured in ``docs/results/benchmarks.md``.
"""

from keras_ppg_kd.models.base import check_positive_int, register_family
from keras_ppg_kd.models.tcn import TCN

STRIDE = 2
MAX_DILATION = 8  # 100 steps: a dilation of 16 reaches past the window


@register_family("tcns", size_means="blocks")
def tcn_strided(size, protocol=None, name=None, **kwargs):
    """A :class:`TCN` of ``size`` blocks on a stride-2 stem.

    Args:
        size: Residual blocks; block ``i`` is dilated
            ``min(2**i, 8)``.
        protocol: The window protocol; see :class:`TCN`.
        name: Model name; defaults to ``tcns_<size>``.
        **kwargs: Other :class:`TCN` arguments (``filters``, ...).

    Example:
    >>> model = tcn_strided(5)
    >>> model.get_layer("block_1_add").output.shape
    (None, 100, 32)
    """
    check_positive_int("size", size)
    return TCN(
        size,
        stem_stride=STRIDE,
        dilations=[min(2**index, MAX_DILATION) for index in range(size)],
        protocol=protocol,
        name=name or f"tcns_{size}",
        **kwargs,
    )
