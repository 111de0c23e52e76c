"""Shared test fixtures and markers."""

import os
import pathlib

import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Under pytest-xdist (``-n 2``) each worker prepares datasets in its own
# tfds folder: two processes preparing one dataset in one folder race.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ["TFDS_DATA_DIR"] = os.path.join(
        os.environ.get(
            "TFDS_DATA_DIR", os.path.expanduser("~/tensorflow_datasets")
        ),
        f"worker_{os.environ['PYTEST_XDIST_WORKER']}",
    )

import keras_ppg_kd  # noqa: E402

# Property-based tests: a fast profile in CI, a long one for
# benchmarks/fuzz.py (HYPOTHESIS_PROFILE=long).
settings.register_profile(
    "ci",
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The backend-neutral core (models, losses, Distiller, heart rate,
# tracking, metrics, the training functions): marked ``core`` and
# run under JAX too (``KERAS_BACKEND=jax python -m pytest -m core``).
CORE = (
    "test_distiller.py",
    "test_heart_rate.py",
    "test_metrics.py",
    "test_models.py",
    "test_tcn.py",
    "losses/",
    "tracking/",
    "training/test_recipes.py",
    "data/test_batches.py",
)
TENSORFLOW = keras_ppg_kd._backend.is_tensorflow()


@pytest.fixture(autouse=True)
def _environment_kept():
    """Each test leaves the process environment as it found it.

    ``ray.init`` sets ``PYTHONBREAKPOINT`` for good, and a changed
    variable that is read at import sends every later command of
    :mod:`tests.zygote` in that test process to a fresh interpreter.
    """
    before = dict(os.environ)
    yield
    if os.environ != before:
        os.environ.clear()
        os.environ.update(before)


tensorflow_only = pytest.mark.skipif(
    not TENSORFLOW, reason="a TensorFlow feature; this run's backend is not"
)


_SHARED_DATA = (
    pathlib.Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
).resolve()


def _shared(name, variable, inside, what):
    """``../shared/data/<name>`` (or ``$variable``); skip when absent."""
    path = pathlib.Path(os.environ.get(variable, _SHARED_DATA / name))
    if not (path / inside).is_dir():
        pytest.skip(
            f"{what} not found at {path} (set {variable}); CI has it at "
            f"../shared/data/{name}."
        )
    return path


@pytest.fixture(scope="session")
def spc_dir():
    """The real IEEE SPC 2015 recordings; skip with a reason when absent."""
    return _shared(
        "ieee_spc2015", "PPG_SPC2015_DIR", "Training_data", "IEEE SPC 2015 data"
    )


@pytest.fixture(scope="session")
def wrist_dir():
    """The real PhysioNet wrist recordings; skip with a reason when absent."""
    return _shared(
        "physionet_wrist", "PPG_WRIST_DIR", "edf", "PhysioNet wrist data"
    )


def pytest_collection_modifyitems(config, items):
    """Deselect ``tf.test.TestCase.test_session`` (a helper, not a test).

    tfds's ``DatasetBuilderTestCase`` inherits it; pytest would collect it and
    report it as skipped, which reads like a missing feature.
    """
    helpers = [item for item in items if item.name == "test_session"]
    config.hook.pytest_deselected(items=helpers)
    items[:] = [item for item in items if item.name != "test_session"]
    root = pathlib.Path(__file__).parent
    for item in items:
        where = item.path.relative_to(root).as_posix()
        if any(where.startswith(prefix) for prefix in CORE):
            item.add_marker(pytest.mark.core)
