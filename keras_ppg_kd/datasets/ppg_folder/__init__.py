"""Your own recordings: a folder with one sub-folder per participant."""

from keras_ppg_kd.datasets.ppg_folder.ppg_folder_dataset_builder import Builder
from keras_ppg_kd.datasets.ppg_folder.reader import read_ppg_folder

__all__ = ["Builder", "read_ppg_folder"]
