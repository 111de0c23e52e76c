"""benchmarks/bench_tooling.py runs, and checks its own sameness claims."""

import pathlib
import sys

import pytest

from tests import zygote

pytest.importorskip("tflite_micro", reason="needs the 'micro' extra")
SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "benchmarks"


def test_bench_tooling_prints_both_searches():
    done = zygote.run(
        [
            sys.executable,
            str(SCRIPT / "bench_tooling.py"),
            "--repeats=1",
            "--windows=120",
        ],
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [r for r in done.stdout.splitlines() if r.startswith("| ")]
    assert rows[0] == "| search | before (s) | now (s) | before / now |"
    assert "calibration grid, 27 candidates x 120 windows" in rows[1]
    assert "TFLM arena search, synthetic_tcn5_int8.tflite" in rows[2]
