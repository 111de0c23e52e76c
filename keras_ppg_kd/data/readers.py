"""Readers: one raw file (or participant folder) -> :class:`Recording`.

Formats are those of the public downloads (see each function). Readers only
parse and flag; windowing and labelling are the pure transforms'. Any file
that cannot be read raises a ValueError naming it.
"""

import pathlib
import pickle
import re

import numpy as np
import pandas as pd
from scipy import io as sio

from keras_ppg_kd.data.ecg import detect_r_peaks
from keras_ppg_kd.data.transforms import Recording

GAP_FILL = "gap_fill"
INVALID_RANGE = "invalid_range"
STATUS_FLAG = "status_flag"

DALIA_ACTIVITIES = {
    0: "transient",
    1: "sitting",
    2: "ascending_descending_stairs",
    3: "table_soccer",
    4: "cycling",
    5: "driving",
    6: "lunch",
    7: "walking",
    8: "working",
}
DALIA_S6_VALID_SECONDS = 90 * 60
# SPC 2015 treadmill protocol (nominal timing): 0.5 min rest, four 1-min
# speed stages, then rest.
_SPC_STAGES = {
    "TYPE01": ("rest", "8kmh", "15kmh", "8kmh", "15kmh", "rest"),
    "TYPE02": ("rest", "6kmh", "12kmh", "6kmh", "12kmh", "rest"),
}
_SPC_STAGE_STARTS = np.array([0.0, 30.0, 90.0, 150.0, 210.0, 270.0])


def _fail(path, what, error=None):
    detail = f" ({type(error).__name__}: {error})" if error else ""
    return ValueError(f"{path}: {what}{detail}")


def on_clock(values, fs, length, target_fs, times=None):
    """Resample ``(m, k)`` samples onto ``length`` samples at ``target_fs``.

    ``times`` (seconds from the target's first sample) gives irregular
    sample times; otherwise sample i is at ``i / fs``. Used to put an
    accelerometer on the PPG's clock.
    """
    values = np.asarray(values, dtype="float64").reshape(len(values), -1)
    source = np.arange(len(values)) / fs if times is None else times
    target = np.arange(length) / target_fs
    return np.stack(
        [np.interp(target, source, column) for column in values.T], axis=1
    )


def _str_keys(obj):
    """Decode bytes keys (pickles loaded with encoding='bytes')."""
    if isinstance(obj, dict):
        return {
            (k.decode("latin1") if isinstance(k, bytes) else k): _str_keys(v)
            for k, v in obj.items()
        }
    return obj


def constant_runs(x, min_samples):
    """Mask of samples in runs of >= ``min_samples`` identical values."""
    x = np.asarray(x)
    change = np.concatenate([[True], x[1:] != x[:-1]])
    run_id = np.cumsum(change)
    run_length = np.bincount(run_id)[run_id]
    return run_length >= min_samples


