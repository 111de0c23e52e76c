import os
import pathlib
import pickle

import numpy as np
import pandas as pd
import pytest
import tensorflow_datasets as tfds

from keras_ppg_kd.data.transforms import windows_from_recording
from keras_ppg_kd.datasets import ieee_spc2015, ppg_dalia, ppg_folder
from keras_ppg_kd.datasets.base import constant_runs, on_clock
from keras_ppg_kd.datasets.galaxy_ppg import read_galaxy_ppg
from keras_ppg_kd.datasets.ieee_spc2015 import read_spc2015
from keras_ppg_kd.datasets.ppg_dalia import read_ppg_dalia
from keras_ppg_kd.datasets.ppg_dalia.make_dummy_data import dalia_dict
from keras_ppg_kd.datasets.ppg_folder import read_ppg_folder
from keras_ppg_kd.datasets.wildppg import read_wildppg
from keras_ppg_kd.protocol import WindowConfig


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


def _write(folder, name, **columns):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    pd.DataFrame(columns).to_csv(path, index=False)
    return path


def test_own_recordings_labels_gaps_and_rate(tmp_path):
    fs, seconds = 32.0, 40
    t = np.arange(int(fs * seconds)) / fs
    keep = (t < 20) | (t >= 24)  # a 4 s hole in the timestamps
    hr = np.where(t < 10, np.nan, 60 + t)  # unknown for the first 10 s
    _write(
        tmp_path / "P01",
        "r.csv",
        time_s=t[keep],
        ppg=np.sin(2 * np.pi * 1.5 * t[keep]),
        hr_bpm=hr[keep],
    )
    recording = read_ppg_folder(tmp_path / "P01")
    assert recording.fs == pytest.approx(fs)
    assert recording.participant == "P01"
    gap = recording.invalid["gap_fill"]
    assert gap.sum() == pytest.approx(4 * fs, abs=2)
    # Window i covers [2i, 2i + 8): the label is the mean known HR.
    assert np.isnan(recording.window_hr[0])  # 0-8 s: none known
    # 6-14 s: HR known from 10 s on (half the window), 60 + t over 10-14.
    assert recording.window_hr[3] == pytest.approx(72, abs=0.1)
    found = windows_from_recording(recording)
    assert found.dropped["gap_fill"] >= 4 and found.dropped["missing_label"]


@pytest.mark.parametrize(
    "columns, match",
    [
        ({"time_s": [0.0, 0.1], "ppg": [1.0, 2.0]}, r"\['hr_bpm or ecg'\]"),
        ({"time_s": [0.0, 0.1], "hr_bpm": [60, 60]}, r"\['ppg'\]"),
        (
            {"time_s": [0.0, 0.2, 0.1], "ppg": [1, 2, 3], "hr_bpm": [1, 1, 1]},
            r"'time_s' must be finite and increase strictly \(row 2\)",
        ),
        (
            {"time_s": [0.0, 0.1], "ppg": ["1", "x"], "hr_bpm": [60, 60]},
            r"column 'ppg' holds a non-number at row 1",
        ),
    ],
)
def test_bad_own_files_name_the_file_and_column(tmp_path, columns, match):
    path = _write(tmp_path / "P01", "bad.csv", **columns)
    with pytest.raises(ValueError, match=match) as error:
        read_ppg_folder(tmp_path / "P01")
    assert str(path) in str(error.value)


