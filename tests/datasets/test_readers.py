import pathlib
import pickle

import numpy as np
import pytest
import tensorflow_datasets as tfds

from keras_ppg_kd.data.transforms import windows_from_recording
from keras_ppg_kd.datasets import ieee_spc2015, ppg_dalia
from keras_ppg_kd.datasets.base import constant_runs, on_clock
from keras_ppg_kd.datasets.galaxy_ppg import read_galaxy_ppg
from keras_ppg_kd.datasets.ieee_spc2015 import read_spc2015
from keras_ppg_kd.datasets.ppg_dalia import read_ppg_dalia
from keras_ppg_kd.datasets.ppg_dalia.make_dummy_data import dalia_dict
from keras_ppg_kd.datasets.wildppg import read_wildppg


def test_dalia_both_key_encodings(tmp_path):
    folder = (
        ppg_dalia.Builder.code_path.parent / "dummy_data" / "PPG_FieldStudy"
    )
    s1 = read_ppg_dalia(folder / "S1" / "S1.pkl")
    s2 = read_ppg_dalia(folder / "S2" / "S2.pkl")  # bytes keys
    assert (s1.participant, s2.participant) == ("S1", "S2")
    assert s2.fs == 64.0 and len(s2.window_hr) == 7


def test_dalia_s6_valid_range(tmp_path):
    data = dalia_dict(0, "S6", seconds=20)
    minutes = 92
    data["signal"]["wrist"]["BVP"] = np.resize(
        data["signal"]["wrist"]["BVP"], (minutes * 60 * 64, 1)
    )
    data["label"] = np.full((minutes * 60 - 8) // 2 + 1, 75.0)
    data["signal"]["chest"] = {}
    path = tmp_path / "S6.pkl"
    path.write_bytes(pickle.dumps(data))
    found = windows_from_recording(read_ppg_dalia(path))
    # windows ending after 90 min are dropped: starts 5394 s .. 5512 s
    assert found.dropped["invalid_range"] == 60
    assert found.start_times.max() + 8 <= 90 * 60


def test_corrupt_and_truncated_files_name_the_file(tmp_path):
    bad = tmp_path / "S3.pkl"
    bad.write_bytes(b"not a pickle")
    with pytest.raises(ValueError, match=r"S3\.pkl: cannot read PPG-DaLiA"):
        read_ppg_dalia(bad)
    source = (
        ieee_spc2015.Builder.code_path.parent
        / "dummy_data/Training_data/DATA_01_TYPE01.mat"
    )
    truncated = tmp_path / "DATA_01_TYPE01.mat"
    truncated.write_bytes(source.read_bytes()[:500])
    (tmp_path / "DATA_01_TYPE01_BPMtrace.mat").write_bytes(
        source.with_name("DATA_01_TYPE01_BPMtrace.mat").read_bytes()
    )
    with pytest.raises(ValueError, match=r"DATA_01_TYPE01\.mat: cannot read"):
        read_spc2015(truncated)
    wild = tmp_path / "WildPPG_Part_x.mat"
    wild.write_bytes(b"\x00" * 64)
    with pytest.raises(ValueError, match=r"WildPPG_Part_x\.mat: cannot read"):
        read_wildppg(wild)
    with pytest.raises(ValueError, match="cannot read GalaxyPPG"):
        read_galaxy_ppg(tmp_path)


def test_missing_and_empty_manual_dirs(tmp_path):
    builder = ppg_dalia.Builder(data_dir=tmp_path / "data")
    with pytest.raises(AssertionError, match="archive.ics.uci.edu"):
        builder.download_and_prepare(
            download_config=tfds.download.DownloadConfig(
                manual_dir=tmp_path / "missing"
            )
        )
    empty = tmp_path / "empty"
    (empty / "PPG_FieldStudy").mkdir(parents=True)
    (empty / "README").write_text("placeholder")
    with pytest.raises(FileNotFoundError, match="PPG_FieldStudy/S1/S1.pkl"):
        builder.download_and_prepare(
            download_config=tfds.download.DownloadConfig(manual_dir=empty)
        )


def test_constant_runs():
    x = np.array([1, 2, 2, 2, 3, 4, 4])
    np.testing.assert_array_equal(constant_runs(x, 3), [0, 1, 1, 1, 0, 0, 0])


def test_dalia_reader_refuses_a_pickle_that_runs_code(tmp_path):
    import os
    import pickle

    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    path = tmp_path / "S1.pkl"
    path.write_bytes(pickle.dumps({"signal": Exploit(), "label": [1.0]}))
    with pytest.raises(ValueError, match="refusing to load"):
        read_ppg_dalia(path)
    assert not marker.exists()


def test_readers_put_the_accelerometer_on_the_ppg_clock(tmp_path):
    root = pathlib.Path(ppg_dalia.__file__).parent
    recordings = [
        read_spc2015(
            next((root.parent / "ieee_spc2015" / "dummy_data").rglob("*01.mat"))
        ),
        read_wildppg(
            next((root.parent / "wildppg" / "dummy_data").rglob("*.mat"))
        ),
        read_galaxy_ppg(
            root.parent / "galaxy_ppg" / "dummy_data" / "Dataset" / "P01"
        ),
    ]
    path = tmp_path / "S1.pkl"
    with open(path, "wb") as f:
        pickle.dump(dalia_dict(0, "S1"), f)
    recordings.append(read_ppg_dalia(path))
    for recording in recordings:
        assert recording.acc.shape == (len(recording.ppg), 3), recording.source
        assert np.isfinite(recording.acc).all()
        assert recording.acc.std(axis=0).max() > 0, recording.source


def test_on_clock_interpolates_regular_and_timed_samples():
    values = np.arange(10.0)[:, None] * [1.0, -1.0]
    np.testing.assert_allclose(
        on_clock(values, 32.0, 20, 64.0)[:4, 0], [0, 0.5, 1, 1.5]
    )
    times = np.array([0.0, 1.0, 3.0])
    out = on_clock([[0.0], [1.0], [3.0]], None, 4, 1.0, times=times)
    np.testing.assert_allclose(out[:, 0], [0, 1, 2, 3])
