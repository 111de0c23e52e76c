"""Pick the student for a device budget from fitted scaling laws.

The scaling laws (from a sweep, :mod:`keras_ppg_kd.study.report`) predict
the MAE of a student of any size; the LiteRT files of candidate sizes give
their measured flash, RAM and latency. The planner keeps the candidates that
fit the budget and returns the one with the lowest predicted MAE.
"""

import dataclasses
import json
import os
import tempfile
from collections.abc import Sequence

import numpy as np

from keras_ppg_kd.study.scaling import ScalingFit


@dataclasses.dataclass(frozen=True)
class Candidate:
    """A measured student size.

    Attributes:
        size: ResNet1D blocks.
        params: Trainable parameters.
        flash_kb: LiteRT file size, KB.
        ram_kb: Tensor arena, KB: what TensorFlow Lite for
            Microcontrollers needs when ``tflite-micro`` is installed, else
            the lifetime estimate (which leaves out TFLM's own structures).
        latency_ms: LiteRT latency per window (batch 1), ms.
    """

    size: int
    params: int
    flash_kb: float
    ram_kb: float
    latency_ms: float


@dataclasses.dataclass(frozen=True)
class Plan:
    """The recommendation and every option considered."""

    strategy: str
    candidate: Candidate
    predicted_mae: float
    options: tuple  # (strategy, Candidate, predicted MAE, fits budget)

    def summary(self):
        c = self.candidate
        how = (
            "trained from scratch"
            if self.strategy == "scratch"
            else f"distilled with {self.strategy}"
        )
        return (
            f"recommended: {c.size}-block ResNet1D ({c.params:,} params) "
            f"{how}; predicted MAE "
            f"{self.predicted_mae:.2f} BPM; measured {c.flash_kb:.1f} KB "
            f"flash, ~{c.ram_kb:.1f} KB arena, {c.latency_ms * 1e3:.0f} us "
            "per window"
        )


def load_fits(path: str | os.PathLike) -> dict:
    """``{strategy: ScalingFit}`` (the best law each) from a fits.json."""
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(
            f"Cannot read fitted scaling laws from {path!r}: {error}. Pass "
            "the fits.json that `keras-ppg-kd report` writes."
        ) from None
    fits, unidentified = {}, {}
    for strategy, per_law in data.items():
        best = dict(per_law[per_law["best"]])
        best["sizes"] = tuple(best["sizes"])
        best["ci95"] = {k: tuple(v) for k, v in best["ci95"].items()}
        fit = ScalingFit(**best)
        if fit.identifiable:
            fits[strategy] = fit
        else:
            unidentified[strategy] = fit.why_not
    if not fits:
        raise ValueError(
            f"No strategy in {path!r} has an identified scaling law "
            f"({unidentified}); sweep more student sizes or seeds first."
        )
    return fits


def measure_candidates(
    sizes: Sequence[int],
    quantization: str = "int8",
    representative_data: np.ndarray | None = None,
) -> list["Candidate"]:
    """Export each ResNet1D size to LiteRT and measure it on this machine.

    Size, arena and latency do not depend on the trained weights, so fresh
    models stand in for trained students.
    """
    import numpy as np

    from keras_ppg_kd.deploy.litert import (
        LiteRTModel,
        export_tflite,
        inspect_tflite,
    )
    from keras_ppg_kd.models import ResNet1D

    if representative_data is None:
        rng = np.random.default_rng(0)
        representative_data = rng.standard_normal((64, 200, 1), "float32")
    candidates = []
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            model = ResNet1D(size)
            path = export_tflite(
                model,
                os.path.join(folder, f"resnet{size}.tflite"),
                quantization,
                representative_data=representative_data,
            )
            report = inspect_tflite(path)
            candidates.append(
                Candidate(
                    size=size,
                    params=int(
                        sum(np.prod(w.shape) for w in model.trainable_weights)
                    ),
                    flash_kb=report.size_kb,
                    ram_kb=report.micro_arena_kb or report.arena_kb,
                    latency_ms=LiteRTModel(path).latency_us() / 1e3,
                )
            )
    return candidates


def plan(
    fits: str | os.PathLike | dict,
    candidates: Sequence["Candidate"],
    flash_kb: float | None = None,
    ram_kb: float | None = None,
    latency_ms: float | None = None,
) -> "Plan":
    """The lowest-predicted-MAE (strategy, student) within the budget.

    Args:
        fits: ``{strategy: ScalingFit}`` (or a fits.json path).
        candidates: Measured :class:`Candidate` sizes.
        flash_kb: Flash budget (file size), KB; None = unlimited.
        ram_kb: RAM budget (tensor arena), KB; None = unlimited.
        latency_ms: Latency budget per window, ms; None = unlimited.

    Raises:
        ValueError: When no candidate fits, naming the smallest one's needs.
    """
    if isinstance(fits, (str, os.PathLike)):
        fits = load_fits(fits)
    if not fits or not candidates:
        raise ValueError("plan() needs at least one fitted law and candidate.")

    def fits_budget(c):
        return (
            (flash_kb is None or c.flash_kb <= flash_kb)
            and (ram_kb is None or c.ram_kb <= ram_kb)
            and (latency_ms is None or c.latency_ms <= latency_ms)
        )

    options = tuple(
        (s, c, float(fit.predict(c.params)), fits_budget(c))
        for s, fit in fits.items()
        for c in candidates
    )
    feasible = [o for o in options if o[3]]
    if not feasible:
        small = min(candidates, key=lambda c: c.params)
        raise ValueError(
            f"No student fits flash_kb={flash_kb}, ram_kb={ram_kb}, "
            f"latency_ms={latency_ms}. The smallest ({small.size} block) "
            f"needs {small.flash_kb:.1f} KB flash, {small.ram_kb:.1f} KB RAM "
            f"and {small.latency_ms:.3f} ms; relax the budget."
        )
    strategy, candidate, mae, _ = min(
        feasible, key=lambda o: (o[2], o[1].params)
    )
    return Plan(strategy, candidate, mae, options)
