"""The Distiller: a keras.Model that trains a student from a frozen teacher."""

import functools
from collections.abc import Mapping, Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_ppg_kd import _backend
from keras_ppg_kd import losses as losses_lib
from keras_ppg_kd.data.batches import ArrayBatches, batches, check_windows
from keras_ppg_kd.losses.base import check_non_negative, sparse_ce
from keras_ppg_kd.losses.feature import make_adapter
from keras_ppg_kd.metrics import HeartRateMAE
from keras_ppg_kd.protocol import WindowConfig

WINDOW_KEY = "window"
TEACHER_PREFIX = "teacher/"
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


@keras.saving.register_keras_serializable(package="keras_ppg_kd")
class Distiller(keras.Model):
    """Distil a frozen teacher into a student with swappable strategies.

    ``train_step`` runs the student once (with its feature taps when a loss
    needs them), the teacher in inference mode (BatchNorm statistics and
    dropout untouched) or reads its cached outputs, and updates only the
    student and the Distiller's own adapters. The total loss is
    ``sum_i w_i * (ce_weight_i * CE(y, student) + KD_i)``; the CE is
    computed once.

    Args:
        teacher: Trained teacher model. Frozen here: its ``trainable`` is
            set to False (set it back to train the teacher again).
        student: Student model with the same input and class count.
        loss: A strategy, an alias (``"hard"``, ``"soft"``, ``"dkd"``,
            ``"feature"``) or a list of them.
        loss_weights: One weight per strategy (default 1 each).
        label_sigma: Width in classes (BPM for 1-BPM classes) of the
            ordinal soft target of the CE on the true labels; 0 is the
            one-hot CE. Labels may be fractional class positions (from
            HR-changing augmentation, :mod:`keras_ppg_kd.data.augment`).
        name: Model name.
        distillation_losses, distillation_loss_weights: Aliases of
            ``loss`` and ``loss_weights`` under ``keras.distillation``'s
            names, so code moves between the two.
        student_loss_weight: As in ``keras.distillation``: the total is
            ``w * CE + (1 - w) * KD`` instead of ``CE + KD``.

    ``compile(metrics=[...])`` metrics are updated with the labels and the
    student's logits; ``compile(loss=...)`` is refused (the strategy is the
    constructor's ``loss``).

    Example:
    >>> distiller = Distiller(teacher, student, loss=DKD())
    >>> distiller.compile(optimizer=keras.optimizers.Adam(5e-4))
    >>> distiller.fit(train_ds, validation_data=val_ds, epochs=10)
    >>> distiller.student.save("student.keras")
    """

    def __init__(
        self,
        teacher: keras.Model,
        student: keras.Model,
        loss: Any = "dkd",
        loss_weights: Sequence[float] | None = None,
        label_sigma: float = 0.0,
        name: str = "distiller",
        distillation_losses: Any = None,
        distillation_loss_weights: Sequence[float] | None = None,
        student_loss_weight: float | None = None,
        **kwargs,
    ) -> None:
        super().__init__(name=name, **kwargs)
        if distillation_losses is not None:
            loss = distillation_losses
        if distillation_loss_weights is not None:
            loss_weights = distillation_loss_weights
        if (
            student_loss_weight is not None
            and not 0 <= student_loss_weight <= 1
        ):
            raise ValueError(
                "`student_loss_weight` must be in [0, 1]. Received: "
                f"student_loss_weight={student_loss_weight}"
            )
        check_non_negative(label_sigma=label_sigma)
        default = WindowConfig()
        teacher = _symbolic(teacher, (default.window_length, default.channels))
        student = _symbolic(student, teacher.input.shape[1:])
        self.label_sigma = float(label_sigma)
        self._check_compatible(teacher, student)
        loss_list = loss if isinstance(loss, (list, tuple)) else [loss]
        self.distillation_losses = [losses_lib.get(item) for item in loss_list]
        if loss_weights is None:
            loss_weights = [1.0] * len(self.distillation_losses)
        if len(loss_weights) != len(self.distillation_losses):
            raise ValueError(
                f"Got {len(loss_weights)} loss_weights for "
                f"{len(self.distillation_losses)} losses. Received: "
                f"loss_weights={loss_weights}"
            )
        self.loss_weights = [float(w) for w in loss_weights]
        self.teacher = teacher
        self.student = student
        teacher.trainable = False

        teacher_taps = [
            t.teacher_tap for t in self.distillation_losses if t.teacher_tap
        ]
        student_taps = [
            t.student_tap for t in self.distillation_losses if t.student_tap
        ]
        self.teacher_taps = sorted(set(teacher_taps))
        self._teacher_outputs = _taps_model(teacher, self.teacher_taps)
        self._student_outputs = _taps_model(student, sorted(set(student_taps)))
        # === Adapters (owned here, never exported with the student) ===
        self.adapters = []
        for index, item in enumerate(self.distillation_losses):
            if item.teacher_tap is None:
                self.adapters.append(None)
                continue
            self.adapters.append(
                make_adapter(
                    self._student_outputs.output[item.student_tap].shape,
                    self._teacher_outputs.output[item.teacher_tap].shape,
                    name=f"adapter_{index}",
                )
            )
        self.ce_weight = sum(
            w * item.ce_weight
            for w, item in zip(self.loss_weights, self.distillation_losses)
        )
        if student_loss_weight is not None:  # keras.distillation's mix
            self.ce_weight = float(student_loss_weight)
            self.loss_weights = [
                (1.0 - student_loss_weight) * w for w in self.loss_weights
            ]
        self._compiled_metrics = []

        # === Metrics ===
        self.total_tracker = keras.metrics.Mean(name="loss")
        self.ce_tracker = keras.metrics.Mean(name="ce_loss")
        self.kd_tracker = keras.metrics.Mean(name="kd_loss")
        self.protocol = WindowConfig.for_model(student)
        self.hr_mae = HeartRateMAE(classes=self.protocol.classes, name="hr_mae")
        # Teacher, student and adapters are built functional models.
        self.built = True

    @staticmethod
    def _check_compatible(teacher, student):
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

    def compile(self, optimizer="rmsprop", loss=None, metrics=None, **kwargs):
        """Compile; ``metrics`` are honoured, ``loss`` is refused.

        The optimizer is built here for the student's (and adapters')
        weights, so the first training step is traced once.

        Raises:
            ValueError: a ``loss`` (give the strategy to the constructor).
        """
        if loss is not None:
            raise ValueError(
                "Distiller.compile(loss=...) is not used: the CE and the "
                "distillation strategy are set when the Distiller is made "
                "(Distiller(teacher, student, loss='dkd', label_sigma=...)). "
                f"Received: loss={loss!r}"
            )
        self._compiled_metrics = [keras.metrics.get(m) for m in metrics or []]
        super().compile(optimizer=optimizer, **kwargs)
        # The optimizer's slots now, not inside the first training step,
        # where creating them makes TensorFlow trace that step twice.
        if not self.optimizer.built:
            self.optimizer.build(self.trainable_variables)

    def fit(self, x=None, y=None, *args, **kwargs):
        self._check_labels_first(x, y)
        return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        self._check_labels_first(x, y)
        return super().evaluate(x, y, *args, **kwargs)

    def _check_labels_first(self, x, y):
        """Windows and labels held in arrays, checked before the first
        step."""
        windows = x
        if isinstance(x, ArrayBatches):
            y, windows = x.labels, x.features
        if isinstance(windows, Mapping):
            windows = windows.get(WINDOW_KEY)
        if isinstance(windows, (np.ndarray, list, tuple)):
            check_windows(windows)
        if isinstance(y, (np.ndarray, list, tuple)):
            _check_label_values(y, int(self.student.output.shape[-1]))

    @property
    def metrics(self):
        return [
            self.total_tracker,
            self.ce_tracker,
            self.kd_tracker,
            self.hr_mae,
            *self._compiled_metrics,
        ]

    def call(self, inputs, training=False):
        if isinstance(inputs, dict):
            inputs = inputs[WINDOW_KEY]
        return self.student(inputs, training=training)

    def _split(self, x):
        """Window and cached teacher outputs (None when not cached)."""
        if isinstance(x, dict):
            cached = {
                key[len(TEACHER_PREFIX) :]: value
                for key, value in x.items()
                if key.startswith(TEACHER_PREFIX)
            }
            return x[WINDOW_KEY], cached
        return x, None

    def _loss_terms(self, window, y, cached, training):
        teacher = cached
        if teacher is None:
            teacher = self._teacher_outputs(window, training=False)
        student = self._student_outputs(window, training=training)
        logits = student["logits"]
        ce = sparse_ce(y, logits, self.label_sigma)
        kd = 0.0
        step = self.optimizer.iterations if self.optimizer else None
        for item, weight, adapter in zip(
            self.distillation_losses, self.loss_weights, self.adapters
        ):
            if adapter is None:
                t_out, s_out = teacher["logits"], logits
            else:
                t_out = teacher[item.teacher_tap]
                s_out = adapter(student[item.student_tap], training=training)
            kd = kd + weight * item.compute_loss(
                ops.stop_gradient(t_out), s_out, labels=y, step=step
            )
        total = self.ce_weight * ce + kd
        return total, ce, kd, logits

    def _update_metrics(self, total, ce, kd, y, logits):
        self.total_tracker.update_state(total)
        self.ce_tracker.update_state(ce)
        self.kd_tracker.update_state(kd)
        self.hr_mae.update_state(y, logits)
        for metric in self._compiled_metrics:
            metric.update_state(y, logits)
        return {m.name: m.result() for m in self.metrics}

    def _unpack(self, data):
        """``(x, y)``; labels checked, sample weights refused."""
        if len(data) > 2 and data[2] is not None:
            raise ValueError(
                "Distiller does not support sample_weight (every strategy "
                "averages over the batch). Drop the windows instead, or "
                "repeat them to weight them."
            )
        x, y = data[0], data[1]
        return x, _checked_labels(y, int(self.student.output.shape[-1]))

    # One step per backend: TensorFlow's GradientTape, PyTorch's
    # backward(), JAX's stateless value_and_grad; the loss (_loss_terms)
    # and the metrics (_update_metrics) are shared.
    def train_step(self, *args):
        if _backend.BACKEND == "jax":
            return self._jax_step(*args, training=True)
        (data,) = args
        x, y = self._unpack(data)
        window, cached = self._split(x)
        variables = self.trainable_variables
        if _backend.BACKEND == "torch":
            self.zero_grad()
            total, ce, kd, logits = self._loss_terms(window, y, cached, True)
            self.optimizer.scale_loss(total).backward()
            gradients = [v.value.grad for v in variables]
            import torch

            with torch.no_grad():
                self.optimizer.apply(gradients, variables)
        else:
            import tensorflow as tf

            with tf.GradientTape() as tape:
                total, ce, kd, logits = self._loss_terms(
                    window, y, cached, True
                )
                scaled = self.optimizer.scale_loss(total)
            gradients = tape.gradient(scaled, variables)
            self.optimizer.apply(gradients, variables)
        return self._update_metrics(total, ce, kd, y, logits)

    def test_step(self, *args):
        if _backend.BACKEND == "jax":
            return self._jax_step(*args, training=False)
        (data,) = args
        x, y = self._unpack(data)
        window, cached = self._split(x)
        total, ce, kd, logits = self._loss_terms(window, y, cached, False)
        return self._update_metrics(total, ce, kd, y, logits)

    def _jax_step(self, state, data, training):
        """JAX's stateless step: ``(logs, new state)`` from the state
        (trainable, non-trainable, [optimizer,] metrics variables)."""
        import jax

        if training:
            trainable, non_trainable, optimizer_state, metrics_state = state
            fixed = list(zip(self.optimizer.variables, optimizer_state))
        else:
            trainable, non_trainable, metrics_state = state
            fixed = []
        fixed += list(zip(self.non_trainable_variables, non_trainable))
        x, y = self._unpack(data)
        window, cached = self._split(x)

        def loss(trainable_values):
            mapping = [*zip(self.trainable_variables, trainable_values), *fixed]
            with keras.StatelessScope(state_mapping=mapping) as scope:
                terms = self._loss_terms(window, y, cached, training)
                total = terms[0]
                if training:
                    total = self.optimizer.scale_loss(total)
            updated = [
                scope.get_current_value(v) for v in self.non_trainable_variables
            ]
            return total, (terms, updated)

        if training:
            (_, (terms, non_trainable)), gradients = jax.value_and_grad(
                loss, has_aux=True
            )(trainable)
            trainable, optimizer_state = self.optimizer.stateless_apply(
                optimizer_state, gradients, trainable
            )
        else:
            _, (terms, non_trainable) = loss(trainable)
        mapping = list(zip(self.metrics_variables, metrics_state))
        with keras.StatelessScope(state_mapping=mapping) as scope:
            logs = self._update_metrics(*terms[:3], y, terms[3])
        metrics_state = [
            scope.get_current_value(v) for v in self.metrics_variables
        ]
        if training:
            return logs, (
                trainable,
                non_trainable,
                optimizer_state,
                metrics_state,
            )
        return logs, (trainable, non_trainable, metrics_state)

    def cache_teacher(
        self, windows, labels, batch_size=128, shuffle=True, seed=0
    ):
        """Run the teacher once and return a dataset that carries its outputs.

        Teacher outputs of a training window never change (no augmentation),
        so computing them once makes distillation cost about what training
        the student alone costs. Reuse the result across epochs, and its
        arrays (:meth:`teacher_outputs`) across the students of a sweep.

        Args:
            windows: ``(n, length, 1)`` windows (or batches of ``(x, y)``,
                a ``tf.data.Dataset`` for one, and ``labels=None``; they
                are read once).
            labels: ``(n,)`` class indices.
            batch_size: Batch size of the returned dataset.
            shuffle: Shuffle every epoch.
            seed: Shuffle seed.

        Returns:
            ``({"window", "teacher/logits", ...}, label)`` batches to pass
            to ``fit`` (see :func:`cached_dataset`).
        """
        if labels is None:  # a dataset of (x, y) batches
            xs, ys = zip(*[(np.asarray(x), np.asarray(y)) for x, y in windows])
            windows, labels = np.concatenate(xs), np.concatenate(ys)
        check_windows(windows)
        outputs = self.teacher_outputs(windows, batch_size=max(batch_size, 256))
        return cached_dataset(
            windows, labels, outputs, batch_size, shuffle, seed
        )

    def teacher_outputs(self, windows, batch_size=256):
        """The teacher's logits and tapped features as NumPy arrays."""
        predicted = self._teacher_outputs.predict(
            windows, batch_size=batch_size, verbose=0
        )
        return {key: np.asarray(value) for key, value in predicted.items()}

    def get_config(self):
        return {
            "name": self.name,
            "teacher": keras.saving.serialize_keras_object(self.teacher),
            "student": keras.saving.serialize_keras_object(self.student),
            "loss": [
                keras.saving.serialize_keras_object(item)
                for item in self.distillation_losses
            ],
            "loss_weights": self.loss_weights,
            "label_sigma": self.label_sigma,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("teacher", "student"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        config["loss"] = [
            keras.saving.deserialize_keras_object(item)
            for item in config["loss"]
        ]
        return cls(**config)


def cached_dataset(
    windows: np.ndarray,
    labels: np.ndarray,
    teacher_outputs: Mapping[str, np.ndarray],
    batch_size: int = 128,
    shuffle: bool = True,
    seed: int = 0,
    drop_remainder: bool = False,
) -> Any:
    """A fit-ready dataset of windows, labels and precomputed teacher outputs.

    A ``tf.data.Dataset`` on the TensorFlow backend, else a
    :class:`~keras_ppg_kd.data.batches.ArrayBatches`.

    Args:
        windows: ``(n, length, 1)`` windows.
        labels: ``(n,)`` class indices.
        teacher_outputs: ``{"logits": (n, classes), tap: ...}`` from
            :meth:`Distiller.teacher_outputs` (shareable across students).
        batch_size: Batch size.
        shuffle: Shuffle every epoch.
        seed: Shuffle seed.
        drop_remainder: Leave out the last partial batch (see
            :func:`keras_ppg_kd.datasets.to_dataset`).
    """
    check_windows(windows)
    features = {WINDOW_KEY: np.asarray(windows, "float32")}
    for key, value in teacher_outputs.items():
        if len(value) != len(features[WINDOW_KEY]):
            raise ValueError(
                f"teacher output {key!r} has {len(value)} rows for "
                f"{len(features[WINDOW_KEY])} windows."
            )
        features[TEACHER_PREFIX + key] = value
    return batches(
        features,
        np.asarray(labels, "int32"),
        batch_size,
        shuffle,
        seed,
        drop_remainder,
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
