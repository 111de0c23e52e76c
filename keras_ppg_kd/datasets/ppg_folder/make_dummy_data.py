"""Writes ppg_folder/dummy_data: two participants in the documented format.

P01 has two CSV recordings with a per-sample ``hr_bpm`` (NaN for its first
2 s), accelerometer and activity columns, and a 3 s hole in the second
file's timestamps; P02 has one Parquet recording with an ECG reference and
jittered timestamps.
Run: ``python -m keras_ppg_kd.datasets.ppg_folder.make_dummy_data``.
"""

import pathlib

import numpy as np
import pandas as pd

from keras_ppg_kd.datasets.dummy import dummy_participant

FS = 50.0


def table(index, seconds, reference):
    ppg, acc, ecg, beats, _ = dummy_participant(index, seconds, FS, FS)
    t = np.arange(len(ppg)) / FS
    columns = {"time_s": t, "ppg": ppg}
    if reference == "hr_bpm":
        centre = (beats[1:] + beats[:-1]) / 2
        hr = np.interp(t, centre, 60.0 / np.diff(beats))
        hr[t < 2.0] = np.nan
        columns["hr_bpm"] = hr
        columns.update(acc_x=acc[:, 0], acc_y=acc[:, 1], acc_z=acc[:, 2])
        columns["activity"] = np.where(t < seconds / 2, "rest", "walking")
    else:
        columns["ecg"] = ecg[: len(ppg)]
    return pd.DataFrame(columns)


def main():
    root = pathlib.Path(__file__).parent / "dummy_data"
    (root / "P01").mkdir(parents=True, exist_ok=True)
    (root / "P02").mkdir(parents=True, exist_ok=True)
    table(0, 30, "hr_bpm").to_csv(
        root / "P01" / "a_rest.csv", index=False, float_format="%.6g"
    )
    second = table(1, 30, "hr_bpm")
    second = second[(second.time_s < 10) | (second.time_s >= 13)]
    second.to_csv(root / "P01" / "b_walk.csv", index=False, float_format="%.6g")
    third = table(2, 40, "ecg")
    rng = np.random.default_rng(0)
    third["time_s"] += rng.uniform(-0.002, 0.002, len(third))
    third.to_parquet(root / "P02" / "rest.parquet", index=False)


if __name__ == "__main__":
    main()
