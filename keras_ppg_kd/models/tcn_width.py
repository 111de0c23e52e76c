"""TCN scaled by width: five blocks, ``size`` filters.

``"tcnw:<filters>"`` is a 5-block :class:`TCN` with that many filters
throughout: the same dilations (1-16), kernel and 129-sample reach (5 s,
several beats) as TCN(5) (``"tcn:5"``), which is ``"tcnw:32"``.
Width changes only size, as ``"resnetw"`` does for ResNet1D: 8 filters
give 2,444 trainable parameters against TCN(5)'s 13,076.

What the width does not shrink: the 180-class classifier (``filters x
180`` weights, 180 biases) and, in an int8 LiteRT file, the per-channel
scales and zero points of its 180 outputs and the flatbuffer's fixed cost
of each of the ~47 tensors. An int8 ``tcnw:8`` file is 15.2 KB, of which
3.5 KB are weights and biases (``tcnw:4``: 12.9 KB); its TensorFlow Lite
Micro arena is 13.2 KB. ``docs/results/benchmarks.md`` has the measured
sizes and arenas per width.
"""

from keras_ppg_kd.models.base import check_positive_int, register_family
from keras_ppg_kd.models.tcn import TCN

BLOCKS = 5


@register_family("tcnw", size_means="filters")
def tcn_width(size, protocol=None, name=None, **kwargs):
    """A 5-block :class:`TCN` with ``size`` filters.

    Args:
        size: Filters (channels of the stem and of every block).
        protocol: The window protocol; see :class:`TCN`.
        name: Model name; defaults to ``tcn_5w<size>``.
        **kwargs: Other :class:`TCN` arguments (``dropout``, ...).

    Example:
    >>> tcn_width(8).count_params() < tcn_width(32).count_params()
    True
    """
    check_positive_int("size", size)
    return TCN(
        BLOCKS,
        filters=size,
        protocol=protocol,
        name=name or f"tcn_{BLOCKS}w{size}",
        **kwargs,
    )
