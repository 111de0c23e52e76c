"""Tables, scaling-law fits and figures from a sweep's results table."""

import json
import os
import warnings

import matplotlib.pyplot as plt
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from keras_ppg_kd import models, scaling  # noqa: E402
from keras_ppg_kd.losses import REGISTRY as LOSSES  # noqa: E402
from keras_ppg_kd.study.config import SCRATCH  # noqa: E402

REQUIRED_COLUMNS = {"role", "model", "size", "params", "strategy", "teacher"}
# Registered strategies in registration order, each in its own colour.
STRATEGY_ORDER = [SCRATCH, *LOSSES]
COLORS = {SCRATCH: "#444444", **{n: c.color for n, c in LOSSES.items()}}


def read_results(results):
    """A results DataFrame from a DataFrame, a CSV/Parquet path, a dir, or
    a list of them (studies of one protocol, e.g. one per teacher)."""
    if isinstance(results, (list, tuple)):
        table = pd.concat([read_results(r) for r in results])
        if "cell" in table:
            repeated = sorted(set(table["cell"][table["cell"].duplicated()]))
            if repeated:
                raise ValueError(
                    f"Cells {repeated[:5]} are in more than one of "
                    f"{list(map(str, results))}; combine studies whose "
                    "cells differ (e.g. one per teacher)."
                )
        return table.reset_index(drop=True)
    if isinstance(results, pd.DataFrame):
        table = results
    else:
        path = str(results)
        if os.path.isdir(path):
            path = os.path.join(path, "results.csv")
        try:
            if path.endswith(".parquet"):
                table = pd.read_parquet(path)
            else:
                table = pd.read_csv(path)
        except (OSError, ValueError, pd.errors.ParserError) as error:
            raise ValueError(
                f"Cannot read a results table from {results!r}: {error}. "
                "Pass the results.csv a sweep wrote (or its directory)."
            ) from None
    missing = (REQUIRED_COLUMNS | {"mae"}) - set(table.columns)
    if missing or table.empty:
        raise ValueError(
            f"{results!r} is not a sweep results table: missing columns "
            f"{sorted(missing)} or no rows."
        )
    diverged = ~np.isfinite(pd.to_numeric(table["mae"], errors="coerce"))
    if diverged.any():
        names = table.loc[diverged, "cell"] if "cell" in table else []
        warnings.warn(
            f"{int(diverged.sum())} diverged run(s) (non-finite MAE) left out "
            f"of tables, fits and figures: {list(names)[:10]}",
            RuntimeWarning,
            stacklevel=2,
        )
        table = table[~diverged]
    return table


def _strategies(table):
    present = set(table["strategy"]) - {"teacher"}
    ordered = [s for s in STRATEGY_ORDER if s in present]
    return ordered + sorted(present - set(ordered))


def default_teacher(table):
    teachers = table.loc[table["role"] == "student", "teacher"]
    return int(teachers.max()) if len(teachers) else 0


# The study's students (Table 2, Figures 1-2): the package's default family.
STUDY_FAMILY = models.DEFAULT_FAMILY


def family_suffix(family):
    """What the report's file names of ``family`` add: ``""`` for the
    study's ResNet1D students (``fits.json``), else ``"_<family>"``
    (``fits_resnetw.json``)."""
    return "" if family == STUDY_FAMILY else f"_{family}"


def _in_units(family):
    """A family's sizes in words, from what it declares they count:
    ``"ResNet1D blocks"``."""
    return f"{models.REGISTRY[family].__name__} {models.size_means(family)}"


def _size_label(family, size):
    """A student size as Table 2 names it: in what the study family's size
    counts (``"1 block"``, ``"2 blocks"``), else ``"family:size"``."""
    if family != STUDY_FAMILY:
        return f"{family}:{size}"
    unit = models.size_means(family)
    return f"{size} {unit if size > 1 else unit.removesuffix('s')}"


def student_families(results):
    """The student families of a results table, the one its laws are
    about first.

    That is the study's ResNet1D (``"resnet"``) when the table has such
    students, else the family with the most student sizes (the ``quick``
    preset's ``resnetw`` beside its one ``mlp`` size); ties go by name.

    Args:
        results: A results table or where to read one (see
            :func:`read_results`).

    Returns:
        Family names, e.g. ``["resnetw", "mlp"]``.
    """
    table = read_results(results)
    students = table[table["role"] != "teacher"]
    sizes = students.groupby("model")["size"].nunique()
    return sorted(
        sizes.index, key=lambda f: (f != STUDY_FAMILY, -sizes[f], str(f))
    )


