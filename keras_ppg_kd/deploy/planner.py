"""Pick the student for a device budget from fitted scaling laws.

The scaling laws (the shipped ones, :mod:`keras_ppg_kd.pretrained.laws`, or
a sweep's, :mod:`keras_ppg_kd.study.report`) predict the MAE of a student
of any size; the LiteRT files of candidate sizes give their measured flash,
RAM and latency. The planner keeps the candidates that fit the budget and
returns the one with the lowest predicted MAE, or, where no law is
identified, the lowest MAE the study measured at a candidate's size.
"""

import dataclasses
import datetime
import json
import os
import platform
import tempfile
from collections.abc import Mapping, Sequence

import numpy as np

from keras_ppg_kd import models
from keras_ppg_kd.scaling import ScalingFit


@dataclasses.dataclass(frozen=True)
class Candidate:
    """A measured student size.

    Attributes:
        model: Model identifier, ``"family:size"`` (``"resnetw:16"``).
        params: Trainable parameters.
        flash_kb: LiteRT file size, KB.
        ram_kb: Tensor arena, KB: what TensorFlow Lite for
            Microcontrollers needs when ``tflite-micro`` is installed, else
            the lifetime estimate (which leaves out TFLM's own structures).
        latency_ms: LiteRT latency per window (batch 1), ms.
    """

    model: str
    params: int
    flash_kb: float
    ram_kb: float
    latency_ms: float


@dataclasses.dataclass(frozen=True)
class Option:
    """One (strategy, candidate) pair the planner weighed.

    Attributes:
        strategy: Distillation strategy (or ``"scratch"``).
        candidate: The measured :class:`Candidate`.
        mae: Predicted MAE (a law) or measured mean MAE (no law), BPM.
        interval: 95 % interval of ``mae`` (NaN ends when unknown).
        fits_budget: Whether the candidate fits the budget.
    """

    strategy: str
    candidate: Candidate
    mae: float
    interval: tuple
    fits_budget: bool


@dataclasses.dataclass(frozen=True)
class Plan:
    """The recommendation and every option considered.

    ``basis`` says where the MAE comes from: ``"law"`` (a fitted scaling
    law's prediction) or ``"measured"`` (no law was identified; the mean
    MAE measured at that size in the study).
    """

    strategy: str
    candidate: Candidate
    predicted_mae: float
    interval: tuple
    basis: str
    options: tuple  # of Option
    source: str = ""
    population: str = ""

    def summary(self):
        c = self.candidate
        how = (
            "trained from scratch"
            if self.strategy == "scratch"
            else f"distilled with {self.strategy}"
        )
        low, high = self.interval
        what = (
            "predicted MAE"
            if self.basis == "law"
            else "measured MAE (no law "
            "identified; the study's mean at this size)"
        )
        people = f" for {self.population}" if self.population else ""
        return (
            f"recommended: {c.model} ({c.params:,} params) "
            f"{how}; {what}{people} {self.predicted_mae:.2f} BPM (95 % "
            f"{low:.2f}-{high:.2f}); measured {c.flash_kb:.1f} KB flash, "
            f"~{c.ram_kb:.1f} KB arena, {c.latency_ms * 1e3:.0f} us per "
            f"window" + (f"; laws: {self.source}" if self.source else "")
        )


