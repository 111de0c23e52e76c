"""Heart rate as a classification target: BPM <-> class, and logits -> BPM.

The study labels each window with one of 180 one-BPM classes covering
30-210 BPM: ``class = round(HR) - 30``. Class ``k`` stands for
``min_bpm + k * resolution`` BPM, so the highest class (179) is 209 BPM and
a heart rate is in range when it rounds into ``[min_bpm, max_bpm)``, i.e.
``min_bpm - resolution/2 <= HR < max_bpm - resolution/2``.

Out-of-range policy: :func:`bpm_to_class` raises by default (never a silent
wrong class); ``out_of_range="clip"`` maps to the nearest edge class. To drop
windows instead, filter with :meth:`HRClasses.in_range` and report the count
(the data pipeline does exactly that).
"""

import dataclasses

import numpy as np
from keras import ops
from numpy.typing import ArrayLike

from keras_ppg_kd import _backend  # noqa: F401

_POLICIES = ("raise", "clip")
_DECODERS = ("argmax", "expectation")


@dataclasses.dataclass(frozen=True)
class HRClasses:
    """The heart-rate classes: ``num_classes`` bins of ``resolution`` BPM.

    Args:
        min_bpm: Heart rate of class 0, in BPM.
        max_bpm: Upper edge; classes stop one bin below it.
        resolution: Bin width in BPM.

    Example:
    >>> HRClasses().num_classes
    180
    """

    min_bpm: float = 30.0
    max_bpm: float = 210.0
    resolution: float = 1.0

    def __post_init__(self):
        if not self.resolution > 0:
            raise ValueError(
                "`resolution` must be positive. Received: "
                f"resolution={self.resolution}"
            )
        span = (self.max_bpm - self.min_bpm) / self.resolution
        if span < 2 or abs(span - round(span)) > 1e-9:
            raise ValueError(
                "(max_bpm - min_bpm) must be a whole number (>= 2) of "
                f"`resolution`. Received: min_bpm={self.min_bpm}, "
                f"max_bpm={self.max_bpm}, resolution={self.resolution}"
            )

    @property
    def num_classes(self) -> int:
        return int(round((self.max_bpm - self.min_bpm) / self.resolution))

    @property
    def centers(self) -> np.ndarray:
        """BPM value of each class, shape ``(num_classes,)``."""
        return self.min_bpm + self.resolution * np.arange(
            self.num_classes, dtype="float32"
        )

    def _raw_class(self, bpm) -> np.ndarray:
        # floor(x + 0.5): round half up, not numpy's round-half-to-even.
        return np.floor(
            (np.asarray(bpm, dtype="float64") - self.min_bpm) / self.resolution
            + 0.5
        )

    def in_range(self, bpm) -> np.ndarray:
        """Boolean mask: heart rates that fall in a class (NaN is False)."""
        raw = self._raw_class(bpm)
        return (raw >= 0) & (raw < self.num_classes)


DEFAULT_CLASSES = HRClasses()


def bpm_to_class(
    bpm: ArrayLike,
    classes: "HRClasses" = DEFAULT_CLASSES,
    out_of_range: str = "raise",
) -> np.ndarray:
    """Heart rate in BPM -> class index (``round(HR) - min_bpm``).

    Args:
        bpm: Scalar or array of heart rates in BPM.
        classes: The :class:`HRClasses` binning.
        out_of_range: ``"raise"`` (default) raises a ValueError with the
            count and the offending values; ``"clip"`` maps them to the
            first/last class. NaN always raises.

    Returns:
        int32 array of class indices with the shape of ``bpm``.

    Example:
    >>> int(bpm_to_class(72.4))
    42
    """
    if out_of_range not in _POLICIES:
        raise ValueError(
            f"`out_of_range` must be one of {_POLICIES}. Received: "
            f"out_of_range={out_of_range!r}"
        )
    raw = classes._raw_class(bpm)
    if np.isnan(raw).any():
        raise ValueError(
            f"Heart rate contains {int(np.isnan(raw).sum())} NaN value(s); "
            "a missing label cannot be given a class."
        )
    bad = ~classes.in_range(bpm)
    if bad.any() and out_of_range == "raise":
        values = np.asarray(bpm, dtype="float64")[bad]
        raise ValueError(
            f"{int(bad.sum())} heart rate(s) outside the class range "
            f"[{classes.min_bpm - classes.resolution / 2}, "
            f"{classes.max_bpm - classes.resolution / 2}) BPM, e.g. "
            f"{values[:5].tolist()}. Pass out_of_range='clip' or drop them "
            "with HRClasses.in_range()."
        )
    return np.clip(raw, 0, classes.num_classes - 1).astype("int32")


