"""Every example answers ``--help`` with a readable usage text, writes
under its own output folder, and fails on missing data with one line;
``--help``, a wrong flag and missing data answer without importing Keras
or TensorFlow (seconds of CPU per process)."""

import pathlib
import re
import subprocess
import sys
from typing import NamedTuple

import pytest

# Each example parses its flags before it imports TensorFlow (checked
# below), so that every script here answers in a fraction of a second.
EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
SCRIPTS = sorted(p.name for p in EXAMPLES.glob("*.py"))
# Examples whose --out default is still inside the repository.
OUT_IN_REPOSITORY = set()
# Examples whose usage lines a backslash-newline still joins.
USAGE_JOINED = set()
NOISE = ("I0000", "absl::InitializeLog", "oneDNN", "Traceback")
# What an example must not import to parse its flags.
HEAVY = {"keras", "tensorflow"}
IMPORT_TIME = "import time:"


class Run(NamedTuple):
    """A finished example: its exit status, its output, its error output
    without ``-X importtime``'s lines, and the modules those name."""

    code: int
    out: str
    err: str
    imported: frozenset


def _start(name, *args, cwd):
    """Start ``examples/<name>`` with ``args`` under ``-X importtime``."""
    return subprocess.Popen(
        [sys.executable, "-X", "importtime", str(EXAMPLES / name), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )


def _finish(process):
    """The :class:`Run` of a process from :func:`_start`."""
    out, err = process.communicate(timeout=300)
    lines = err.splitlines(keepends=True)
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in lines
        if line.startswith(IMPORT_TIME)
    }
    err = "".join(line for line in lines if not line.startswith(IMPORT_TIME))
    return Run(process.returncode, out, err, frozenset(imported))


def _run_all(*args, cwd):
    """Every example with ``args``, run side by side: ``{name: Run}``."""
    running = {name: _start(name, *args, cwd=cwd) for name in SCRIPTS}
    return {name: _finish(process) for name, process in running.items()}


@pytest.fixture(scope="module")
def helps(tmp_path_factory):
    """``--help`` of every example, run side by side from a folder outside
    the repository: ``{name: Run}``."""
    return _run_all("--help", cwd=tmp_path_factory.mktemp("cwd"))


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
    code, out, err, _ = helps[name]
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
    out = helps[name].out
    for flag in ("out", "output_dir"):
        found = re.search(rf"--{flag}: .*?\(default: '([^']*)'\)", out, re.S)
        if found:
            default = pathlib.PurePath(found.group(1))
            assert not default.is_absolute(), default
            assert default.parts[0] not in ("keras_ppg_kd", "docs", ".."), (
                f"{name} writes into the repository by default: {default}"
            )


@pytest.mark.parametrize("name", SCRIPTS)
def test_help_imports_neither_keras_nor_tensorflow(helps, name):
    imported = helps[name].imported
    assert "absl.flags" in imported, helps[name].err[-2000:]  # lines read
    assert not HEAVY & imported, sorted(HEAVY & imported)


def test_a_wrong_flag_is_said_before_keras_is_imported(tmp_path):
    for name, run in _run_all("--no_such_flag", cwd=tmp_path).items():
        assert run.code == 1, (name, run.out)
        assert "Unknown command line flag 'no_such_flag'" in run.err, name
        assert "absl.flags" in run.imported, (name, run.err[-2000:])
        assert not HEAVY & run.imported, (name, sorted(HEAVY & run.imported))


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
        code, out, err, imported = _finish(process)
        assert code != 0, (name, out)
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"{name}: error: "), err
        assert "nowhere" in err or "nojob" in err
        assert not HEAVY & imported, (name, sorted(HEAVY & imported))
