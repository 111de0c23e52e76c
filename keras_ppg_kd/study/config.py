"""The study configuration: a frozen dataclass, JSON round trip, presets."""

import dataclasses
import json
import math

from keras_ppg_kd import datasets
from keras_ppg_kd.losses import REGISTRY

SPLITS = ("kfold", "holdout", "lodo")
SCRATCH = "scratch"


def max_blocks(input_length=200, downsample_gap=2):
    """Most ResNet1D blocks before the time axis collapses to one sample.

    Every ``downsample_gap``-th block halves the length (rounding up); a
    block that only sees a single time step has nothing left to convolve.
    """
    halvings = math.ceil(math.log2(input_length)) - 1
    return downsample_gap * halvings + downsample_gap - 1


@dataclasses.dataclass(frozen=True)
class StudyConfig:
    """Everything that defines a sweep; saved as JSON beside its results.

    Args:
        name: A label for the study.
        datasets: Dataset names (see :func:`keras_ppg_kd.data.load_windows`);
            ``"synthetic_ppg/small"`` picks a config.
        split: ``"kfold"`` (by participant, ``folds`` folds), ``"holdout"``
            (one participant-independent split, ``test_fraction`` held out)
            or ``"lodo"`` (leave one dataset out; one fold per dataset).
        folds: Folds for ``"kfold"``.
        test_fraction: Held-out share of participants for ``"holdout"``.
        teachers: Teacher sizes (ResNet1D blocks).
        students: ResNet1D student sizes (blocks); only students smaller
            than a teacher are distilled from it.
        mlp_students: MLP students, given as the ResNet1D block count whose
            parameter count they match (Figure 3: ResNet vs MLP).
        strategies: Distillation strategies (registry aliases).
        scratch: Also train every student size from scratch.
        seeds: Seeds; every cell runs once per seed and fold.
        epochs: Student epochs.
        teacher_epochs: Teacher epochs (``epochs`` when None).
        batch_size: Batch size.
        learning_rate: Adam learning rate.
    """

    name: str = "study"
    datasets: tuple = ("synthetic_ppg",)
    split: str = "kfold"
    folds: int = 2
    test_fraction: float = 0.2
    teachers: tuple = (12,)
    students: tuple = (1, 2, 6, 10)
    mlp_students: tuple = ()
    strategies: tuple = ("hard", "soft", "dkd", "feature")
    scratch: bool = True
    seeds: tuple = (0,)
    epochs: int = 300
    teacher_epochs: int = None
    batch_size: int = 128
    learning_rate: float = 5e-4

    def __post_init__(self):
        for key in (
            "datasets",
            "teachers",
            "students",
            "mlp_students",
            "strategies",
            "seeds",
        ):
            value = getattr(self, key)
            if isinstance(value, (str, int)):
                value = (value,)
            object.__setattr__(self, key, tuple(value))
        if self.teacher_epochs is None:
            object.__setattr__(self, "teacher_epochs", self.epochs)
        self.validate()

    def validate(self):
        """Raise ValueError naming every problem and what to change."""
        problems = []
        unknown = [s for s in self.strategies if s not in REGISTRY]
        if unknown:
            problems.append(
                f"unknown strategies {unknown}; available: {sorted(REGISTRY)}"
            )
        names = [d.partition("/")[0] for d in self.datasets]
        known = datasets.available()
        bad = [d for d in names if d not in known]
        if not self.datasets or bad:
            problems.append(
                f"datasets must be a non-empty list from {known}; "
                f"received {list(self.datasets)}"
            )
        if self.split not in SPLITS:
            problems.append(f"split {self.split!r} is not one of {SPLITS}")
        if self.split == "kfold" and self.folds < 2:
            problems.append(f"kfold needs folds >= 2; received {self.folds}")
        if self.split == "lodo" and len(set(names)) < 2:
            problems.append("split 'lodo' needs at least two datasets")
        if not 0 < self.test_fraction < 1:
            problems.append(
                f"test_fraction must be in (0, 1); got {self.test_fraction}"
            )
        sizes = [*self.teachers, *self.students, *self.mlp_students]
        limit = max_blocks()
        too_big = [b for b in sizes if not isinstance(b, int) or b > limit]
        if too_big or any(b < 1 for b in sizes if isinstance(b, int)):
            problems.append(
                f"model sizes must be integers in [1, {limit}] blocks (an 8 s "
                f"window at 25 Hz is 200 samples; more blocks would downsample "
                f"it below one sample); received {too_big or sizes}"
            )
        has_distill = self.strategies and self.teachers
        if not (has_distill or self.scratch) or not (
            self.students or self.mlp_students
        ):
            problems.append(
                "the grid is empty: give students (or mlp_students) and at "
                "least one teacher with strategies, or scratch=True"
            )
        if (
            has_distill
            and self.students
            and not any(s < t for s in self.students for t in self.teachers)
        ):
            problems.append(
                f"no student in {list(self.students)} is smaller than a "
                f"teacher in {list(self.teachers)}"
            )
        if not self.seeds:
            problems.append("seeds is empty; give at least one seed")
        bad_seeds = [
            s
            for s in self.seeds
            if isinstance(s, bool) or not isinstance(s, int) or s < 0
        ]
        if bad_seeds:
            problems.append(
                f"seeds must be integers >= 0; received {bad_seeds}"
            )
        if self.epochs < 1 or self.teacher_epochs < 1 or self.batch_size < 1:
            problems.append(
                "epochs, teacher_epochs and batch_size must be >= 1; received "
                f"{self.epochs}, {self.teacher_epochs}, {self.batch_size}"
            )
        if problems:
            raise ValueError(
                "Invalid study config: " + "; ".join(problems) + "."
            )

    def replace(self, **changes):
        """A copy with ``changes`` applied (and validated)."""
        return dataclasses.replace(self, **changes)

    def to_json(self):
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data):
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - fields
        if unknown:
            raise ValueError(
                f"Unknown study config keys {sorted(unknown)}; accepted: "
                f"{sorted(fields)}"
            )
        return cls(**data)

    @classmethod
    def from_json(cls, text):
        return cls.from_dict(json.loads(text))


