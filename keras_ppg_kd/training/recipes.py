"""Recipes: train a teacher, a scratch baseline, or distil a student.

Each recipe takes :class:`~keras_ppg_kd.data.WindowSet` splits, returns the
trained model and a :class:`Result` record, and defaults to the study's
training setup (Adam 5e-4, cross-entropy, batch 128, 300 epochs) with every
choice a parameter.
"""

import dataclasses
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

import keras
import numpy as np

from keras_ppg_kd import models
from keras_ppg_kd.data.augment import Augmentation, augmented_dataset
from keras_ppg_kd.data.batches import check_windows, to_dataset
from keras_ppg_kd.data.splits import k_fold, participant_keys
from keras_ppg_kd.data.transforms import WindowSet
from keras_ppg_kd.distiller import Distiller, cached_dataset
from keras_ppg_kd.heart_rate import logits_to_bpm
from keras_ppg_kd.losses import REGISTRY as LOSSES
from keras_ppg_kd.losses import HeartRateCrossEntropy
from keras_ppg_kd.losses import get as get_loss

STUDY_EPOCHS = 300
STUDY_LEARNING_RATE = 5e-4
STUDY_BATCH_SIZE = 128
SCHEDULES = ("constant", "cosine")


@dataclasses.dataclass(frozen=True)
class Result:
    """One trained model's record (one row of a results table).

    Attributes:
        role: ``"teacher"``, ``"scratch"`` or ``"student"``.
        model: The model family (``"resnet"``, ``"tcn"``, ``"mlp"``, ...).
        size: Its size (blocks; for an MLP: the ResNet1D it matches).
        params: Trainable parameters.
        strategy: Distillation strategy, ``"scratch"`` or ``"teacher"``.
        teacher: Teacher blocks (0 without a teacher).
        mae: Mean absolute error on the test windows (BPM, against the
            reference HR).
        rmse: Root mean squared error (BPM).
        epochs: Epochs trained.
        wall_time_s: Training wall time.
        seed: Seed.
        fold: Fold index.
        train_windows: Training windows.
        test_windows: Test windows.
        participant_mae: JSON ``{participant: [MAE, windows]}`` over the
            test windows: the units a bootstrap over participants
            resamples (:func:`keras_ppg_kd.scaling.fit_law`).
    """

    role: str
    model: str
    size: int
    params: int
    strategy: str
    teacher: int
    mae: float
    rmse: float
    epochs: int
    wall_time_s: float
    seed: int = 0
    fold: int = 0
    train_windows: int = 0
    test_windows: int = 0
    participant_mae: str = ""

    def to_dict(self):
        return dataclasses.asdict(self)


def resolve_strategy(strategy, student):
    """Loss objects for ``strategy`` (an alias, string config or list).

    A bare alias of a strategy whose defaults depend on the student (its
    class has a ``for_student`` hook) is that strategy for ``student``:
    ``"feature"`` matches the taps the student family names
    (:meth:`~keras_ppg_kd.losses.FeatureDistillation.for_student`).

    Args:
        strategy: A strategy or a list of them (see
            :func:`keras_ppg_kd.losses.get`).
        student: The student, an identifier or a built model.
    """
    items = strategy if isinstance(strategy, (list, tuple)) else [strategy]
    resolved = []
    for item in items:
        kind = LOSSES.get(item) if isinstance(item, str) else None
        for_student = getattr(kind, "for_student", None)
        if for_student is not None:  # only such strategies build the model
            item = for_student(models.get(student))
        resolved.append(get_loss(item))
    return resolved


