"""keras-ppg-kd: distil PPG heart-rate models into smartwatch-sized students.

The public API is small on purpose; everything else lives in subpackages
(``keras_ppg_kd.data``, ``keras_ppg_kd.losses``, ``keras_ppg_kd.models``).
"""

import os
import sys

from keras_ppg_kd.version import __version__

_HELP = {"--help", "-h", "--helpshort", "help", "--version"}


def _only_cli_help():
    """Whether this is the ``keras-ppg-kd`` command asked only for its help
    or version: those need neither Keras nor TensorFlow, whose import
    takes seconds. Any other import registers the model classes, so that
    ``import keras_ppg_kd`` is all a ``.keras`` file needs to load."""
    argv = getattr(sys, "argv", None) or [""]
    command = os.path.basename(argv[0]) == "keras-ppg-kd"
    return command and bool(_HELP & set(argv[1:]))


if not _only_cli_help():
    from keras_ppg_kd import _backend  # noqa: F401  (must come first)
    from keras_ppg_kd.distiller import Distiller, cached_dataset
    from keras_ppg_kd.heart_rate import (
        HRClasses,
        bpm_to_class,
        class_to_bpm,
        logits_to_bpm,
    )
    from keras_ppg_kd.metrics import HeartRateMAE
    from keras_ppg_kd.models import MLP, TCN, ResNet1D, mlp_for_budget

__all__ = [
    "Distiller",
    "cached_dataset",
    "HRClasses",
    "HeartRateMAE",
    "MLP",
    "ResNet1D",
    "TCN",
    "__version__",
    "bpm_to_class",
    "class_to_bpm",
    "logits_to_bpm",
    "mlp_for_budget",
]
