"""The README's Python tour runs as written (with tiny epochs and grid)."""

import pathlib
import re

import numpy as np
import pytest

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
# The quick preset with its own students (their family is what the tour's
# report.fit_strategies(table)["dkd"] must find), on small data, one
# strategy, one seed and one epoch.
TINY_STUDY = (
    'PRESETS["quick"].replace(datasets=("synthetic_ppg/small",), '
    'strategies=("dkd",), seeds=(5,), epochs=1, teacher_epochs=1)'
)


def tour_code():
    text = README.read_text()
    section = text.split("## A tour of the Python API", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "README tour has no python block"
    return match.group(1)


@pytest.mark.slow
def test_readme_tour_runs(tmp_path, monkeypatch, capsys):
    code = tour_code()
    shrunk = re.sub(r"epochs=\d+", "epochs=1", code)
    shrunk = shrunk.replace('PRESETS["quick"]', TINY_STUDY)
    assert shrunk.count("epochs=1") >= 2 and TINY_STUDY in shrunk
    monkeypatch.chdir(tmp_path)
    scope = {}
    exec(compile(shrunk, str(README), "exec"), scope)
    bpm, test = np.asarray(scope["bpm"]), scope["test"]  # the int8 student's
    assert bpm.shape == (len(test),) and ((bpm >= 30) & (bpm < 210)).all()
    assert (tmp_path / "student.keras").is_file()
    assert (tmp_path / "student.tflite").is_file()
    assert (tmp_path / "runs" / "quick" / "results.csv").is_file()
    assert "MAE(N) =" in capsys.readouterr().out
