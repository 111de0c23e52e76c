"""The sweep directory: validated cell records, models, backups, locks.

A sweep directory holds::

    study.json            the StudyConfig (a rerun must match it, or extend
                          its grid: more seeds, students, strategies or
                          teachers, everything else the same)
    data.json             fingerprint of the windows the study runs on
    cells/<cell>.json     one finished cell's Result (the completion marker);
                          a directory without cells/ but with results.csv
                          (a study committed as its table alone) has its
                          records written back from the table's rows
    models/<cell>.keras   its trained model (teachers and students)
    backup/<cell>/        BackupAndRestore state of a cell in progress
    locks/<cell>.lock     held (flock) by the process working on the cell
    results.csv          every finished cell, one row each

Our files are written to a temporary name and then moved into place;
Keras's backups keep the previous checkpoint too, and a backup that still
fails to load is moved aside (``backup/<cell>.corrupt-*``) with a warning
and the cell restarts. A cell record counts as done only when it parses,
has every field and was made by this protocol (the config less its grid)
on these data; otherwise it
is moved aside (``.corrupt-*``) with a warning naming it and the cell is
redone.
"""

import dataclasses
import fcntl
import glob
import hashlib
import json
import os
import shutil
import tempfile
import time
import warnings

import keras
import numpy as np
import pandas as pd

from keras_ppg_kd.data import splits
from keras_ppg_kd.study.config import StudyConfig
from keras_ppg_kd.training import recipes

_RECORD_FIELDS = {
    "cell",
    "learning_rate",
    "batch_size",
    "config_hash",
    "data_fingerprint",
    *(f.name for f in dataclasses.fields(recipes.Result)),
}
_RECORD_TYPES = {
    "learning_rate": float,
    "batch_size": int,
    **{f.name: f.type for f in dataclasses.fields(recipes.Result)},
}


def _typed(name, text):
    """A results.csv cell (read as text) as its record field's type."""
    kind = _RECORD_TYPES.get(name, str)
    if kind not in (int, float):
        return text
    if kind is float and text == "":
        return float("nan")  # how pandas writes a NaN
    try:
        return kind(text)
    except ValueError:
        return text  # e.g. a teacher named by its family


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


# The grid's axes: a rerun may add to them (an extended study); every
# other field is the cells' protocol and must match.
GRID_AXES = ("seeds", "students", "strategies", "teachers")


def _hash(config, without=()):
    fields = json.loads(config.to_json())
    for key in without:
        fields.pop(key)
    text = json.dumps(fields, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class SweepStore:
    """The sweep directory: config, per-cell results, models, backups."""

    def __init__(self, out_dir, config, fingerprint=None):
        self.out_dir = os.path.abspath(out_dir)
        # Records carry the protocol's hash, so extending the grid keeps
        # them; records written before that carry the whole config's hash
        # (legacy), valid while study.json is the config that made them.
        self.config_hash = _hash(config, GRID_AXES)
        self._valid_hashes = {self.config_hash}
        self.fingerprint = fingerprint
        self.settings = {
            "learning_rate": config.learning_rate,
            "batch_size": config.batch_size,
        }
        table = os.path.join(self.out_dir, "results.csv")
        restore = os.path.isfile(table) and not os.path.isdir(
            os.path.join(self.out_dir, "cells")
        )
        for sub in ("cells", "models", "backup", "locks"):
            os.makedirs(os.path.join(self.out_dir, sub), exist_ok=True)
        self._clean_temps()
        if restore:
            self._restore_records(table)
        path = os.path.join(self.out_dir, "study.json")
        if os.path.exists(path):
            with open(path) as f:
                text = f.read()
            try:
                saved = StudyConfig.from_json(text)
            except (ValueError, TypeError, KeyError) as error:
                raise ValueError(
                    f"{path} is damaged ({type(error).__name__}: {error}); "
                    "restore it, or use another output directory."
                ) from None
            legacy = hashlib.sha256(saved.to_json().encode()).hexdigest()[:16]
            self._valid_hashes.add(legacy)
            if saved != config:
                self._extend(saved, config, legacy)
                self._write_text(path, config.to_json())
        else:
            self._write_text(path, config.to_json())
        if fingerprint is not None:
            self._check_data(fingerprint)

    def _extend(self, saved, config, legacy):
        """Accept ``config`` when it only adds to ``saved``'s grid.

        Legacy records are re-stamped with the protocol hash before
        study.json changes, so a crash in between leaves a directory that
        either config still reads.
        """
        diff = {
            key: (getattr(saved, key), getattr(config, key))
            for key in dataclasses.asdict(config)
            if getattr(saved, key) != getattr(config, key)
        }
        grows = all(
            key in GRID_AXES and set(old) <= set(new)
            for key, (old, new) in diff.items()
        )
        if not grows:
            raise ValueError(
                f"{self.out_dir} holds a different study; differences "
                f"(saved, requested): {diff}. Use another output "
                "directory, the saved config to resume, or one that only "
                f"adds to its grid ({', '.join(GRID_AXES)})."
            )
        for record in glob.glob(os.path.join(self.out_dir, "cells", "*.json")):
            try:
                with open(record) as f:
                    row = json.load(f)
            except ValueError:
                continue  # moved aside when its cell is read
            if row.get("config_hash") == legacy:
                row["config_hash"] = self.config_hash
                self._write_text(record, json.dumps(row, indent=1))

    def _restore_records(self, table):
        """Write each row of ``table`` back as its cell record (they hold
        the same fields), so that a study kept as its table resumes."""
        rows = pd.read_csv(table, dtype=str, keep_default_na=False)
        for row in rows.to_dict("records"):
            record = {k: _typed(k, v) for k, v in row.items()}
            path = os.path.join(self.out_dir, "cells", f"{row['cell']}.json")
            self._write_text(path, json.dumps(record, indent=1))

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

    def cross_fit_path(self, cell):
        """The teacher cell's cross-fitted logits (``.npy``)."""
        return self._path("models", cell, ".crossfit.npy")

    def save_array(self, path, array):
        """Save ``array`` to ``path`` (``.npy``) atomically."""
        tmp = self._temp(".npy")
        np.save(tmp, array)
        os.replace(tmp, path)

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
        if row["config_hash"] not in self._valid_hashes or (
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
