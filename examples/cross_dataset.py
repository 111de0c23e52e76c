r"""Cross-dataset evaluation: train on one real wrist dataset, test on another.

The recipe's acceptance figure beside leave-one-participant-out. For each
direction (``spc_to_wrist``: IEEE SPC 2015 -> PhysioNet wrist, and
``wrist_to_spc``), :func:`~keras_ppg_kd.training.generalize.train_and_distill`
trains the teacher, the student and the tracker on the source dataset (plus
the recipe's synthetic windows), exports the student to int8 LiteRT, and
scores every recording of the target dataset, which no model saw:

- ``spectral_peak``: the classical estimator, no training;
- ``synthetic_resnet6``, ``synthetic_tcn5`` (``+tracker``): the shipped
  synthetic-only teacher and TCN(5) student, zero-shot (the student also
  through the trained bundle's tracker);
- ``teacher``, ``student``, ``int8``, ``int8+tracker`` (causal) and
  ``int8+offline`` (smoothed): the recipe's models.

Writes ``<out>/<variant>/<direction>.csv`` (one row per recording, then the
mean and median) and ``<out>/<variant>/<direction>.json`` (recipe, the
calibrated tracker, times, package versions). A direction already written
is skipped, so a killed run resumes; ``--overwrite`` redoes it.

``--unlabelled`` answers what distillation buys there. One teacher per
direction (the recipe's) serves four students of the same start, data and
selection, each exported to int8 and tracked causally:

- ``none``: trained on the labels alone (no distillation);
- ``dkd``: distilled from the fine-tuned teacher (the recipe's default);
- ``shipped_teacher``: distilled from the synthetic-only teacher, which
  never saw the student's people;
- ``unlabelled``: the default, also distilling on the target's recordings
  read without their reference (:func:`~keras_ppg_kd.datasets.load_unlabelled`)
  and labelled by the teacher smoothed over each recording. The target's
  participants are split in two halves (sorted); the student adapts on one
  half and is scored on the other, then the reverse. ``unlabelled_same``
  scores each recording with the student that adapted on it.

``--student_models`` with ``--variant=size`` is the size study: the
students at several widths of one family, each in
``<out>/size_<model>_seed<k>/``; ``--summary`` tables them in
``<out>/sizes.md`` and plots ``sizes.png``, with a law fitted where four
or more sizes ran and the law is identifiable.

It writes ``<out>/unlabelled_seed<k>/<direction>.csv`` (one row per
recording, one ``<student>`` column of int8 + causal tracker MAE each, plus
``<student>_lag3`` (the tracker 6 s late), ``<student>_offline`` and
``<student>_int8``) and its JSON log (with each student's tracker).
Students finished before a kill are kept in ``<direction>.partial.json``
and not trained again.

Usage:
    python examples/cross_dataset.py            # both directions
    python examples/cross_dataset.py --variant=no_mix --set mix_fraction=0
"""

import functools
import json
import os
import pathlib
import platform
import re
import sys
import tempfile
import time

import numpy as np
from absl import app, flags

FLAGS = flags.FLAGS
_SHARED = pathlib.Path(__file__).resolve().parents[1] / ".." / "shared"
DATASETS = {
    "spc": ("ieee_spc2015", _SHARED / "data" / "ieee_spc2015"),
    "wrist": ("physionet_wrist", _SHARED / "data" / "physionet_wrist"),
}
flags.DEFINE_list(
    "directions", ["spc_to_wrist", "wrist_to_spc"], "SOURCE_to_TARGET, ..."
)
flags.DEFINE_string("spc_dir", str(DATASETS["spc"][1]), "SPC 2015 folder.")
flags.DEFINE_string("wrist_dir", str(DATASETS["wrist"][1]), "Wrist folder.")
flags.DEFINE_string("data_dir", None, "tfds data directory.")
flags.DEFINE_string(
    "out",
    "cross_dataset_out",
    "Output folder (docs/results/cross_dataset holds the results' runs).",
)
flags.DEFINE_string("variant", "recipe", "Name of this recipe variant.")
flags.DEFINE_integer("seed", 0, "Seed.")
flags.DEFINE_bool("overwrite", False, "Redo directions already written.")
flags.DEFINE_bool(
    "summary",
    False,
    "Only write <out>/summary.md: the mean per recording of every variant "
    "and direction written so far.",
)
flags.DEFINE_multi_string(
    "set", [], "Recipe overrides, field=value (e.g. mix_fraction=2)."
)
flags.DEFINE_list(
    "students",
    ["dkd", "none", "shipped_teacher", "unlabelled"],
    "With --unlabelled: the students to train (see the docstring).",
)
flags.DEFINE_list(
    "student_models",
    [],
    "With --unlabelled: student models, family:size, each with its own "
    "folder <variant>_<model>_seed<k> (the size study); default the "
    "recipe's student in <variant>_seed<k>.",
)
flags.DEFINE_bool(
    "unlabelled",
    False,
    "Run the distillation ablation with the target's recordings given "
    "unlabelled (writes <out>/unlabelled_seed<seed>/; see the docstring).",
)