def steps_per_epoch(windows, batch_size):
    """Training steps per epoch: full batches only, as the recipes train
    (a set smaller than one batch is one step)."""
    return max(windows // batch_size, 1)


def _full_batches(windows, batch_size):
    # Leave out the last partial batch: its other shape traces the training
    # step a second time (seconds per small model). A set smaller than one
    # batch keeps its one batch.
    return len(windows) >= batch_size


def optimizer(learning_rate, schedule, epochs, windows, batch_size):
    """Adam at ``learning_rate``, constant or cosine-decayed over the run.

    Raises:
        ValueError: an unknown ``schedule`` (naming the accepted ones).
    """
    if schedule == "constant":
        return keras.optimizers.Adam(learning_rate)
    if schedule == "cosine":
        steps = epochs * steps_per_epoch(windows, batch_size)
        decay = keras.optimizers.schedules.CosineDecay(learning_rate, steps)
        return keras.optimizers.Adam(decay)
    raise ValueError(
        f"schedule must be one of {SCHEDULES}. Received: {schedule!r}"
    )


def evaluate(
    model: keras.Model, windows: WindowSet, batch_size: int = 512
) -> tuple[float, float]:
    """``(mae, rmse)`` in BPM of argmax-decoded predictions vs reference HR.

    A model with non-finite logits has diverged: both are NaN (argmax
    would otherwise decode NaN as the first class, a plausible 30 BPM).
    """
    scores = _scores(windows, _predict(model, windows, batch_size))
    return scores["mae"], scores["rmse"]


def _predict(model, windows, batch_size=512):
    return model.predict(windows.windows, batch_size=batch_size, verbose=0)


def _scores(windows, logits):
    """MAE, RMSE (BPM) and per-participant MAE of ``logits`` on
    ``windows``: the scoring fields of a :class:`Result` (NaN when there
    are no logits or they are not finite, i.e. the model diverged)."""
    scores = dict(
        mae=float("nan"),
        rmse=float("nan"),
        test_windows=len(windows),
        participant_mae="",
    )
    if logits is None or not np.isfinite(logits).all():
        return scores
    error = np.asarray(logits_to_bpm(logits)) - windows.hr_bpm
    keys = participant_keys(windows)
    scores.update(
        mae=float(np.mean(np.abs(error))),
        rmse=float(np.sqrt(np.mean(error**2))),
        participant_mae=json.dumps(
            {
                key: [
                    round(float(np.mean(np.abs(error[keys == key]))), 4),
                    int(np.sum(keys == key)),
                ]
                for key in np.unique(keys).tolist()
            }
        ),
    )
    return scores


class SelectOnValidation(keras.callbacks.Callback):
    """Keep the weights of the epoch with the lowest validation HR MAE.

    Model selection on participants held out of training, instead of the
    last epoch: at the end of training the best epoch's weights are
    restored. Works for plain models and for a :class:`Distiller` (its
    student is scored).

    Args:
        validation: A :class:`~keras_ppg_kd.data.WindowSet` of held-out
            participants.
        batch_size: Prediction batch size.
    """

    def __init__(self, validation, batch_size=512):
        super().__init__()
        if len(validation) == 0:
            raise ValueError("SelectOnValidation needs validation windows.")
        self.validation = validation
        self.batch_size = batch_size
        self.best_mae = np.inf
        self.best_epoch = -1
        self.history = []
        self._best_weights = None

    def _scored(self):
        return getattr(self.model, "student", self.model)

    def on_epoch_end(self, epoch, logs=None):
        mae, _ = evaluate(self._scored(), self.validation, self.batch_size)
        self.history.append(mae)
        if logs is not None:
            logs["val_hr_mae"] = mae
        if mae < self.best_mae:
            self.best_mae, self.best_epoch = mae, epoch
            self._best_weights = self._scored().get_weights()

    def on_train_end(self, logs=None):
        if self._best_weights is not None:
            self._scored().set_weights(self._best_weights)


def _build(identifier, dropout, protocol, start_from=None):
    """A model of ``identifier`` for the data's ``protocol``, starting from
    ``start_from`` (a weight list, or a model whose weights are copied in,
    wider input kernels zero-padded; None: fresh weights)."""
    kwargs = {} if dropout is None else {"dropout": dropout}
    model = models.get(identifier, protocol=protocol, **kwargs)
    if isinstance(start_from, keras.Model):
        load_weights_expanding_inputs(model, start_from)
    elif start_from is not None:
        model.set_weights(start_from)
    return model


def load_weights_expanding_inputs(model, source):
    """Copy ``source``'s weights into ``model`` with more input channels.

    Every weight must match in shape except input kernels that are wider
    on their channel axis (a PPG-only stem into a PPG + accelerometer
    model); the extra channels get zero weights, so ``model`` starts out
    computing exactly what ``source`` computes and learns to use them.
    """
    weights = []
    for new, old in zip(model.get_weights(), source.get_weights(), strict=True):
        if new.shape != old.shape:
            if new.ndim != 3 or new.shape[::2] != old.shape[::2]:
                raise ValueError(
                    f"Cannot start {model.name} from {source.name}: weight "
                    f"shapes {old.shape} and {new.shape} differ beyond the "
                    "input channels."
                )
            old = np.concatenate(
                [
                    old,
                    np.zeros(
                        new.shape[:1]
                        + (new.shape[1] - old.shape[1],)
                        + new.shape[2:],
                        old.dtype,
                    ),
                ],
                axis=1,
            )
        weights.append(old)
    model.set_weights(weights)
    return model


@dataclasses.dataclass(frozen=True)
class Training:
    """How a model trains: what :func:`train_scratch` and :func:`distill`
    share (the study's settings by default).

    Args:
        epochs: Epochs.
        batch_size: Batch size.
        learning_rate: Adam learning rate.
        schedule: ``"constant"`` learning rate (the study's) or
            ``"cosine"`` decay to zero over the run, which ends short runs
            on settled weights instead of wherever the last step left them.
        label_sigma: Ordinal soft targets: a Gaussian of this width (BPM)
            around the label; 0 is the study's one-hot CE.
        augmentation: A :class:`~keras_ppg_kd.data.augment.Augmentation`
            applied to every training batch, or None.
        dropout: The model's dropout; None keeps its family's default.
        drop_remainder: Leave out the last partial batch (its other shape
            traces the training step a second time); None does so when
            the set holds at least one full batch.
    """

    epochs: int = STUDY_EPOCHS
    batch_size: int = STUDY_BATCH_SIZE
    learning_rate: float = STUDY_LEARNING_RATE
    schedule: str = "constant"
    label_sigma: float = 0.0
    augmentation: Augmentation | None = None
    dropout: float | None = None
    drop_remainder: bool | None = None

    @classmethod
    def of(cls, training, changes):
        """``training`` (default: the study's) with ``changes`` applied;
        an unknown field raises naming the accepted ones."""
        fields = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(changes) - set(fields))
        if unknown:
            raise TypeError(
                f"Unknown training setting(s) {unknown}; Training has "
                f"{fields} (and the call its own arguments)."
            )
        return dataclasses.replace(training or cls(), **changes)

    def drops(self, windows):
        """Whether training on ``windows`` leaves out the last batch."""
        if self.drop_remainder is not None:
            return self.drop_remainder
        return _full_batches(windows, self.batch_size)

    def optimizer(self, windows):
        """Adam for a run over ``windows`` training windows."""
        return optimizer(
            self.learning_rate,
            self.schedule,
            self.epochs,
            windows,
            self.batch_size,
        )

    def data(self, train, seed):
        """The shuffled (augmented) training batches of ``train``."""
        drop = self.drops(train)
        if self.augmentation is None:
            return to_dataset(
                train, self.batch_size, seed=seed, drop_remainder=drop
            )
        return augmented_dataset(
            train,
            self.augmentation,
            self.batch_size,
            seed=seed,
            drop_remainder=drop,
        )


