"""ResNet1D scaled by width: two blocks, ``size`` base filters.

``"resnetw:<filters>"`` is a 2-block :class:`ResNet1D` with that many base
filters. Depth sets what a ResNet1D sees (a 1-block model pools after
0.7 s, less than a heartbeat; two blocks see several beats), so scaling
blocks changes reach and size at once. At a fixed depth of two blocks,
width changes only size: 4 filters give ~1.5K parameters, 64 give ~95K,
which is what a scaling law in the number of parameters needs.
"""

from keras_ppg_kd.models.base import check_positive_int, register_family
from keras_ppg_kd.models.resnet1d import ResNet1D

BLOCKS = 2


@register_family("resnetw", size_means="base filters")
def resnet_width(size, protocol=None, name=None, **kwargs):
    """A 2-block :class:`ResNet1D` with ``size`` base filters.

    Args:
        size: Base filters (the width of the first stage).
        protocol: The window protocol; see :class:`ResNet1D`.
        name: Model name; defaults to ``resnet1d_2w<size>``.
        **kwargs: Other :class:`ResNet1D` arguments (``dropout``, ...).

    Example:
    >>> resnet_width(8).count_params() < resnet_width(32).count_params()
    True
    """
    check_positive_int("size", size)
    return ResNet1D(
        BLOCKS,
        protocol=protocol,
        base_filters=size,
        name=name or f"resnet1d_{BLOCKS}w{size}",
        **kwargs,
    )