SHIPPED = "synthetic_tcn5"


def _windows(name, config):
    from keras_ppg_kd.datasets import load_windows

    dataset, _ = DATASETS[name]
    folder = FLAGS.spc_dir if name == "spc" else FLAGS.wrist_dir
    return load_windows(
        dataset, data_dir=FLAGS.data_dir, manual_dir=folder, config=config
    )


def _direction(direction):
    """``(source, target)`` of ``"SOURCE_to_TARGET"``."""
    source, _, target = direction.partition("_to_")
    if source not in DATASETS or target not in DATASETS or source == target:
        raise app.UsageError(
            f"Unknown direction {direction!r}; use SOURCE_to_TARGET with two "
            f"of {sorted(DATASETS)}."
        )
    return source, target


def _fit_validation(recipe, train, source):
    """The recipe, holding out fewer people where the source has few."""
    people = len(set(train.participant))
    if recipe.validation_participants < people:
        return recipe
    print(
        f"{source} has {people} participants: holding out "
        f"{people - 1} for selection and calibration"
    )
    return recipe.replace(validation_participants=people - 1)


def _int8(trained, train):
    """The trained student as an int8 LiteRT model (calibrated on the
    training windows), loaded in memory."""
    from keras_ppg_kd.deploy import LiteRTModel, export_tflite

    with tempfile.TemporaryDirectory() as folder:
        path = export_tflite(
            trained.student,
            f"{folder}/student_int8.tflite",
            "int8",
            representative_data=train.windows,
            protocol=train.config,
        )
        return LiteRTModel(path)


def evaluate(direction, recipe, seed):
    """The per-recording table and a log of one direction."""
    from keras_ppg_kd import pretrained
    from keras_ppg_kd.data.splits import participant_keys
    from keras_ppg_kd.heart_rate import logits_to_bpm
    from keras_ppg_kd.training.generalize import score, train_and_distill

    source, target = _direction(direction)
    config = recipe.window
    train, test = _windows(source, config), _windows(target, config)
    recipe = _fit_validation(recipe, train, source)
    start = time.perf_counter()
    trained = train_and_distill(train, recipe, seed=seed)
    int8 = _int8(trained, train)
    keys, times = participant_keys(test), test.start_times
    extra = {}
    for name in (pretrained.TEACHER_NAME, SHIPPED):
        logits = pretrained.load(name).predict(
            test.windows[..., :1], batch_size=512, verbose=0
        )
        extra[name] = np.asarray(logits_to_bpm(logits))
    extra[f"{SHIPPED}+tracker"] = trained.tracker.track(
        trained.tracker_input(test.windows, logits), keys, times
    )
    table = score(test, trained, int8, extra=extra)
    log = {
        "direction": direction,
        "train_windows": len(train),
        "test_windows": len(test),
        "train_dropped": dict(train.dropped),
        "test_dropped": dict(test.dropped),
        "seconds": round(time.perf_counter() - start, 1),
        **{k: v for k, v in trained.log.items() if k.endswith("epoch")},
        "tracker": trained.tracker.get_config(),
    }
    return table, log


