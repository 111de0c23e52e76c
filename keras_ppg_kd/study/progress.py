"""Progress lines with an ETA weighted by each cell's rough cost."""

import sys
import time

from keras_ppg_kd import models


def _work(cell, config):
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
