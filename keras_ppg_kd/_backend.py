"""Import-time setup: the Keras backend, and TensorFlow where it is needed.

Models, losses, the Distiller, heart-rate decoding, tracking, metrics and
the study's training functions run on every Keras 3 backend (TensorFlow,
JAX, PyTorch). Keras defaults to TensorFlow here when ``KERAS_BACKEND`` is
unset, and then TensorFlow is imported quietly (see :mod:`._logs`). With
another backend TensorFlow is imported only by the parts that need it: the
tfds builders, ``tf.data`` pipelines, augmentation and LiteRT export
(:func:`require_tensorflow`). TensorFlow is an install extra (``cpu``,
``gpu`` or ``tf``) so that CPU-only machines never download the CUDA build.
"""

import os

from keras_ppg_kd import _logs

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
_logs.quiet_libraries()

_EXTRAS = (
    "keras-ppg-kd is not on PyPI yet; from its source checkout run one of:\n"
    '  pip install -e ".[cpu]"   # Linux/Windows, CPU only\n'
    '  pip install -e ".[gpu]"   # Linux with an NVIDIA GPU\n'
    '  pip install -e ".[tf]"    # macOS / other platforms'
)


def require_tensorflow(part: str):
    """Import and return TensorFlow, or raise naming the extra to install.

    Args:
        part: What needs it, for the message (``"tfds builders"``).
    """
    try:
        _logs.import_tensorflow()
    except ImportError as error:
        raise ImportError(
            f"keras-ppg-kd's {part} need TensorFlow (whatever the Keras "
            "backend), which is installed through an extra so that "
            f"CPU-only machines do not download the GPU build. {_EXTRAS}\n"
            f"(import failed with: {error})"
        ) from error
    import tensorflow

    return tensorflow


class LazyTensorFlow:
    """Stands for the ``tensorflow`` module and imports it on first use
    (through :func:`require_tensorflow`), so that importing a module that
    needs it only in some functions works without it."""

    def __init__(self, part: str):
        self._part = part

    def __getattr__(self, name):
        return getattr(require_tensorflow(self._part), name)


if os.environ["KERAS_BACKEND"] == "tensorflow":
    require_tensorflow("TensorFlow backend (KERAS_BACKEND=tensorflow)")

import keras  # noqa: E402

BACKEND = keras.backend.backend()
if BACKEND not in ("tensorflow", "jax", "torch"):  # pragma: no cover
    raise ImportError(
        "keras-ppg-kd runs on the Keras backends 'tensorflow', 'jax' and "
        f"'torch'. Received: KERAS_BACKEND={BACKEND!r}."
    )


def is_tensorflow() -> bool:
    """Whether Keras runs on TensorFlow (``tf.data`` feeds ``fit``)."""
    return BACKEND == "tensorflow"