STUDENTS = {
    "dkd": {},
    "none": {"strategy": "none"},
    "shipped_teacher": {"finetune_teacher": False},
}
UNLABELLED = "unlabelled"
LAG = 3  # windows: the fixed-lag tracker's column, 6 s late
_TEACHERS = {}  # (direction, seed) -> the recipe's teacher, shared


def _halves(windows):
    """The target's participants, sorted, in two halves."""
    people = sorted(set(windows.participant))
    middle = (len(people) + 1) // 2
    return people[:middle], people[middle:]


class _Students:
    """Students of one direction sharing the recipe's teacher; each one's
    int8 + tracker scores on the target, kept in ``partial`` as it goes."""

    def __init__(self, direction, recipe, seed, partial):
        from keras_ppg_kd.data.splits import participant_keys

        self.direction = direction
        source, self.target = _direction(direction)
        self.config = recipe.window
        self.train = _windows(source, self.config)
        self.test = _windows(self.target, self.config)
        self.recipe = _fit_validation(recipe, self.train, source)
        self.seed, self.partial = seed, partial
        self.keys = participant_keys(self.test)
        self.done = json.loads(partial.read_text()) if partial.exists() else {}

    def run(self, settings, unlabelled=None):
        """Train one student; ``(bpm, log)``: ``bpm`` maps a
        column suffix to BPM per test window (``""`` the causal tracker,
        ``"_lag3"`` 6 s late, ``"_offline"`` smoothed, ``"_int8"`` the
        windows alone)."""
        from keras_ppg_kd.heart_rate import logits_to_bpm
        from keras_ppg_kd.training.generalize import train_and_distill

        own_teacher = settings.get("finetune_teacher", True)
        key = (self.direction, self.seed)
        trained = train_and_distill(
            self.train,
            self.recipe.replace(**settings),
            seed=self.seed,
            unlabelled=unlabelled,
            teacher=_TEACHERS.get(key) if own_teacher else None,
        )
        if own_teacher:
            _TEACHERS[key] = trained.teacher  # the next students share it
        logits = _int8(trained, self.train).predict(self.test.windows)
        track = functools.partial(
            trained.tracker.track, logits, self.keys, self.test.start_times
        )
        bpm = {
            "": track(),
            f"_lag{LAG}": track(lag=LAG),
            "_offline": track("smooth"),
            "_int8": np.asarray(logits_to_bpm(logits)),
        }
        log = trained.log | {"tracker": trained.tracker.get_config()}
        if trained.pseudo_labelled is not None:
            log["pseudo_label_mae"] = self.pseudo_label_mae(
                trained.pseudo_labelled
            )
        return bpm, log

    def pseudo_label_mae(self, labelled):
        """The pseudo-labels' MAE against the reference they never read:
        mean per recording, over the windows the labelled set also has."""
        from keras_ppg_kd.data.splits import recording_keys

        where = {
            (p, round(float(t), 2)): i
            for i, (p, t) in enumerate(
                zip(self.test.participant, self.test.start_times, strict=True)
            )
        }
        pairs = [
            (i, where[(p, round(float(t), 2))])
            for i, (p, t) in enumerate(
                zip(labelled.participant, labelled.start_times, strict=True)
            )
            if (p, round(float(t), 2)) in where
        ]
        mine, theirs = np.array(pairs).T
        error = np.abs(labelled.hr_bpm[mine] - self.test.hr_bpm[theirs])
        keys = recording_keys(self.test)[theirs]
        return float(np.mean([error[keys == k].mean() for k in set(keys)]))

    def keep(self, name, columns, log):
        """Score ``columns`` (BPM per window) and keep them."""
        from keras_ppg_kd.training.generalize import score

        table = score(self.test, extra=columns).drop(columns="spectral_peak")
        self.done[name] = {"table": table.to_dict("list"), "log": log}
        # Written whole, then renamed: a kill leaves the last good file.
        tmp = self.partial.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.done, default=float) + "\n")
        tmp.replace(self.partial)

    def student(self, name):
        bpm, log = self.run(STUDENTS[name])
        columns = {name + suffix: values for suffix, values in bpm.items()}
        self.keep(name, columns, log)

    def adapted(self):
        """Adapt on each half, score on the other (and on itself)."""
        from keras_ppg_kd.datasets import load_unlabelled

        columns, logs = {}, []
        for half in _halves(self.test):
            unlabelled = load_unlabelled(
                FLAGS.spc_dir if self.target == "spc" else FLAGS.wrist_dir,
                DATASETS[self.target][0],
                self.config,
                participants=half,
            )
            bpm, log = self.run({}, unlabelled)
            mine = np.isin(self.test.participant, half)
            for suffix, values in bpm.items():
                for name, where in (
                    (UNLABELLED + suffix, ~mine),
                    (f"{UNLABELLED}_same{suffix}", mine),
                ):
                    column = columns.setdefault(name, np.empty_like(values))
                    column[where] = values[where]
            logs.append(log | {"adapted_on": list(half)})
        self.keep(UNLABELLED, columns, logs)


