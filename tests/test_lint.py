import shutil
import subprocess
import sys

import pytest

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def test_ruff_clean():
    ruff = shutil.which("ruff") or pytest.fail("ruff is in the `test` extra")
    result = subprocess.run(
        [ruff, "check", str(ROOT)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout


def test_import_contracts():
    """Each layer imports only those below it (pyproject.toml's
    [tool.importlinter]): ``data`` never imports ``datasets``, models never
    the study; and no package's modules import each other in a circle."""
    lint = shutil.which("lint-imports") or pytest.fail(
        "import-linter is in the `test` extra"
    )
    result = subprocess.run(
        [lint, "--config", str(ROOT / "pyproject.toml")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def test_version_defined_once():
    import keras_ppg_kd
    from keras_ppg_kd.version import __version__

    assert keras_ppg_kd.__version__ == __version__
    out = subprocess.run(
        [sys.executable, "-m", "pip", "show", "keras-ppg-kd"],
        capture_output=True,
        text=True,
    ).stdout
    assert f"Version: {__version__}" in out
