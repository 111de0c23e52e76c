"""Import-time checks: TensorFlow present and Keras on the TensorFlow backend.

TensorFlow is an install extra (``cpu``, ``gpu`` or ``tf``) so that CPU-only
machines never download the CUDA build; this module turns its absence into
an error that names the pip command.
"""

import os

from keras_ppg_kd import _logs

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

try:
    _logs.import_tensorflow()
except ImportError as error:  # pragma: no cover - exercised by users only
    raise ImportError(
        "keras-ppg-kd needs TensorFlow, which is installed through an "
        "extra so that CPU-only machines do not download the GPU build. "
        "keras-ppg-kd is not on PyPI yet; from its source checkout run one "
        "of:\n"
        '  pip install -e ".[cpu]"   # Linux/Windows, CPU only\n'
        '  pip install -e ".[gpu]"   # Linux with an NVIDIA GPU\n'
        '  pip install -e ".[tf]"    # macOS / other platforms\n'
        f"(import failed with: {error})"
    ) from error

import keras  # noqa: E402

if keras.backend.backend() != "tensorflow":  # pragma: no cover
    raise ImportError(
        "keras-ppg-kd trains with TensorFlow (tf.data, tf.GradientTape, "
        "TFLite export) and needs the Keras TensorFlow backend. Received: "
        f"KERAS_BACKEND={keras.backend.backend()!r}. Set "
        "KERAS_BACKEND=tensorflow before importing keras."
    )
