"""Feature distillation (FitNets, Romero et al. 2015) through an adapter."""

import keras
from keras import layers, ops

from keras_ppg_kd.losses.base import PPGDistillationLoss, as_float32, register


def feature_distillation_loss(teacher_features, student_features):
    """Mean squared error between (adapted) student and teacher features."""
    teacher_features, student_features = as_float32(
        teacher_features, student_features
    )
    return ops.mean(ops.square(student_features - teacher_features))


@keras.saving.register_keras_serializable(package="keras_ppg_kd")
class ResizeLength(layers.Layer):
    """Linearly resamples ``(batch, length, channels)`` to a new length."""

    def __init__(self, length, **kwargs):
        super().__init__(**kwargs)
        self.length = int(length)

    def call(self, inputs):
        x = ops.expand_dims(inputs, 2)  # (batch, length, 1, channels)
        x = ops.image.resize(x, (self.length, 1), interpolation="bilinear")
        return ops.squeeze(x, 2)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.length, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "length": self.length}


def make_adapter(student_shape, teacher_shape, name):
    """Trainable map from a student feature shape to the teacher's.

    A 1x1 Conv1D (or Dense for vectors) matches channels; a linear resize
    matches lengths. Owned by the Distiller, never exported.
    """
    student_shape, teacher_shape = tuple(student_shape), tuple(teacher_shape)
    if len(student_shape) != len(teacher_shape):
        raise ValueError(
            f"Feature ranks differ: student {student_shape} vs teacher "
            f"{teacher_shape}; tap layers of the same kind (both sequences "
            "or both vectors)."
        )
    stack = [keras.Input(student_shape[1:])]
    if len(teacher_shape) == 3:
        if student_shape[1] != teacher_shape[1]:
            stack.append(ResizeLength(teacher_shape[1], name=f"{name}_resize"))
        stack.append(layers.Conv1D(teacher_shape[-1], 1, name=f"{name}_proj"))
    else:
        stack.append(layers.Dense(teacher_shape[-1], name=f"{name}_proj"))
    return keras.Sequential(stack, name=name)


@register("feature", color="#9467bd")
@keras.saving.register_keras_serializable(package="keras_ppg_kd")
class FeatureDistillation(PPGDistillationLoss):
    """Match a teacher feature map through a trainable adapter (FitNets).

    Args:
        teacher_tap: Teacher feature tap (e.g. ``"block_6"``; see
            ``model.feature_taps``) or layer name.
        student_tap: Student feature tap or layer name.
        ce_weight: Weight of the CE on the true labels.

    Example:
    >>> Distiller(teacher, student,
    ...           loss=[DKD(), FeatureDistillation("head", "head", 0.0)])
    """

    def __init__(self, teacher_tap="head", student_tap="head", ce_weight=1.0):
        super().__init__(ce_weight)
        self.teacher_tap = teacher_tap
        self.student_tap = student_tap

    @classmethod
    def for_student(cls, student):
        """The strategy for ``student``: the taps its family names.

        A model family declares, in ``DISTILLATION_TAPS``, the ``(teacher
        tap, own tap)`` pair that feature distillation matches by default
        when it is the student: a ResNet1D teacher's ``head`` feature map
        for students with a time axis, its pooled ``pool`` vector for an
        MLP. Training calls this hook for the bare alias ``"feature"``
        (:func:`keras_ppg_kd.training.resolve_strategy`).

        Args:
            student: The built student model.

        Returns:
            A :class:`FeatureDistillation` with the family's taps.
        """
        return cls(*type(student).DISTILLATION_TAPS)

    def compute_loss(self, teacher_outputs, student_outputs, **kwargs):
        return feature_distillation_loss(teacher_outputs, student_outputs)

    def get_config(self):
        return {
            **super().get_config(),
            "teacher_tap": self.teacher_tap,
            "student_tap": self.student_tap,
        }
