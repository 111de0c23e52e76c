"""Planning a sweep: its cells, folds and shards."""

import dataclasses
import re

import numpy as np

from keras_ppg_kd import models
from keras_ppg_kd.data import splits
from keras_ppg_kd.study.config import SCRATCH, StudyConfig


def teacher_tag(teacher):
    """A teacher in cell ids: ResNet1D blocks as a number (the study's
    ``t12``), other families as ``<family><size>`` (``ttcn8``)."""
    family, size = models.parse(teacher)
    return str(size) if family == models.DEFAULT_FAMILY else f"{family}{size}"


@dataclasses.dataclass(frozen=True, order=True)
class Cell:
    """One unit of work: a teacher, a scratch model or a distilled student."""

    fold: int
    seed: int
    role: str
    model: str
    size: int
    strategy: str
    teacher: int | str = 0  # the config's teacher: blocks, or "family:size"

    @property
    def identifier(self):
        """The model's ``"family:size"``."""
        return f"{self.model}:{self.size}"

    @property
    def id(self):
        prefix = f"f{self.fold}-s{self.seed}"
        if self.role == "teacher":
            return f"{prefix}-teacher{teacher_tag(self.identifier)}"
        if self.role == SCRATCH:
            return f"{prefix}-scratch-{self.model}{self.size}"
        # A strategy with arguments ("soft:temperature=2") names a file:
        # only characters every file system takes ("soft_temperature_2").
        strategy = re.sub(r"[^A-Za-z0-9.-]+", "_", self.strategy)
        return (
            f"{prefix}-t{teacher_tag(self.teacher)}-{self.model}{self.size}-"
            f"{strategy}"
        )

    def teacher_cell(self):
        family, size = models.parse(self.teacher)
        return Cell(self.fold, self.seed, "teacher", family, size, "teacher")


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
    """Whether a student is small enough to distil from a teacher: at most
    ``margin`` of the teacher's parameters (a size-matched MLP is not
    distilled from its own-size teacher)."""
    return models.cost(student)[0] <= margin * models.cost(teacher)[0]


def plan_cells(config: StudyConfig) -> list["Cell"]:
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
                family, size = models.parse(t)
                cells.append(
                    Cell(fold, seed, "teacher", family, size, "teacher")
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


def load_study_windows(config, data_dir=None, manual_dir=None):
    from keras_ppg_kd.datasets import load_windows  # tfds: TensorFlow

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
