"""Property-based tests of the ppg_folder reader (Hypothesis).

Random rates, start times, gaps, column orders, extra columns and units of
a user's recording: the reader gives either a clear error naming the file
or windows whose labels match the reference.
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from keras_ppg_kd.data.transforms import windows_from_recording
from keras_ppg_kd.datasets.ppg_folder import read_ppg_folder


@given(
    fs=st.sampled_from([20.0, 25.0, 32.0, 50.0, 64.0, 100.0, 128.0]),
    seconds=st.integers(20, 60),
    start=st.sampled_from([0.0, 12.5, 1.7e9]),
    hr0=st.floats(45, 170),
    slope=st.floats(-0.5, 0.5),
    gap=st.one_of(st.none(), st.tuples(st.floats(0.1, 0.8), st.floats(1, 6))),
    unit=st.sampled_from(["bpm", "bpm", "bpm", "hz", "rr_ms", "rr_s"]),
    extra=st.booleans(),
    shuffle_columns=st.booleans(),
    file_type=st.sampled_from([".csv", ".parquet"]),
    seed=st.integers(0, 2**16),
)
def test_property_own_recordings_error_or_true_labels(
    tmp_path_factory,
    fs,
    seconds,
    start,
    hr0,
    slope,
    gap,
    unit,
    extra,
    shuffle_columns,
    file_type,
    seed,
):
    rng = np.random.default_rng(seed)
    t = np.arange(int(fs * seconds)) / fs
    hr = np.clip(hr0 + slope * t, 35, 200)
    phase = 2 * np.pi * np.cumsum(hr / 60) / fs
    ppg = np.sin(phase) + 0.05 * rng.standard_normal(len(t))
    keep = np.ones(len(t), bool)
    if gap is not None:  # a hole in the timestamps
        at = gap[0] * seconds
        keep = (t < at) | (t >= at + gap[1])
    reference = {
        "bpm": hr,
        "hz": hr / 60,
        "rr_ms": 60000 / hr,
        "rr_s": 60 / hr,
    }[unit]
    columns = {"time_s": start + t, "ppg": ppg, "hr_bpm": reference}
    if extra:
        columns["note"] = "x"
        columns["temperature"] = 36.6
    table = pd.DataFrame(columns)[keep]
    if shuffle_columns:
        table = table[list(rng.permutation(table.columns))]
    folder = tmp_path_factory.mktemp("own") / "P01"
    folder.mkdir()
    path = folder / f"r{file_type}"
    if file_type == ".csv":
        table.to_csv(path, index=False)
    else:
        table.to_parquet(path, index=False)

    if unit != "bpm":
        with pytest.raises(ValueError, match="hr_bpm") as error:
            read_ppg_folder(folder)
        assert str(path) in str(error.value)
        return
    recording = read_ppg_folder(folder)
    assert recording.fs == pytest.approx(fs, rel=1e-6)
    found = windows_from_recording(recording)
    assert np.isfinite(found.windows).all()
    # the label is the mean reference over the window (known samples)
    centre = found.start_times + 4.0
    expected = np.clip(hr0 + slope * centre, 35, 200)
    np.testing.assert_allclose(found.hr_bpm, expected, atol=0.6)
    if gap is not None:  # no window holds a sample inside the hole
        kept = t[keep]
        lo = kept[kept < gap[0] * seconds].max(initial=-np.inf)
        hi = kept[kept >= gap[0] * seconds + gap[1]].min(initial=np.inf)
        first, last = found.start_times, found.start_times + 8 - 1 / fs
        inside = (first < hi - 0.5 / fs) & (last > lo + 0.5 / fs)
        assert not inside.any()
    assert set(found.dropped) <= {"gap_fill", "hr_out_of_range"}