@dataclasses.dataclass(frozen=True)
class Laws:
    """Scaling laws to plan from.

    Attributes:
        fits: ``{strategy: ScalingFit}``, identified laws only.
        unidentified: ``{strategy: why}`` for the laws left out.
        measured: ``[{"size", "params", "strategy", "mean", "std",
            "count"}]``: mean MAE per measured student size (the
            fallback).
        source: Where they came from (a path or a shipped name).
        family: The student family the laws were fitted on (a law in
            parameters holds for its family only).
        population: Whom the laws' predictions are about (the card's
            ``population``, e.g. synthetic people); empty when unknown.
        edge: The laws file's ``edge`` section, ``{"quantization",
            "machine", "date", "students": {"family:size": {"params",
            "file_bytes", "micro_arena_bytes", "arena_estimate_bytes",
            "latency_us"}}}``: each measured size's exported file, arena
            and latency (see :func:`record_edge`); empty when absent.
    """

    fits: dict
    unidentified: dict
    measured: tuple = ()
    source: str = ""
    family: str = models.DEFAULT_FAMILY
    edge: dict = dataclasses.field(default_factory=dict)
    population: str = ""

    def sizes(self):
        """The measured students, ``["family:size", ...]``, smallest first:
        the sizes where the laws were fitted (or, without a law, the only
        ones with a number)."""
        by_params = {int(r["params"]): int(r["size"]) for r in self.measured}
        return [f"{self.family}:{by_params[n]}" for n in sorted(by_params)]

    def check_family(self, students):
        """Raise ValueError for ``"family:size"`` students of another
        family than the laws' (no check when ``family`` is empty)."""
        others = [
            s
            for s in students
            if self.family and s.split(":")[0] != self.family
        ]
        if others:
            raise ValueError(
                f"The laws in {self.source!r} were fitted on "
                f"{self.family!r} students; {others} are of another family. "
                f"Plan over '{self.family}:<size>' students or pass laws "
                "fitted on theirs (--fits)."
            )


def load_fits(path: str | os.PathLike | None = None) -> "Laws":
    """Scaling laws from a fits.json, a shipped laws file, or the default.

    Args:
        path: The ``fits.json`` or ``fits_<family>.json`` that
            ``keras-ppg-kd report`` writes (its ``table2.csv`` or
            ``table2_<family>.csv`` beside it, if present, gives the
            measured sizes), a laws file of
            :mod:`keras_ppg_kd.pretrained.laws`, or None for the shipped
            default laws.

    Raises:
        ValueError: an unreadable file, or one with neither an identified
            law nor measured sizes.
    """
    if path is None:
        from keras_ppg_kd.pretrained import laws

        path = laws.path()
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(
            f"Cannot read fitted scaling laws from {str(path)!r}: {error}. "
            "Pass the fits.json that `keras-ppg-kd report` writes."
        ) from None
    if not isinstance(data, dict):
        raise ValueError(
            f"{str(path)!r} is not a laws file: expected a JSON object (a "
            "shipped laws file with 'card', 'fits' and 'measured', or the "
            f"fits.json that `report` writes). Received: a "
            f"{type(data).__name__}."
        )
    if "fits" in data:  # a shipped laws file
        if not isinstance(data.get("card"), dict):
            raise ValueError(
                f"{str(path)!r} has 'fits' but no 'card' object (it names "
                "the student family); a laws file holds 'card', 'fits' and "
                "'measured'."
            )
        fitted, measured = data["fits"], data.get("measured", [])
        family = data["card"].get("family", models.DEFAULT_FAMILY)
    else:
        stem = os.path.splitext(os.path.basename(os.fspath(path)))[0]
        family = stem[5:] if stem.startswith("fits_") else models.DEFAULT_FAMILY
        fitted, measured = data, _table2_beside(path, family)
    if not isinstance(fitted, dict):
        raise ValueError(
            f"{str(path)!r}: 'fits' must map each strategy to its laws. "
            f"Received: a {type(fitted).__name__}."
        )
    _check_measured(path, measured)
    fits, unidentified = {}, {}
    for strategy, per_law in fitted.items():
        fit = _read_law(path, strategy, per_law)
        if fit.identifiable:
            fits[strategy] = fit
        else:
            unidentified[strategy] = fit.why_not
    if not fits and not measured:
        raise ValueError(
            f"No strategy in {str(path)!r} has an identified scaling law "
            f"({unidentified}) and no measured sizes are beside it; sweep "
            "more student sizes or seeds first."
        )
    shipped = "fits" in data
    edge = data.get("edge", {}) if shipped else {}
    population = data["card"].get("population", "") if shipped else ""
    return Laws(
        fits,
        unidentified,
        tuple(measured),
        str(path),
        family,
        edge,
        population,
    )


