"""The Distiller's checks: its arguments, teacher against student, labels."""

import functools

import keras
import numpy as np

from keras_ppg_kd import _backend
from keras_ppg_kd.protocol import WindowConfig

# The protocol fields that make a window; teacher and student must agree.
_MATCHING_FIELDS = (
    "target_rate",
    "classes",
    "window_seconds",
    "stride_seconds",
    "band",
    "filter_order",
    "zscore",
    "accelerometer",
    "cancel_motion",
)


def _symbolic(model, input_shape):
    """``model``, called once on a symbolic input if it has none yet.

    A ``keras.Sequential`` has no ``model.input`` until it is called; the
    Distiller needs it to build its taps and to check shapes.
    """
    try:
        model.input
    except (AttributeError, ValueError):
        model(keras.Input(tuple(input_shape)))
    return model


def _taps_model(model, taps):
    """``model`` as a functional map to ``{"logits", tap, ...}``."""
    if hasattr(model, "feature_model"):
        return model.feature_model(taps)
    outputs = {"logits": model.output}
    for tap in taps:
        try:
            outputs[tap] = model.get_layer(tap).output
        except ValueError:
            raise ValueError(
                f"Unknown layer {tap!r} in model {model.name!r}. Available: "
                f"{[layer.name for layer in model.layers]}"
            ) from None
    return keras.Model(model.input, outputs, name=f"{model.name}_taps")


def symbolic_pair(teacher, student):
    """Teacher and student, each with a symbolic input (the teacher at the
    default protocol's window shape when it has none, the student at the
    teacher's)."""
    default = WindowConfig()
    teacher = _symbolic(teacher, (default.window_length, default.channels))
    student = _symbolic(student, teacher.input.shape[1:])
    return teacher, student


def resolve_aliases(
    loss, loss_weights, distillation_losses, distillation_loss_weights
):
    """``loss`` and ``loss_weights``, ``keras.distillation``'s names
    taking precedence when given."""
    if distillation_losses is not None:
        loss = distillation_losses
    if distillation_loss_weights is not None:
        loss_weights = distillation_loss_weights
    return loss, loss_weights


def check_student_loss_weight(student_loss_weight):
    """Raise unless ``student_loss_weight`` is None or in [0, 1]."""
    if student_loss_weight is not None and not 0 <= student_loss_weight <= 1:
        raise ValueError(
            "`student_loss_weight` must be in [0, 1]. Received: "
            f"student_loss_weight={student_loss_weight}"
        )


def checked_loss_weights(loss_weights, count):
    """One float weight per strategy (1 each by default)."""
    if loss_weights is None:
        loss_weights = [1.0] * count
    if len(loss_weights) != count:
        raise ValueError(
            f"Got {len(loss_weights)} loss_weights for "
            f"{count} losses. Received: "
            f"loss_weights={loss_weights}"
        )
    return [float(w) for w in loss_weights]


def check_compatible(teacher, student):
    """Raise unless teacher and student take the same windows, give the
    same classes, share their protocol and end in logits."""
    problems = []
    t_in, s_in = tuple(teacher.input.shape), tuple(student.input.shape)
    if t_in[1:] != s_in[1:]:
        problems.append(f"input shapes teacher {t_in} vs student {s_in}")
    t_out, s_out = tuple(teacher.output.shape), tuple(student.output.shape)
    if t_out[1:] != s_out[1:]:
        problems.append(
            f"output (class) shapes teacher {t_out} vs student {s_out}"
        )
    t_protocol = getattr(teacher, "protocol", None)
    s_protocol = getattr(student, "protocol", None)
    if t_protocol and s_protocol:
        for field in _MATCHING_FIELDS:
            a, b = getattr(t_protocol, field), getattr(s_protocol, field)
            if a != b:
                problems.append(f"{field} teacher {a} vs student {b}")
    for role, model in (("teacher", teacher), ("student", student)):
        last = model.layers[-1]
        activation = getattr(last, "activation", None)
        if isinstance(last, keras.layers.Softmax) or (
            activation is keras.activations.softmax
        ):
            problems.append(
                f"the {role} ends in a softmax; distillation needs "
                "logits: build it with a linear last layer "
                "(activation=None) and apply softmax at inference"
            )
    if problems:
        raise ValueError(
            "Teacher and student are incompatible: " + "; ".join(problems)
        )


def _label_message(classes):
    return (
        f"labels must be class indices in [0, {classes}); -1 marks an "
        "unlabelled window: drop those before distilling"
    )


def _check_label_values(values, classes):
    """Raise ValueError unless every label is in ``[0, classes)``."""
    values = np.asarray(values, "float32")
    if values.size and not (values.min() >= 0 and values.max() < classes):
        raise ValueError(
            f"{_label_message(classes)}. Received labels from "
            f"{values.min()} to {values.max()}"
        )


def _checked_labels(y, classes):
    """``y``, once every label is known to be a class index in
    ``[0, classes)``: an error otherwise, raised where the backend can (a
    ``tf.debugging`` assertion in a TensorFlow graph, at once in eager
    PyTorch, a host callback under JAX's jit; :meth:`Distiller.fit` checks
    arrays before the first step, since a JAX error inside ``fit`` leaves
    the model without its weights)."""
    if _backend.BACKEND == "tensorflow":
        import tensorflow as tf

        labels = tf.cast(y, "float32")
        message = _label_message(classes)
        checks = [
            tf.debugging.assert_greater_equal(labels, 0.0, message=message),
            tf.debugging.assert_less(labels, float(classes), message=message),
        ]
        # The losses read y only after the checks have run.
        with tf.control_dependencies([c for c in checks if c is not None]):
            return tf.identity(y)
    if _backend.BACKEND == "jax":
        import jax

        jax.debug.callback(
            functools.partial(_check_label_values, classes=classes), y
        )
        return y
    _check_label_values(keras.ops.convert_to_numpy(y), classes)
    return y
