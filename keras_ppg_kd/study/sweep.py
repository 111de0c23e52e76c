"""Teacher x student x strategy sweeps: resumable, shardable, Ray-ready.

One job per module: :mod:`~keras_ppg_kd.study.plan` (cells, folds,
shards), :mod:`~keras_ppg_kd.study.store` (the sweep directory),
:mod:`~keras_ppg_kd.study.progress`, :mod:`~keras_ppg_kd.study.cost` (dry
runs) and :mod:`~keras_ppg_kd.study.ray_engine`; this one runs cells.

Finished cells are never redone; a half-done cell resumes from its last
finished epoch. Our files are written to a temporary name and then moved
into place; Keras's backups keep the previous checkpoint too, and a backup
that still fails to load is moved aside (``backup/<cell>.corrupt-*``) with
a warning and the cell restarts. A cell record counts as done only when it
parses, has every field and was made by this config on these data;
otherwise it is moved aside (``.corrupt-*``) with a warning naming it and
the cell is redone. A per-cell lock lets shards and duplicate sweeps share
a folder: a process that meets a locked cell waits for it and reads its
result. Teachers train once per fold and seed; their outputs on the
training windows are computed once and shared by every student cell.
"""

import os
from collections.abc import Mapping
from typing import TextIO

import keras
import numpy as np
import pandas as pd

from keras_ppg_kd import pretrained
from keras_ppg_kd.data.transforms import WindowSet
from keras_ppg_kd.study import recipes
from keras_ppg_kd.study.config import SCRATCH, StudyConfig, get_config
from keras_ppg_kd.study.plan import (
    fold_masks,
    load_study_windows,
    parse_shard,
    plan_cells,
)
from keras_ppg_kd.study.progress import Progress, training_callbacks
from keras_ppg_kd.study.store import (
    SafeBackupAndRestore,
    SweepStore,
    data_fingerprint,
)


def _shipped_teacher(name, cell):
    """The shipped teacher ``name`` for a teacher cell (sizes must match)."""
    model = pretrained.load(name)
    if model.num_blocks != cell.size:
        raise ValueError(
            f"pretrained_teacher {name!r} has {model.num_blocks} blocks; the "
            f"study's teacher {cell.id} has {cell.size}. Set teachers="
            f"({model.num_blocks},) or pretrained_teacher=''."
        )
    return model


class _Context:
    """Data, folds and settings shared by the cells of one process."""

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
                        blocks=cell.size,
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
        key = (cell.fold, cell.size) if config.pretrained_teacher else cell.id
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
                    train, self.config.teacher_folds, cell.size, **fit
                )
                self.store.save_array(path, outputs["logits"])
            return np.load(path)

    def _fit_kwargs(self, cell, epochs):
        callbacks = [
            SafeBackupAndRestore(self.store.backup_dir(cell)),
            *training_callbacks(
                cell.id, epochs, self.epoch_lines, self.tensorboard
            ),
        ]
        return dict(
            epochs=epochs,
            batch_size=self.config.batch_size,
            learning_rate=self.config.learning_rate,
            label_sigma=self.config.label_sigma,
            schedule=self.config.schedule,
            dropout=self.config.dropout,
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


def run_sweep(
    config: StudyConfig | str | dict,
    out_dir: str | os.PathLike,
    windows: WindowSet | None = None,
    data_dir: str | None = None,
    manual_dir: str | Mapping[str, str] | None = None,
    engine: str = "local",
    ray_address: str | None = None,
    shard: str | tuple[int, int] | None = None,
    verbose: int = 0,
    stream: TextIO | None = None,
    epoch_lines: bool = False,
    tensorboard: str | None = None,
    gpus_per_cell: float | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """Run (or resume) every unfinished cell of a study.

    Args:
        config: A :class:`StudyConfig`, a preset name or a JSON path.
        out_dir: The sweep directory (created; reused to resume).
        windows: Use this WindowSet instead of loading ``config.datasets``.
        data_dir: tfds data directory.
        manual_dir: Manual download directory (or ``{name: dir}``).
        engine: ``"local"`` (this process, in order) or ``"ray"`` (one Ray
            task per cell; teacher -> student dependencies as object
            references).
        ray_address: An existing Ray cluster; a local one when None.
        shard: ``(i, n)`` or ``"i/n"``: run only every n-th cell starting
            at i (plus the teachers those cells need), for job arrays.
        verbose: Keras verbosity during training.
        stream: Where progress goes (stdout by default).
        epoch_lines: Also print epoch lines with each run's ETA
            (:class:`~keras_ppg_kd.study.progress.EpochProgress`; at most
            one per 10 s per run).
        tensorboard: A folder for TensorBoard logs, one sub-folder per
            cell; None writes none.
        gpus_per_cell: Ray only: the share of a GPU each cell requests
            (default a quarter on a cluster with GPUs, else none); see
            :func:`keras_ppg_kd.study.ray_engine.task_options`.
        workers: Local only: run the cells in this many processes, each
            with ``cpu_count // workers`` TensorFlow threads (see
            :mod:`~keras_ppg_kd.study.processes`); 1 runs them here.

    Returns:
        The results DataFrame of every finished cell in ``out_dir``.
    """
    config = get_config(config)
    if engine not in ("local", "ray"):
        raise ValueError(f"engine must be 'local' or 'ray'; got {engine!r}")
    if (
        isinstance(workers, bool)
        or not isinstance(workers, int)
        or (workers < 1 or (workers > 1 and engine != "local"))
    ):
        raise ValueError(
            f"workers must be an integer >= 1 (above 1 with engine='local' "
            f"only). Received: workers={workers!r}, engine={engine!r}"
        )
    if gpus_per_cell is not None and engine != "ray":
        raise ValueError(
            f"gpus_per_cell applies to engine='ray'; received engine="
            f"{engine!r} with gpus_per_cell={gpus_per_cell}"
        )
    cells = plan_cells(config)
    if shard is not None:
        index, count = shard if isinstance(shard, tuple) else parse_shard(shard)
        cells = cells[index::count]
    if windows is None:
        windows = load_study_windows(config, data_dir, manual_dir)
    context = _Context(
        config, out_dir, windows, verbose, epoch_lines, tensorboard
    )
    todo = [c for c in cells if not context.store.done(c)]
    progress = Progress(config, todo, len(cells), stream)
    if engine == "local" and workers > 1:
        from keras_ppg_kd.study.processes import run_processes

        run_processes(context, todo, workers, progress)
    elif engine == "local":
        for cell in todo:
            progress.update(context.run(cell))
            context.store.write_table()
    else:
        from keras_ppg_kd.study.ray_engine import run_ray

        run_ray(context, todo, ray_address, progress, gpus_per_cell)
    context.store.write_table()
    return context.store.results()
