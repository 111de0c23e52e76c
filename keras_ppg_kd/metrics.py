"""Keras metrics reported in BPM, and the check for a collapsed model."""

import dataclasses

import keras
import numpy as np
from keras import ops

from keras_ppg_kd.heart_rate import (
    DEFAULT_CLASSES,
    HRClasses,
    class_to_bpm,
    logits_to_bpm,
)


@keras.saving.register_keras_serializable(package="keras_ppg_kd")
class HeartRateMAE(keras.metrics.Mean):
    """Mean absolute heart-rate error in BPM, from class labels and logits.

    Args:
        method: How logits become BPM: ``"argmax"`` or ``"expectation"``
            (see :func:`keras_ppg_kd.heart_rate.logits_to_bpm`).
        classes: The :class:`~keras_ppg_kd.HRClasses` of the logits (the
            model's ``protocol.classes``).
        name: Metric name.
        dtype: Metric dtype.

    Example:
    >>> model.compile("adam", loss="sparse_categorical_crossentropy",
    ...               metrics=[HeartRateMAE()])
    """

    def __init__(
        self,
        method: str = "argmax",
        classes: HRClasses = DEFAULT_CLASSES,
        name: str = "hr_mae",
        dtype: str | None = None,
    ) -> None:
        super().__init__(name=name, dtype=dtype)
        self.method = method
        self.classes = classes
        logits_to_bpm(  # validates `method` now rather than mid-training
            ops.zeros((1, self.classes.num_classes)), self.classes, method
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        true_bpm = class_to_bpm(ops.reshape(y_true, (-1,)), self.classes)
        pred_bpm = logits_to_bpm(y_pred, self.classes, self.method)
        error = ops.abs(ops.reshape(pred_bpm, (-1,)) - true_bpm)
        return super().update_state(error, sample_weight=sample_weight)

    def get_config(self):
        config = super().get_config()
        config.update(
            method=self.method,
            min_bpm=self.classes.min_bpm,
            max_bpm=self.classes.max_bpm,
            resolution=self.classes.resolution,
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        fields = ("min_bpm", "max_bpm", "resolution")
        found = {k: config.pop(k) for k in fields if k in config}
        return cls(classes=HRClasses(**found), **config)


# A model that answers (nearly) one heart rate whatever the window: its
# predictions spread less than this (BPM) ...
COLLAPSE_STD_BPM = 2.0
# ... or this share of its windows sit on its single most common answer.
COLLAPSE_MODE_SHARE = 0.8


@dataclasses.dataclass(frozen=True)
class Collapse:
    """A collapsed model's predictions, as :func:`check_collapse` found.

    Attributes:
        name: The model's name, as the warning gives it.
        windows: Windows scored.
        std_bpm: Standard deviation of the predicted BPM.
        mode_bpm: The most common predicted BPM (rounded to 1 BPM).
        mode_share: Share of the windows predicted at ``mode_bpm``.
        reference_std_bpm: Standard deviation of the reference BPM, or
            None without a reference.
        hint: What to try, as the caller's user can do it.
    """

    name: str
    windows: int
    std_bpm: float
    mode_bpm: float
    mode_share: float
    reference_std_bpm: float | None = None
    hint: str = ""

    def message(self) -> str:
        """The one-paragraph warning naming the model and what to try."""
        versus = (
            ""
            if self.reference_std_bpm is None
            else f" while the reference varies by "
            f"{self.reference_std_bpm:.1f} BPM"
        )
        return (
            f"warning: {self.name} has collapsed: its heart rate barely "
            f"varies over {self.windows} windows (std {self.std_bpm:.1f} "
            f"BPM, {self.mode_share:.0%} of them at {self.mode_bpm:.0f} "
            f"BPM){versus}, so its MAE says little about what it has "
            "learnt." + (f" Try: {self.hint}" if self.hint else "")
        )

    def to_dict(self) -> dict:
        return {**dataclasses.asdict(self), "message": self.message()}


def check_collapse(
    predicted_bpm,
    reference_bpm=None,
    name: str = "the model",
    hint: str = "",
    min_std_bpm: float = COLLAPSE_STD_BPM,
    max_mode_share: float = COLLAPSE_MODE_SHARE,
) -> Collapse | None:
    """Whether a model's predictions have collapsed to (nearly) one value.

    A model that answers the same heart rate for most windows can still
    score a plausible MAE on people whose heart rate sits near that value;
    this says so instead. It is collapsed when its predicted BPM spreads
    less than ``min_std_bpm``, or when more than ``max_mode_share`` of the
    windows get its single most common answer (rounded to 1 BPM). With a
    reference, only when the reference varies clearly more (more than
    ``min_std_bpm`` and more than twice as much, or with its own most
    common value on at most half as many windows): a reference that is
    itself constant makes constant predictions right.

    Args:
        predicted_bpm: Predicted heart rate per window (BPM); non-finite
            values are left out.
        reference_bpm: The reference heart rate of the same windows, or
            None (a recording without one).
        name: The model's name, for the warning.
        hint: What to try, for the warning.
        min_std_bpm: Predictions spreading less than this are collapsed.
        max_mode_share: Predictions with more than this share of windows
            on one value are collapsed.

    Returns:
        A :class:`Collapse` (its :meth:`~Collapse.message` is the
        warning), or None when the predictions vary, or there are fewer
        than 10 windows to judge.

    Example:
    >>> check_collapse(np.full(150, 120.0), np.linspace(90, 130, 150))
    Collapse(name='the model', windows=150, std_bpm=0.0, ...)
    """
    predicted = np.asarray(predicted_bpm, "float64").reshape(-1)
    keep = np.isfinite(predicted)
    reference = None
    if reference_bpm is not None:
        reference = np.asarray(reference_bpm, "float64").reshape(-1)
        if reference.shape != predicted.shape:
            raise ValueError(
                "`predicted_bpm` and `reference_bpm` must hold one value per "
                f"window. Received: {predicted.shape} and {reference.shape}."
            )
        keep &= np.isfinite(reference)
        reference = reference[keep]
    predicted = predicted[keep]
    if len(predicted) < 10:
        return None
    std = float(np.std(predicted))
    mode, share = _mode(predicted)
    if std >= min_std_bpm and share <= max_mode_share:
        return None
    reference_std = None
    if reference is not None:
        reference_std = float(np.std(reference))
        varies = reference_std > max(min_std_bpm, 2.0 * std)
        _, reference_share = _mode(reference)
        if not (varies or reference_share <= share / 2.0):
            return None
    return Collapse(
        name=name,
        windows=len(predicted),
        std_bpm=std,
        mode_bpm=mode,
        mode_share=share,
        reference_std_bpm=reference_std,
        hint=hint,
    )


def _mode(bpm):
    """The most common value of ``bpm`` rounded to 1 BPM, and its share."""
    values, counts = np.unique(np.round(bpm), return_counts=True)
    top = int(np.argmax(counts))
    return float(values[top]), float(counts[top] / len(bpm))
