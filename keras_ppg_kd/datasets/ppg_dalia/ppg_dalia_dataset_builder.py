"""tfds builder for PPG-DaLiA (manual download)."""

import pathlib

import tensorflow_datasets as tfds

from keras_ppg_kd.datasets.base import (
    RECORDING_RELEASE_NOTES,
    WindowedPPGBuilder,
    require_files,
)
from keras_ppg_kd.datasets.ppg_dalia.reader import read_ppg_dalia

_LAYOUT = """\
<manual_dir>/PPG_FieldStudy/S1/S1.pkl
<manual_dir>/PPG_FieldStudy/S2/S2.pkl
... (S1..S15, as extracted from data.zip)"""


class Builder(WindowedPPGBuilder):
    """PPG-DaLiA: 15 participants in daily life, wrist BVP at 64 Hz."""

    name = "ppg_dalia"
    VERSION = tfds.core.Version("1.2.0")
    RELEASE_NOTES = RECORDING_RELEASE_NOTES
    HOMEPAGE = "https://archive.ics.uci.edu/dataset/495/ppg+dalia"
    MANUAL_DOWNLOAD_INSTRUCTIONS = (
        f"Download PPG-DaLiA (data.zip) from {HOMEPAGE}, extract it and place "
        f"it in the manual directory as:\n{_LAYOUT}"
    )

    def _sources(self, dl_manager):
        root = pathlib.Path(dl_manager.manual_dir)
        found = require_files(
            root, "PPG_FieldStudy/S*/S*.pkl", _LAYOUT, self.HOMEPAGE
        )
        return sorted(found, key=lambda p: int(p.stem[1:]))

    def _read(self, source):
        return read_ppg_dalia(source)