def _family(table, family):
    """``family``, or the table's first student family when None."""
    if family is not None:
        return family
    families = student_families(table)
    return families[0] if families else STUDY_FAMILY


def _students(table, teacher, family=STUDY_FAMILY):
    """Rows of ``family`` students of ``teacher`` plus scratch baselines."""
    rows = table[(table["model"] == family) & (table["role"] != "teacher")]
    return rows[(rows["role"] == "scratch") | (rows["teacher"] == teacher)]


def table2(results, teacher=None, family=None):
    """Students x strategies, ``mean ± std`` MAE over folds and seeds.

    A cell with a single run shows its value alone (no std to show).

    Args:
        results: A results table or where to read one.
        teacher: Teacher size (default: the largest students learnt from).
        family: Student family (default: the table's first of
            :func:`student_families`).

    Returns:
        ``(display, numbers)``: strings for Markdown, and a long table
        of mean/std/n per student and strategy for CSV.
    """
    table = read_results(results)
    teacher = default_teacher(table) if teacher is None else teacher
    family = _family(table, family)
    rows = _students(table, teacher, family)
    numbers = (
        rows.groupby(["size", "params", "strategy"])["mae"]
        .agg(["mean", "std", "count"])
        .reset_index()
    )
    display = {}
    for (size, params), group in numbers.groupby(["size", "params"]):
        what = _size_label(family, size)
        digits = 1 if params < 1e4 else 0
        label = f"{what} ({params / 1e3:.{digits}f}K)"
        cells = {}
        for _, row in group.iterrows():
            cells[row["strategy"]] = (
                f"{row['mean']:.2f}"
                if row["count"] < 2
                else f"{row['mean']:.2f} ± {row['std']:.2f}"
            )
        display[label] = cells
    frame = pd.DataFrame(display).T
    frame = frame[[s for s in _strategies(rows) if s in frame.columns]]
    frame.index.name = f"student (teacher {teacher} blocks)"
    return frame, numbers


def to_markdown(frame):
    """A DataFrame as a GitHub Markdown table (no extra dependency)."""
    header = [frame.index.name or "", *map(str, frame.columns)]
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for index, row in frame.iterrows():
        values = ["" if pd.isna(v) else str(v) for v in row]
        lines.append("| " + " | ".join([str(index), *values]) + " |")
    return "\n".join(lines)


def fit_strategies(results, teacher=None, family=None):
    """Best scaling law per strategy: ``{strategy: (best, {law: fit})}``.

    Strategies with fewer than three student sizes are left out (a
    three-parameter law needs three).

    Args:
        results: A results table or where to read one.
        teacher: Teacher size (default: the largest students learnt from).
        family: Student family whose sizes the laws run over (default:
            the table's first of :func:`student_families`, e.g.
            ``"resnetw"`` for the ``quick`` preset).

    Returns:
        ``{strategy: (best ScalingFit, {law: ScalingFit})}``.
    """
    table = read_results(results)
    teacher = default_teacher(table) if teacher is None else teacher
    rows = _students(table, teacher, _family(table, family))
    fits = {}
    for strategy in _strategies(rows):
        points = rows[rows["strategy"] == strategy]
        if points["params"].nunique() < 3:
            continue
        columns = [c for c in ("seed", "fold") if c in points.columns]
        runs = (
            points[columns].astype(str).agg("/".join, axis=1).to_numpy()
            if columns
            else None
        )
        fits[strategy] = scaling.fit_best(
            points["params"], points["mae"], runs, *_participant_units(points)
        )
    return fits


def _participant_units(points):
    """``(unit_mae, unit_windows)`` over (fold, test participant) from the
    records' ``participant_mae``; ``(None, None)`` when a record lacks it
    (tables written before it was recorded)."""
    texts = points.get("participant_mae")
    if texts is None or not all(isinstance(t, str) and t for t in texts):
        return None, None
    folds = points["fold"] if "fold" in points else [0] * len(points)
    per_point = [
        {(fold, key): value for key, value in json.loads(text).items()}
        for fold, text in zip(folds, texts)
    ]
    units = sorted(set().union(*per_point), key=str)
    unit_mae = np.full((len(points), len(units)), np.nan)
    unit_windows = np.zeros((len(points), len(units)))
    for row, values in enumerate(per_point):
        for column, unit in enumerate(units):
            if unit in values:
                unit_mae[row, column], unit_windows[row, column] = values[unit]
    return unit_mae, unit_windows


