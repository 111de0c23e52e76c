"""tfds builder for WildPPG (manual download)."""

import pathlib

import tensorflow_datasets as tfds

from keras_ppg_kd.datasets.base import (
    RECORDING_RELEASE_NOTES,
    WindowedPPGBuilder,
    require_files,
)
from keras_ppg_kd.datasets.wildppg.reader import read_wildppg

_LAYOUT = """\
<manual_dir>/WildPPG_Part_an0.mat
<manual_dir>/WildPPG_Part_e61.mat
... (one WildPPG_Part_<id>.mat per participant, 16 in all)"""


class Builder(WindowedPPGBuilder):
    """WildPPG: 16 participants, ~13.5 h each, HR from the sternum ECG."""

    name = "wildppg"
    VERSION = tfds.core.Version("1.2.0")
    RELEASE_NOTES = RECORDING_RELEASE_NOTES
    HOMEPAGE = "https://siplab.org/projects/WildPPG"
    MANUAL_DOWNLOAD_INSTRUCTIONS = (
        f"Download the WildPPG .mat files from {HOMEPAGE} and place them in "
        f"the manual directory as:\n{_LAYOUT}"
    )

    def _sources(self, dl_manager):
        root = pathlib.Path(dl_manager.manual_dir)
        return require_files(root, "WildPPG_Part_*.mat", _LAYOUT, self.HOMEPAGE)

    def _read(self, source):
        return read_wildppg(source)
