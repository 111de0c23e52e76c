"""tfds builder for GalaxyPPG (manual download)."""

import pathlib

import tensorflow_datasets as tfds

from keras_ppg_kd.datasets.base import (
    RECORDING_RELEASE_NOTES,
    WindowedPPGBuilder,
    require_files,
)
from keras_ppg_kd.datasets.galaxy_ppg.reader import read_galaxy_ppg

_LAYOUT = """\
<manual_dir>/Dataset/Meta.csv
<manual_dir>/Dataset/P01/Event.csv
<manual_dir>/Dataset/P01/GalaxyWatch/PPG.csv
<manual_dir>/Dataset/P01/PolarH10/ECG.csv
... (P01..P24)"""


class Builder(WindowedPPGBuilder):
    """GalaxyPPG: 24 participants, Galaxy Watch PPG, Polar H10 ECG."""

    name = "galaxy_ppg"
    VERSION = tfds.core.Version("1.2.0")
    RELEASE_NOTES = RECORDING_RELEASE_NOTES
    HOMEPAGE = "https://doi.org/10.1038/s41597-025-04453-6"
    MANUAL_DOWNLOAD_INSTRUCTIONS = (
        f"Download GalaxyPPG (Park et al., Sci. Data 2025; {HOMEPAGE}) and "
        f"place it in the manual directory as:\n{_LAYOUT}"
    )

    def _sources(self, dl_manager):
        root = pathlib.Path(dl_manager.manual_dir)
        require_files(root, "Dataset/Meta.csv", _LAYOUT, self.HOMEPAGE)
        files = require_files(
            root, "Dataset/P*/GalaxyWatch/PPG.csv", _LAYOUT, self.HOMEPAGE
        )
        return [f.parent.parent for f in files]

    def _read(self, source):
        return read_galaxy_ppg(source)
