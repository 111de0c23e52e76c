"""Teacher x student x strategy sweeps: resumable, shardable, Ray-ready.

A sweep directory holds::

    study.json            the StudyConfig (a rerun must match it)
    data.json             fingerprint of the windows the study runs on
    cells/<cell>.json     one finished cell's Result (the completion marker)
    models/<cell>.keras   its trained model (teachers and students)
    backup/<cell>/        BackupAndRestore state of a cell in progress
    locks/<cell>.lock     held (flock) by the process working on the cell
    results.csv          every finished cell, one row each

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

import dataclasses
import fcntl
import glob
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import warnings

import keras
import numpy as np
import pandas as pd

from keras_ppg_kd import models
from keras_ppg_kd.data import splits
from keras_ppg_kd.datasets.loading import load_windows
from keras_ppg_kd.study import recipes
from keras_ppg_kd.study.config import SCRATCH, StudyConfig, get_config


@dataclasses.dataclass(frozen=True, order=True)
class Cell:
    """One unit of work: a teacher, a scratch model or a distilled student."""

    fold: int
    seed: int
    role: str
    model: str
    size: int
    strategy: str
    teacher: int = 0

    @property
    def identifier(self):
        """The model's ``"family:size"``."""
        return f"{self.model}:{self.size}"

    @property
    def id(self):
        prefix = f"f{self.fold}-s{self.seed}"
        if self.role == "teacher":
            return f"{prefix}-teacher{self.size}"
        if self.role == SCRATCH:
            return f"{prefix}-scratch-{self.model}{self.size}"
        return (
            f"{prefix}-t{self.teacher}-{self.model}{self.size}-{self.strategy}"
        )

    def teacher_cell(self):
        return Cell(
            self.fold, self.seed, "teacher", "resnet", self.teacher, "teacher"
        )


def num_folds(config):
    if config.split == "kfold":
        return config.folds
    if config.split == "holdout":
        return 1
    return len({d.partition("/")[0] for d in config.datasets})


def fold_masks(config, windows):
    """``[(train_mask, test_mask), ...]`` per fold (split seed fixed at 0)."""
    if config.split == "kfold":
        return splits.k_fold(windows, config.folds, seed=0)
    if config.split == "holdout":
        return [splits.train_test_split(windows, config.test_fraction, 0)]
    return [
        splits.leave_one_dataset_out(windows, name)
        for name in sorted(set(windows.dataset.astype(str)))
    ]


def distills_from(student, teacher, margin=0.9):
    """Whether a student is small enough to distil from a ResNet1D teacher:
    at most ``margin`` of the teacher's parameters (a size-matched MLP is
    not distilled from its own-size teacher)."""
    return (
        models.cost(student)[0] <= margin * models.cost(f"resnet:{teacher}")[0]
    )


def plan_cells(config):
    """Every cell of the study, teachers first, in a stable order.

    Raises:
        ValueError: strategies and teachers are given, but no student is
            small enough to distil from any teacher.
    """
    cells = []
    students = [models.parse(s) for s in config.students]
    pairs = {
        (kind, size, t): distills_from(f"{kind}:{size}", t)
        for kind, size in students
        for t in config.teachers
    }
    if config.strategies and config.teachers and not any(pairs.values()):
        raise ValueError(
            f"Invalid study config: no student in {list(config.students)} "
            f"is smaller than a teacher in {list(config.teachers)}."
        )
    for fold in range(num_folds(config)):
        for seed in config.seeds:
            for t in config.teachers:
                cells.append(
                    Cell(fold, seed, "teacher", "resnet", t, "teacher")
                )
            if config.scratch:
                for kind, size in students:
                    cells.append(Cell(fold, seed, SCRATCH, kind, size, SCRATCH))
            for t in config.teachers:
                for kind, size in students:
                    if not pairs[kind, size, t]:
                        continue
                    for strategy in config.strategies:
                        cells.append(
                            Cell(fold, seed, "student", kind, size, strategy, t)
                        )
    return cells


def parse_shard(text):
    """``"i/n"`` -> ``(i, n)`` with ``0 <= i < n``."""
    try:
        index, count = (int(part) for part in str(text).split("/"))
    except ValueError:
        index = count = -1
    if not 0 <= index < count:
        raise ValueError(
            f"--shard must be 'i/n' with 0 <= i < n (e.g. 0/4). "
            f"Received: {text!r}"
        )
    return index, count


