"""tfds builder package for `synthetic_ppg`."""

from keras_ppg_kd.datasets.synthetic_ppg.synthetic_ppg_dataset_builder import (
    Builder,
)

__all__ = ["Builder"]
