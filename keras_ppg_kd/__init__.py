"""keras-ppg-kd: distil PPG heart-rate models into smartwatch-sized students.

The public API is small on purpose; everything else lives in subpackages
(``keras_ppg_kd.data``, ``keras_ppg_kd.losses``, ``keras_ppg_kd.models``).
"""

import os
import sys

from keras_ppg_kd.version import __version__


def _cli():
    """Whether this process is the ``keras-ppg-kd`` command line (the
    console script or ``python -m keras_ppg_kd.cli``). It imports Keras
    and TensorFlow, seconds, only when a command runs (:func:`_load`), so
    that ``--help``, ``--version`` and a bad flag answer at once. Any other
    import loads them now: registering the model classes, ``import
    keras_ppg_kd`` is all a ``.keras`` file needs to load."""
    argv = getattr(sys, "argv", None) or [""]
    if os.path.basename(argv[0]) == "keras-ppg-kd":
        return True
    orig = getattr(sys, "orig_argv", [])  # `python -m`: argv[0] is "-m"
    return "-m" in orig[:-1] and orig[orig.index("-m") + 1] == (
        "keras_ppg_kd.cli"
    )


def _load():
    """Import the public API (and with it the backend and model classes)."""
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

    globals().update(
        Distiller=Distiller,
        cached_dataset=cached_dataset,
        HRClasses=HRClasses,
        bpm_to_class=bpm_to_class,
        class_to_bpm=class_to_bpm,
        logits_to_bpm=logits_to_bpm,
        HeartRateMAE=HeartRateMAE,
        MLP=MLP,
        TCN=TCN,
        ResNet1D=ResNet1D,
        mlp_for_budget=mlp_for_budget,
    )


if not _cli():
    _load()

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