def _fit(model, data, epochs, callbacks, verbose, validation=None):
    """Fit; returns ``(wall seconds, epochs trained)`` (fewer than
    ``epochs`` when a callback stopped it early)."""
    start = time.perf_counter()
    # Built here, Adam's slots exist before the first step; built lazily
    # inside it, they make TensorFlow trace that step twice (a Distiller
    # builds its own when compiled).
    if not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    callbacks = list(callbacks)
    if validation is not None:  # first: it writes logs["val_hr_mae"]
        callbacks.insert(0, SelectOnValidation(validation))
    # The tf.data pipeline shuffles; fit's own shuffle would only warn.
    history = model.fit(
        data,
        epochs=epochs,
        callbacks=callbacks,
        verbose=verbose,
        shuffle=False,
    )
    trained = history.epoch[-1] + 1 if history.epoch else epochs
    return time.perf_counter() - start, trained


def _check_sets(train, test, validation):
    """Training needs windows, and every window finite (one NaN makes every
    weight NaN); test and validation may be empty."""
    check_windows(train.windows, "train")
    for name, found in (("test", test), ("validation", validation)):
        if found is not None and len(found):
            check_windows(found.windows, name)


def record(model, test, role, identifier, strategy, teacher, **fields):
    """The :class:`Result` of a trained model, evaluated on ``test``."""
    logits = _predict(model, test) if len(test) else None
    family, size = models.parse(identifier)
    return Result(
        role=role,
        model=family,
        size=size,
        params=models.trainable_parameters(model),
        strategy=strategy,
        teacher=teacher,
        **_scores(test, logits),
        **fields,
    )


