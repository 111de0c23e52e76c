"""Writes ppg_dalia/dummy_data: two 20 s participants in the raw format.

S1 is pickled with str keys, S2 with bytes keys (as some loaders re-save
it). Run: ``python -m keras_ppg_kd.datasets.ppg_dalia.make_dummy_data``.
"""

import pathlib
import pickle

import numpy as np

from keras_ppg_kd.datasets.dummy import dummy_participant

SECONDS = 20


def dalia_dict(index, subject, seconds=SECONDS):
    """One DaLiA subject dict with the real file's structure."""
    ppg, acc, ecg, _, hr = dummy_participant(index, seconds, 64.0, 700.0)
    acc32 = acc[::2]
    return {
        "rpeaks": np.array([], dtype="int64"),
        "signal": {
            "chest": {
                "ACC": np.zeros((len(ecg), 3)),
                "ECG": ecg[:, None],
                "EMG": np.zeros((len(ecg), 1)),
                "EDA": np.zeros((len(ecg), 1)),
                "Temp": np.zeros((len(ecg), 1)),
                "Resp": np.zeros((len(ecg), 1)),
            },
            "wrist": {
                "ACC": acc32[: seconds * 32],
                "BVP": ppg[: seconds * 64, None],
                "EDA": np.zeros((seconds * 4, 1)),
                "TEMP": np.zeros((seconds * 4, 1)),
            },
        },
        "label": hr,
        "activity": np.repeat([[1], [7]], seconds * 2, axis=0).astype(float),
        "questionnaire": {"AGE": 30, "Gender": " m", "SKIN": 3, "SPORT": 4},
        "subject": subject,
    }


def _bytes_keys(obj):
    if isinstance(obj, dict):
        return {k.encode(): _bytes_keys(v) for k, v in obj.items()}
    return obj


def main(root=pathlib.Path(__file__).parent / "dummy_data"):
    for index, subject in enumerate(["S1", "S2"]):
        data = dalia_dict(index, subject)
        if subject == "S2":
            data = _bytes_keys(data)
        folder = root / "PPG_FieldStudy" / subject
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / f"{subject}.pkl", "wb") as f:
            pickle.dump(data, f, protocol=2)


if __name__ == "__main__":
    main()
