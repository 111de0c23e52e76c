"""benchmarks/bench_backends.py tables, saves and plots what it measured,
and redraws the plot from a saved results.json without measuring."""

import importlib.util
import json
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "bench_backends.py"
PAGE = ROOT / "docs" / "results" / "backends.md"


def _module():
    spec = importlib.util.spec_from_file_location("bench_backends", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _child(command, env, **_):
    """A backend's process, answered at once: its last line of JSON."""
    backend = env["KERAS_BACKEND"]
    speed = {"tensorflow": 1.0, "jax": 1.5}[backend]
    rows = {
        "backend": backend,
        "device": "cpu",
        "train resnet1 b32 (windows/s)": 1000 * speed,
        "latency resnet1 b1 (us/window)": 900 / speed,
        "distil b32, teacher cached (windows/s)": 800 * speed,
        "peak memory (rss, MB)": 1500.0,
    }
    return subprocess.CompletedProcess(command, 0, json.dumps(rows), "")


def test_a_run_plots_its_results_and_plot_only_redraws_them(
    tmp_path, monkeypatch, capsys
):
    bench = _module()
    out = tmp_path / "out"
    monkeypatch.setattr(bench.subprocess, "run", _child)
    argv = ["bench_backends.py", "--backends=tensorflow,jax", f"--out={out}"]
    monkeypatch.setattr(sys, "argv", [*argv, "--windows=8"])
    bench.main()
    assert (
        "| train resnet1 b32 (windows/s) |" in (out / "results.md").read_text()
    )
    assert (out / "backends.png").stat().st_size > 10_000
    saved = json.loads((out / "results.json").read_text())
    assert [r["backend"] for r in saved] == ["tensorflow", "jax"]

    (out / "backends.png").unlink()

    def measure(*args, **kwargs):
        raise AssertionError("--plot_only measured")

    monkeypatch.setattr(bench.subprocess, "run", measure)
    plot_only = f"--plot_only={out / 'results.json'}"
    monkeypatch.setattr(sys, "argv", ["bench_backends.py", plot_only])
    bench.main()
    assert (out / "backends.png").stat().st_size > 10_000
    assert f"wrote {out / 'backends.png'}" in capsys.readouterr().out


@pytest.mark.parametrize(
    "text", ["not json", "[]", '[{"backend": "tensorflow", "device": "cpu"}]']
)
def test_a_bad_results_file_is_one_line_naming_it(tmp_path, monkeypatch, text):
    bench = _module()
    path = tmp_path / "results.json"
    path.write_text(text)
    monkeypatch.setattr(
        sys, "argv", ["bench_backends.py", f"--plot_only={path}"]
    )
    with pytest.raises(SystemExit) as exited:
        bench.main()
    message = str(exited.value.code)
    assert message.startswith("bench_backends.py: error: ")
    assert str(path) in message and "\n" not in message
    assert not (tmp_path / "backends.png").exists()


def test_the_page_plot_is_redrawn_from_its_results_by_its_command(tmp_path):
    """The page's redraw command, run where the page's results.json is
    copied, draws the plot; and that file holds the page's table."""
    text = PAGE.read_text()
    command = re.search(
        r"`(python benchmarks/bench_backends.py --plot_only=\S+)`", text
    )
    assert command, "backends.md documents no --plot_only command"
    saved = pathlib.Path(command.group(1).split("=", 1)[1])
    assert (
        f"]({saved.relative_to('docs/results').with_name('backends.png')})"
        in text
    )
    (tmp_path / saved).parent.mkdir(parents=True)
    shutil.copy(ROOT / saved, tmp_path / saved)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), f"--plot_only={saved}"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / saved.with_name("backends.png")).stat().st_size > 10_000

    results = json.loads((ROOT / saved).read_text())
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if not line.startswith("| ") or cells[0] not in results[0]:
            continue
        figures = [f"{r[cells[0]]:,.1f}" for r in results]
        assert cells[1 : 1 + len(results)] == figures, line