_RECORD_FIELDS = {
    "cell",
    "learning_rate",
    "batch_size",
    "config_hash",
    "data_fingerprint",
    *(f.name for f in dataclasses.fields(recipes.Result)),
}


def data_fingerprint(windows):
    """A short hash of the windows, labels, participants and start times."""
    digest = hashlib.sha256()
    digest.update(np.ascontiguousarray(windows.windows, "float32").tobytes())
    digest.update(np.ascontiguousarray(windows.hr_bpm, "float32").tobytes())
    digest.update(np.ascontiguousarray(windows.start_times, "float32"))
    digest.update("|".join(splits.participant_keys(windows)).encode())
    return f"{len(windows)}-{digest.hexdigest()[:16]}"


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _move_aside(path, why):
    """Rename a damaged file or folder out of the way, with a warning."""
    target = f"{path}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
    os.replace(path, target)
    warnings.warn(
        f"{path}: {why}; moved to {os.path.basename(target)} and redoing "
        "that work.",
        RuntimeWarning,
        stacklevel=2,
    )


class SafeBackupAndRestore(keras.callbacks.BackupAndRestore):
    """``BackupAndRestore`` that survives a kill at any byte.

    Keeps Keras's previous checkpoint as well (``double_checkpoint``); if
    neither loads (a truncated weights file, a half-written metadata
    JSON), the backup folder is moved aside with a warning and training
    starts over from the model's initial state.
    """

    def __init__(self, backup_dir):
        super().__init__(backup_dir, double_checkpoint=True)
        self.restarted = False

    def on_train_begin(self, logs=None):
        initial = [v.numpy() for v in self.model.weights]
        try:
            super().on_train_begin(logs)
        except (OSError, ValueError, KeyError) as error:
            for variable, value in zip(self.model.weights, initial):
                variable.assign(value)
            optimizer = self.model.optimizer
            if optimizer is not None and optimizer.built:
                for variable in optimizer.variables:
                    variable.assign(np.zeros(variable.shape, variable.dtype))
            self._current_epoch = 0
            _move_aside(
                self.backup_dir,
                f"backup does not load ({type(error).__name__}: {error})",
            )
            self.restarted = True


