"""tensorflow-datasets builders, one self-contained folder per dataset.

Each folder holds the dataset's reader (raw files -> ``Recording``), its
tfds builder, its ``dummy_data`` and the script that writes them.
Importing this package registers ``ppg_dalia``, ``wildppg``,
``galaxy_ppg``, ``ieee_spc2015``, ``physionet_wrist``, ``synthetic_ppg``
and ``ppg_folder``
(your own recordings) with tfds, which
is where :func:`load_windows` finds them (:func:`available` lists them).
"""

from keras_ppg_kd import _backend  # noqa: F401
from keras_ppg_kd.datasets import (  # noqa: F401  (registers the builders)
    galaxy_ppg,
    ieee_spc2015,
    physionet_wrist,
    ppg_dalia,
    ppg_folder,
    synthetic_ppg,
    wildppg,
)
from keras_ppg_kd.datasets.loading import (
    available,
    builder,
    load,
    load_windows,
    to_dataset,
)

__all__ = ["available", "builder", "load", "load_windows", "to_dataset"]