def read_spc2015(path):
    """IEEE SPC 2015 ``DATA_NN_TYPEMM.mat`` (+ its ``_BPMtrace.mat``).

    ``sig`` is (6, n) at 125 Hz: row 0 ECG, rows 1-2 PPG, rows 3-5 ACC. The
    first PPG channel and the ACC are used; ``BPM0`` gives the HR of each
    8 s window every 2 s.
    """
    path = pathlib.Path(path)
    match = re.fullmatch(r"DATA_(\d+)_(TYPE\d+)\.mat", path.name)
    if not match:
        raise _fail(path, "not an SPC 2015 file name (DATA_NN_TYPEMM.mat)")
    label_path = path.with_name(path.stem + "_BPMtrace.mat")
    try:
        sig = sio.loadmat(path)["sig"]
        bpm = sio.loadmat(label_path)["BPM0"]
    except Exception as error:
        raise _fail(path, "cannot read the recording or its BPMtrace", error)
    if sig.ndim != 2 or sig.shape[0] != 6:
        raise _fail(path, f"`sig` must be (6, n); found {sig.shape}")
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


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Unpickles NumPy arrays and builtin containers, nothing else.

    The PPG-DaLiA files are pickles; a plain ``pickle.load`` would run any
    code a crafted file names. Only the globals NumPy arrays, dtypes and
    scalars are rebuilt from are allowed; anything else raises.
    """

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),
        ("collections", "OrderedDict"),
        # Python 2 pickles (the real files): ndarray rebuilt via copy_reg,
        # whose class argument must itself pass this check.
        *(
            (module, name)
            for module in ("copy_reg", "copyreg")
            for name in ("_reconstructor",)
        ),
        *(
            (module, name)
            for module in ("__builtin__", "builtins")
            for name in (
                "object",
                "bytes",
                "bytearray",
                "set",
                "frozenset",
                "complex",
                "int",
                "float",
                "str",
                "list",
                "dict",
                "tuple",
            )
        ),
    }

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"refusing to load {module}.{name}: only NumPy arrays and "
            "builtin containers may be unpickled from a dataset file"
        )


def read_ppg_dalia(path):
    """PPG-DaLiA ``S{n}.pkl`` (either pickle key encoding).

    Uses ``signal.wrist.BVP`` (64 Hz), ``signal.wrist.ACC`` (32 Hz, put on
    the PPG's clock) and ``label`` (HR of window i over
    seconds [2i, 2i + 8)); ``activity`` (4 Hz) names the activity. S6 is
    valid only for its first 90 minutes; later samples are flagged. The
    pickle is read with a restricted unpickler (arrays and containers
    only), so a crafted file cannot run code.
    """
    path = pathlib.Path(path)
    try:
        with open(path, "rb") as f:
            unpickler = _ArraysOnlyUnpickler(f, encoding="latin1")
            data = _str_keys(unpickler.load())
        bvp = np.asarray(data["signal"]["wrist"]["BVP"], "float64").reshape(-1)
        acc = data["signal"]["wrist"].get("ACC")
        if acc is not None:
            acc = on_clock(np.asarray(acc, "float64"), 32.0, len(bvp), 64.0)
        label = np.asarray(data["label"], "float64").reshape(-1)
        activity = np.asarray(data.get("activity", []), "int64").reshape(-1)
        subject = data.get("subject", path.stem)
    except Exception as error:
        raise _fail(path, "cannot read PPG-DaLiA pickle", error)
    subject = subject.decode() if isinstance(subject, bytes) else str(subject)
    invalid = {}
    if subject == "S6":
        invalid[INVALID_RANGE] = np.arange(len(bvp)) >= (
            DALIA_S6_VALID_SECONDS * 64
        )
    names = np.array([DALIA_ACTIVITIES.get(a, "") for a in activity])
    return Recording(
        dataset="ppg_dalia",
        participant=subject,
        ppg=bvp,
        fs=64.0,
        window_hr=label,
        invalid=invalid,
        activity=(np.arange(len(activity)) / 4.0, names)
        if len(names)
        else None,
        acc=acc,
        source=str(path),
    )


def _mat_trace(data, location, trace, path):
    try:
        entry = data[location][0][0][trace][0][0]
        values = np.asarray(entry["v"], "float64").reshape(-1)
        fs = float(np.asarray(entry["fs"]).reshape(-1)[0])
    except Exception as error:
        raise _fail(path, f"missing or malformed {location}.{trace}", error)
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
        raise _fail(path, "cannot read WildPPG .mat file", error)
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


def read_galaxy_ppg(folder, ecg_clock_offset_hours=9.0):
    """GalaxyPPG participant folder (``P01`` ...).

    ``GalaxyWatch/PPG.csv`` (Unix-ms ``timestamp``, ``ppg``, ``status``;
    ~25 Hz, status != 0 invalid) is put on a uniform 25 Hz grid;
    ``PolarH10/ECG.csv`` (130 Hz; ``phoneTimestamp`` shifted by +9 h) gives
    the R-peaks; ``Event.csv`` ENTER/EXIT rows name the sessions;
    ``GalaxyWatch/ACC.csv`` (``timestamp``, ``x``, ``y``, ``z``), when
    present, is put on the PPG's grid.
    """
    folder = pathlib.Path(folder)
    try:
        ppg_df = pd.read_csv(folder / "GalaxyWatch" / "PPG.csv")
        ecg_df = pd.read_csv(folder / "PolarH10" / "ECG.csv")
        ppg_t = ppg_df["timestamp"].to_numpy("float64") / 1000.0
        ppg_v = ppg_df["ppg"].to_numpy("float64")
        status = ppg_df["status"].to_numpy()
        ecg_t = ecg_df["phoneTimestamp"].to_numpy("float64") / 1000.0
        ecg_v = ecg_df["ecg"].to_numpy("float64")
    except Exception as error:
        raise _fail(folder, "cannot read GalaxyPPG PPG.csv / ECG.csv", error)
    if len(ppg_t) < 2 or np.any(np.diff(ppg_t) <= 0):
        raise _fail(folder, "PPG timestamps must increase strictly")
    fs = 25.0
    t0 = ppg_t[0]
    grid = t0 + np.arange(int((ppg_t[-1] - t0) * fs) + 1) / fs
    ppg = np.interp(grid, ppg_t, ppg_v)
    right = np.clip(np.searchsorted(ppg_t, grid), 1, len(ppg_t) - 1)
    nearest = right - (grid - ppg_t[right - 1] < ppg_t[right] - grid)
    flagged = status[nearest] != 0
    # The phone clock is 9 h ahead; fit a clean 130 Hz clock through it.
    ecg_t = ecg_t - ecg_clock_offset_hours * 3600.0
    index = np.arange(len(ecg_t))
    slope, intercept = np.polyfit(index, ecg_t, 1)
    ecg_fs = 1.0 / slope
    beats = intercept + detect_r_peaks(ecg_v, ecg_fs) - t0
    acc = None
    acc_path = folder / "GalaxyWatch" / "ACC.csv"
    if acc_path.exists():
        try:
            acc_df = pd.read_csv(acc_path)
            acc_t = acc_df["timestamp"].to_numpy("float64") / 1000.0
            acc = on_clock(
                acc_df[["x", "y", "z"]].to_numpy("float64"),
                None,
                len(ppg),
                fs,
                times=acc_t - t0,
            )
        except Exception as error:
            raise _fail(acc_path, "cannot read x, y, z by timestamp", error)
    activity = None
    events_path = folder / "Event.csv"
    if events_path.exists():
        events = pd.read_csv(events_path)
        enter = events[events["status"].str.upper() == "ENTER"]
        exits = events[events["status"].str.upper() == "EXIT"]
        times = [0.0]
        names = [""]
        for _, row in enter.iterrows():
            stop = exits[
                (exits["session"] == row["session"])
                & (exits["timestamp"] >= row["timestamp"])
            ]["timestamp"]
            times.append(row["timestamp"] / 1000.0 - t0)
            names.append(str(row["session"]))
            if len(stop):
                times.append(stop.iloc[0] / 1000.0 - t0)
                names.append("")
        order = np.argsort(times, kind="stable")
        activity = (np.asarray(times)[order], np.asarray(names)[order])
    return Recording(
        dataset="galaxy_ppg",
        participant=folder.name,
        ppg=ppg,
        fs=fs,
        beat_times=beats,
        beat_correction=True,
        invalid={STATUS_FLAG: flagged},
        activity=activity,
        acc=acc,
        source=str(folder),
    )
