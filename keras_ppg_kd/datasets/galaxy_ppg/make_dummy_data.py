"""Writes galaxy_ppg/dummy_data: two 40 s participants in the raw format.

Watch samples are ~25 Hz with jittered Unix-ms timestamps; P02 has a 2 s
stretch with status != 0; the Polar ECG's phoneTimestamp is 9 h ahead.
Run: ``python -m keras_ppg_kd.datasets.galaxy_ppg.make_dummy_data``.
"""

import pathlib

import numpy as np
import pandas as pd

from keras_ppg_kd.datasets.dummy import dummy_participant

SECONDS = 40
START_MS = 1_700_000_000_000


def write_participant(folder, index, seconds=SECONDS, bad_status=None):
    ppg, acc, ecg, _, _ = dummy_participant(index, seconds, 25.0, 130.0)
    rng = np.random.default_rng(index)
    n = len(ppg)
    timestamp = START_MS + np.round(
        np.arange(n) * 40 + rng.uniform(-3, 3, n)
    ).astype("int64")
    status = np.zeros(n, dtype="int64")
    if bad_status is not None:
        status[int(bad_status[0] * 25) : int(bad_status[1] * 25)] = -999
    (folder / "GalaxyWatch").mkdir(parents=True, exist_ok=True)
    (folder / "PolarH10").mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {
            "dataReceived": timestamp + 500,
            "timestamp": timestamp,
            "ppg": np.round(ppg * 1000 + 30000).astype("int64"),
            "status": status,
        }
    ).to_csv(folder / "GalaxyWatch" / "PPG.csv", index=False)
    pd.DataFrame(
        {
            "dataReceived": timestamp + 500,
            "timestamp": timestamp,
            "x": acc[:, 0],
            "y": acc[:, 1],
            "z": acc[:, 2],
        }
    ).to_csv(folder / "GalaxyWatch" / "ACC.csv", index=False)
    m = len(ecg)
    phone = START_MS + 9 * 3600 * 1000 + np.round(np.arange(m) * 1000 / 130)
    pd.DataFrame(
        {
            "phoneTimestamp": phone.astype("int64"),
            "sensorTimestamp": (np.arange(m) * 1e9 / 130).astype("int64"),
            "ecg": np.round(ecg * 1000).astype("int64"),
        }
    ).to_csv(folder / "PolarH10" / "ECG.csv", index=False)
    pd.DataFrame(
        {
            "timestamp": [
                START_MS + 1000,
                START_MS + 20000,
                START_MS + 21000,
                START_MS + 39000,
            ],
            "session": ["baseline", "baseline", "walking", "walking"],
            "status": ["ENTER", "EXIT", "ENTER", "EXIT"],
        }
    ).to_csv(folder / "Event.csv", index=False)


def main(root=pathlib.Path(__file__).parent / "dummy_data"):
    dataset = root / "Dataset"
    dataset.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"UID": ["P01", "P02"], "AGE": [25, 31]}).to_csv(
        dataset / "Meta.csv", index=False
    )
    write_participant(dataset / "P01", 0)
    write_participant(dataset / "P02", 1, bad_status=(12, 14))


if __name__ == "__main__":
    main()
