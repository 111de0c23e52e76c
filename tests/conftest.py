"""Shared test fixtures."""

import os
import pathlib

import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras_ppg_kd  # noqa: E402,F401

_ROOT = pathlib.Path(__file__).resolve().parents[1]
SHARED_DATA = (_ROOT / ".." / "shared" / "data").resolve()
SPC_DIR = SHARED_DATA / "ieee_spc2015"
WRIST_DIR = SHARED_DATA / "physionet_wrist"


@pytest.fixture(scope="session")
def spc_dir():
    """The real IEEE SPC 2015 recordings; skip with a reason when absent."""
    path = pathlib.Path(os.environ.get("PPG_SPC2015_DIR", SPC_DIR))
    if not (path / "Training_data").is_dir():
        pytest.skip(
            f"IEEE SPC 2015 data not found at {path} (set PPG_SPC2015_DIR); "
            "CI has it at ../shared/data/ieee_spc2015."
        )
    return path


@pytest.fixture(scope="session")
def wrist_dir():
    """The real PhysioNet wrist recordings; skip with a reason when absent."""
    path = pathlib.Path(os.environ.get("PPG_WRIST_DIR", WRIST_DIR))
    if not (path / "edf").is_dir():
        pytest.skip(
            f"PhysioNet wrist data not found at {path} (set PPG_WRIST_DIR); "
            "CI has it at ../shared/data/physionet_wrist."
        )
    return path


def pytest_collection_modifyitems(config, items):
    """Deselect ``tf.test.TestCase.test_session`` (a helper, not a test).

    tfds's ``DatasetBuilderTestCase`` inherits it; pytest would collect it and
    report it as skipped, which reads like a missing feature.
    """
    helpers = [item for item in items if item.name == "test_session"]
    config.hook.pytest_deselected(items=helpers)
    items[:] = [item for item in items if item.name != "test_session"]
