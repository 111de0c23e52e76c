"""Reader of WildPPG: one raw file -> :class:`Recording`."""

import pathlib

import numpy as np
from scipy import io as sio

from keras_ppg_kd.data.ecg import detect_r_peaks
from keras_ppg_kd.data.transforms import Recording
from keras_ppg_kd.datasets.base import GAP_FILL, constant_runs, fail, on_clock


def _mat_trace(data, location, trace, path):
    try:
        entry = data[location][0][0][trace][0][0]
        values = np.asarray(entry["v"], "float64").reshape(-1)
        fs = float(np.asarray(entry["fs"]).reshape(-1)[0])
    except Exception as error:
        raise fail(path, f"missing or malformed {location}.{trace}", error)
    return values, fs


def read_wildppg(path, gap_seconds=0.5):
    """WildPPG ``WildPPG_Part_<id>.mat``: wrist green PPG and ACC, sternum ECG.

    HR comes from the R-peaks of the sternum ECG. Gaps in the recording are
    filled with constants; runs of identical values longer than
    ``gap_seconds`` in the PPG or the ECG are flagged ``gap_fill``.
    """
    path = pathlib.Path(path)
    try:
        data = sio.loadmat(path)
    except Exception as error:
        raise fail(path, "cannot read WildPPG .mat file", error)
    ppg, fs = _mat_trace(data, "wrist", "ppg_g", path)
    ecg, ecg_fs = _mat_trace(data, "sternum", "ecg", path)
    axes = [_mat_trace(data, "wrist", f"acc_{a}", path) for a in "xyz"]
    acc = np.stack(
        [on_clock(v, acc_fs, len(ppg), fs)[:, 0] for v, acc_fs in axes], axis=1
    )
    try:
        participant = str(np.asarray(data["id"]).reshape(-1)[0])
    except Exception:
        participant = path.stem.removeprefix("WildPPG_Part_")
    gaps = constant_runs(ppg, max(2, int(gap_seconds * fs)))
    ecg_gaps = np.flatnonzero(
        constant_runs(ecg, max(2, int(gap_seconds * ecg_fs)))
    )
    ppg_index = np.unique((ecg_gaps / ecg_fs * fs).astype("int64"))
    gaps[ppg_index[ppg_index < len(gaps)]] = True
    beats = detect_r_peaks(ecg, ecg_fs)
    return Recording(
        dataset="wildppg",
        participant=participant,
        ppg=ppg,
        fs=fs,
        beat_times=beats,
        beat_correction=True,
        invalid={GAP_FILL: gaps},
        acc=acc,
        source=str(path),
    )
