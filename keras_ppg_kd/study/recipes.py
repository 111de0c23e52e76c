"""Deprecated: moved to :mod:`keras_ppg_kd.training.recipes`.

Every name still resolves here for one release, with a
``DeprecationWarning`` that names the new location.
"""

from keras_ppg_kd.study._moved import forward

__getattr__, __dir__ = forward(
    "keras_ppg_kd.study.recipes", "keras_ppg_kd.training.recipes"
)