def train_scratch(
    train: WindowSet,
    test: WindowSet,
    model: str | int = "resnet:1",
    training: "Training | None" = None,
    *,
    role: str = "scratch",
    seed: int = 0,
    fold: int = 0,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int = 0,
    validation: WindowSet | None = None,
    start_from: keras.Model | list | None = None,
    **changes,
) -> tuple[keras.Model, "Result"]:
    """Train a model with cross-entropy alone (a scratch baseline).

    The one training path: the study's cells, the CLI and the deployment
    recipe (:mod:`~keras_ppg_kd.training.generalize`, which fine-tunes a
    pre-trained teacher with ``start_from``) all train through this and
    :func:`distill`.

    Args:
        train: Training :class:`~keras_ppg_kd.data.WindowSet`.
        test: Test WindowSet (MAE/RMSE in the record).
        model: The model, ``"<family>:<size>"`` (see
            :func:`keras_ppg_kd.models.get`; an int means ResNet1D blocks).
        training: How it trains (:class:`Training`; the study's defaults).
        role: Written to the record (``"teacher"`` for teachers).
        seed: Seed for weights and shuffling.
        fold: Fold index written to the record.
        callbacks: Keras callbacks (e.g. ``BackupAndRestore``).
        verbose: Keras verbosity.
        validation: Held-out WindowSet; when given, the epoch with the
            lowest validation MAE is kept (:class:`SelectOnValidation`).
        start_from: Initial weights: a weight list or a model (its weights
            are copied; input kernels narrower than this model's are
            zero-padded, so a PPG-only model starts a PPG + accelerometer
            one); None starts from fresh weights.
        **changes: :class:`Training` fields to change
            (``epochs=20, batch_size=32``).

    Returns:
        ``(model, Result)``.
    """
    training = Training.of(training, changes)
    _check_sets(train, test, validation)
    identifier = model
    keras.utils.set_random_seed(seed)
    model = _build(identifier, training.dropout, train.config, start_from)
    model.compile(
        optimizer=training.optimizer(len(train)),
        loss=HeartRateCrossEntropy(training.label_sigma),
    )
    wall, trained = _fit(
        model,
        training.data(train, seed),
        training.epochs,
        callbacks,
        verbose,
        validation,
    )
    strategy = "teacher" if role == "teacher" else "scratch"
    return model, record(
        model,
        test,
        role,
        identifier,
        strategy,
        0,
        epochs=trained,
        wall_time_s=wall,
        seed=seed,
        fold=fold,
        train_windows=len(train),
    )


def train_teacher(
    train: WindowSet, test: WindowSet, model: str | int = 12, **kwargs
) -> tuple[keras.Model, "Result"]:
    """Train a teacher of any family (an int: ResNet1D blocks, as in the
    study); arguments as :func:`train_scratch`."""
    return train_scratch(train, test, model=model, role="teacher", **kwargs)


