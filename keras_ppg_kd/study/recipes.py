"""Recipes: train a teacher, a scratch baseline, or distil a student.

Each recipe takes :class:`~keras_ppg_kd.data.WindowSet` splits, returns the
trained model and a :class:`Result` record, and defaults to the study's
training setup (Adam 5e-4, cross-entropy, batch 128, 300 epochs) with every
choice a parameter.
"""

import dataclasses
import time

import keras
import numpy as np

from keras_ppg_kd.data.pipeline import to_dataset
from keras_ppg_kd.distiller import Distiller, cached_dataset
from keras_ppg_kd.heart_rate import logits_to_bpm
from keras_ppg_kd.losses import FeatureDistillation
from keras_ppg_kd.losses import get as get_loss
from keras_ppg_kd.models import ResNet1D, mlp_for_budget

STUDY_EPOCHS = 300
STUDY_LEARNING_RATE = 5e-4
STUDY_BATCH_SIZE = 128


@dataclasses.dataclass(frozen=True)
class Result:
    """One trained model's record (one row of a results table).

    Attributes:
        role: ``"teacher"``, ``"scratch"`` or ``"student"``.
        model: ``"resnet"`` or ``"mlp"``.
        size: ResNet1D blocks (for an MLP: the blocks it matches).
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

    def to_dict(self):
        return dataclasses.asdict(self)


def trainable_parameters(model):
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


def build_model(kind, size):
    """A ResNet1D of ``size`` blocks, or an MLP with as many parameters."""
    if kind == "resnet":
        return ResNet1D(size, name=f"resnet1d_{size}")
    if kind == "mlp":
        budget = trainable_parameters(ResNet1D(size))
        return mlp_for_budget(budget, name=f"mlp_{size}")
    raise ValueError(f"Unknown model kind {kind!r}; use 'resnet' or 'mlp'.")


def resolve_strategy(strategy, kind):
    """Loss objects for ``strategy``; ``"feature"`` fits the student kind.

    A ResNet student matches the teacher's ``head`` feature map with its
    own; an MLP student, which has no time axis, matches the teacher's
    pooled ``pool`` vector with its last hidden layer (``head``).
    """
    items = strategy if isinstance(strategy, (list, tuple)) else [strategy]
    resolved = []
    for item in items:
        if item == "feature" and kind == "mlp":
            item = FeatureDistillation("pool", "head")
        resolved.append(get_loss(item))
    return resolved


def evaluate(model, windows, batch_size=512):
    """``(mae, rmse)`` in BPM of argmax-decoded predictions vs reference HR."""
    logits = model.predict(windows.windows, batch_size=batch_size, verbose=0)
    error = np.asarray(logits_to_bpm(logits)) - windows.hr_bpm
    return float(np.mean(np.abs(error))), float(np.sqrt(np.mean(error**2)))


def _fit(model, data, epochs, callbacks, verbose):
    start = time.perf_counter()
    # The tf.data pipeline shuffles; fit's own shuffle would only warn.
    model.fit(
        data,
        epochs=epochs,
        callbacks=list(callbacks),
        verbose=verbose,
        shuffle=False,
    )
    return time.perf_counter() - start


def _record(model, test, role, kind, size, strategy, teacher, **fields):
    mae, rmse = evaluate(model, test) if len(test) else (np.nan, np.nan)
    return Result(
        role=role,
        model=kind,
        size=size,
        params=trainable_parameters(model),
        strategy=strategy,
        teacher=teacher,
        mae=mae,
        rmse=rmse,
        test_windows=len(test),
        **fields,
    )


def train_scratch(
    train,
    test,
    size=1,
    kind="resnet",
    epochs=STUDY_EPOCHS,
    batch_size=STUDY_BATCH_SIZE,
    learning_rate=STUDY_LEARNING_RATE,
    seed=0,
    fold=0,
    callbacks=(),
    verbose=0,
    role="scratch",
):
    """Train a model with cross-entropy alone (a scratch baseline).

    Args:
        train: Training :class:`~keras_ppg_kd.data.WindowSet`.
        test: Test WindowSet (MAE/RMSE in the record).
        size: ResNet1D blocks (or the blocks an MLP matches).
        kind: ``"resnet"`` or ``"mlp"``.
        epochs: Epochs.
        batch_size: Batch size.
        learning_rate: Adam learning rate.
        seed: Seed for weights and shuffling.
        fold: Fold index written to the record.
        callbacks: Keras callbacks (e.g. ``BackupAndRestore``).
        verbose: Keras verbosity.
        role: Written to the record (``"teacher"`` for teachers).

    Returns:
        ``(model, Result)``.
    """
    keras.utils.set_random_seed(seed)
    model = build_model(kind, size)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    wall = _fit(
        model,
        to_dataset(train, batch_size, seed=seed),
        epochs,
        callbacks,
        verbose,
    )
    strategy = "teacher" if role == "teacher" else "scratch"
    return model, _record(
        model,
        test,
        role,
        kind,
        size,
        strategy,
        0,
        epochs=epochs,
        wall_time_s=wall,
        seed=seed,
        fold=fold,
        train_windows=len(train),
    )


def train_teacher(train, test, blocks=12, **kwargs):
    """Train a ResNet1D teacher; arguments as :func:`train_scratch`."""
    return train_scratch(
        train, test, size=blocks, kind="resnet", role="teacher", **kwargs
    )


def distill(
    teacher,
    train,
    test,
    size=1,
    kind="resnet",
    strategy="dkd",
    teacher_outputs=None,
    epochs=STUDY_EPOCHS,
    batch_size=STUDY_BATCH_SIZE,
    learning_rate=STUDY_LEARNING_RATE,
    seed=0,
    fold=0,
    callbacks=(),
    verbose=0,
):
    """Distil a new student from ``teacher`` with one strategy.

    Args:
        teacher: The trained teacher.
        train: Training WindowSet.
        test: Test WindowSet.
        size: Student ResNet1D blocks (or the blocks an MLP matches).
        kind: ``"resnet"`` or ``"mlp"``.
        strategy: A loss alias or instance (``"hard"``, ``"soft"``,
            ``"dkd"``, ``"feature"``) or a list of them.
        teacher_outputs: Cached teacher outputs on ``train``
            (:meth:`Distiller.teacher_outputs`); computed when None. Share
            them across the students of one teacher.
        epochs, batch_size, learning_rate, seed, fold, callbacks, verbose:
            As in :func:`train_scratch`.

    Returns:
        ``(student, Result)``; the record's ``teacher`` is the teacher's
        block count when it has one.
    """
    keras.utils.set_random_seed(seed)
    student = build_model(kind, size)
    distiller = Distiller(
        teacher, student, loss=resolve_strategy(strategy, kind)
    )
    distiller.compile(optimizer=keras.optimizers.Adam(learning_rate))
    if teacher_outputs is None:
        teacher_outputs = distiller.teacher_outputs(train.windows)
    needed = {"logits", *distiller.teacher_taps}
    data = cached_dataset(
        train.windows,
        train.label,
        {key: teacher_outputs[key] for key in needed},
        batch_size,
        seed=seed,
    )
    wall = _fit(distiller, data, epochs, callbacks, verbose)
    items = strategy if isinstance(strategy, (list, tuple)) else [strategy]
    name = "+".join(
        s if isinstance(s, str) else type(s).__name__ for s in items
    )
    return student, _record(
        student,
        test,
        "student",
        kind,
        size,
        name,
        getattr(teacher, "num_blocks", 0),
        epochs=epochs,
        wall_time_s=wall,
        seed=seed,
        fold=fold,
        train_windows=len(train),
    )
