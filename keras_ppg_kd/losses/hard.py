"""Hard distillation: the teacher's argmax replaces the label."""

import keras
from keras import ops

from keras_ppg_kd.losses.base import PPGDistillationLoss, register, sparse_ce


def hard_distillation_loss(teacher_logits, student_logits):
    """Cross-entropy of the student against the teacher's argmax class.

    Args:
        teacher_logits: ``(batch, classes)``.
        student_logits: ``(batch, classes)``.

    Returns:
        Scalar float32 loss.
    """
    return sparse_ce(ops.argmax(teacher_logits, axis=-1), student_logits)


@register("hard", color="#1f77b4")
@keras.saving.register_keras_serializable(package="keras_ppg_kd")
class HardDistillation(PPGDistillationLoss):
    """Train on the teacher's argmax labels (optionally mixed with the truth).

    Args:
        ce_weight: Weight of the CE on the true labels; 0 (default) is the
            study's pure hard distillation.

    Example:
    >>> Distiller(teacher, student, loss=HardDistillation())
    """

    def __init__(self, ce_weight=0.0):
        super().__init__(ce_weight)

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        return hard_distillation_loss(teacher_outputs, student_outputs)
