"""tfds builder package for `wildppg`."""

from keras_ppg_kd.datasets.wildppg.reader import read_wildppg
from keras_ppg_kd.datasets.wildppg.wildppg_dataset_builder import Builder

__all__ = ["Builder", "read_wildppg"]
