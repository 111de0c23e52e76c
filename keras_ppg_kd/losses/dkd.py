"""Decoupled knowledge distillation (Zhao et al. 2022): TCKD and NCKD."""

import keras
from keras import ops

from keras_ppg_kd.losses.base import (
    PPGDistillationLoss,
    as_float32,
    check_non_negative,
    check_temperature,
    class_index,
    register,
)

_MASKED = -1e9  # a logit that softmax turns into exactly 0 probability


def dkd_terms(teacher_logits, student_logits, labels, temperature=2.0):
    """Per-sample TCKD and NCKD, in log space, each scaled by T^2.

    TCKD is the KL between the binary (target, non-target) distributions;
    NCKD the KL between the distributions over the non-target classes. They
    satisfy ``KD = TCKD + (1 - p_t) * NCKD`` with ``p_t`` the teacher's
    target probability (all at temperature T).

    Args:
        teacher_logits: ``(batch, classes)``.
        student_logits: ``(batch, classes)``.
        labels: ``(batch,)`` true class indices.
        temperature: Softmax temperature T.

    Returns:
        ``(tckd, nckd)``, each ``(batch,)`` float32.
    """
    teacher_logits, student_logits = as_float32(teacher_logits, student_logits)
    num_classes = teacher_logits.shape[-1]
    labels = class_index(labels)
    target = ops.one_hot(labels, num_classes, dtype="bool")
    t = teacher_logits / temperature
    s = student_logits / temperature

    def binary_log_probs(z):
        total = ops.logsumexp(z, axis=-1)
        log_target = ops.sum(ops.where(target, z, 0.0), axis=-1) - total
        # log(1 - p_t): log1p is exact for small p_t; near p_t = 1 the sum
        # over the other classes is (no cancellation in either branch).
        via_log1p = ops.log1p(-ops.exp(ops.minimum(log_target, -1e-7)))
        via_others = (
            ops.logsumexp(ops.where(target, _MASKED, z), axis=-1) - total
        )
        log_other = ops.where(log_target < -0.6931, via_log1p, via_others)
        return log_target, log_other

    t_target, t_other = binary_log_probs(t)
    s_target, s_other = binary_log_probs(s)
    tckd = ops.exp(t_target) * (t_target - s_target) + ops.exp(t_other) * (
        t_other - s_other
    )
    log_t = ops.log_softmax(ops.where(target, _MASKED, t), axis=-1)
    log_s = ops.log_softmax(ops.where(target, _MASKED, s), axis=-1)
    nckd = ops.sum(
        ops.where(target, 0.0, ops.exp(log_t) * (log_t - log_s)), axis=-1
    )
    scale = temperature**2
    return scale * tckd, scale * nckd


def dkd_loss(
    teacher_logits, student_logits, labels, alpha=1.0, beta=8.0, temperature=2.0
):
    """``mean(alpha * TCKD + beta * NCKD)`` (without the CE term).

    Reference:
        Zhao, Cui, Song, Qiu, Liang. "Decoupled Knowledge Distillation",
        CVPR 2022.
    """
    tckd, nckd = dkd_terms(teacher_logits, student_logits, labels, temperature)
    return ops.mean(alpha * tckd + beta * nckd)


@register("dkd", color="#d62728")
@keras.saving.register_keras_serializable(package="keras_ppg_kd")
class DKD(PPGDistillationLoss):
    """Decoupled KD: ``ce_weight*CE + ramp * (alpha*TCKD + beta*NCKD)``.

    Defaults are the study's best setting (alpha 1, beta 8, T 2, CE 1).

    Args:
        alpha: TCKD weight.
        beta: NCKD weight.
        temperature: Softmax temperature T.
        ce_weight: Weight of the CE on the true labels.
        warmup_steps: Ramp the KD term linearly from 0 to 1 over this many
            optimizer steps (the reference ramps over 20 epochs: use
            ``20 * steps_per_epoch``); 0 disables the ramp.

    Example:
    >>> Distiller(teacher, student, loss=DKD())
    """

    def __init__(
        self,
        alpha=1.0,
        beta=8.0,
        temperature=2.0,
        ce_weight=1.0,
        warmup_steps=0,
    ):
        check_temperature(temperature)
        check_non_negative(alpha=alpha, beta=beta, warmup_steps=warmup_steps)
        super().__init__(ce_weight)
        self.alpha = float(alpha)
        self.beta = float(beta)
        self.temperature = float(temperature)
        self.warmup_steps = int(warmup_steps)

    def compute_loss(
        self, teacher_outputs, student_outputs, labels=None, step=None, **kwargs
    ):
        if labels is None:
            raise ValueError(
                "DKD needs the true labels (its target/non-target split); "
                "use keras_ppg_kd.Distiller, which passes them."
            )
        loss = dkd_loss(
            teacher_outputs,
            student_outputs,
            labels,
            self.alpha,
            self.beta,
            self.temperature,
        )
        if self.warmup_steps and step is not None:
            ramp = ops.minimum(
                ops.cast(step, "float32") / float(self.warmup_steps), 1.0
            )
            loss = loss * ramp
        return loss

    def get_config(self):
        return {
            **super().get_config(),
            "alpha": self.alpha,
            "beta": self.beta,
            "temperature": self.temperature,
            "warmup_steps": self.warmup_steps,
        }
