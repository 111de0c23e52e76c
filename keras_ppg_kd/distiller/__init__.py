"""The Distiller: a keras.Model that trains a student from a frozen teacher.

Its per-backend training steps are in :mod:`keras_ppg_kd.distiller.steps`,
its checks in ``_checks``.
"""

from collections.abc import Mapping, Sequence
from typing import Any

import keras
import numpy as np
from keras import ops

from keras_ppg_kd import losses as losses_lib
from keras_ppg_kd.data.batches import ArrayBatches, batches, check_windows
from keras_ppg_kd.distiller import steps
from keras_ppg_kd.distiller._checks import (
    _check_label_values,
    _checked_labels,
    _taps_model,
    check_compatible,
    check_student_loss_weight,
    checked_loss_weights,
    resolve_aliases,
    symbolic_pair,
)
from keras_ppg_kd.losses.base import check_non_negative, sparse_ce
from keras_ppg_kd.losses.feature import make_adapter
from keras_ppg_kd.metrics import HeartRateMAE
from keras_ppg_kd.protocol import WindowConfig

WINDOW_KEY = "window"
TEACHER_PREFIX = "teacher/"


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
        loss, loss_weights = resolve_aliases(
            loss, loss_weights, distillation_losses, distillation_loss_weights
        )
        check_student_loss_weight(student_loss_weight)
        check_non_negative(label_sigma=label_sigma)
        teacher, student = symbolic_pair(teacher, student)
        self.label_sigma = float(label_sigma)
        self._check_compatible(teacher, student)
        loss_list = loss if isinstance(loss, (list, tuple)) else [loss]
        self.distillation_losses = [losses_lib.get(item) for item in loss_list]
        self.loss_weights = checked_loss_weights(
            loss_weights, len(self.distillation_losses)
        )
        self.teacher = teacher
        self.student = student
        teacher.trainable = False
        self._build_taps(teacher, student)
        self._build_adapters()
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
        self._build_metrics(student)
        # Teacher, student and adapters are built functional models.
        self.built = True

    def _build_taps(self, teacher, student):
        """The functional maps to each model's logits and tapped layers."""
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

    def _build_adapters(self):
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

    # === Metrics ===

    def _build_metrics(self, student):
        self.total_tracker = keras.metrics.Mean(name="loss")
        self.ce_tracker = keras.metrics.Mean(name="ce_loss")
        self.kd_tracker = keras.metrics.Mean(name="kd_loss")
        self.protocol = WindowConfig.for_model(student)
        self.hr_mae = HeartRateMAE(classes=self.protocol.classes, name="hr_mae")

    @staticmethod
    def _check_compatible(teacher, student):
        check_compatible(teacher, student)

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

    # One step per backend (keras_ppg_kd.distiller.steps: TensorFlow's
    # GradientTape, PyTorch's backward(), JAX's stateless value_and_grad);
    # the loss (_loss_terms) and the metrics (_update_metrics) are shared.
    def train_step(self, *args):
        return steps.train_step(self, *args)

    def test_step(self, *args):
        return steps.test_step(self, *args)

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
