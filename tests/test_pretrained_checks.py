"""Shipped files are checked against the SHA-256 their card records."""

import shutil

import pytest

from keras_ppg_kd import pretrained


@pytest.fixture
def shipped_copy(tmp_path, monkeypatch):
    for found in pretrained._HERE.glob("synthetic_tcn5*"):
        shutil.copy(found, tmp_path / found.name)
    monkeypatch.setattr(pretrained, "_HERE", tmp_path)
    return tmp_path


def test_shipped_files_match_their_cards():
    assert pretrained.int8_path("synthetic_tcn5").is_file()
    assert pretrained.tracker_path("synthetic_tcn5").is_file()


def test_flipped_bytes_in_a_shipped_file_are_refused(shipped_copy):
    tflite = shipped_copy / "synthetic_tcn5_int8.tflite"
    data = bytearray(tflite.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 256] = bytes(b ^ 0xFF for b in data[middle:][:256])
    tflite.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=r"synthetic_tcn5_int8.tflite.*SHA"):
        pretrained.int8_path("synthetic_tcn5")
    # Writing a new bundle (must_exist=False) does not check.
    assert pretrained.int8_path("synthetic_tcn5", must_exist=False) == tflite
    keras_file = shipped_copy / "synthetic_tcn5.keras"
    keras_file.write_bytes(keras_file.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ValueError, match=r"synthetic_tcn5.keras.*SHA"):
        pretrained.load("synthetic_tcn5")
    tracker = shipped_copy / "synthetic_tcn5_tracker.json"
    tracker.write_text(tracker.read_text().replace("1", "2", 1))
    with pytest.raises(ValueError, match=r"synthetic_tcn5_tracker.json.*SHA"):
        pretrained.tracker_path("synthetic_tcn5")
