"""tfds builder package for `galaxy_ppg`."""

from keras_ppg_kd.datasets.galaxy_ppg.galaxy_ppg_dataset_builder import Builder
from keras_ppg_kd.datasets.galaxy_ppg.reader import read_galaxy_ppg

__all__ = ["Builder", "read_galaxy_ppg"]
