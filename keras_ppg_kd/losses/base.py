"""Base class of the package's distillation losses.

Our losses subclass :class:`keras.distillation.DistillationLoss`, so the
label-free ones also work inside ``keras.distillation.Distiller``. Each
carries ``ce_weight``, the weight of the cross-entropy on the true labels
that the strategy adds (our :class:`~keras_ppg_kd.Distiller` computes that
CE once). ``compute_loss`` returns the distillation term only.
"""

import keras
from keras import ops


def as_float32(*tensors):
    """Cast to float32 (losses stay in float32 under mixed precision)."""
    return [ops.cast(t, "float32") for t in tensors]


def sparse_ce(labels, logits):
    """Mean sparse categorical cross-entropy from logits, in float32."""
    (logits,) = as_float32(logits)
    labels = ops.reshape(ops.cast(labels, "int32"), (-1,))
    log_p = ops.log_softmax(logits, axis=-1)
    picked = ops.take_along_axis(log_p, labels[:, None], axis=-1)
    return -ops.mean(picked)


def check_temperature(temperature):
    if not temperature > 0:
        raise ValueError(
            "`temperature` must be positive. Received: "
            f"temperature={temperature}"
        )


def check_non_negative(**values):
    for name, value in values.items():
        if not value >= 0:
            raise ValueError(f"`{name}` must be >= 0. Received: {name}={value}")


class PPGDistillationLoss(keras.distillation.DistillationLoss):
    """Base: a strategy with a config and a CE weight.

    Args:
        ce_weight: Weight of the cross-entropy on the true labels.
    """

    needs_labels = False
    teacher_tap = None
    student_tap = None

    def __init__(self, ce_weight=1.0):
        check_non_negative(ce_weight=ce_weight)
        self.ce_weight = float(ce_weight)

    def get_config(self):
        return {"ce_weight": self.ce_weight}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"