def _read_law(path, strategy, per_law):
    """The best :class:`ScalingFit` of one strategy, or a ValueError naming
    the file, the strategy and what is wrong."""
    where = f"{str(path)!r}: strategy {strategy!r}"
    if not isinstance(per_law, dict) or "best" not in per_law:
        raise ValueError(
            f"{where} must map each law to its fit and 'best' to one of "
            f"them. Received: {str(per_law)[:80]}"
        )
    best, held = per_law["best"], sorted(k for k in per_law if k != "best")
    entry = per_law.get(best) if isinstance(best, str) else None
    if not isinstance(entry, dict):
        raise ValueError(
            f"{where}: its best law {best!r} is not in the file, which holds "
            f"{held}."
        )
    missing = [k for k in _LAW_FIELDS if k not in entry]
    if missing:
        raise ValueError(
            f"{where}: its {best} law lacks {missing[0]!r} (a law holds "
            f"{list(_LAW_FIELDS)}); refit it with `keras-ppg-kd report`."
        )
    try:
        fit = ScalingFit.from_dict(entry)
        values = {k: float(v) for k, v in fit.params.items()}
        values.update(
            {f"ci95.{k}": float(x) for k, v in fit.ci95.items() for x in v}
        )
    except (TypeError, ValueError, AttributeError) as error:
        raise ValueError(f"{where}: its {best} law is unreadable: {error}")
    bad = {k: v for k, v in values.items() if not np.isfinite(v)}
    if fit.identifiable and any(k in fit.params for k in bad):
        raise ValueError(
            f"{where}: its {best} law has non-finite params "
            f"({', '.join(f'{k}={v}' for k, v in bad.items())}); the file "
            "is damaged: refit it with `keras-ppg-kd report`."
        )
    return fit


_LAW_FIELDS = ("law", "params", "ci95", "r2", "loso_mae", "sizes", "n_points")


def _check_measured(path, measured):
    """Raise unless ``measured`` is a list of rows with a size, params and
    strategy."""
    needed = ("size", "params", "strategy", "mean")
    rows = measured if isinstance(measured, list) else [None]
    for row in rows:
        if not (isinstance(row, dict) and all(k in row for k in needed)):
            raise ValueError(
                f"{str(path)!r}: 'measured' must be a list of rows with "
                f"{list(needed)}. Received: {str(row)[:80]}"
            )


def _table2_beside(path, family):
    suffix = "" if family == models.DEFAULT_FAMILY else f"_{family}"
    name = f"table2{suffix}.csv"
    table = os.path.join(os.path.dirname(os.fspath(path)), name)
    if not os.path.isfile(table):
        return []
    import pandas as pd

    return pd.read_csv(table).to_dict("records")


def like_trained(model, seed=0):
    """Give a fresh model the kind of weights training leaves, in place.

    A fresh model's BatchNorm offsets and biases are zeros and its scales
    and variances ones; the LiteRT converter folds those away (an ``ADD``
    fewer per BatchNorm), so its file and arena come out smaller than a
    trained student's (the ``resnetw:8`` int8 file: 10.0 KB fresh, 13.6 KB
    trained). Every weight still at one constant value is redrawn: scales
    and variances from 0.5-1.5, everything else around 0 (sd 0.1).

    Args:
        model: A Keras model, changed in place.
        seed: Seed of the draws.

    Returns:
        ``model``.
    """
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        values = np.asarray(weight.numpy())
        if not np.issubdtype(values.dtype, np.floating) or np.ptp(values):
            continue
        if any(k in weight.name for k in ("gamma", "variance", "scale")):
            drawn = rng.uniform(0.5, 1.5, values.shape)
        else:
            drawn = rng.normal(0.0, 0.1, values.shape)
        weight.assign(drawn.astype(values.dtype))
    return model


def _known(entry, model):
    """A :class:`Candidate` from a laws file's ``edge`` entry."""
    arena = entry.get("micro_arena_bytes") or entry["arena_estimate_bytes"]
    return Candidate(
        model=model,
        params=int(entry["params"]),
        flash_kb=entry["file_bytes"] / 1024,
        ram_kb=arena / 1024,
        latency_ms=entry["latency_us"] / 1e3,
    )