class SweepStore:
    """The sweep directory: config, per-cell results, models, backups."""

    def __init__(self, out_dir, config, fingerprint=None):
        self.out_dir = os.path.abspath(out_dir)
        self.config_hash = hashlib.sha256(
            config.to_json().encode()
        ).hexdigest()[:16]
        self.fingerprint = fingerprint
        self.settings = {
            "learning_rate": config.learning_rate,
            "batch_size": config.batch_size,
        }
        for sub in ("cells", "models", "backup", "locks"):
            os.makedirs(os.path.join(self.out_dir, sub), exist_ok=True)
        self._clean_temps()
        path = os.path.join(self.out_dir, "study.json")
        if os.path.exists(path):
            with open(path) as f:
                saved = StudyConfig.from_json(f.read())
            if saved != config:
                diff = {
                    key: (getattr(saved, key), getattr(config, key))
                    for key in dataclasses.asdict(config)
                    if getattr(saved, key) != getattr(config, key)
                }
                raise ValueError(
                    f"{self.out_dir} holds a different study; differences "
                    f"(saved, requested): {diff}. Use another output "
                    "directory, or the saved config to resume."
                )
        else:
            self._write_text(path, config.to_json())
        if fingerprint is not None:
            self._check_data(fingerprint)

    def _check_data(self, fingerprint):
        path = os.path.join(self.out_dir, "data.json")
        if os.path.exists(path):
            try:
                with open(path) as f:
                    saved = json.load(f)["fingerprint"]
            except (ValueError, KeyError) as error:
                raise ValueError(f"{path} is damaged ({error})") from None
            if saved != fingerprint:
                raise ValueError(
                    f"{self.out_dir} was run on other data (fingerprint "
                    f"{saved}; these windows: {fingerprint}). Resume with "
                    "the same data or use another output directory."
                )
        else:
            self._write_text(path, json.dumps({"fingerprint": fingerprint}))

    def _clean_temps(self):
        """Remove temporary files left by processes that no longer run."""
        for path in glob.glob(os.path.join(self.out_dir, ".tmp-*")):
            pid = os.path.basename(path).split("-")[1]
            if pid.isdigit() and not _alive(int(pid)):
                os.remove(path)

    def lock(self, cell):
        """A context manager holding ``cell``'s lock (waits for it)."""
        return _FileLock(self._path("locks", cell, ".lock"))

    def _path(self, sub, cell, ext):
        return os.path.join(self.out_dir, sub, cell.id + ext)

    def model_path(self, cell):
        return self._path("models", cell, ".keras")

    def backup_dir(self, cell):
        return os.path.join(self.out_dir, "backup", cell.id)

    def done(self, cell):
        """Whether ``cell`` has a valid record (a damaged one is moved)."""
        return self._valid_record(self._path("cells", cell, ".json"))

    def _valid_record(self, path):
        if not os.path.exists(path):
            return None
        try:
            with open(path) as f:
                row = json.load(f)
            missing = _RECORD_FIELDS - set(row)
            if missing:
                raise ValueError(f"missing fields {sorted(missing)}")
        except ValueError as error:  # JSONDecodeError is a ValueError
            _move_aside(path, f"unreadable cell record ({error})")
            return None
        if row["config_hash"] != self.config_hash or (
            self.fingerprint and row["data_fingerprint"] != self.fingerprint
        ):
            raise ValueError(
                f"{path} was made by another config or on other data "
                f"(config {row['config_hash']} vs {self.config_hash}, data "
                f"{row['data_fingerprint']} vs {self.fingerprint}); use "
                "another output directory."
            )
        return row

    def _temp(self, suffix):
        fd, tmp = tempfile.mkstemp(
            prefix=f".tmp-{os.getpid()}-", suffix=suffix, dir=self.out_dir
        )
        os.close(fd)
        return tmp

    def _write_text(self, path, text):
        tmp = self._temp(".tmp")
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)

    def save_model(self, cell, model, exclusive=False):
        """Save atomically; with ``exclusive`` the first writer wins.

        Returns:
            False when ``exclusive`` and another process published first.
        """
        tmp = self._temp(".keras")
        model.save(tmp)
        try:
            if exclusive:
                try:
                    os.link(tmp, self.model_path(cell))
                except FileExistsError:
                    return False
            else:
                os.replace(tmp, self.model_path(cell))
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        return True

    def save_result(self, cell, result):
        row = {
            "cell": cell.id,
            **result.to_dict(),
            **self.settings,
            "config_hash": self.config_hash,
            "data_fingerprint": self.fingerprint,
        }
        self._write_text(
            self._path("cells", cell, ".json"), json.dumps(row, indent=1)
        )
        shutil.rmtree(self.backup_dir(cell), ignore_errors=True)

    def read_result(self, cell):
        row = self.done(cell)
        if row is None:
            raise ValueError(f"cell {cell.id} has no valid record yet")
        return row

    def results(self):
        """Every finished cell as a DataFrame (one row per valid record)."""
        folder = os.path.join(self.out_dir, "cells")
        rows = [
            self._valid_record(os.path.join(folder, name))
            for name in sorted(os.listdir(folder))
            if name.endswith(".json")
        ]
        return pd.DataFrame([row for row in rows if row is not None])

    def write_table(self):
        table = self.results()
        tmp = self._temp(".csv")
        table.to_csv(tmp, index=False)
        path = os.path.join(self.out_dir, "results.csv")
        os.replace(tmp, path)
        return path


