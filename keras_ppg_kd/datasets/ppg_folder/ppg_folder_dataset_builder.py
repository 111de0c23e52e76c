"""tfds builder for your own recordings: one folder per participant."""

import pathlib

import tensorflow_datasets as tfds

from keras_ppg_kd.datasets.base import (
    RECORDING_RELEASE_NOTES,
    WindowedPPGBuilder,
    require_files,
)
from keras_ppg_kd.datasets.ppg_folder.reader import SUFFIXES, read_ppg_folder

_LAYOUT = """\
<manual_dir>/P01/morning_walk.csv     columns: time_s, ppg, hr_bpm | ecg,
<manual_dir>/P01/evening.parquet               [acc_x, acc_y, acc_z], [activity]
<manual_dir>/P02/rest.csv
... (one sub-folder per participant)"""


class Builder(WindowedPPGBuilder):
    """Your own PPG recordings (CSV or Parquet), one folder per person."""

    name = "ppg_folder"
    VERSION = tfds.core.Version("1.1.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release.",
        "1.1.0": RECORDING_RELEASE_NOTES["1.2.0"],
    }
    HOMEPAGE = (
        "https://github.com/keras-ppg-kd/keras-ppg-kd/blob/main/docs/data.md"
        "#your-own-data"
    )
    MANUAL_DOWNLOAD_INSTRUCTIONS = (
        f"Point manual_dir at a folder laid out as:\n{_LAYOUT}"
    )

    def _sources(self, dl_manager):
        root = pathlib.Path(dl_manager.manual_dir)
        found = sorted(
            {p.parent for s in SUFFIXES for p in root.glob(f"*/*{s}")}
        )
        if not found:  # raises with the layout
            require_files(root, "*/*.csv", _LAYOUT, self.HOMEPAGE)
        return found

    def _read(self, source, labelled=True):
        window = self.builder_config.window
        return read_ppg_folder(
            source, (window.window_seconds, window.stride_seconds), labelled
        )

    def read_unlabelled(self, source):
        """A participant's recordings read without ``hr_bpm`` or ``ecg``:
        those columns, where present, are never read."""
        return self._read(source, labelled=False)
