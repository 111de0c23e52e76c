"""examples/cross_dataset.py on the real shared data, with a tiny recipe."""

import json

import numpy as np
import pandas as pd
import pytest

from tests.examples.test_user_path import TINY, _run

pytestmark = pytest.mark.slow


def test_wrist_to_spc_writes_its_table_and_resumes(
    spc_dir, wrist_dir, tmp_path
):
    args = [
        "--directions=wrist_to_spc",
        f"--spc_dir={spc_dir}",
        f"--wrist_dir={wrist_dir}",
        f"--data_dir={tmp_path / 'tfds'}",
        f"--out={tmp_path / 'out'}",
        "--variant=tiny",
        *(f"--set={item}" for item in TINY),
    ]
    done = _run("cross_dataset.py", *args)
    assert done.returncode == 0, done.stderr[-3000:]
    # the wrist set has 2 participants: one is held out for selection
    assert "holding out 1" in done.stdout
    csv = tmp_path / "out" / "tiny" / "wrist_to_spc.csv"
    table = pd.read_csv(csv)
    assert list(table.recording[-2:]) == ["mean", "median"]
    assert len(table) == 12 + 2  # one row per SPC recording
    columns = {
        "spectral_peak",
        "int8",
        "int8+tracker",
        "synthetic_tcn5+tracker",
    }
    assert columns <= set(table.columns)
    assert np.isfinite(table[sorted(columns)].to_numpy()).all()
    numbers = table.drop(columns=["recording", "windows"]).astype(float)
    assert np.allclose(numbers.iloc[:-2].mean(), numbers.iloc[-2], atol=2e-3)
    assert np.allclose(numbers.iloc[:-2].median(), numbers.iloc[-1], atol=2e-3)
    log = json.loads(csv.with_suffix(".json").read_text())
    assert log["train_windows"] > 1000 and log["overrides"] == TINY
    again = _run("cross_dataset.py", *args)
    assert again.returncode == 0 and "skipped" in again.stdout
    summary = _run("cross_dataset.py", f"--out={tmp_path / 'out'}", "--summary")
    assert summary.returncode == 0
    assert (
        "| wrist_to_spc | tiny |"
        in (tmp_path / "out" / "summary.md").read_text()
    )