def ablation(direction, recipe, seed, partial, names):
    """The students ``names`` of one direction (see the module docstring),
    resumed from ``partial``; returns ``(table, log)``."""
    import pandas as pd

    unknown = sorted(set(names) - {*STUDENTS, UNLABELLED})
    if unknown:
        raise app.UsageError(
            f"Unknown --students {unknown}; use {[*STUDENTS, UNLABELLED]}."
        )
    start = time.perf_counter()
    students = _Students(direction, recipe, seed, partial)
    for name in names:
        if name in students.done:
            continue
        if name == UNLABELLED:
            students.adapted()
        else:
            students.student(name)
    table = None
    for name in names:
        frame = pd.DataFrame(students.done[name]["table"])
        table = (
            frame
            if table is None
            else table.merge(frame, on=["recording", "windows"])
        )
    log = {
        "direction": direction,
        "train_windows": len(students.train),
        "test_windows": len(students.test),
        "halves": [list(h) for h in _halves(students.test)],
        "seconds": round(time.perf_counter() - start, 1),
        "students": {name: students.done[name]["log"] for name in names},
    }
    return table, log


def summarise(table):
    """The table with a mean and a median row over recordings."""
    numbers = table.drop(columns=["recording", "windows"])
    rows = [
        {"recording": "mean", "windows": int(table.windows.sum())}
        | numbers.mean().to_dict(),
        {"recording": "median", "windows": int(table.windows.sum())}
        | numbers.median().to_dict(),
    ]
    import pandas as pd

    return pd.concat([table, pd.DataFrame(rows)], ignore_index=True)


SUMMARY_COLUMNS = (
    "spectral_peak",
    f"{SHIPPED}+tracker",
    "teacher",
    "int8",
    "int8+tracker",
    "int8+offline",
)


def write_summary(out):
    """``<out>/summary.md``: one row per variant and direction."""
    import pandas as pd

    rows = []
    for csv in sorted(out.glob("*/*.csv")):
        mean = pd.read_csv(csv).set_index("recording").loc["mean"]
        log = json.loads(csv.with_suffix(".json").read_text())
        if "students" in log:  # --unlabelled: write_students below
            continue
        rows.append(
            {
                "direction": csv.stem,
                "variant": csv.parent.name,
                "overrides": " ".join(log["overrides"])
                or "(the defaults when run: see its JSON)",
                **{c: mean[c] for c in SUMMARY_COLUMNS},
                "minutes": f"{log['seconds'] / 60:.1f}",
            }
        )
    if not rows:
        if _student_means(out).empty:
            raise app.UsageError(f"No results under {out}.")
        return write_students(out)
    frame = pd.DataFrame(rows).sort_values(["direction", "variant"])
    lines = [
        "| " + " | ".join(frame.columns) + " |",
        "|" + "---|" * len(frame.columns),
    ]
    lines += [
        "| "
        + " | ".join(f"{v:.2f}" if isinstance(v, float) else v for v in row)
        + " |"
        for row in frame.to_numpy()
    ]
    text = (
        "Mean MAE per recording (BPM) of each variant, written by "
        "`python examples/cross_dataset.py --summary` from the files "
        "beside it.\n\n" + "\n".join(lines) + _over_seeds(frame)
    )
    (out / "summary.md").write_text(text + "\n")
    print(text)
    write_students(out)


