"""Reader of IEEE SPC 2015: one raw file -> :class:`Recording`."""

import pathlib
import re

import numpy as np
from scipy import io as sio

from keras_ppg_kd.data.transforms import Recording
from keras_ppg_kd.datasets.base import fail

# SPC 2015 treadmill protocol (nominal timing): 0.5 min rest, four 1-min
# speed stages, then rest.
_SPC_STAGES = {
    "TYPE01": ("rest", "8kmh", "15kmh", "8kmh", "15kmh", "rest"),
    "TYPE02": ("rest", "6kmh", "12kmh", "6kmh", "12kmh", "rest"),
}
_SPC_STAGE_STARTS = np.array([0.0, 30.0, 90.0, 150.0, 210.0, 270.0])


def read_spc2015(path):
    """IEEE SPC 2015 ``DATA_NN_TYPEMM.mat`` (+ its ``_BPMtrace.mat``).

    ``sig`` is (6, n) at 125 Hz: row 0 ECG, rows 1-2 PPG, rows 3-5 ACC. The
    first PPG channel and the ACC are used; ``BPM0`` gives the HR of each
    8 s window every 2 s.
    """
    path = pathlib.Path(path)
    match = re.fullmatch(r"DATA_(\d+)_(TYPE\d+)\.mat", path.name)
    if not match:
        raise fail(path, "not an SPC 2015 file name (DATA_NN_TYPEMM.mat)")
    label_path = path.with_name(path.stem + "_BPMtrace.mat")
    try:
        sig = sio.loadmat(path)["sig"]
        bpm = sio.loadmat(label_path)["BPM0"]
    except Exception as error:
        raise fail(path, "cannot read the recording or its BPMtrace", error)
    if sig.ndim != 2 or sig.shape[0] != 6:
        raise fail(path, f"`sig` must be (6, n); found {sig.shape}")
    stages = _SPC_STAGES.get(match.group(2), ("",) * 6)
    return Recording(
        dataset="ieee_spc2015",
        participant=f"spc{match.group(1)}",
        ppg=sig[1],
        fs=125.0,
        window_hr=bpm.reshape(-1),
        activity=(_SPC_STAGE_STARTS, np.asarray(stages)),
        acc=sig[3:6].T,
        source=str(path),
    )
