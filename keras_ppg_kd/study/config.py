"""The study configuration: a frozen dataclass, JSON round trip, presets."""

import dataclasses
import json
import os
import pathlib
import sys

from keras_ppg_kd import models, pretrained
from keras_ppg_kd.losses import get as get_loss
from keras_ppg_kd.training.recipes import SCHEDULES

_DATASETS = pathlib.Path(__file__).parents[1] / "datasets"


def known_datasets():
    """Dataset names a study accepts: the shipped dataset folders, and
    every registered builder once :mod:`keras_ppg_kd.datasets` is imported
    (it imports TensorFlow, which a study on another backend needs only
    when it loads data)."""
    names = {p.parent.name for p in _DATASETS.glob("*/*_dataset_builder.py")}
    if "keras_ppg_kd.datasets" in sys.modules:
        names.update(sys.modules["keras_ppg_kd.datasets"].available())
    return sorted(names)


SPLITS = ("kfold", "holdout", "lodo")
# The reference study's strategies (Arora et al.): a study's default grid.
STUDY_STRATEGIES = ("hard", "soft", "dkd", "feature")
SCRATCH = "scratch"


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
        teachers: Teachers: ResNet1D blocks (``6`` or ``"resnet:6"``, the
            study's) or any family's ``"<family>:<size>"`` (``"tcn:8"``).
        students: Student models as identifiers ``"<family>:<size>"`` of
            :data:`keras_ppg_kd.models.REGISTRY` (``"resnet:1"``,
            ``"tcn:5"``, ``"mlp:1"`` = an MLP as large as ResNet1D(1)); an
            integer means ResNet1D blocks. A student is distilled only from
            teachers with more parameters.
        mlp_students: (Init only, for configs written before students took
            identifiers.) Sizes added to ``students`` as ``"mlp:<size>"``.
        strategies: Distillation strategies: registry aliases, or
            ``"alias:key=value,..."`` to set arguments
            (``"dkd:temperature=4,beta=2"``); see
            :func:`keras_ppg_kd.losses.get`. Default: the study's four
            (:data:`STUDY_STRATEGIES`), so a newly registered strategy
            does not grow existing grids.
        scratch: Also train every student size from scratch.
        seeds: Seeds; every cell runs once per seed and fold.
        epochs: Student epochs.
        teacher_epochs: Teacher epochs (``epochs`` when None).
        batch_size: Batch size.
        learning_rate: Adam learning rate.
        label_sigma: Ordinal soft targets for every cross-entropy (a
            Gaussian of this width in BPM around the label); 0 is the
            study's one-hot CE.
        schedule: Learning-rate schedule, ``"constant"`` (the study's) or
            ``"cosine"`` (decay to zero over each run).
        dropout: Dropout of every model the sweep trains; None keeps each
            family's default (ResNet1D: the study's 0.5, set for 300
            epochs, which holds short runs back).
        pretrained_teacher: Name of a shipped teacher
            (:func:`keras_ppg_kd.pretrained.available`) or path of a
            ``.keras`` teacher that teacher cells load instead of training
            (it must not have seen the study's data; the shipped ones are
            trained on other synthetic participants). Empty: train
            teachers.
        teacher_folds: Cross-fit each teacher's logits on its training
            windows: this many sub-teachers, each trained without one
            share of the participants, score the windows they did not see
            (:func:`~keras_ppg_kd.training.recipes.cross_fitted_teachers`).
            A teacher is otherwise almost exact on its own training
            windows, and its logits there only repeat the labels. Logit
            strategies (hard, soft, dkd) use these; feature strategies
            keep the teacher's own taps. Costs ``teacher_folds - 1`` more
            teachers. 0: the teacher's own logits.
    """

    name: str = "study"
    datasets: tuple = ("synthetic_ppg",)
    split: str = "kfold"
    folds: int = 2
    test_fraction: float = 0.2
    teachers: tuple = (12,)
    students: tuple = (1, 2, 6, 10)
    mlp_students: dataclasses.InitVar[tuple] = ()
    strategies: tuple = STUDY_STRATEGIES
    scratch: bool = True
    seeds: tuple = (0,)
    epochs: int = 300
    teacher_epochs: int = None
    batch_size: int = 128
    learning_rate: float = 5e-4
    label_sigma: float = 0.0
    schedule: str = "constant"
    dropout: float = None
    pretrained_teacher: str = ""
    teacher_folds: int = 0

    def __post_init__(self, mlp_students):
        for key in ("datasets", "teachers", "students", "strategies", "seeds"):
            value = getattr(self, key)
            if isinstance(value, (str, int)):
                value = (value,)
            object.__setattr__(self, key, tuple(value))
        if isinstance(mlp_students, int):
            mlp_students = (mlp_students,)
        students = (*self.students, *(f"mlp:{s}" for s in mlp_students or ()))
        object.__setattr__(
            self, "students", tuple(_canonical(s) for s in students)
        )
        object.__setattr__(
            self,
            "teachers",
            tuple(_canonical(t, teacher=True) for t in self.teachers),
        )
        if self.teacher_epochs is None:
            object.__setattr__(self, "teacher_epochs", self.epochs)
        self.validate()

    def validate(self):
        """Raise ValueError naming every problem and what to change."""
        problems = [
            *self._model_problems(),
            *self._data_problems(),
            *self._grid_problems(),
            *self._training_problems(),
            *self._teacher_problems(),
            *self._run_problems(),
        ]
        if problems:
            raise ValueError(
                "Invalid study config: " + "; ".join(problems) + "."
            )

    def _model_problems(self):
        """Strategies and models that do not parse."""
        problems = []
        for strategy in self.strategies:
            try:
                get_loss(strategy)
            except (ValueError, TypeError) as error:
                problems.append(f"strategy {strategy!r}: {error}")
        for role in ("teachers", "students"):
            for model in getattr(self, role):
                if not (isinstance(model, str) and model.startswith("!")):
                    continue
                try:
                    models.parse(model[1:])
                except ValueError as error:
                    problems.append(f"{role}: {error}")
        return problems

    def _data_problems(self):
        """Datasets, the split and its folds."""
        problems = []
        names = [d.partition("/")[0] for d in self.datasets]
        known = known_datasets()
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
        return problems

    def _grid_problems(self):
        """An empty grid: nothing to train."""
        problems = []
        has_distill = self.strategies and self.teachers
        if not (has_distill or self.scratch) or not self.students:
            problems.append(
                "the grid is empty: give students and at least one teacher "
                "with strategies, or scratch=True"
            )
        return problems

    def _training_problems(self):
        """The schedule, dropout and label smoothing."""
        problems = []
        if self.schedule not in SCHEDULES:
            problems.append(
                f"schedule {self.schedule!r} is not one of {SCHEDULES}"
            )
        if self.dropout is not None and not 0 <= self.dropout < 1:
            problems.append(f"dropout must be in [0, 1); got {self.dropout}")
        if self.label_sigma < 0:
            problems.append(f"label_sigma must be >= 0; got {self.label_sigma}")
        return problems

    def _teacher_problems(self):
        """A pretrained teacher that is not there, and teacher folds."""
        problems = []
        if self.pretrained_teacher and not (
            self.pretrained_teacher in pretrained.available()
            or (
                self.pretrained_teacher.endswith(".keras")
                and os.path.isfile(self.pretrained_teacher)
            )
        ):
            problems.append(
                f"pretrained_teacher {self.pretrained_teacher!r} is neither "
                f"a shipped teacher ({pretrained.available()}) nor a .keras "
                "file"
            )
        if self.teacher_folds < 0 or self.teacher_folds == 1:
            problems.append(
                "teacher_folds must be 0 (off) or >= 2; received "
                f"{self.teacher_folds}"
            )
        if self.teacher_folds and self.pretrained_teacher:
            problems.append(
                "teacher_folds cross-fits teachers trained here; a "
                f"pretrained_teacher ({self.pretrained_teacher!r}) never saw "
                "the study's data: set one of them"
            )
        return problems

    def _run_problems(self):
        """Seeds, epochs and the batch size."""
        problems = []
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
        return problems

    def replace(self, **changes):
        """A copy with ``changes`` applied (and validated)."""
        return dataclasses.replace(self, **changes)

    def override(self, assignments):
        """A copy with fields set from text, as on a command line.

        Args:
            assignments: ``{field: text}``, e.g. ``{"epochs": "3",
                "students": "resnet:1,resnet:2", "scratch": "false"}``.
                Tuple fields take comma-separated items (integers stay
                integers; ``"soft,dkd:temperature=4,beta=2"`` is two
                strategies); booleans take true/false/1/0/yes/no.

        Raises:
            ValueError: an unknown field (naming the accepted ones), or a
                value that is not of the field's type.
        """
        fields = {f.name: f for f in dataclasses.fields(self)}
        unknown = sorted(set(assignments) - set(fields))
        if unknown:
            raise ValueError(
                f"Unknown study config field(s) {unknown}; accepted: "
                f"{sorted(fields)}"
            )
        changes = {}
        for name, text in assignments.items():
            kind = fields[name].type
            try:
                changes[name] = _parse_field(kind, text)
            except ValueError:
                raise ValueError(
                    f"config.{name} takes {_FIELD_HELP[kind]}. Received: "
                    f"{text!r}"
                ) from None
        return self.replace(**changes)

    def to_json(self):
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data):
        fields = {f.name for f in dataclasses.fields(cls)} | {"mlp_students"}
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


_BOOLEANS = {"true": 1, "1": 1, "yes": 1, "false": 0, "0": 0, "no": 0}
_FIELD_HELP = {
    tuple: "comma-separated items",
    bool: "true or false",
    int: "an integer",
    float: "a number",
    str: "text",
}


def _parse_field(kind, text):
    """Text -> a value of a StudyConfig field's type (ValueError if not)."""
    text = text.strip()
    if kind is tuple:
        items = []
        for item in (i.strip() for i in text.split(",")):
            if "=" in item and ":" not in item and items:
                items[-1] += "," + item  # "dkd:temperature=4,beta=2"
            elif item:
                items.append(item)
        return tuple(int(i) if i.isdigit() else i for i in items)
    if kind is bool:
        if text.lower() not in _BOOLEANS:
            raise ValueError(text)
        return bool(_BOOLEANS[text.lower()])
    return kind(text)


def _canonical(model, teacher=False):
    """``"family:size"`` (teachers: ResNet1D blocks as an int, as in the
    study, other families ``"family:size"``); invalid ones come back
    prefixed with ``!`` for :meth:`StudyConfig.validate`."""
    try:
        family, size = models.parse(model)
    except ValueError:
        return f"!{model}"
    if teacher and family == models.DEFAULT_FAMILY:
        return size
    return f"{family}:{size}"


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
        students=(1, 2, 4, 6, 8, 10, "mlp:1", "mlp:2", "mlp:6", "mlp:10"),
        epochs=300,
    ),
    # CPU-sized (the README's main job, <= 5 min on 2 cores): built-in
    # synthetic data from 100 participants, one participant-independent
    # split that holds out 60 % of them (training on ~40 people, testing on
    # ~60: a test MAE set by a few people's hard windows moves less; held-
    # out people cost only prediction), the shipped 6-block teacher (trained
    # on other synthetic participants), three students of the width study
    # (2-block ResNet1D, 8/16/32 filters: 3K-27K parameters, where the
    # shipped laws fall) and a size-matched MLP, scratch vs soft vs DKD,
    # 8 epochs as in the width study and two seeds it did not use (0-4),
    # so the job checks the shipped laws on fresh seeds. Ordinal targets
    # (sigma 2 BPM), batch 32, Adam at 1e-2 decayed to zero (cosine) and
    # dropout 0.1 (the study's 0.5 is set for 300 epochs; in 8 it holds
    # students far from converged).
    "quick": StudyConfig(
        name="quick",
        datasets=("synthetic_ppg/crowd",),
        split="holdout",
        test_fraction=0.6,
        teachers=(6,),
        students=("resnetw:8", "resnetw:16", "resnetw:32", "mlp:1"),
        strategies=("soft", "dkd"),
        seeds=(5, 6),
        epochs=8,
        teacher_epochs=20,
        batch_size=32,
        learning_rate=1e-2,
        schedule="cosine",
        label_sigma=2.0,
        dropout=0.1,
        pretrained_teacher="synthetic_resnet6",
    ),
}
# The reference scaling study (docs/results/scaling/), sized to identify the
# laws on 2 CPU cores in about an hour (it resumes): the main job's data and
# optimiser, three trained teachers (4, 8 and 12 blocks, for Figure 1),
# ResNet1D students from 1 block to past the study's saturation (6 blocks)
# so the curve's flat end is measured, the four strategies and scratch,
# three seeds, 8 cosine epochs (twice the main job's), and cross-fitted
# teacher logits (a teacher's logits on the windows it trained on only
# repeat the labels).
PRESETS["scaling"] = PRESETS["quick"].replace(
    name="scaling",
    teachers=(4, 8, 12),
    students=(1, 2, 4, 6, 8),
    strategies=("hard", "soft", "dkd", "feature"),
    seeds=(0, 1, 2),
    epochs=8,
    pretrained_teacher="",
    teacher_folds=2,
)
# The same study with a teacher that never saw the study's people (the
# shipped 6-block teacher, trained on other synthetic participants, as in
# the main job) instead of cross-fitted half-data teachers
# (docs/results/scaling_pretrained/): tests whether the distilled students
# of the first study lost to scratch because of their teachers. Students
# are the ResNet1D sizes below the teacher's (1-5 blocks).
PRESETS["scaling_pretrained"] = PRESETS["scaling"].replace(
    name="scaling_pretrained",
    teachers=(6,),
    students=(1, 2, 3, 4, 5),
    pretrained_teacher="synthetic_resnet6",
    teacher_folds=0,
)
# And scaled by width at a fixed depth of two blocks (1.3K-95K parameters;
# docs/results/scaling_width/): depth also changes what a ResNet1D sees,
# width only its size.
PRESETS["scaling_width"] = PRESETS["scaling_pretrained"].replace(
    name="scaling_width",
    students=tuple(f"resnetw:{w}" for w in (4, 8, 16, 24, 32, 48, 64)),
)


def get_config(spec: "StudyConfig | str | dict") -> "StudyConfig":
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
