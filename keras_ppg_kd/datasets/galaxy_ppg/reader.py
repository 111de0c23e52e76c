"""Reader of GalaxyPPG: one raw participant folder -> :class:`Recording`."""

import pathlib

import numpy as np
import pandas as pd

from keras_ppg_kd.data.ecg import detect_r_peaks
from keras_ppg_kd.data.transforms import Recording
from keras_ppg_kd.datasets.base import STATUS_FLAG, fail, on_clock


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
        raise fail(folder, "cannot read GalaxyPPG PPG.csv / ECG.csv", error)
    if len(ppg_t) < 2 or np.any(np.diff(ppg_t) <= 0):
        raise fail(folder, "PPG timestamps must increase strictly")
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
            raise fail(acc_path, "cannot read x, y, z by timestamp", error)
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