def measure_candidates(
    students: Sequence[int | str],
    quantization: str = "int8",
    representative_data: np.ndarray | None = None,
    known: Mapping | None = None,
) -> list["Candidate"]:
    """Each student's LiteRT file size, arena and latency.

    Sizes in ``known`` (a laws file's ``edge`` section, :attr:`Laws.edge`,
    of the same quantization) are read from it; the others are exported
    and measured on this machine: a fresh model with the kind of weights
    training leaves (:func:`like_trained`) stands in for the trained
    student, whose file and TensorFlow Lite for Microcontrollers arena it
    matches (the weights' values do not change either).

    Args:
        students: Model identifiers (``"resnetw:16"``); an int is that
            many ResNet1D blocks.
        quantization: See :func:`keras_ppg_kd.deploy.export_tflite`.
        representative_data: Calibration windows (random ones if None).
        known: Measurements to reuse, as :attr:`Laws.edge`.

    Returns:
        A :class:`Candidate` per student, in order.
    """
    from keras_ppg_kd import models

    known = known or {}
    shipped = (
        known.get("students", {})
        if known.get("quantization") == quantization
        else {}
    )
    candidates = []
    for student in students:
        family, number = models.parse(student)
        identifier = f"{family}:{number}"
        if identifier in shipped:
            candidates.append(_known(shipped[identifier], identifier))
        else:
            entry = _measure(identifier, quantization, representative_data)
            candidates.append(_known(entry, identifier))
    return candidates


def _measure(identifier, quantization, representative_data=None):
    """Export a stand-in of ``identifier`` and measure it: an ``edge``
    entry (``params``, ``file_bytes``, arenas in bytes, ``latency_us``)."""
    from keras_ppg_kd import models
    from keras_ppg_kd.deploy.litert import (
        LiteRTModel,
        export_tflite,
        inspect_tflite,
    )

    model = like_trained(models.get(identifier))
    if representative_data is None:
        shape = (64, model.input_length, model.channels)
        rng = np.random.default_rng(0)
        representative_data = rng.standard_normal(shape, "float32")
    with tempfile.TemporaryDirectory() as folder:
        path = export_tflite(
            model,
            os.path.join(folder, "student.tflite"),
            quantization,
            representative_data=representative_data,
        )
        report = inspect_tflite(path)
        micro = report.micro_arena_kb
        return {
            "params": models.trainable_parameters(model),
            "file_bytes": os.path.getsize(path),
            "micro_arena_bytes": None if micro is None else round(micro * 1024),
            "arena_estimate_bytes": round(report.arena_kb * 1024),
            "latency_us": round(LiteRTModel(path).latency_us(), 1),
        }


def record_edge(
    path: str | os.PathLike,
    students: Sequence[str] | None = None,
    quantization: str = "int8",
) -> dict:
    """Measure each size of a laws file and store it there as ``edge``.

    What ``keras-ppg-kd plan`` then reads instead of exporting (seconds
    per size): the int8 file's bytes, the TensorFlow Lite for
    Microcontrollers arena (and the lifetime estimate) and the LiteRT
    latency on this machine, which the section names.

    Args:
        path: A laws file (:mod:`keras_ppg_kd.pretrained.laws`).
        students: Sizes to measure (default: the laws' own,
            :meth:`Laws.sizes`).
        quantization: See :func:`keras_ppg_kd.deploy.export_tflite`.

    Returns:
        The ``edge`` section written.
    """
    laws = load_fits(path)
    students = list(students or laws.sizes())
    edge = {
        "quantization": quantization,
        "machine": f"{platform.machine()} {platform.processor()}".strip(),
        "date": datetime.date.today().isoformat(),
        "how": "keras_ppg_kd.deploy.planner.record_edge: a fresh model "
        "with trained-like weights (like_trained), exported as "
        "export_tflite does; LiteRT latency at batch 1, 1 thread",
        "students": {s: _measure(s, quantization) for s in students},
    }
    with open(path) as f:
        data = json.load(f)
    data["edge"] = edge
    with open(path, "w") as f:
        f.write(json.dumps(data, indent=1) + "\n")
    return edge


