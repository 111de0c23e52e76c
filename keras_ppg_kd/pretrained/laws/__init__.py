"""Scaling laws that ship with the package, each with its card.

A laws file holds ``card`` (data, protocol, grid, command, machine, date,
wall time), ``fits`` (what ``keras-ppg-kd report`` writes to fits.json:
each strategy's exponential and power laws, 95 % intervals, R²,
leave-one-size-out error, parameter draws) and ``measured`` (mean, std and
count of the MAE per student size and strategy: Table 2 in numbers).
``keras-ppg-kd plan`` reads :data:`DEFAULT` unless ``--fits`` is given.
``python -m keras_ppg_kd.pretrained.laws REPORT STUDY CARD.json`` writes
the default one from a study's report folder, its sweep folder and a card.
"""

import json
import pathlib

DEFAULT = "synthetic_crowd_shipped_teacher"
_HERE = pathlib.Path(__file__).parent


def available():
    """Names of the shipped laws."""
    return sorted(p.stem for p in _HERE.glob("*.json"))


def path(name=DEFAULT):
    """The file of a shipped laws ``name``."""
    found = _HERE / f"{name}.json"
    if not found.is_file():
        raise ValueError(f"No shipped laws {name!r}. Available: {available()}")
    return found


def card(name=DEFAULT):
    """The card (a dict) of shipped laws."""
    return json.loads(path(name).read_text())["card"]


def build(report_dir, study_dir, card):
    """A laws dict from a report folder (fits.json, table2.csv) and a card.

    ``card`` is completed with the study's config (``study.json``).
    """
    import pandas as pd

    report_dir, study_dir = pathlib.Path(report_dir), pathlib.Path(study_dir)
    config = json.loads((study_dir / "study.json").read_text())
    return {
        "card": {**card, "study": config},
        "fits": json.loads((report_dir / "fits.json").read_text()),
        "measured": pd.read_csv(report_dir / "table2.csv").to_dict("records"),
    }
