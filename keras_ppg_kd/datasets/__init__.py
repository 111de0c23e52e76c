# ruff: noqa: E402  (TensorFlow is required before the imports below)
"""tensorflow-datasets builders, one self-contained folder per dataset.

Each folder holds the dataset's reader (raw files -> ``Recording``), its
tfds builder, its ``dummy_data`` and the script that writes them.
Importing this package imports every dataset folder, which registers its
builder with tfds (``ppg_dalia``, ``wildppg``, ``galaxy_ppg``,
``ieee_spc2015``, ``physionet_wrist``, ``synthetic_ppg``, ``ppg_folder``
for your own recordings, and any folder added beside them); that is where
:func:`load_windows` finds them (:func:`available` lists them).
"""

import importlib
import pkgutil

from keras_ppg_kd import _backend

_backend.require_tensorflow("tfds dataset builders")
from keras_ppg_kd.datasets.loading import (
    available,
    builder,
    load,
    load_unlabelled,
    load_windows,
    parse_manual_dir,
    to_dataset,
)

for _folder in pkgutil.iter_modules(__path__):  # registers the builders
    if _folder.ispkg:
        importlib.import_module(f"{__name__}.{_folder.name}")

__all__ = [
    "available",
    "builder",
    "load",
    "load_unlabelled",
    "load_windows",
    "parse_manual_dir",
    "to_dataset",
]
