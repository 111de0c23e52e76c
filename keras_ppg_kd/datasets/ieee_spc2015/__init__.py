"""IEEE Signal Processing Cup 2015 (TROIKA) training recordings."""

from keras_ppg_kd.datasets.ieee_spc2015.ieee_spc2015_dataset_builder import (
    Builder,
)
from keras_ppg_kd.datasets.ieee_spc2015.reader import read_spc2015

__all__ = ["Builder", "read_spc2015"]