def _save(fig, path):
    """Save ``path``.png and ``path``.pdf; returns ``(fig, paths)``.

    The figure stays open so a notebook can show it (``plt.close(fig)``
    when done); matplotlib picks its backend as usual (Agg when headless).
    """
    paths = [f"{path}.png", f"{path}.pdf"]
    for p in paths:
        fig.savefig(p, dpi=150, bbox_inches="tight")
    return fig, paths


def _written(saved):
    """The paths of a ``(fig, paths)`` pair, closing the figure."""
    fig, paths = saved
    plt.close(fig)
    return paths


def figure_heatmap(results, strategy, path, family=None):
    """Figure 1: teacher x student MAE for one strategy, annotated.

    ``family`` defaults to the table's first of :func:`student_families`.

    Returns ``(figure, [png path, pdf path])``.
    """
    table = read_results(results)
    family = _family(table, family)
    rows = table[(table["strategy"] == strategy) & (table["model"] == family)]
    if rows.empty:
        raise ValueError(f"No {family} student rows for strategy {strategy!r}.")
    grid = rows.pivot_table(
        index="teacher", columns="size", values="mae", aggfunc="mean"
    ).sort_index(ascending=False)
    fig, ax = plt.subplots(
        figsize=(1.2 * grid.shape[1] + 2.5, 0.7 * grid.shape[0] + 1.8)
    )
    image = ax.imshow(grid.values, cmap="viridis_r", aspect="auto")
    ax.set_xticks(range(grid.shape[1]), [f"{c}" for c in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [f"{t}" for t in grid.index])
    ax.set_xlabel(
        f"student ({_in_units(family)})"
        if family == STUDY_FAMILY
        else f"student ({family}:<size>)"
    )
    ax.set_ylabel(f"teacher ({_in_units(models.DEFAULT_FAMILY)})")
    finite = grid.values[np.isfinite(grid.values)]
    middle = (finite.min() + finite.max()) / 2 if finite.size else 0
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            value = grid.values[i, j]
            if np.isfinite(value):
                ax.text(
                    j,
                    i,
                    f"{value:.1f}",
                    ha="center",
                    va="center",
                    color="white" if value > middle else "black",
                    fontsize=10,
                )
    fig.colorbar(image, ax=ax, label="MAE (BPM)")
    ax.set_title(f"Student MAE, {strategy} distillation")
    return _save(fig, path)


def figure_scaling(
    results,
    fits,
    path,
    teacher=None,
    family=None,
    title=None,
    bands=False,
):
    """Figure 2: MAE vs student parameters per strategy (mean ± std over
    runs), with the fitted law where the data identify one and the
    teacher's MAE as a dotted line.

    Args:
        results: The results table (see :func:`read_results`).
        fits: ``{strategy: (ScalingFit, ...)}`` to draw: this table's
            fits, or others' (shipped laws) to check the points against.
        path: Output path without extension.
        teacher: Teacher blocks (default: the largest).
        family: Student family (default: the table's first of
            :func:`student_families`).
        title: Title (default: the family and teacher).
        bands: Shade each law's 95 % interval (from its parameter draws).

    Returns ``(figure, [png path, pdf path])``.
    """
    table = read_results(results)
    teacher = default_teacher(table) if teacher is None else teacher
    family = _family(table, family)
    rows = _students(table, teacher, family)
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    strategies = _strategies(rows)
    for i, strategy in enumerate(strategies):
        points = rows[rows["strategy"] == strategy]
        stats = points.groupby("params")["mae"].agg(["mean", "std"])
        color = COLORS.get(strategy)
        style = "--" if strategy == "scratch" else "-"
        # Strategies side by side at each size (±2 %), so error bars of
        # one size do not hide each other; the fitted curves are not moved.
        dodge = 1 + 0.02 * (i - (len(strategies) - 1) / 2)
        ax.errorbar(
            stats.index * dodge,
            stats["mean"],
            yerr=stats["std"].fillna(0),
            fmt="o",
            color=color,
            capsize=3,
            label=None,
        )
        label = strategy
        if strategy in fits and fits[strategy][0].identifiable:
            best = fits[strategy][0]
            grid = np.geomspace(
                stats.index.min() * 0.8, stats.index.max() * 1.5
            )
            ax.plot(grid, best.predict(grid), style, color=color)
            if bands and len(best.draws):
                band = np.array([best.predict_interval(n) for n in grid])
                ax.fill_between(grid, *band.T, color=color, alpha=0.1)
            label += f" ({best.law}, R²={best.r2:.2f})"
            ax.plot([], [], style + "o", color=color, label=label)
        else:  # points only: no law drawn where the data identify none
            ax.plot(
                [], [], "o", color=color, label=f"{label} (no law identified)"
            )
    teachers = table[(table["role"] == "teacher") & (table["size"] == teacher)]
    if len(teachers):  # the level distillation aims at
        ax.axhline(
            teachers["mae"].mean(),
            color="0.5",
            linestyle=":",
            label=f"teacher ({teacher} blocks)",
        )
    ax.set_xscale("log")
    ax.set_xlabel("student parameters")
    ax.set_ylabel("MAE (BPM)")
    ax.set_title(
        title
        or f"{family} student MAE vs size (teacher: {teacher}-block ResNet1D)"
    )
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def figure_families(results, path, teacher=None):
    """Figure 3: the student families side by side (ResNet1D vs MLP, TCN).

    Each family is drawn with the strategies every family has, so the
    comparison is like for like.

    Returns ``(figure, [png path, pdf path])``.
    """
    table = read_results(results)
    teacher = default_teacher(table) if teacher is None else teacher
    present = set(table["model"][table["role"] != "teacher"])
    families = sorted(present, key=lambda f: (f != STUDY_FAMILY, f))
    rows = {f: _students(table, teacher, f) for f in families}
    shared = set.intersection(*(set(_strategies(r)) for r in rows.values()))
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    for index, family in enumerate(families):
        for strategy in [s for s in _strategies(rows[family]) if s in shared]:
            stats = (
                rows[family][rows[family]["strategy"] == strategy]
                .groupby("params")["mae"]
                .mean()
            )
            ax.plot(
                stats.index,
                stats.values,
                ("-", ":", "--", "-.")[index % 4],
                marker="osD^v"[index % 5],
                color=COLORS.get(strategy),
                label=f"{family} {strategy}",
            )
    ax.set_xscale("log")
    ax.set_xlabel("student parameters")
    ax.set_ylabel("MAE (BPM)")
    ax.set_title("Student families by size: " + " vs ".join(families))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    return _save(fig, path)


def format_fit(strategy, best, fits):
    """Printable lines for one strategy's fits (formula, R², CI, LOSO)."""
    if not best.identifiable:
        lines = [
            f"{strategy}: no law identified ({best.why_not}); shown as "
            "points only (more sizes, seeds or epochs may identify one)"
        ]
    else:
        lines = [f"{strategy}: best law {best.law}: {best.formula()}"]
    for law, fit in fits.items():
        if fit.identifiable:
            ci = "95% CI: " + ", ".join(
                f"{k} [{lo:.4g}, {hi:.4g}]" for k, (lo, hi) in fit.ci95.items()
            )
        else:
            ci = f"not identified: {fit.why_not}"
        if not np.isfinite(fit.loso_mae):
            loso = "n/a (needs >= 4 sizes)"
        elif fit.loso_mae > 100:  # extrapolates off the scale
            loso = "> 100 BPM"
        else:
            loso = f"{fit.loso_mae:.2f} BPM"
        lines.append(
            f"    {law:<11} R²={fit.r2:.3f}  leave-one-size-out error "
            f"{loso}  {ci}"
        )
    return "\n".join(lines)


def _shared_reason(fits):
    """The one reason no law of any strategy is identified, else ``""``."""
    every = [f for best, per in fits.values() for f in (best, *per.values())]
    reasons = {f.why_not for f in every}
    if not every or any(f.identifiable for f in every) or len(reasons) > 1:
        return ""
    return reasons.pop()


def format_fits(fits, more=None):
    """Printable lines for every strategy's fits (see :func:`format_fit`).

    When no law of any strategy is identified for one reason (three
    sizes for three parameters), the reason is printed once, then each
    strategy's R² per law.

    Args:
        fits: ``{strategy: (best, {law: fit})}`` of :func:`fit_strategies`.
        more: Optional ``more(strategy, best) -> [lines]`` added under
            each strategy (predictions, inversions).

    Returns:
        The text.
    """
    reason = _shared_reason(fits)
    lines = []
    if reason:
        lines.append(
            f"no law identified for {', '.join(fits)}: {reason}; shown as "
            "points only (more sizes, seeds or epochs may identify one)"
        )
    for strategy, (best, per) in fits.items():
        if reason:
            lines.append(
                f"{strategy}: "
                + ", ".join(f"{law} R²={f.r2:.3f}" for law, f in per.items())
            )
        else:
            lines.append(format_fit(strategy, best, per))
        lines += more(strategy, best) if more else []
    return "\n".join(lines)


def _write_fits(fits, path):
    """Write ``{strategy: {law: fit, "best": law}}`` as JSON; the path."""
    with open(path, "w") as f:
        json.dump(
            {
                s: {law: fit.to_dict() for law, fit in per.items()}
                | {"best": best.law}
                for s, (best, per) in fits.items()
            },
            f,
            indent=1,
        )
    return path


def report(results, out_dir, teacher=None):
    """Write Table 2 (Markdown + CSV), fits.json and Figures 1-3.

    The study's ResNet1D students give ``table2.{md,csv}`` and
    ``fits.json``; every other student family its own
    ``table2_<family>.{md,csv}`` and ``fits_<family>.json``.

    Returns:
        ``(text, paths)``: a printable summary and the files written.
    """
    table = read_results(results)
    os.makedirs(out_dir, exist_ok=True)
    teacher = default_teacher(table) if teacher is None else teacher
    families = set(table["model"][table["role"] != "teacher"])
    others = sorted(families - {STUDY_FAMILY})
    paths, text = [], []
    for family in [STUDY_FAMILY, *others]:
        frame, numbers = table2(table, teacher, family)
        if numbers.empty and (family != STUDY_FAMILY or others):
            continue
        suffix = family_suffix(family)
        md = os.path.join(out_dir, f"table2{suffix}.md")
        with open(md, "w") as f:
            f.write(to_markdown(frame) + "\n")
        csv = os.path.join(out_dir, f"table2{suffix}.csv")
        numbers.to_csv(csv, index=False)
        paths += [md, csv]
        text += [to_markdown(frame), ""]

    fits = fit_strategies(table, teacher, STUDY_FAMILY)
    by_family = {f: fit_strategies(table, teacher, f) for f in others}
    # fits.json: the study's ResNet1D students; fits_<family>.json: each
    # other student family's own laws.
    paths.append(_write_fits(fits, os.path.join(out_dir, "fits.json")))
    if fits:
        text.append(format_fits(fits))
    for family, family_fits in by_family.items():
        if family_fits:
            name = os.path.join(out_dir, f"fits{family_suffix(family)}.json")
            paths.append(_write_fits(family_fits, name))
            text += [f"{family} students:", format_fits(family_fits)]
    if not fits and not others:
        text.append("scaling laws: need >= 3 student sizes per strategy")

    students = table[table["role"] == "student"]
    for family in [STUDY_FAMILY, *others]:
        rows = students[students["model"] == family]
        if family != STUDY_FAMILY and rows["teacher"].nunique() < 2:
            continue  # Figure 1 of another family: with several teachers
        for strategy in _strategies(rows):
            several = rows.loc[rows["strategy"] == strategy, "teacher"]
            if family != STUDY_FAMILY and several.nunique() < 2:
                continue
            name = os.path.join(
                out_dir, f"fig1_heatmap{family_suffix(family)}_{strategy}"
            )
            paths += _written(figure_heatmap(table, strategy, name, family))
    if STUDY_FAMILY in families:
        name = os.path.join(out_dir, "fig2_scaling")
        paths += _written(
            figure_scaling(table, fits, name, teacher, STUDY_FAMILY)
        )
    for family in others:  # each family's own scaling figure
        if students.loc[students["model"] == family, "size"].nunique() < 2:
            continue  # one size: Figure 3 shows it
        name = os.path.join(out_dir, f"fig2_scaling_{family}")
        paths += _written(
            figure_scaling(table, by_family[family], name, teacher, family)
        )
    if len(families) > 1:
        name = os.path.join(out_dir, "fig3_families")
        paths += _written(figure_families(table, name, teacher))
    return "\n".join(text), paths