def plan(
    laws: "Laws | str | os.PathLike | dict | None",
    candidates: Sequence["Candidate"],
    flash_kb: float | None = None,
    ram_kb: float | None = None,
    latency_ms: float | None = None,
) -> "Plan":
    """The lowest-MAE (strategy, student) within the budget.

    With identified laws the MAE is each law's prediction at the
    candidate's size. Without one, the planner falls back to the sizes the
    study measured (candidates of another size are left out) and says so
    in :attr:`Plan.basis`. Candidates must be of the laws' family.

    Args:
        laws: :class:`Laws`, a path for :func:`load_fits`,
            ``{strategy: ScalingFit}``, or None for the shipped laws.
        candidates: Measured :class:`Candidate` sizes.
        flash_kb: Flash budget (file size), KB; None = unlimited.
        ram_kb: RAM budget (tensor arena), KB; None = unlimited.
        latency_ms: Latency budget per window, ms; None = unlimited.

    Raises:
        ValueError: When no candidate fits, naming the smallest one's
            needs, or when a candidate is of another family than the laws.
    """
    if isinstance(laws, dict):
        laws = Laws(dict(laws), {}, family="")
    elif not isinstance(laws, Laws):
        laws = load_fits(laws)
    if not candidates:
        raise ValueError("plan() needs at least one candidate.")
    laws.check_family(c.model for c in candidates)

    def fits_budget(c):
        return (
            (flash_kb is None or c.flash_kb <= flash_kb)
            and (ram_kb is None or c.ram_kb <= ram_kb)
            and (latency_ms is None or c.latency_ms <= latency_ms)
        )

    if laws.fits:
        basis = "law"
        options = tuple(
            Option(
                s,
                c,
                float(fit.predict(c.params)),
                fit.predict_interval(c.params),
                fits_budget(c),
            )
            for s, fit in laws.fits.items()
            for c in candidates
        )
    else:
        basis = "measured"
        options = tuple(
            Option(
                row["strategy"],
                c,
                float(row["mean"]),
                measured_interval(row),
                fits_budget(c),
            )
            for row in laws.measured
            for c in candidates
            if int(row["params"]) == c.params
        )
        if not options:
            raise ValueError(
                f"No law in {laws.source!r} is identified "
                f"({laws.unidentified}) and none of the candidates "
                f"{[c.model for c in candidates]} was measured there."
            )
    feasible = [o for o in options if o.fits_budget]
    if not feasible:
        small = min(candidates, key=lambda c: c.params)
        raise ValueError(
            f"No student fits flash_kb={flash_kb}, ram_kb={ram_kb}, "
            f"latency_ms={latency_ms}. The smallest ({small.model}) "
            f"needs {small.flash_kb:.1f} KB flash, {small.ram_kb:.1f} KB RAM "
            f"and {small.latency_ms:.3f} ms; relax the budget."
        )
    best = min(feasible, key=lambda o: (o.mae, o.candidate.params))
    return Plan(
        best.strategy,
        best.candidate,
        best.mae,
        best.interval,
        basis,
        options,
        laws.source,
        laws.population,
    )


def cross_device_note(student):
    """One line: what ``student`` (``"family:size"``) or, when it was not
    measured there, the deployed students measured on recordings of
    another device (:func:`keras_ppg_kd.pretrained.laws.cross_device`)."""
    from keras_ppg_kd.pretrained import laws

    data = laws.cross_device()
    measured = data["students"]

    def figures(name):
        entry = measured[name]
        each = ", ".join(
            f"{direction} {d['mean']:.2f} ± {d['sd']:.2f}"
            for direction, d in entry["directions"].items()
        )
        text = f"{name} ({entry['strategy']}): {each} BPM"
        if "no_distillation" in entry:
            text += " (trained without distillation: " + ", ".join(
                f"{d['mean']:.2f} ± {d['sd']:.2f}"
                for d in entry["no_distillation"].values()
            )
            text += ")"
        return text

    shown = [student] if student in measured else sorted(measured)
    lead = (
        ""
        if student in measured
        else f"none measured for {student}; the deployed students: "
    )
    # A student measured apart from the card's page names its own.
    pages = dict.fromkeys(
        measured[name].get("results", data["card"]["results"]) for name in shown
    )
    return (
        "on recordings of another device (int8 + causal tracker, mean MAE "
        f"per recording, {data['card']['seeds']} seeds): {lead}"
        + "; ".join(figures(name) for name in shown)
        + f" ({', '.join(pages)})"
    )


def measured_interval(row):
    """95 % interval of a measured mean: ``mean ± 1.96 std / sqrt(count)``
    of a ``measured`` row of :class:`Laws` (NaN ends for one run)."""
    count = int(row["count"])
    if count < 2:
        return (float("nan"), float("nan"))
    half = 1.96 * float(row["std"]) / np.sqrt(count)
    return (float(row["mean"]) - half, float(row["mean"]) + half)