PRESETS = {
    # The study's grid (Arora et al., arXiv 2511.18829): 2-fold CV,
    # teachers 2-12 blocks, students 1-10 blocks, four strategies +
    # scratch, 300 epochs.
    "paper": StudyConfig(
        name="paper",
        datasets=("ppg_dalia", "wildppg", "galaxy_ppg"),
        split="kfold",
        folds=2,
        teachers=(2, 4, 6, 8, 10, 12),
        students=(1, 2, 4, 6, 8, 10),
        mlp_students=(1, 2, 6, 10),
        epochs=300,
    ),
    # CPU-sized (the README's main job, minutes on 2 cores): built-in
    # synthetic data, one participant-independent 80/20 split, a 6-block
    # teacher, four student sizes (a 3-parameter law plus one held out) and
    # a size-matched MLP. Batch 32: with so few epochs the number of
    # updates, not the epoch count, decides whether a small ResNet leaves
    # the predict-the-mean plateau (batch 128 stays on it for 10 epochs).
    "quick": StudyConfig(
        name="quick",
        datasets=("synthetic_ppg/small",),
        split="holdout",
        teachers=(6,),
        students=(1, 2, 3, 4),
        mlp_students=(1,),
        epochs=5,
        teacher_epochs=20,
        batch_size=32,
    ),
}


def get_config(spec):
    """A StudyConfig from a preset name, a JSON file path or a dict."""
    if isinstance(spec, StudyConfig):
        return spec
    if isinstance(spec, dict):
        return StudyConfig.from_dict(spec)
    if spec in PRESETS:
        return PRESETS[spec]
    try:
        with open(spec) as f:
            text = f.read()
    except OSError as error:
        raise ValueError(
            f"Study config {spec!r} is neither a preset ({sorted(PRESETS)}) "
            f"nor a readable JSON file: {error}"
        ) from None
    try:
        return StudyConfig.from_json(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"Study config {spec!r} is not valid JSON: {error}")
