"""Keras metrics reported in BPM."""

import keras
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
