"""Progress: sweep lines with a cost-weighted ETA, epoch lines, TensorBoard."""

import os
import sys
import time

import keras

from keras_ppg_kd import models


def cell_work(cell, config):
    """Rough relative cost of a cell: epochs x the model's layer count."""
    epochs = config.epochs
    if cell.role == "teacher":  # a shipped one costs about one epoch
        epochs = 1 if config.pretrained_teacher else config.teacher_epochs
    return epochs * models.cost(cell.identifier)[1]


class Progress:
    """Prints ``[done/total] cell  MAE  elapsed  ETA`` lines.

    The ETA weighs the cells still to run by their rough cost (epochs and
    model depth), so a slow teacher first does not inflate it.
    """

    def __init__(self, config, todo, total, stream=None):
        self.work = {cell.id: cell_work(cell, config) for cell in todo}
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


def _duration(seconds):
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class EpochProgress(keras.callbacks.Callback):
    """Epoch lines with the run's ETA, for long training runs.

    Prints ``label  epoch 12/300  loss 1.234  3.1 s/epoch  ETA 15 min``
    after an epoch when at least ``interval_s`` seconds passed since the
    last line, and after the last epoch; short runs stay quiet, an
    hours-long teacher reports every few seconds. The ETA counts the
    epochs left at the mean epoch time of this run (a run resumed from a
    backup counts from where it resumed).

    Args:
        label: What is training (a cell id, a model name).
        epochs: The run's total epochs.
        interval_s: Least seconds between lines.
        stream: Where lines go (stdout by default).
    """

    def __init__(self, label, epochs, interval_s=10.0, stream=None):
        super().__init__()
        self.label, self.epochs, self.interval_s = label, epochs, interval_s
        self.stream = stream

    def on_train_begin(self, logs=None):
        self.start = self.last = time.perf_counter()
        self.first_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        if self.first_epoch is None:
            self.first_epoch = epoch
        done = epoch + 1
        if now - self.last < self.interval_s and done < self.epochs:
            return
        self.last = now
        per_epoch = (now - self.start) / (done - self.first_epoch)
        loss = (logs or {}).get("loss")
        loss = f"  loss {loss:.3f}" if loss is not None else ""
        print(
            f"  {self.label}  epoch {done}/{self.epochs}{loss}  "
            f"{per_epoch:.1f} s/epoch  ETA "
            f"{_duration(per_epoch * (self.epochs - done))}",
            file=self.stream or sys.stdout,
            flush=True,
        )


def training_callbacks(label, epochs, epoch_lines, tensorboard):
    """Progress and TensorBoard callbacks for one training run.

    Args:
        label: The run's name (a sweep cell id, a model name); also its
            TensorBoard sub-folder.
        epochs: Its total epochs.
        epoch_lines: Print :class:`EpochProgress` lines.
        tensorboard: A folder for TensorBoard logs, or None.

    Raises:
        ValueError: ``tensorboard`` is set but the tensorboard package,
            which ``tf.summary`` needs, is not installed.
    """
    callbacks = []
    if epoch_lines:
        callbacks.append(EpochProgress(label, epochs))
    if tensorboard:
        try:
            import tensorboard as _  # noqa: F401  (tf.summary needs it)
        except ImportError:
            raise ValueError(
                f"TensorBoard logs ({tensorboard!r}) need the tensorboard "
                "package: pip install tensorboard (or, in the source "
                "checkout, pip install -e '.[tensorboard]')."
            ) from None
        callbacks.append(
            keras.callbacks.TensorBoard(
                os.path.join(tensorboard, label), write_graph=False
            )
        )
    return callbacks
