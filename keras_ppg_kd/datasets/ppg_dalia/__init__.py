"""tfds builder package for `ppg_dalia`."""

from keras_ppg_kd.datasets.ppg_dalia.ppg_dalia_dataset_builder import Builder
from keras_ppg_kd.datasets.ppg_dalia.reader import read_ppg_dalia

__all__ = ["Builder", "read_ppg_dalia"]
