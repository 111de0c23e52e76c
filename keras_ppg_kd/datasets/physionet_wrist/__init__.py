"""PhysioNet "Wrist PPG During Exercise" (Jarchi & Casson 2017)."""

from keras_ppg_kd.datasets.physionet_wrist.physionet_wrist_dataset_builder import (  # noqa: E501
    Builder,
)
from keras_ppg_kd.datasets.physionet_wrist.reader import read_physionet_wrist

__all__ = ["Builder", "read_physionet_wrist"]