def test_own_folder_errors_rates_and_missing_accelerometer(tmp_path):
    with pytest.raises(ValueError, match="no recording"):
        (tmp_path / "empty").mkdir()
        read_ppg_folder(tmp_path / "empty")
    t = np.arange(400) / 25.0
    _write(tmp_path / "P", "a.csv", time_s=t, ppg=np.sin(t), hr_bpm=t * 0 + 70)
    _write(
        tmp_path / "P", "b.csv", time_s=t / 2, ppg=np.sin(t), hr_bpm=t * 0 + 70
    )
    with pytest.raises(ValueError, match="b.csv: sampled at 50.000 Hz"):
        read_ppg_folder(tmp_path / "P")
    root = pathlib.Path(ppg_folder.__file__).parent / "dummy_data"
    with pytest.raises(ValueError, match="P02: the config asks for the acc"):
        windows_from_recording(
            read_ppg_folder(root / "P02"), WindowConfig(accelerometer=True)
        )
    both = windows_from_recording(
        read_ppg_folder(root / "P01"), WindowConfig(accelerometer=True)
    )
    assert both.windows.shape[1:] == (200, 4)
    assert set(both.activity) <= {"rest", "walking", ""}


def _own(folder, fs=25.0, seconds=40, hr=75.0, **extra):
    t = np.arange(int(fs * seconds)) / fs
    columns = {"time_s": t, "ppg": np.sin(2 * np.pi * hr / 60 * t)}
    columns["hr_bpm"] = np.full(len(t), hr)
    columns.update(extra)
    return _write(folder, "r.csv", **columns)


def test_a_changed_or_other_folder_is_prepared_again(tmp_path, caplog):
    """The old windows never come back for another folder's data."""
    from keras_ppg_kd.datasets import load_windows

    a, b, data = tmp_path / "A", tmp_path / "B", tmp_path / "tfds"
    _own(a / "P01", hr=75.0)
    _own(b / "P01", hr=120.0)
    first = load_windows("ppg_folder", data_dir=data, manual_dir=str(a))
    assert np.allclose(first.hr_bpm, 75.0)
    again = load_windows("ppg_folder", data_dir=data, manual_dir=str(a))
    assert len(again) == len(first)
    other = load_windows("ppg_folder", data_dir=data, manual_dir=str(b))
    assert np.allclose(other.hr_bpm, 120.0)
    assert "preparing again" in caplog.text and str(b) in caplog.text
    _own(a / "P01", hr=90.0, seconds=30)  # edited in place
    edited = load_windows("ppg_folder", data_dir=data, manual_dir=str(a))
    assert np.allclose(edited.hr_bpm, 90.0) and len(edited) < len(first)


def test_a_mistyped_folder_is_one_error_and_keeps_the_prepared_windows(
    tmp_path,
):
    from keras_ppg_kd.datasets import load_windows

    study, data = tmp_path / "study", tmp_path / "tfds"
    _own(study / "P01")
    first = load_windows("ppg_folder", data_dir=data, manual_dir=str(study))
    prepared = sorted(p.name for p in data.rglob("*") if p.is_file())
    for wrong in (tmp_path / "stdy", tmp_path / "empty"):
        (tmp_path / "empty").mkdir(exist_ok=True)
        with pytest.raises(FileNotFoundError, match="missing or empty"):
            load_windows("ppg_folder", data_dir=data, manual_dir=str(wrong))
    assert sorted(p.name for p in data.rglob("*") if p.is_file()) == prepared
    again = load_windows("ppg_folder", data_dir=data, manual_dir=str(study))
    np.testing.assert_array_equal(again.windows, first.windows)


@pytest.mark.parametrize(
    "scale, unit",
    [(1 / 60, "Hz"), (None, "RR intervals in ms"), (1 / 1000, "not a heart")],
)
def test_hr_in_another_unit_raises_naming_it(tmp_path, scale, unit):
    t = np.arange(1000) / 25.0
    hr = np.full(len(t), 75.0)
    hr = 60000 / hr if scale is None else hr * scale
    path = _write(tmp_path / "P", "r.csv", time_s=t, ppg=np.sin(t), hr_bpm=hr)
    with pytest.raises(ValueError, match=f"hr_bpm.*{unit}") as error:
        read_ppg_folder(tmp_path / "P")
    assert str(path) in str(error.value)