class _FileLock:
    """An exclusive ``flock`` on a file; released by the kernel on death."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        self.fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o644)
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


class _Context:
    """Data, folds and settings shared by the cells of one process."""

    def __init__(self, config, out_dir, windows, verbose):
        self.config = config
        self.store = SweepStore(out_dir, config, data_fingerprint(windows))
        self.windows = windows
        self.masks = fold_masks(config, windows)
        self.verbose = verbose
        self.teachers = {}

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
                model, result = recipes.train_teacher(
                    train,
                    test,
                    blocks=cell.size,
                    epochs=config.teacher_epochs,
                    **self._fit_kwargs(cell),
                )
                if not store.save_model(cell, model, exclusive=True):
                    model = result = None  # another process published it
            if model is None:  # the published file is the truth
                model = keras.saving.load_model(store.model_path(cell))
            if not store.done(cell):
                store.save_result(
                    cell, result or self._record(cell, model, train, test)
                )
        taps = self.teacher_taps()
        predicted = model.feature_model(taps).predict(
            train.windows, batch_size=512, verbose=0
        )
        outputs = {key: np.asarray(value) for key, value in predicted.items()}
        self.teachers[cell.id] = (model, outputs)
        return model, outputs

    def _record(self, cell, model, train, test):
        mae, rmse = recipes.evaluate(model, test)
        return recipes.Result(
            role="teacher",
            model="resnet",
            size=cell.size,
            params=models.trainable_parameters(model),
            strategy="teacher",
            teacher=0,
            mae=mae,
            rmse=rmse,
            epochs=self.config.teacher_epochs,
            wall_time_s=float("nan"),
            seed=cell.seed,
            fold=cell.fold,
            train_windows=len(train),
            test_windows=len(test),
        )

    def _fit_kwargs(self, cell):
        return dict(
            batch_size=self.config.batch_size,
            learning_rate=self.config.learning_rate,
            seed=cell.seed,
            fold=cell.fold,
            verbose=self.verbose,
            callbacks=[SafeBackupAndRestore(self.store.backup_dir(cell))],
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
            epochs=self.config.epochs,
            **self._fit_kwargs(cell),
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


def _work(cell, config):
    """Rough relative cost of a cell: epochs x the model's layer count."""
    epochs = config.teacher_epochs if cell.role == "teacher" else config.epochs
    return epochs * models.cost(cell.identifier)[1]


class Progress:
    """Prints ``[done/total] cell  MAE  elapsed  ETA`` lines.

    The ETA weighs the cells still to run by their rough cost (epochs and
    model depth), so a slow teacher first does not inflate it.
    """

    def __init__(self, config, todo, total, stream=None):
        self.work = {cell.id: _work(cell, config) for cell in todo}
        self.planned = self.left = sum(self.work.values())
        self.total, self.done = total, total - len(todo)
        self.start = time.perf_counter()
        self.stream = stream or sys.stdout

    def update(self, row):
        self.done += 1
        self.left -= self.work.pop(row["cell"], 0)
        elapsed = time.perf_counter() - self.start
        eta = elapsed / max(self.planned - self.left, 1) * self.left
        print(
            f"[{self.done}/{self.total}] {row['cell']:<32} "
            f"MAE {row['mae']:6.2f} BPM  elapsed {elapsed:6.0f} s  "
            f"ETA {eta:6.0f} s",
            file=self.stream,
            flush=True,
        )


def load_study_windows(config, data_dir=None, manual_dir=None):
    windows = load_windows(
        list(config.datasets), data_dir=data_dir, manual_dir=manual_dir
    )
    participants = len(np.unique(splits.participant_keys(windows)))
    needed = config.folds if config.split == "kfold" else 2
    if participants < needed:
        raise ValueError(
            f"{list(config.datasets)} has {participants} participants; split "
            f"{config.split!r} needs at least {needed}."
        )
    return windows


