"""The core on every Keras backend: TensorFlow, JAX and (where installed)
PyTorch give the same losses, gradients, predictions and training result.

Each backend runs ``tests/backend_probe.py`` in its own process (a process
has one Keras backend); JAX is a test dependency, so CI always compares
TensorFlow with JAX.
"""

import importlib.util
import os
import pathlib
import sys

import keras
import numpy as np
import pytest

from keras_ppg_kd import Distiller
from keras_ppg_kd.models import ResNet1D
from tests import zygote

PROBE = pathlib.Path(__file__).with_name("backend_probe.py")
BACKENDS = ["tensorflow", "jax"] + (
    ["torch"] if importlib.util.find_spec("torch") else []
)
STRATEGIES = ("hard", "soft", "dkd", "feature")


def _run(backend, *args, code=None):
    """The probe (or ``code``) on ``backend``, in a process of its own;
    TensorFlow's is forked from the test zygote (:mod:`tests.zygote`)."""
    env = {**os.environ, "KERAS_BACKEND": backend}
    if backend != "tensorflow":  # the TensorFlow CPU build sees no GPU
        env["CUDA_VISIBLE_DEVICES"] = ""
    command = [sys.executable, "-c", code] if code else [sys.executable, *args]
    done = zygote.run(command, env=env, timeout=900)
    assert done.returncode == 0, f"{backend}: {done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def one_step(tmp_path_factory):
    """Every backend's probe output for one batch."""
    folder = tmp_path_factory.mktemp("backends")
    keras.utils.set_random_seed(0)
    ResNet1D(2, dropout=0.0).save(folder / "teacher.keras")
    ResNet1D(1, dropout=0.0).save(folder / "student.keras")
    rng = np.random.default_rng(0)
    batch = {
        "x": rng.normal(size=(16, 200, 1)).astype("float32"),
        "y": rng.integers(40, 140, size=16).astype("int32"),
    }
    distiller = Distiller(
        keras.saving.load_model(folder / "teacher.keras"),
        keras.saving.load_model(folder / "student.keras"),
        loss="feature",
    )
    for index, weight in enumerate(distiller.adapters[0].get_weights()):
        batch[f"adapter_{index}"] = weight
    np.savez(folder / "batch.npz", **batch)
    results = {}
    for backend in BACKENDS:
        out = folder / f"{backend}.npz"
        _run(backend, str(PROBE), "step", str(folder), str(out))
        results[backend] = dict(np.load(out))
    return results


@pytest.mark.parametrize("backend", BACKENDS[1:])
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_loss_and_gradients_agree_with_tensorflow(one_step, backend, strategy):
    reference, other = one_step["tensorflow"], one_step[backend]
    for key in ("loss", "ce_loss", "kd_loss"):
        np.testing.assert_allclose(
            other[f"{key}/{strategy}"],
            reference[f"{key}/{strategy}"],
            rtol=1e-4,
            atol=1e-6,
            err_msg=f"{key} on {backend}",
        )
    deltas = [k for k in reference if k.startswith(f"delta/{strategy}/")]
    assert len(deltas) > 10
    moved = 0
    for key in deltas:
        scale = np.abs(reference[key]).max()
        moved += scale > 1e-5
        # A step changes a weight of size ~1 in steps of 1.2e-7 (float32),
        # and gradients that are 0 in exact arithmetic (a conv bias before
        # BatchNorm) come out as such rounding noise.
        np.testing.assert_allclose(
            other[key],
            reference[key],
            rtol=0,
            atol=1e-3 * scale + 1e-6,
            err_msg=f"gradient {key} on {backend}",
        )
    assert moved > len(deltas) // 2  # the step did train the student


@pytest.mark.parametrize("backend", BACKENDS[1:])
def test_saved_student_predicts_the_same(one_step, backend):
    np.testing.assert_allclose(
        one_step[backend]["logits/dkd"],
        one_step["tensorflow"]["logits/dkd"],
        atol=1e-4,
    )


@pytest.mark.parametrize("backend", BACKENDS[1:])
def test_import_does_not_load_tensorflow(backend):
    out = _run(
        backend,
        code="import sys, keras_ppg_kd, keras_ppg_kd.training.recipes; "
        "print('tensorflow' in sys.modules, keras_ppg_kd._backend.BACKEND)",
    )
    assert out.split() == ["False", backend]


def test_tensorflow_only_parts_name_the_extra():
    code = (
        "import sys; sys.modules['tensorflow'] = None\n"
        "try:\n"
        "    import keras_ppg_kd.datasets\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    out = _run("jax", code=code)
    assert "tfds dataset builders need TensorFlow" in out
    assert 'pip install -e ".[cpu]"' in out


@pytest.mark.slow
def test_dkd_training_reaches_the_same_mae(tmp_path):
    """Three epochs of DKD, two seeds: the backends' mean MAEs agree
    within the seeds' spread (and a BPM for so few seeds)."""
    maes = {}
    for backend in BACKENDS[:2]:
        out = tmp_path / f"{backend}.npz"
        _run(backend, str(PROBE), "train", str(out))
        maes[backend] = np.load(out)["mae"]
    tf_mae, jax_mae = maes["tensorflow"], maes["jax"]
    spread = max(np.ptp(tf_mae), np.ptp(jax_mae))
    assert tf_mae.mean() < 30  # it trained (predicting the mean: ~40)
    assert abs(tf_mae.mean() - jax_mae.mean()) <= spread + 1.0, maes
