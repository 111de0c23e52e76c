"""Every example answers ``--help`` with a readable usage text, writes
under its own output folder, and fails on missing data with one line."""

import pathlib
import re
import subprocess
import sys

import pytest

# Each example imports TensorFlow before it parses its flags (seconds each).
pytestmark = pytest.mark.slow
EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py"))
# Examples whose --out default is still inside the repository.
OUT_IN_REPOSITORY = set()
# Examples whose usage lines a backslash-newline still joins.
USAGE_JOINED = set()
NOISE = ("I0000", "absl::InitializeLog", "oneDNN", "Traceback")


def _start(name, *args, cwd):
    return subprocess.Popen(
        [sys.executable, str(EXAMPLES / name), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def helps(tmp_path_factory):
    """``--help`` of every example, run side by side from a folder outside
    the repository: ``{name: (returncode, stdout, stderr)}``."""
    cwd = tmp_path_factory.mktemp("cwd")
    running = {name: _start(name, "--help", cwd=cwd) for name in SCRIPTS}
    done = {}
    for name, process in running.items():
        out, err = process.communicate(timeout=300)
        done[name] = (process.returncode, out, err)
    return done


def usage(text):
    """The usage block of a help text: from "Usage:" to "flags:"."""
    match = re.search(r"^Usage:.*?(?=^flags:|\Z)", text, re.S | re.M)
    return match.group(0) if match else ""


def _known(names, reason):
    """``SCRIPTS`` with ``names`` expected to fail (strictly) for ``reason``."""
    return [
        pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=reason))
        if n in names
        else n
        for n in SCRIPTS
    ]


@pytest.mark.parametrize(
    "name", _known(USAGE_JOINED, "usage lines joined by a backslash-newline")
)
def test_help_is_readable_and_quiet(helps, name):
    code, out, err = helps[name]
    assert code in (0, 1) and out, err[-2000:]  # absl's --help exits 1
    block = usage(out)
    assert f"python examples/{name}" in block, out[:2000]
    for line in block.strip().splitlines():
        # A backslash-newline in a plain docstring joins two lines into
        # one with a run of spaces ("...py     --flag"); aligned comments
        # ("...py      # both directions") are fine.
        assert not re.search(r"\S {3,}[^\s#]", line), line
        assert len(line) <= 80, line
    assert not [n for n in NOISE if n in out + err], err[-2000:]


@pytest.mark.parametrize(
    "name", _known(OUT_IN_REPOSITORY, "its --out default is in docs/")
)
def test_outputs_default_to_a_folder_of_the_working_directory(helps, name):
    _, out, _ = helps[name]
    for flag in ("out", "output_dir"):
        found = re.search(rf"--{flag}: .*?\(default: '([^']*)'\)", out, re.S)
        if found:
            default = pathlib.PurePath(found.group(1))
            assert not default.is_absolute(), default
            assert default.parts[0] not in ("keras_ppg_kd", "docs", ".."), (
                f"{name} writes into the repository by default: {default}"
            )


def test_missing_data_is_one_line(tmp_path):
    runs = {
        "spc2015_cross_validation.py": _start(
            "spc2015_cross_validation.py",
            f"--spc_dir={tmp_path / 'nowhere'}",
            cwd=tmp_path,
        ),
        "replicate_main_job.py": _start(
            "replicate_main_job.py", f"--run={tmp_path / 'nojob'}", cwd=tmp_path
        ),
    }
    for name, process in runs.items():
        out, err = process.communicate(timeout=300)
        assert process.returncode != 0, (name, out)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"{name}: error: "), err
        assert "nowhere" in err or "nojob" in err