def median_argmax(logits: ArrayLike) -> np.ndarray:
    """Class position of the maximum along the last axis; ties -> median.

    Float logits almost never tie, but an int8 model's dequantized ones
    do: on 256 levels several neighbouring classes often share the top
    value, and a plain argmax (the first of them) would bias every such
    window toward the lowest heart rate of the tie. The median of the tied
    indices (between the two middle ones for an even count) is unbiased.

    Returns:
        float32 class positions, shape ``logits.shape[:-1]``.
    """
    logits = ops.convert_to_tensor(logits)
    is_max = ops.cast(
        ops.equal(logits, ops.max(logits, axis=-1, keepdims=True)), "int32"
    )
    count = ops.sum(is_max, axis=-1, keepdims=True)
    rank = ops.cumsum(is_max, axis=-1) * is_max  # 1..count on the ties

    def nth(n):
        return ops.cast(ops.argmax(ops.equal(rank, n), axis=-1), "float32")

    return (nth((count - 1) // 2 + 1) + nth(count // 2 + 1)) / 2


def class_to_bpm(
    index: ArrayLike, classes: "HRClasses" = DEFAULT_CLASSES
) -> np.ndarray:
    """Class index -> BPM (works on NumPy arrays and tensors).

    Args:
        index: Class indices.
        classes: The :class:`HRClasses` binning.

    Returns:
        float32 heart rates, ``min_bpm + index * resolution``.
    """
    index = ops.cast(index, "float32")
    return classes.min_bpm + classes.resolution * index


def logits_to_bpm(
    logits: ArrayLike,
    classes: "HRClasses" = DEFAULT_CLASSES,
    method: str = "argmax",
) -> np.ndarray:
    """Decode class logits to heart rate in BPM.

    Args:
        logits: ``(..., num_classes)`` logits.
        classes: The :class:`HRClasses` binning.
        method: ``"argmax"`` (the most likely class; of several tied at the
            maximum, their median: see :func:`median_argmax`) or
            ``"expectation"``
            (the softmax-weighted mean of class centres, sub-BPM and smoother
            but pulled toward the middle by flat distributions).

    Returns:
        float32 tensor of shape ``logits.shape[:-1]``; NaN where a window's
        logits are not all finite (a diverged model must not read as a
        slow heart).
    """
    if method not in _DECODERS:
        raise ValueError(
            f"`method` must be one of {_DECODERS}. Received: method={method!r}"
        )
    logits = ops.cast(logits, "float32")
    if logits.shape[-1] != classes.num_classes:
        raise ValueError(
            f"Expected logits with {classes.num_classes} classes in the last "
            f"axis. Received: shape={tuple(logits.shape)}"
        )
    if method == "argmax":
        bpm = class_to_bpm(median_argmax(logits), classes)
    else:
        probabilities = ops.softmax(logits, axis=-1)
        centers = ops.convert_to_tensor(classes.centers)
        bpm = ops.sum(probabilities * centers, axis=-1)
    finite = ops.all(ops.isfinite(logits), axis=-1)
    return ops.where(finite, bpm, ops.full_like(bpm, float("nan")))
