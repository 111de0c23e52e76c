"""Participant and activity names beyond ASCII prepare and load again."""

import numpy as np
import pandas as pd

from keras_ppg_kd.datasets import load_windows


def test_non_ascii_participant_and_activity_load_twice(tmp_path):
    fs, seconds = 25.0, 40
    t = np.arange(int(fs * seconds)) / fs
    folder = tmp_path / "raw" / "José"
    folder.mkdir(parents=True)
    pd.DataFrame(
        {
            "time_s": t,
            "ppg": np.sin(2 * np.pi * 1.25 * t),
            "hr_bpm": np.full(len(t), 75.0),
            "activity": np.where(t < 20, "Ruhe ü", "Gehen"),
        }
    ).to_csv(folder / "Morgen ß.csv", index=False)
    for _ in range(2):  # prepared, then read back from the prepared files
        found = load_windows(
            "ppg_folder",
            data_dir=tmp_path / "tfds",
            manual_dir=str(tmp_path / "raw"),
        )
        assert set(found.participant) == {"José"}
        assert "Ruhe ü" in set(found.activity)