STUDENT_COLUMNS = (
    "none",
    "dkd",
    "shipped_teacher",
    UNLABELLED,
    f"{UNLABELLED}_same",
)


def _student_means(out):
    """One row per ``--unlabelled`` CSV: its students' mean per recording
    (int8 + causal tracker, and offline), with variant, seed, model."""
    import pandas as pd

    rows = []
    for csv in sorted(out.glob("*_seed*/*.csv")):
        log = json.loads(csv.with_suffix(".json").read_text())
        if "students" not in log:
            continue
        mean = pd.read_csv(csv).set_index("recording").loc["mean"]
        name = re.sub(r"_seed\d+$", "", csv.parent.name)
        rows.append(
            {
                "direction": csv.stem,
                "variant": name,
                "student": log["recipe"]["student"],
                "overrides": ", ".join(log.get("overrides", [])),
                "seed": log["seed"],
                **mean.drop("windows").to_dict(),
            }
        )
    return pd.DataFrame(rows)


def write_students(out):
    """``<out>/students.md`` and ``students.png``: each ``--unlabelled``
    variant's students, mean ± sd over seeds, per direction."""
    frame = _student_means(out)
    if frame.empty:
        return
    lines = [
        "Int8 + causal tracker, mean MAE per recording (BPM), mean ± sd "
        "over seeds (offline smoothing of the same output in brackets); "
        "written by `python examples/cross_dataset.py --summary`.\n",
        "| direction | variant | student | seeds | "
        + " | ".join(STUDENT_COLUMNS)
        + " |",
        "|" + "---|" * (len(STUDENT_COLUMNS) + 4),
    ]
    keys = ["direction", "variant", "student"]
    for (direction, variant, student), group in frame.groupby(keys):
        cells = [
            _spread(group, column) + f" ({_spread(group, f'{column}_offline')})"
            if column in group and group[column].notna().all()
            else ""
            for column in STUDENT_COLUMNS
        ]
        seeds = ",".join(str(s) for s in sorted(group.seed))
        lines.append(
            f"| {direction} | {variant} | {student} | {seeds} | "
            + " | ".join(cells)
            + " |"
        )
    lines += _lag_table(frame)
    (out / "students.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    ablations = frame[frame.variant.str.startswith(UNLABELLED)]
    _plot_students(ablations, out / "students.png")
    write_sizes(
        frame[frame.variant.str.startswith(SIZE + "_")],
        out,
        recipe=frame[frame.variant == UNLABELLED],
    )


SIZE = "size"  # the size study's variant: <SIZE>_<model>_seed<k>
SIZE_STUDENTS = ("none", "dkd")


def _size_fits(frame):
    """``{(direction, student): ScalingFit}`` where 4 or more sizes ran."""
    from keras_ppg_kd.scaling import fit_best

    fits = {}
    for direction, group in frame.groupby("direction"):
        if group.params.nunique() < 4:
            continue
        for student in SIZE_STUDENTS:
            rows = group[group[student].notna()]
            fits[direction, student], _ = fit_best(
                rows.params.to_numpy(float),
                rows[student].to_numpy(float),
                groups=rows.seed.to_numpy(),
            )
    return fits


def write_sizes(frame, out, recipe=None):
    """``<out>/sizes.md`` and ``sizes.png``: the size study, int8 + causal
    tracker per student size, without and with distillation, and the laws
    fitted where they are identifiable; ``recipe``'s ``dkd`` (the recipe's
    student from its synthetic start) is drawn beside them."""
    if frame.empty:
        return
    frame = frame.assign(params=frame.student.map(_parameters))
    lines = [
        "Int8 + causal tracker, mean MAE per recording (BPM), mean ± sd "
        "over seeds; written by `python examples/cross_dataset.py "
        "--summary`.\n",
        "| direction | student | parameters | seeds | "
        + " | ".join(SIZE_STUDENTS)
        + " |",
        "|---|---|---|---|" + "---|" * len(SIZE_STUDENTS),
    ]
    keys = ["direction", "params", "student"]
    for (direction, params, student), group in frame.groupby(keys):
        cells = [
            _spread(group, c) if group[c].notna().all() else ""
            for c in SIZE_STUDENTS
        ]
        seeds = ",".join(str(s) for s in sorted(group.seed))
        lines.append(
            f"| {direction} | {student} | {params:,} | {seeds} | "
            + " | ".join(cells)
            + " |"
        )
    fits = _size_fits(frame)
    lines += ["", "| direction | student | law | fit |", "|---|---|---|---|"]
    if not fits:
        lines[-2:] = ["No law yet: one is fitted where four or more sizes ran."]
    lines += [
        f"| {direction} | {student} | {fit.law} | "
        + (
            fit.formula()
            if fit.identifiable
            else f"not identified: {fit.why_not}"
        )
        + " |"
        for (direction, student), fit in sorted(fits.items())
    ]
    (out / "sizes.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    _plot_sizes(frame, fits, out / "sizes.png", recipe)


@functools.lru_cache
def _parameters(student):
    """Trainable parameters of a student ``family:size`` (built once)."""
    from keras_ppg_kd import models

    return models.trainable_parameters(models.get(student))


def _plot_sizes(frame, fits, path, recipe=None):
    """MAE against parameters per direction: seeds as dots, their mean
    as a line per student, an identified law as a dashed curve."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    directions = sorted(frame.direction.unique())
    fig, axes = plt.subplots(
        1, len(directions), figsize=(6.0 * len(directions), 4.4)
    )
    colours = {"none": "#636363", "dkd": "#3182bd"}
    names = {"none": "no distillation", "dkd": "DKD from the recipe's teacher"}
    for ax, direction in zip(np.atleast_1d(axes), directions, strict=True):
        group = frame[frame.direction == direction]
        for student in SIZE_STUDENTS:
            means = group.groupby("params")[student].mean()
            ax.plot(group.params, group[student], ".", color=colours[student])
            ax.plot(
                means.index,
                means,
                "-o",
                color=colours[student],
                label=names[student],
            )
            fit = fits.get((direction, student))
            if fit is not None and fit.identifiable:
                grid = np.geomspace(means.index.min(), means.index.max(), 100)
                ax.plot(grid, fit.predict(grid), "--", color=colours[student])
        ticks = set(group.params)
        ours = None if recipe is None else recipe[recipe.direction == direction]
        if ours is not None and len(ours):
            size = _parameters(ours.student.iloc[0])
            ticks.add(size)
            ax.plot(
                size,
                ours.dkd.mean(),
                "*",
                color="#e6550d",
                markersize=14,
                label=f"{ours.student.iloc[0]} from its synthetic start (DKD)",
            )
        source, _, target = direction.partition("_to_")
        labels = {"spc": "SPC 2015", "wrist": "PhysioNet wrist"}
        ax.set_title(f"{labels[source]} → {labels[target]}")
        ax.set_xscale("log")
        sizes = sorted(ticks)
        ax.set_xticks(sizes, [f"{n / 1000:.1f}K" for n in sizes])
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlabel("student parameters (TCN(5) at widths 8-112)")
        ax.set_ylabel("int8 + causal tracker, MAE (BPM)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    runs = frame.groupby(["direction", "params"]).seed.nunique()
    seeds = (
        f"{runs.min()}-{runs.max()}" if runs.min() < runs.max() else runs.max()
    )
    fig.suptitle(
        f"What size buys on another device\n(lines: the mean over {seeds} "
        "seed(s) per point; dots: each seed; dashes: a fitted law)",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _lag_table(frame):
    """Lines of a table: each student's causal, fixed-lag and offline
    tracking, over the seeds that recorded the lag."""
    lag = f"_lag{LAG}"
    lines = [
        f"\nThe tracker {2 * LAG} s late (lag {LAG}) beside causal and "
        "offline tracking, over the seeds whose runs recorded it; share: "
        "the part of the causal-offline gap the lag recovers.\n",
        "| direction | variant | student | seeds | causal | lag | offline "
        "| share |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for (direction, variant), group in frame.groupby(["direction", "variant"]):
        for column in STUDENT_COLUMNS:
            if column + lag not in group:
                continue
            rows = group[group[column + lag].notna()]
            if rows.empty:
                continue
            causal, late, offline = (
                rows[column + suffix].mean() for suffix in ("", lag, "_offline")
            )
            share = (causal - late) / (causal - offline)
            lines.append(
                f"| {direction} | {variant} | {column} | "
                f"{','.join(str(s) for s in sorted(rows.seed))} | "
                f"{_spread(rows, column)} | {_spread(rows, column + lag)} | "
                f"{_spread(rows, column + '_offline')} | {share:.0%} |"
            )
    return lines if len(lines) > 3 else []


def _spread(group, column):
    values = group[column].to_numpy()
    if len(values) == 1:
        return f"{values[0]:.2f}"
    return f"{values.mean():.2f} ± {values.std(ddof=1):.2f}"


def _plot_students(frame, path):
    """Bars (mean over seeds) and dots (seeds) per student and direction,
    one colour per student model and recipe override (``--unlabelled``
    variants)."""
    if frame.empty:
        return
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    labels = {
        "none": "no\ndistillation",
        "dkd": "DKD\n(default)",
        "shipped_teacher": "DKD, teacher\nnot fine-tuned",
        UNLABELLED: "DKD +\nunlabelled,\nother half",
        f"{UNLABELLED}_same": "DKD +\nunlabelled,\nsame half",
    }
    colours = ["#3182bd", "#9ecae1", "#fd8d3c", "#74c476"]
    frame = frame.assign(
        series=frame.student.where(
            frame.overrides == "", frame.student + ", " + frame.overrides
        )
    )
    models = sorted(frame.series.unique(), reverse=True)  # tcns:5 first
    width = 0.8 / len(models)
    directions = sorted(frame.direction.unique())
    fig, axes = plt.subplots(
        1, len(directions), figsize=(6.5 * len(directions), 4.6)
    )
    for ax, direction in zip(np.atleast_1d(axes), directions, strict=True):
        group = frame[frame.direction == direction]
        columns = [
            c for c in STUDENT_COLUMNS if c in group and group[c].notna().any()
        ]
        top = 0.0
        for k, model in enumerate(models):
            runs = group[group.series == model]
            label = model
            for i, column in enumerate(columns):
                values = runs[column].dropna()
                if values.empty:
                    continue
                x = i + (k - (len(models) - 1) / 2) * width
                mean = values.mean()
                top = max(top, values.max())
                ax.bar(
                    x,
                    mean,
                    width,
                    color=colours[k % len(colours)],
                    edgecolor="k",
                    label=label,
                )
                label = None  # one legend entry per series
                ax.plot(np.full(len(values), x), values, "k.", markersize=6)
                ax.annotate(
                    f"{mean:.2f}",
                    (x, mean),
                    ha="center",
                    va="bottom",
                    xytext=(0, 2),
                    textcoords="offset points",
                    fontsize=7,
                )
        ax.set_xticks(range(len(columns)))
        ax.set_xticklabels([labels[c] for c in columns], fontsize=8)
        source, _, target = direction.partition("_to_")
        names = {"spc": "SPC 2015", "wrist": "PhysioNet wrist"}
        ax.set_title(f"{names[source]} → {names[target]}")
        ax.set_ylabel("int8 + causal tracker, MAE (BPM)")
        ax.set_ylim(0, top * 1.45)  # room for the legend above the bars
        ax.grid(axis="y", alpha=0.3)
        ax.legend(
            fontsize=8, title="student", title_fontsize=8, loc="upper left"
        )
    fig.suptitle(
        "Students on another device: bars the mean over seeds "
        f"({', '.join(str(s) for s in sorted(set(frame.seed)))}), dots "
        "each seed"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _over_seeds(frame):
    """Variants named ``<name>_seed<k>`` as one row per name and direction:
    mean ± standard deviation over seeds, then the seeds' values."""
    frame = frame.assign(
        name=frame.variant.str.replace(r"_seed\d+$", "", regex=True),
        seeded=frame.variant.str.contains(r"_seed\d+$", regex=True),
    )
    frame = frame[frame.seeded]
    if frame.empty:
        return ""
    lines = [
        "\n\nOver seeds: variants named `<name>_seed<k>`, mean ± standard "
        "deviation (the seeds' values in brackets).\n",
        "| direction | variant | seeds | " + " | ".join(SUMMARY_COLUMNS) + " |",
        "|" + "---|" * (len(SUMMARY_COLUMNS) + 3),
    ]
    for (direction, name), group in frame.groupby(["direction", "name"]):
        seeds = [re.search(r"\d+$", v).group() for v in group.variant]
        cells = []
        for column in SUMMARY_COLUMNS:
            values = group[column].to_numpy()
            each = ", ".join(f"{v:.2f}" for v in values)
            if len(values) > 1:
                each = (
                    f"{values.mean():.2f} ± {values.std(ddof=1):.2f} ({each})"
                )
            cells.append(each)
        lines.append(
            f"| {direction} | {name} | {','.join(seeds)} | "
            + " | ".join(cells)
            + " |"
        )
    return "\n".join(lines)


def _main():
    from keras_ppg_kd.training.generalize import GeneralizingRecipe

    if FLAGS.summary:
        write_summary(pathlib.Path(FLAGS.out))
        return
    recipe = GeneralizingRecipe().override(FLAGS.set)
    if not FLAGS.unlabelled:
        runs = [(FLAGS.variant, recipe)]
    else:
        base = FLAGS.variant if FLAGS["variant"].present else UNLABELLED
        runs = [
            (
                f"{base}_{model.replace(':', '')}_seed{FLAGS.seed}",
                recipe.replace(student=model),
            )
            for model in FLAGS.student_models
        ] or [(f"{base}_seed{FLAGS.seed}", recipe)]
    for variant, recipe in runs:
        for direction in FLAGS.directions:
            _write(variant, direction, recipe)


def _write(variant, direction, recipe):
    """Evaluate one variant in one direction into its CSV and JSON."""
    import dataclasses

    out = pathlib.Path(FLAGS.out) / variant
    out.mkdir(parents=True, exist_ok=True)
    csv = out / f"{direction}.csv"
    if csv.exists() and not FLAGS.overwrite:
        print(f"{csv} exists; skipped (--overwrite to redo)")
        return
    if FLAGS.unlabelled:
        partial = out / f"{direction}.partial.json"
        if FLAGS.overwrite:
            partial.unlink(missing_ok=True)
        table, log = ablation(
            direction, recipe, FLAGS.seed, partial, FLAGS.students
        )
    else:
        table, log = evaluate(direction, recipe, FLAGS.seed)
    table = summarise(table)
    print(f"{direction} ({log['seconds']:.0f} s), MAE per recording (BPM):")
    print(table.to_string(index=False, float_format="%.2f"))
    log.update(
        variant=variant,
        overrides=FLAGS.set,
        seed=FLAGS.seed,
        recipe=json.loads(json.dumps(dataclasses.asdict(recipe))),
        machine=_machine(),
        versions=_versions(),
        date=time.strftime("%Y-%m-%d"),
    )
    tmp = csv.with_suffix(".tmp")
    table.to_csv(tmp, index=False, float_format="%.3f")
    csv.with_suffix(".json").write_text(json.dumps(log, indent=1) + "\n")
    tmp.replace(csv)  # the CSV last: a direction counts once it exists


def _machine():
    """The CPU's model name (``/proc/cpuinfo`` on Linux) and core count."""
    name = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    name = line.partition(":")[2].strip()
                    break
    except OSError:
        pass
    return f"{name}, {os.cpu_count()} cores"


def _versions():
    """The package's and the numerical libraries' versions: float results
    can move with any of them."""
    from importlib import metadata

    from keras_ppg_kd import version

    found = {"keras_ppg_kd": version.__version__}
    for name in (
        "keras",
        "tensorflow",
        "tensorflow-cpu",
        "numpy",
        "scipy",
        "ai-edge-litert",
        "jax",
    ):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return found


def main(_):
    try:
        _main()
    except (FileNotFoundError, ValueError, app.UsageError) as error:
        sys.exit(f"cross_dataset.py: error: {error}")


if __name__ == "__main__":
    app.run(main)
