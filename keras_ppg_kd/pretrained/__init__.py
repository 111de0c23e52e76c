"""Models that ship with the package, each with a JSON model card.

``synthetic_resnet6``: a 6-block ResNet1D teacher trained on the built-in
synthetic data only; ``synthetic_resnet1`` and ``synthetic_tcn5``: a
1-block ResNet1D and a 5-block TCN student distilled from it on the same
data, ``synthetic_tcns5`` the same TCN on a stride-2 stem (the start of
the recipe's default student, ``tcns:5``), and ``synthetic_tcnw8`` and
``synthetic_tcnw12`` the TCN at 8 and 12 filters (2.4K and 3.8K
parameters), and ``synthetic_tcnm16`` the MicroTCN whose int8 file is
under 8 KB (``examples/pretrain_synthetic.py`` rebuilds them). Each card
gives the data, the recipe and the MAE on real recordings the model
never saw.
"""

import hashlib
import json
import pathlib

import keras

from keras_ppg_kd import models  # registers the model classes
from keras_ppg_kd.version import __version__

TEACHER_NAME = "synthetic_resnet6"


def student_name(identifier):
    """The shipped name for a student ``"family:size"`` (may not exist)."""
    return "synthetic_" + str(identifier).replace(":", "")


_HERE = pathlib.Path(__file__).parent

INTENDED_USE = (
    "A starting point: heart rate (180 one-BPM classes, 30-209 BPM) from "
    "8 s wrist-PPG windows, to fine-tune or distil from on your own "
    "recordings, or to run zero-shot with the causal tracker. Research "
    "use; not a medical device."
)
LIMITATIONS = (
    "Trained on synthetic PPG only. Error grows under motion whose cadence "
    "is near the heart rate and on devices or activities far from the "
    "generator's; see the card's unseen-data MAE and "
    "docs/results/cross_dataset/README.md. Low resting heart rates are "
    "under-represented."
)


def card_fields(model, path):
    """The fields every shipped model card carries, from the model and its
    ``.keras`` file: trainable parameters (the study's size measure), the
    input protocol, licence, intended use, limitations, the file's SHA-256
    and the package version that wrote it."""
    return {
        "params": models.trainable_parameters(model),
        "input": model.protocol.get_config(),
        "licence": "Apache-2.0 (weights trained on synthetic data only)",
        "intended_use": INTENDED_USE,
        "limitations": LIMITATIONS,
        "sha256": hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest(),
        "package_version": __version__,
    }


def available():
    """Names of the shipped models."""
    return sorted(p.stem for p in _HERE.glob("*.keras"))


def model_card(name=TEACHER_NAME):
    """The model card (a dict) of a shipped model."""
    path = _path(name, ".json", check=False)
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(
            f"The model card {path} is damaged ({error}); reinstall "
            "keras-ppg-kd."
        ) from None


def load(name=TEACHER_NAME):
    """A shipped model, ready to fine-tune or distil from.

    Raises:
        ValueError: no such model, or its file differs from the SHA-256
            its card records.
    """
    return keras.saving.load_model(_path(name, ".keras"))


def int8_path(name, must_exist=True):
    """The shipped model's int8 LiteRT file (its watch bundle), checked
    against its card's SHA-256 unless ``must_exist`` is False (a bundle
    being written)."""
    return _path(name, "_int8.tflite", must_exist)


def tracker_path(name, must_exist=True):
    """The shipped model's tracker JSON (``HRTracker.load`` reads it),
    checked as :func:`int8_path`."""
    return _path(name, "_tracker.json", must_exist)


# Where a model card records each file's SHA-256.
_CARD_HASH = {
    ".keras": (),
    "_int8.tflite": ("int8",),
    "_tracker.json": ("tracker",),
}


def _path(name, suffix, must_exist=True, check=True):
    path = _HERE / f"{name}{suffix}"
    if must_exist and not path.is_file():
        part = "" if suffix == ".keras" else f" file {path.name}"
        raise ValueError(
            f"No shipped model{part} {name!r}. Available: "
            f"{sorted(p.name for p in _HERE.glob(f'*{suffix}'))}"
        )
    if must_exist and check and suffix in _CARD_HASH:
        _check_hash(path, model_card(name), _CARD_HASH[suffix])
    return path


def _check_hash(path, card, keys):
    """Raise unless ``path`` has the SHA-256 that ``card`` records under
    ``keys`` (no check where the card records none)."""
    for key in keys:
        card = card.get(key) or {}
    expected = card.get("sha256")
    if not expected:
        return
    found = hashlib.sha256(path.read_bytes()).hexdigest()
    if found != expected:
        raise ValueError(
            f"{path} has SHA-256 {found[:16]}..., its model card records "
            f"{expected[:16]}...: the file is damaged or was changed. "
            "Reinstall keras-ppg-kd, or rebuild the shipped models with "
            "examples/pretrain_synthetic.py and ship_int8_bundle.py."
        )
