"""Soft distillation (Hinton et al. 2015): KL at temperature T, times T^2."""

import keras
from keras import ops

from keras_ppg_kd.losses.base import (
    PPGDistillationLoss,
    as_float32,
    check_temperature,
    register,
)


def kl_divergence_from_logits(teacher_logits, student_logits, temperature):
    """Per-sample KL(p_teacher^T || p_student^T), computed in log space."""
    teacher_logits, student_logits = as_float32(teacher_logits, student_logits)
    log_t = ops.log_softmax(teacher_logits / temperature, axis=-1)
    log_s = ops.log_softmax(student_logits / temperature, axis=-1)
    return ops.sum(ops.exp(log_t) * (log_t - log_s), axis=-1)


def soft_distillation_loss(teacher_logits, student_logits, temperature=4.0):
    """Hinton's KD term: ``T^2 * mean KL(p_t^T || p_s^T)``.

    The T^2 keeps gradient magnitudes comparable across temperatures.

    Args:
        teacher_logits: ``(batch, classes)``.
        student_logits: ``(batch, classes)``.
        temperature: Softmax temperature.

    Returns:
        Scalar float32 loss.

    Reference:
        Hinton, Vinyals, Dean. "Distilling the Knowledge in a Neural
        Network", 2015.
    """
    kl = kl_divergence_from_logits(teacher_logits, student_logits, temperature)
    return temperature**2 * ops.mean(kl)


@register("soft", color="#2ca02c")
@keras.saving.register_keras_serializable(package="keras_ppg_kd")
class SoftDistillation(PPGDistillationLoss):
    """Hinton soft-target distillation plus CE on the true labels.

    Args:
        temperature: Softmax temperature T.
        ce_weight: Weight of the CE on the true labels.
    """

    def __init__(self, temperature=4.0, ce_weight=1.0):
        check_temperature(temperature)
        super().__init__(ce_weight)
        self.temperature = float(temperature)

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        return soft_distillation_loss(
            teacher_outputs, student_outputs, self.temperature
        )

    def get_config(self):
        return {**super().get_config(), "temperature": self.temperature}