def cross_fitted_teachers(
    train: WindowSet,
    folds: int = 2,
    model: str | int = 12,
    seed: int = 0,
    **kwargs,
) -> tuple[list[keras.Model], dict[str, np.ndarray], list["Result"]]:
    """Teachers trained on ``folds`` participant folds, and their logits on
    ``train`` where each window's come from the teacher that did not see
    its participant (cross-fitting).

    A teacher scores the windows it was trained on almost perfectly: a
    12-block ResNet1D that is 5.5 BPM off on new people is 0.6 BPM off on
    its own training windows, so its targets there only repeat the labels.
    Cross-fitted logits are the teacher's errors on people it has not met,
    the kind a student meets at test time. With 2 folds the teachers
    together cost about one teacher trained on all of ``train``.

    Args:
        train: Training WindowSet of the students (its participants are
            split into ``folds`` folds, :func:`~keras_ppg_kd.data.k_fold`).
        folds: Number of folds (>= 2).
        model: Each teacher's ``"family:size"`` (an int: ResNet1D blocks).
        seed: Seed of the folds; teacher ``k`` trains with ``seed + k``.
        **kwargs: The teachers' recipe, as :func:`train_scratch`.

    Returns:
        ``(teachers, outputs, results)``: the fold teachers, ``{"logits":
        (len(train), classes)}`` for :func:`distill`'s ``teacher_outputs``
        (logit losses only: each teacher has its own feature space), and
        each teacher's :class:`Result` on the participants it held out.
    """
    teachers, results, logits = [], [], None
    nobody = train.subset(np.zeros(len(train), bool))  # scored below
    for k, (fit, held) in enumerate(k_fold(train, folds, seed)):
        teacher, result = train_teacher(
            train.subset(fit), nobody, model, seed=seed + k, fold=k, **kwargs
        )
        held_out = train.subset(held)
        predicted = _predict(teacher, held_out)
        if logits is None:
            logits = np.zeros((len(train), predicted.shape[-1]), "float32")
        logits[held] = predicted
        teachers.append(teacher)
        results.append(
            dataclasses.replace(result, **_scores(held_out, predicted))
        )
    return teachers, {"logits": logits}, results


def distill(
    teacher: keras.Model,
    train: WindowSet,
    test: WindowSet,
    model: str | int = "resnet:1",
    strategy: Any = "dkd",
    teacher_outputs: Mapping[str, np.ndarray] | None = None,
    training: "Training | None" = None,
    *,
    seed: int = 0,
    fold: int = 0,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    verbose: int = 0,
    validation: WindowSet | None = None,
    start_from: keras.Model | list | None = None,
    **changes,
) -> tuple[keras.Model, "Result"]:
    """Distil a new student from ``teacher`` with one strategy.

    Args:
        teacher: The trained teacher.
        train: Training WindowSet.
        test: Test WindowSet.
        model: The student, ``"<family>:<size>"`` (an int: ResNet1D
            blocks).
        strategy: A loss alias, string config (``"dkd:temperature=4"``) or
            instance, or a list of them; see :func:`resolve_strategy`.
        teacher_outputs: Cached teacher outputs on ``train``
            (:meth:`Distiller.teacher_outputs`); computed when None. Share
            them across the students of one teacher.
        training, seed, fold, callbacks, verbose, validation, start_from,
            **changes: As in :func:`train_scratch` (``start_from``: the
            student's initial weights). With augmentation the teacher runs
            on every augmented batch (its outputs cannot be cached).

    Returns:
        ``(student, Result)``; the record's ``teacher`` is the teacher's
        :func:`~keras_ppg_kd.models.label`.
    """
    training = Training.of(training, changes)
    _check_sets(train, test, validation)
    items = strategy if isinstance(strategy, (list, tuple)) else [strategy]
    name = "+".join(
        s if isinstance(s, str) else type(s).__name__ for s in items
    )
    keras.utils.set_random_seed(seed)
    student = _build(model, training.dropout, train.config, start_from)
    distiller = Distiller(
        teacher,
        student,
        loss=resolve_strategy(strategy, student),
        label_sigma=training.label_sigma,
    )
    distiller.compile(optimizer=training.optimizer(len(train)))
    if training.augmentation is not None:
        data = training.data(train, seed)
    else:
        if teacher_outputs is None:
            teacher_outputs = distiller.teacher_outputs(train.windows)
        needed = {"logits", *distiller.teacher_taps}
        missing = sorted(needed - set(teacher_outputs))
        if missing:
            raise ValueError(
                f"teacher_outputs lack {missing}, which {name} needs; they "
                f"hold {sorted(teacher_outputs)} (cross-fitted outputs "
                "serve logit losses only)."
            )
        data = cached_dataset(
            train.windows,
            train.label,
            {key: teacher_outputs[key] for key in needed},
            training.batch_size,
            seed=seed,
            drop_remainder=training.drops(train),
        )
    wall, trained = _fit(
        distiller, data, training.epochs, callbacks, verbose, validation
    )
    return student, record(
        student,
        test,
        "student",
        model,
        name,
        models.label(teacher),
        epochs=trained,
        wall_time_s=wall,
        seed=seed,
        fold=fold,
        train_windows=len(train),
    )
