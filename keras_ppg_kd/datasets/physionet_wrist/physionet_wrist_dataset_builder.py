"""tfds builder for PhysioNet "Wrist PPG During Exercise" (manual dir)."""

import pathlib

import tensorflow_datasets as tfds

from keras_ppg_kd.datasets.base import (
    RECORDING_RELEASE_NOTES,
    WindowedPPGBuilder,
    require_files,
)
from keras_ppg_kd.datasets.physionet_wrist.reader import read_physionet_wrist

_LAYOUT = """\
<manual_dir>/edf/s2_walk.edf          (EDF, 256 Hz: wrist_ppg, chest_ecg,
<manual_dir>/beats/s2_walk.txt         wrist accelerometer, ...; the beat
... (sN_ACTIVITY.edf and its beats)    annotations as text, one per line)"""


class Builder(WindowedPPGBuilder):
    """Wrist PPG during walking, running and cycling; chest-ECG beats."""

    name = "physionet_wrist"
    VERSION = tfds.core.Version("1.1.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release.",
        "1.1.0": RECORDING_RELEASE_NOTES["1.2.0"],
    }
    HOMEPAGE = "https://physionet.org/content/wrist/1.0.0/"
    MANUAL_DOWNLOAD_INSTRUCTIONS = (
        f"Download the database from {HOMEPAGE}, convert each record's "
        "`.atr` beat annotations to text (WFDB `rdann`), and lay it out "
        f"as:\n{_LAYOUT}"
    )

    def _sources(self, dl_manager):
        root = pathlib.Path(dl_manager.manual_dir)
        files = require_files(root, "edf/s*_*.edf", _LAYOUT, self.HOMEPAGE)
        participants = sorted({p.stem.partition("_")[0] for p in files})
        return [(root, participant) for participant in participants]

    def _read(self, source):
        return read_physionet_wrist(*source)
