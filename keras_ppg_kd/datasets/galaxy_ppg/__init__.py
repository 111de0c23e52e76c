"""tfds builder package for `galaxy_ppg`."""

from keras_ppg_kd.datasets.galaxy_ppg.galaxy_ppg_dataset_builder import Builder

__all__ = ["Builder"]
