"""tfds builder package for `ppg_dalia`."""

from keras_ppg_kd.datasets.ppg_dalia.ppg_dalia_dataset_builder import Builder

__all__ = ["Builder"]
