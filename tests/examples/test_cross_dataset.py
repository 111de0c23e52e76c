"""examples/cross_dataset.py on the real shared data, with a tiny recipe."""

import json
import re
import shutil

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
    assert log["tracker"]["temperature"] > 0
    assert log["machine"].endswith(" cores")
    again = _run("cross_dataset.py", *args)
    assert again.returncode == 0 and "skipped" in again.stdout
    # Two seeds of one variant: the summary also gives their mean ± sd.
    for seed, shift in ((0, 0.0), (1, 2.0)):
        folder = tmp_path / "out" / f"tiny_seed{seed}"
        shutil.copytree(tmp_path / "out" / "tiny", folder)
        shifted = pd.read_csv(folder / "wrist_to_spc.csv")
        shifted["int8+tracker"] += shift
        shifted.to_csv(folder / "wrist_to_spc.csv", index=False)
    summary = _run("cross_dataset.py", f"--out={tmp_path / 'out'}", "--summary")
    assert summary.returncode == 0
    text = (tmp_path / "out" / "summary.md").read_text()
    assert "| wrist_to_spc | tiny |" in text
    mean = table.set_index("recording").loc["mean", "int8+tracker"]
    header = next(r for r in text.splitlines() if "| seeds |" in r)
    row = next(r for r in text.splitlines() if "| tiny | 0,1 |" in r)
    cell = row.split(" | ")[header.split(" | ").index("int8+tracker")]
    average, spread, first, second = map(float, re.findall(r"\d+\.\d+", cell))
    assert average == pytest.approx(mean + 1, abs=0.006)
    assert spread == pytest.approx(2**0.5, abs=0.006)
    assert (first, second) == pytest.approx((mean, mean + 2), abs=0.006)


def test_unlabelled_students_adapt_on_one_half_and_score_the_other(
    spc_dir, wrist_dir, tmp_path
):
    args = [
        "--unlabelled",
        "--students=none,unlabelled",
        "--directions=wrist_to_spc",
        f"--spc_dir={spc_dir}",
        f"--wrist_dir={wrist_dir}",
        f"--data_dir={tmp_path / 'tfds'}",
        f"--out={tmp_path / 'out'}",
        *(f"--set={item}" for item in TINY),
    ]
    done = _run("cross_dataset.py", *args)
    assert done.returncode == 0, done.stderr[-3000:]
    folder = tmp_path / "out" / "unlabelled_seed0"
    table = pd.read_csv(folder / "wrist_to_spc.csv").set_index("recording")
    columns = ["none", "unlabelled", "unlabelled_same", "unlabelled_offline"]
    assert np.isfinite(table[columns].to_numpy()).all()
    log = json.loads((folder / "wrist_to_spc.json").read_text())
    first, second = log["halves"]
    assert len(first) == len(second) == 6 and not set(first) & set(second)
    adapted = [run["adapted_on"] for run in log["students"]["unlabelled"]]
    assert adapted == [first, second]
    # Each half's pseudo-labelled windows: as many as the labelled ones.
    counts = {
        r["pseudo_labelled_windows"] for r in log["students"]["unlabelled"]
    }
    assert len(counts) == 1 and counts.pop() > 100
    # What the smoothed targets read, scored against the hidden reference.
    for run in log["students"]["unlabelled"]:
        assert 0 < run["pseudo_label_mae"] < 60
    # A run killed after its students were kept resumes from them: the
    # table is rebuilt without training again.
    (folder / "wrist_to_spc.csv").unlink()
    again = _run("cross_dataset.py", *args)
    assert again.returncode == 0, again.stderr[-3000:]
    rebuilt = pd.read_csv(folder / "wrist_to_spc.csv").set_index("recording")
    pd.testing.assert_frame_equal(rebuilt, table)
    assert (
        json.loads((folder / "wrist_to_spc.json").read_text())["seconds"]
        < log["seconds"] / 2
    )
    summary = _run("cross_dataset.py", f"--out={tmp_path / 'out'}", "--summary")
    assert summary.returncode == 0, summary.stderr[-3000:]
    text = (tmp_path / "out" / "students.md").read_text()
    assert "| wrist_to_spc | unlabelled | tcns:5 | 0 |" in text
    assert (tmp_path / "out" / "students.png").stat().st_size > 10_000


def test_the_size_study_is_tabled_plotted_and_fitted(tmp_path):
    """``--summary`` over size-study folders (``size_<model>_seed<k>``):
    one row per size, a law per student where 4 or more sizes ran."""
    out = tmp_path / "out"
    rng = np.random.default_rng(0)
    for width in (8, 16, 32, 64):
        for seed in (0, 1):
            folder = out / f"size_tcnw{width}_seed{seed}"
            folder.mkdir(parents=True)
            mae = 3 + 40 * width**-0.8 + rng.normal(0, 0.05, size=3)
            table = pd.DataFrame(
                {
                    "recording": ["a", "b", "mean"],
                    "windows": [10, 10, 10],
                    "none": mae + 0.5,
                    "none_offline": mae,
                    "dkd": mae,
                    "dkd_offline": mae - 0.5,
                }
            )
            table.to_csv(folder / "wrist_to_spc.csv", index=False)
            log = {"students": {}, "seed": seed}
            log["recipe"] = {"student": f"tcnw:{width}"}
            (folder / "wrist_to_spc.json").write_text(json.dumps(log))
    done = _run("cross_dataset.py", f"--out={out}", "--summary")
    assert done.returncode == 0, done.stderr[-3000:]
    text = (out / "sizes.md").read_text()
    rows = [r for r in text.splitlines() if r.startswith("| wrist_to_spc |")]
    assert len(rows) == 4 + 2  # four sizes, then a law per student
    assert "| tcnw:8 | 2,444 | 0,1 |" in text  # trainable parameters
    assert (out / "sizes.png").stat().st_size > 10_000
