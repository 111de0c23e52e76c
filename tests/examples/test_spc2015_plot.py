"""examples/spc2015_cross_validation.py redraws its per-recording plot
from a saved table, without data or training."""

import io
import pathlib
import re
import shutil
import subprocess
import sys

import pandas as pd

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "spc2015_cross_validation.py"
PAGE = ROOT / "docs" / "results" / "spc2015_loso.md"
NAME = SCRIPT.name


def _start(*args, cwd):
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )


def test_the_page_plot_is_redrawn_from_its_table_by_its_command(tmp_path):
    """The page's redraw command, run where the page's table is copied,
    draws the plot; and that table is the page's current figure."""
    text = PAGE.read_text()
    pattern = rf"`(python examples/{NAME} --plot_only=\S+)`"
    command = re.search(pattern, text)
    assert command, f"{PAGE.name} documents no --plot_only command"
    saved = pathlib.Path(command.group(1).split("=", 1)[1])
    image = saved.with_suffix(".png").relative_to("docs/results")
    assert f"]({image})" in text
    (tmp_path / saved).parent.mkdir(parents=True)
    shutil.copy(ROOT / saved, tmp_path / saved)
    out, err = _start(f"--plot_only={saved}", cwd=tmp_path).communicate(
        timeout=120
    )
    assert f"wrote {saved.with_suffix('.png')}" in out, err[-2000:]
    assert (tmp_path / saved.with_suffix(".png")).stat().st_size > 10_000

    current = text.split("## The current figure")[1].split("## ")[0]
    block = re.search(r"```\n(.*?)```", current, re.S).group(1)
    rows = [r for r in block.splitlines() if not r.startswith("mean ")]
    page = pd.read_csv(io.StringIO("\n".join(rows)), sep=r"\s+")
    pd.testing.assert_frame_equal(pd.read_csv(ROOT / saved), page)


def test_a_bad_table_is_one_line_naming_it(tmp_path):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("participant,mae\nspc01,3.0\n")
    process = _start(f"--plot_only={wrong}", cwd=tmp_path)
    out, err = process.communicate(timeout=120)
    assert process.returncode != 0, out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{NAME}: error: "), err
    assert f"{wrong} is not a per-participant table" in err
    assert not list(tmp_path.glob("*.png"))
