"""ppg_folder: times in other units and padded headers are read or named."""

import numpy as np
import pandas as pd
import pytest

from keras_ppg_kd.datasets.ppg_folder.reader import read_recording


def _table(fs=64.0, seconds=30):
    t = np.arange(int(fs * seconds)) / fs
    return pd.DataFrame(
        {
            "time_s": t,
            "ppg": np.sin(2 * np.pi * 1.2 * t),
            "hr_bpm": np.full(len(t), 72.0),
        }
    )


@pytest.mark.parametrize(
    "scale, unit", [(1e3, "milliseconds"), (1e6, "microseconds")]
)
def test_time_in_another_unit_is_named(tmp_path, scale, unit):
    table = _table()
    table["time_s"] *= scale
    table.to_csv(tmp_path / "r.csv", index=False)
    with pytest.raises(ValueError, match=rf"looks like {unit}.*64 Hz"):
        read_recording(tmp_path / "r.csv")


def test_a_parquet_datetime_column_is_read_as_seconds(tmp_path):
    table = _table()
    table["time_s"] = pd.Timestamp("2026-01-01 08:00") + pd.to_timedelta(
        table["time_s"], unit="s"
    )
    table.to_parquet(tmp_path / "r.parquet")
    fields, duration, fs = read_recording(tmp_path / "r.parquet")
    assert fs == pytest.approx(64.0)
    assert duration == pytest.approx(30.0, abs=0.1)


def test_header_names_with_spaces_are_found(tmp_path):
    table = _table()
    table.columns = ["time_s", " ppg", "hr_bpm "]
    table.to_csv(tmp_path / "r.csv", index=False)
    fields, _, fs = read_recording(tmp_path / "r.csv")
    assert fs == pytest.approx(64.0) and len(fields["ppg"]) == 64 * 30
    table.to_parquet(tmp_path / "r.parquet")
    fields, _, fs = read_recording(tmp_path / "r.parquet")
    assert fs == pytest.approx(64.0) and "hr" in fields
