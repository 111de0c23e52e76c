"""Scaling laws that ship with the package, each with its card.

A laws file holds ``card`` (data, protocol, grid, command, machine, date,
wall time), ``fits`` (what ``keras-ppg-kd report`` writes to fits.json:
each strategy's exponential and power laws, 95 % intervals, R²,
leave-one-size-out error, parameter draws) and ``measured`` (mean, std and
count of the MAE per student size and strategy: Table 2 in numbers), and
``edge`` (per measured size, the bytes of its int8 file, its TensorFlow
Lite for Microcontrollers arena and LiteRT latency, with the machine and
date; ``keras_ppg_kd.deploy.planner.record_edge`` writes it, and ``plan``
reads it instead of exporting).
``card["family"]`` names the student family the laws hold for.
``keras-ppg-kd plan`` reads :data:`DEFAULT` unless ``--fits`` is given.
``cross_device.json`` is no laws file: it holds what students measured on
recordings of another device (:func:`cross_device`), which ``plan`` prints
beside the laws' predictions for synthetic people.
``python -m keras_ppg_kd.pretrained.laws REPORT STUDY CARD.json`` writes
``<card name>.json`` from a study's report folder, its sweep folder and a
card.
"""

import json
import pathlib

from keras_ppg_kd import models

DEFAULT = "synthetic_crowd_width"
CROSS_DEVICE = "cross_device"
_HERE = pathlib.Path(__file__).parent


def available():
    """Names of the shipped laws."""
    return sorted(
        p.stem for p in _HERE.glob("*.json") if p.stem != CROSS_DEVICE
    )


def cross_device():
    """Students' error on recordings of another device, as measured.

    Returns:
        ``{"card": {...}, "students": {"family:size": {"strategy",
        "directions": {"SOURCE -> TARGET": {"mean", "sd", "seeds"}}}}}``
        (a student measured apart also has its ``command`` and
        ``results`` page):
        int8 + causal tracker, mean MAE per recording (BPM), trained on
        one real dataset and scored on another (``card`` names the
        command, date and results page).
    """
    return _read(_HERE / f"{CROSS_DEVICE}.json")


def path(name=DEFAULT):
    """The file of a shipped laws ``name``."""
    found = _HERE / f"{name}.json"
    if not found.is_file():
        raise ValueError(f"No shipped laws {name!r}. Available: {available()}")
    return found


def card(name=DEFAULT):
    """The card (a dict) of shipped laws."""
    laws = _read(path(name))
    if "card" not in laws:
        raise ValueError(
            f"{path(name)} has no 'card'; a laws file holds {_KEYS}. "
            "Reinstall the package or rebuild the file."
        )
    return laws["card"]


_KEYS = ["card", "fits", "measured", "edge"]


def _read(file):
    """A shipped JSON file, or ValueError naming it when it is damaged."""
    try:
        return json.loads(pathlib.Path(file).read_text())
    except (OSError, ValueError) as error:
        raise ValueError(
            f"Cannot read {file}: {error}. Reinstall the package or "
            "rebuild the file."
        ) from None


def build(report_dir, study_dir, card):
    """A laws dict from a report folder and a card.

    The report's ``fits.json`` and ``table2.csv`` for ResNet1D students,
    ``fits_<family>.json`` and ``table2_<family>.csv`` for the card's
    ``family``; ``card`` is completed with the study's config
    (``study.json``).
    """
    import pandas as pd

    report_dir, study_dir = pathlib.Path(report_dir), pathlib.Path(study_dir)
    family = card.setdefault("family", models.DEFAULT_FAMILY)
    suffix = "" if family == models.DEFAULT_FAMILY else f"_{family}"
    config = json.loads((study_dir / "study.json").read_text())
    table = pd.read_csv(report_dir / f"table2{suffix}.csv")
    return {
        "card": {**card, "study": config},
        "fits": json.loads((report_dir / f"fits{suffix}.json").read_text()),
        "measured": table.to_dict("records"),
    }