def test_a_glitched_timestamp_is_refused_naming_the_row(tmp_path):
    t = np.arange(1000) / 25.0
    t[600:] += 1e6  # one glitch: the rest follows
    _write(tmp_path / "P", "r.csv", time_s=t, ppg=np.sin(t), hr_bpm=t * 0 + 70)
    with pytest.raises(ValueError, match=r"jumps by 1e\+06 s at row 600"):
        read_ppg_folder(tmp_path / "P")


def test_a_non_utf8_participant_folder_is_named(tmp_path):
    folder = pathlib.Path(os.fsdecode(os.fsencode(tmp_path) + b"/P\xff"))
    try:
        folder.mkdir()
    except (OSError, UnicodeError):
        pytest.skip("this file system refuses non-UTF-8 names")
    _own(folder)
    with pytest.raises(ValueError, match=r"P\\udcff.*not valid UTF-8"):
        read_ppg_folder(folder)


def test_a_noisy_ecg_reference_is_dropped_not_mislabelled(tmp_path):
    from keras_ppg_kd.data.transforms import hr_from_beats
    from keras_ppg_kd.datasets.dummy import dummy_participant

    fs = 250.0
    ppg, _, ecg, beats, _ = dummy_participant(0, 120, fs, fs)
    rng = np.random.default_rng(0)
    t = np.arange(len(ppg)) / fs
    results = {}
    for noise in (0.0, 3.0):
        ecg_noisy = ecg[: len(ppg)] + noise * np.std(ecg) * rng.standard_normal(
            len(ppg)
        )
        folder = tmp_path / f"noise{noise:g}"
        _write(folder, "r.csv", time_s=t, ppg=ppg, ecg=ecg_noisy)
        found = windows_from_recording(read_ppg_folder(folder))
        truth = hr_from_beats(beats, found.start_times, 8.0)
        results[noise] = (found, np.abs(found.hr_bpm - truth))
    clean, clean_error = results[0.0]
    assert not clean.dropped.get("irregular_reference")
    assert clean_error.max() < 1.0
    noisy, noisy_error = results[3.0]
    assert noisy.dropped["irregular_reference"] > 0.8 * len(clean)
    assert len(noisy) == 0 or noisy_error.max() < 10.0


_LOAD = """
import sys
from keras_ppg_kd.datasets import load_windows
found = load_windows("ppg_folder", data_dir=sys.argv[1], manual_dir=sys.argv[2])
print(len(found), round(float(found.hr_bpm.mean()), 3))
"""


def test_two_processes_preparing_one_dataset_take_turns(tmp_path):
    """The second waits for the first and reuses its windows; before, both
    wrote them and the later one failed renaming its copy."""
    import fcntl
    import sys
    import time

    from keras_ppg_kd.datasets.loading import builder
    from tests import zygote

    study, data = tmp_path / "study", tmp_path / "tfds"
    for index in range(4):
        _own(study / f"P{index}", hr=60.0 + 10 * index, seconds=120)
    script = tmp_path / "load.py"
    script.write_text(_LOAD)
    folder = os.path.dirname(builder("ppg_folder", data_dir=data).data_dir)
    os.makedirs(folder)
    command = [sys.executable, script, data, study]
    with open(os.path.join(folder, ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a third process preparing
        loaders = [zygote.start(command) for _ in range(2)]
        deadline = time.monotonic() + 120
        while not all("waiting for it" in p.output()[1] for p in loaders):
            assert all(p.poll() is None for p in loaders), [
                p.output() for p in loaders
            ]
            assert time.monotonic() < deadline, [p.output() for p in loaders]
            time.sleep(0.1)
        assert not any(data.rglob("dataset_info.json"))  # both still wait
    results = [p.communicate(timeout=120) for p in loaders]
    assert [p.returncode for p in loaders] == [0, 0], results
    assert results[0][0] == results[1][0] == "228 75.0\n"
    said = "".join(err for _, err in results)
    assert said.count("windows prepared once") == 1, said
