"""tfds builder for the IEEE SPC 2015 training recordings (manual dir)."""

import pathlib

import tensorflow_datasets as tfds

from keras_ppg_kd.datasets.base import (
    RECORDING_RELEASE_NOTES,
    WindowedPPGBuilder,
    require_files,
)
from keras_ppg_kd.datasets.ieee_spc2015.reader import read_spc2015

_LAYOUT = """\
<manual_dir>/Training_data/DATA_01_TYPE01.mat
<manual_dir>/Training_data/DATA_01_TYPE01_BPMtrace.mat
... (DATA_NN_TYPEMM.mat and its _BPMtrace.mat for NN = 01..12)"""


class Builder(WindowedPPGBuilder):
    """IEEE SPC 2015: 12 participants on a treadmill, wrist PPG + ECG."""

    name = "ieee_spc2015"
    VERSION = tfds.core.Version("1.2.0")
    RELEASE_NOTES = RECORDING_RELEASE_NOTES
    HOMEPAGE = "https://zenodo.org/record/3902710"
    MANUAL_DOWNLOAD_INSTRUCTIONS = (
        f"Download the SPC 2015 training data from {HOMEPAGE} and place it "
        f"in the manual directory as:\n{_LAYOUT}"
    )

    def _sources(self, dl_manager):
        root = pathlib.Path(dl_manager.manual_dir)
        return require_files(
            root, "Training_data/DATA_??_TYPE??.mat", _LAYOUT, self.HOMEPAGE
        )

    def _read(self, source):
        return read_spc2015(source)
