"""The budget planner picks the best predicted student that fits."""

import json

import numpy as np
import pytest

from keras_ppg_kd.deploy import Candidate, load_fits, plan
from keras_ppg_kd.study import report, scaling

CANDIDATES = [
    Candidate(1, 16_628, 25.0, 19.0, 0.07),
    Candidate(2, 27_060, 38.0, 19.0, 0.12),
    Candidate(6, 126_132, 140.0, 30.0, 0.60),
]


def small_fits():
    sizes = np.array([16_628, 27_060, 60_000, 126_132])
    fits = {}
    for strategy, c in (("dkd", 5.0), ("hard", 6.0)):
        mae = scaling.law_value(
            "exponential", sizes, {"a": 10.0, "s": 30_000.0, "c": c}
        )
        fits[strategy] = scaling.fit_law("exponential", sizes, mae)
    return fits


def test_plan_picks_lowest_predicted_mae_within_budget():
    fits = small_fits()
    result = plan(fits, CANDIDATES, flash_kb=64, latency_ms=0.5)
    assert result.strategy == "dkd" and result.candidate.size == 2
    assert result.predicted_mae == pytest.approx(
        float(fits["dkd"].predict(27_060))
    )
    assert "2-block" in result.summary()
    unlimited = plan(fits, CANDIDATES)
    assert unlimited.candidate.size == 6
    with pytest.raises(ValueError, match="relax the budget"):
        plan(fits, CANDIDATES, flash_kb=10)


def test_fits_json_from_report_round_trips(tmp_path):
    from tests.study.test_report import results_table

    report.report(results_table(), str(tmp_path))
    fits = load_fits(tmp_path / "fits.json")
    saved = json.loads((tmp_path / "fits.json").read_text())
    assert set(fits) == set(saved)
    assert all(f.law == saved[s]["best"] for s, f in fits.items())
    assert plan(fits, CANDIDATES, ram_kb=20).candidate.size in (1, 2)
    with pytest.raises(ValueError, match="Cannot read fitted scaling laws"):
        load_fits(tmp_path / "nope.json")
