"""Models that ship with the package, each with a JSON model card.

``synthetic_resnet6``: a 6-block ResNet1D teacher trained on the built-in
synthetic data only; ``synthetic_resnet1`` and ``synthetic_tcn5``: a
1-block ResNet1D and a 5-block TCN student distilled from it on the same
data (``examples/pretrain_synthetic.py`` rebuilds them). Each card gives
the data, the recipe and the MAE on real recordings the model never saw.
"""

import json
import pathlib

import keras

from keras_ppg_kd import models  # noqa: F401  (registers the model classes)

TEACHER_NAME = "synthetic_resnet6"


def student_name(identifier):
    """The shipped name for a student ``"family:size"`` (may not exist)."""
    return "synthetic_" + str(identifier).replace(":", "")


_HERE = pathlib.Path(__file__).parent


def available():
    """Names of the shipped models."""
    return sorted(p.stem for p in _HERE.glob("*.keras"))


def model_card(name=TEACHER_NAME):
    """The model card (a dict) of a shipped model."""
    return json.loads(_path(name, ".json").read_text())


def load(name=TEACHER_NAME):
    """A shipped model, ready to fine-tune or distil from."""
    return keras.saving.load_model(_path(name, ".keras"))


def _path(name, suffix):
    path = _HERE / f"{name}{suffix}"
    if not path.is_file():
        raise ValueError(f"No shipped model {name!r}. Available: {available()}")
    return path
