"""Running one sweep cell: train or distill it, publish it, read it back.

Shared by every engine (:func:`~keras_ppg_kd.study.sweep.run_sweep` in
process, :mod:`~keras_ppg_kd.study.processes`,
:mod:`~keras_ppg_kd.study.ray_engine`), none of which imports another.
"""

import os

import keras
import numpy as np

from keras_ppg_kd import pretrained
from keras_ppg_kd.study.config import SCRATCH
from keras_ppg_kd.study.plan import fold_masks
from keras_ppg_kd.study.progress import training_callbacks
from keras_ppg_kd.study.store import (
    SafeBackupAndRestore,
    SweepStore,
    data_fingerprint,
)
from keras_ppg_kd.training import recipes


def _shipped_teacher(name, cell):
    """The shipped teacher ``name`` (or ``.keras`` path) for a teacher cell
    (sizes must match)."""
    if name.endswith(".keras"):
        model = keras.saving.load_model(name)
    else:
        model = pretrained.load(name)
    if cell.identifier != f"resnet:{model.num_blocks}":
        raise ValueError(
            f"pretrained_teacher {name!r} has {model.num_blocks} blocks; the "
            f"study's teacher {cell.id} is {cell.identifier}. Set teachers="
            f"({model.num_blocks},) or pretrained_teacher=''."
        )
    return model


class CellRunner:
    """Runs a sweep's cells: data, folds and settings shared in a process.

    Every engine (in-process, ``workers=N`` processes, Ray tasks) builds
    one per process and calls :meth:`run` per cell; the sweep folder's
    locks and records make the cells safe to run anywhere, in any order
    that keeps teachers before their students.

    Args:
        config: The :class:`StudyConfig`.
        out_dir: The sweep folder.
        windows: The study's :class:`WindowSet`.
        verbose: Keras verbosity.
        epoch_lines: Print epoch lines with an ETA.
        tensorboard: A TensorBoard folder, or None.
    """

    def __init__(
        self,
        config,
        out_dir,
        windows,
        verbose=0,
        epoch_lines=False,
        tensorboard=None,
    ):
        self.config = config
        self.store = SweepStore(out_dir, config, data_fingerprint(windows))
        self.windows = windows
        self.masks = fold_masks(config, windows)
        self.verbose = verbose
        self.epoch_lines, self.tensorboard = epoch_lines, tensorboard
        self.teachers = {}  # teacher cell id -> (model, outputs on train)
        self._outputs = {}

    def split(self, fold):
        train, test = self.masks[fold]
        return self.windows.subset(train), self.windows.subset(test)

    def teacher_taps(self):
        losses = [
            loss
            for student in self.config.students
            for loss in recipes.resolve_strategy(
                list(self.config.strategies), student
            )
        ]
        return sorted({loss.teacher_tap for loss in losses} - {None})

    def ensure_teacher(self, cell):
        """The published teacher of ``cell`` and its outputs on train."""
        if cell.id in self.teachers:
            return self.teachers[cell.id]
        store, config = self.store, self.config
        train, test = self.split(cell.fold)
        model = result = None
        with store.lock(cell):  # another shard may be training it
            if not os.path.exists(store.model_path(cell)):
                if config.pretrained_teacher:
                    model = _shipped_teacher(config.pretrained_teacher, cell)
                else:
                    model, result = recipes.train_teacher(
                        train,
                        test,
                        model=cell.identifier,
                        **self._fit_kwargs(cell, config.teacher_epochs),
                    )
                if not store.save_model(cell, model, exclusive=True):
                    model = result = None  # another process published it
            if model is None:  # the published file is the truth
                model = keras.saving.load_model(store.model_path(cell))
            if not store.done(cell):
                store.save_result(
                    cell,
                    result
                    or recipes.record(
                        model,
                        test,
                        "teacher",
                        cell.identifier,
                        "teacher",
                        0,
                        epochs=0
                        if config.pretrained_teacher
                        else config.teacher_epochs,
                        wall_time_s=float("nan"),
                        seed=cell.seed,
                        fold=cell.fold,
                        train_windows=len(train),
                    ),
                )
        # A shipped teacher is one model for every seed: its outputs on a
        # fold's training windows are computed once.
        key = (
            (cell.fold, cell.identifier)
            if config.pretrained_teacher
            else cell.id
        )
        if key not in self._outputs:
            taps = self.teacher_taps()
            predicted = model.feature_model(taps).predict(
                train.windows, batch_size=512, verbose=0
            )
            self._outputs[key] = {
                k: np.asarray(v) for k, v in predicted.items()
            }
            if config.teacher_folds:
                self._outputs[key]["logits"] = self._cross_fit(cell, train)
        outputs = self._outputs[key]
        self.teachers[cell.id] = (model, outputs)
        return model, outputs

    def _cross_fit(self, cell, train):
        """The teacher cell's cross-fitted logits on its training windows
        (trained once, then read from the sweep directory)."""
        path = self.store.cross_fit_path(cell)
        with self.store.lock(cell):
            if not os.path.exists(path):
                fit = self._fit_kwargs(cell, self.config.teacher_epochs)
                # Sub-teachers resume from nothing: a backup is one model's.
                fit["callbacks"] = training_callbacks(
                    f"{cell.id}-crossfit",
                    self.config.teacher_epochs,
                    self.epoch_lines,
                    self.tensorboard,
                )
                del fit["fold"]
                _, outputs, _ = recipes.cross_fitted_teachers(
                    train, self.config.teacher_folds, cell.identifier, **fit
                )
                self.store.save_array(path, outputs["logits"])
            return np.load(path)

    def _fit_kwargs(self, cell, epochs):
        """The study's training settings and this cell's run arguments."""
        config = self.config
        callbacks = [
            SafeBackupAndRestore(self.store.backup_dir(cell)),
            *training_callbacks(
                cell.id, epochs, self.epoch_lines, self.tensorboard
            ),
        ]
        training = recipes.Training(
            epochs=epochs,
            batch_size=config.batch_size,
            learning_rate=config.learning_rate,
            label_sigma=config.label_sigma,
            schedule=config.schedule,
            dropout=config.dropout,
        )
        return dict(
            training=training,
            seed=cell.seed,
            fold=cell.fold,
            verbose=self.verbose,
            callbacks=callbacks,
        )

    def run(self, cell):
        """Run one cell (skipping it when already done); returns its row."""
        store = self.store
        if cell.role == "teacher":
            self.ensure_teacher(cell)
            return store.read_result(cell)
        if cell.role == "student":  # outside the student's lock
            self.ensure_teacher(cell.teacher_cell())
        with store.lock(cell):
            if not store.done(cell):
                self._train(cell)
        return store.read_result(cell)

    def _train(self, cell):
        """Train one scratch or student cell and publish it."""
        train, test = self.split(cell.fold)
        common = dict(
            model=cell.identifier,
            **self._fit_kwargs(cell, self.config.epochs),
        )
        if cell.role == SCRATCH:
            model, result = recipes.train_scratch(train, test, **common)
        else:
            teacher, outputs = self.ensure_teacher(cell.teacher_cell())
            model, result = recipes.distill(
                teacher,
                train,
                test,
                strategy=cell.strategy,
                teacher_outputs=outputs,
                **common,
            )
        self.store.save_model(cell, model)
        self.store.save_result(cell, result)
