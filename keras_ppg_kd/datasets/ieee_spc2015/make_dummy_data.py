"""Writes ieee_spc2015/dummy_data: two 40 s recordings in the raw format.

Run: ``python -m keras_ppg_kd.datasets.ieee_spc2015.make_dummy_data``.
"""

import pathlib

import numpy as np
from scipy import io as sio

from keras_ppg_kd.datasets.dummy import dummy_participant

SECONDS = 40


def main(root=pathlib.Path(__file__).parent / "dummy_data"):
    folder = root / "Training_data"
    folder.mkdir(parents=True, exist_ok=True)
    for index, name in enumerate(["DATA_01_TYPE01", "DATA_02_TYPE02"]):
        ppg, acc, ecg, _, hr = dummy_participant(index, SECONDS, 125.0, 125.0)
        n = SECONDS * 125
        sig = np.stack([ecg[:n], ppg[:n], ppg[:n] * 0.9, *acc[:n].T])
        sio.savemat(folder / f"{name}.mat", {"sig": sig})
        # like the real files, one label fewer than the signal allows
        sio.savemat(folder / f"{name}_BPMtrace.mat", {"BPM0": hr[:-1, None]})


if __name__ == "__main__":
    main()