def run_sweep(
    config,
    out_dir,
    windows=None,
    data_dir=None,
    manual_dir=None,
    engine="local",
    ray_address=None,
    shard=None,
    verbose=0,
    stream=None,
):
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

    Returns:
        The results DataFrame of every finished cell in ``out_dir``.
    """
    config = get_config(config)
    if engine not in ("local", "ray"):
        raise ValueError(f"engine must be 'local' or 'ray'; got {engine!r}")
    cells = plan_cells(config)
    if shard is not None:
        index, count = shard if isinstance(shard, tuple) else parse_shard(shard)
        cells = cells[index::count]
    if windows is None:
        windows = load_study_windows(config, data_dir, manual_dir)
    context = _Context(config, out_dir, windows, verbose)
    todo = [c for c in cells if not context.store.done(c)]
    progress = Progress(config, todo, len(cells), stream)
    if engine == "local":
        for cell in todo:
            progress.update(context.run(cell))
            context.store.write_table()
    else:
        _run_ray(context, todo, ray_address, progress)
    context.store.write_table()
    return context.store.results()


# The study's three datasets total 107 h (Arora et al., arXiv 2511.18829):
# the nominal size used by a dry run when the data are not prepared here.
NOMINAL_WINDOWS = int(107 * 3600 / 2)


def measure_rate(identifier, batch_size=128, steps=4):
    """Training windows per second of one model on this machine."""
    model = models.get(identifier)
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch_size, model.input_length, 1), "float32")
    y = rng.integers(0, model.num_classes, batch_size)
    model.train_on_batch(x, y)  # trace
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    return steps * batch_size / (time.perf_counter() - start)


def dry_run(config, data_dir=None, manual_dir=None, stream=None):
    """Print the cells and an estimated time from measured step rates.

    Distilled students train from cached teacher outputs, so a student
    cell costs about what its scratch twin costs (see
    ``benchmarks/bench_distill.py``); teacher cells are costed at their own
    rate. Evaluation and teacher-output caching are not counted.

    Returns:
        Estimated sequential seconds on this machine.
    """
    config = get_config(config)
    stream = stream or sys.stdout
    cells = plan_cells(config)
    try:
        windows = load_study_windows(config, data_dir, manual_dir)
        masks = fold_masks(config, windows)
        train_sizes = [int(train.sum()) for train, _ in masks]
        source = "prepared data"
    except (FileNotFoundError, OSError, AssertionError) as error:
        share = (config.folds - 1) / config.folds
        if config.split == "holdout":
            share = 1 - config.test_fraction
        train_sizes = [int(NOMINAL_WINDOWS * share)] * num_folds(config)
        source = (
            f"nominal 107 h = {NOMINAL_WINDOWS:,} windows (data not "
            f"prepared here: {type(error).__name__})"
        )
    rates = {}
    total = 0.0
    for cell in cells:
        key = cell.identifier
        if key not in rates:
            rates[key] = measure_rate(key, batch_size=config.batch_size)
        epochs = (
            config.teacher_epochs if cell.role == "teacher" else (config.epochs)
        )
        total += epochs * train_sizes[cell.fold] / rates[key]
    for cell in cells:
        print(f"  {cell.id}", file=stream)
    roles = pd.Series([c.role for c in cells]).value_counts().to_dict()
    print(
        f"{len(cells)} cells {roles}; training windows per fold "
        f"{train_sizes} ({source})",
        file=stream,
    )
    for identifier, rate in sorted(rates.items()):
        print(f"  {identifier}: {rate:,.0f} training windows/s", file=stream)
    print(
        f"estimated time on this machine: {total / 3600:,.1f} h "
        f"({total:,.0f} s) run sequentially",
        file=stream,
    )
    return total


# === Ray ===
# Tasks rebuild a _Context in the worker from (config, out_dir, windows);
# the windows travel once through the object store.


def _ray_teacher(config_json, out_dir, windows, cell):
    context = _Context(StudyConfig.from_json(config_json), out_dir, windows, 0)
    _, outputs = context.ensure_teacher(cell)
    return outputs


def _ray_cell(config_json, out_dir, windows, cell, teacher_outputs=None):
    context = _Context(StudyConfig.from_json(config_json), out_dir, windows, 0)
    if teacher_outputs is not None:
        teacher = keras.saving.load_model(
            context.store.model_path(cell.teacher_cell())
        )
        context.teachers[cell.teacher_cell().id] = (teacher, teacher_outputs)
    return context.run(cell)


def _run_ray(context, todo, address, progress):
    try:
        import ray
    except ImportError:
        raise ImportError(
            "engine='ray' needs Ray: pip install 'keras-ppg-kd[ray]'"
        ) from None
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    try:
        config_json = context.config.to_json()
        out_dir, windows = context.store.out_dir, ray.put(context.windows)
        teacher_task = ray.remote(_ray_teacher)
        cell_task = ray.remote(_ray_cell)
        teachers, pending = {}, {}

        def teacher_ref(cell):
            if cell.id not in teachers:
                teachers[cell.id] = teacher_task.remote(
                    config_json, out_dir, windows, cell
                )
            return teachers[cell.id]

        for cell in todo:
            if cell.role == "teacher":
                ref = teacher_ref(cell)  # its row is written by the task
            elif cell.role == "student":
                dependency = teacher_ref(cell.teacher_cell())
                ref = cell_task.remote(
                    config_json, out_dir, windows, cell, dependency
                )
            else:
                ref = cell_task.remote(config_json, out_dir, windows, cell)
            pending[ref] = cell
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            cell = pending.pop(ready[0])
            ray.get(ready[0])  # re-raises a task's error here
            progress.update(context.store.read_result(cell))
            context.store.write_table()
    finally:
        if started_here:
            ray.shutdown()
