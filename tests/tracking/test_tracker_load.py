"""A damaged tracker file is one clear error naming it."""

import json

import pytest

from keras_ppg_kd.tracking import HRTracker


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda p: p.pop("config"), r"no 'config' object"),
        (lambda p: p["config"].update(wobble=3), r"unknown key.*'wobble'"),
        (lambda p: p.update(config=[1, 2]), r"no 'config' object.*list"),
    ],
)
def test_a_damaged_tracker_file_is_named(tmp_path, change, match):
    path = HRTracker().save(tmp_path / "tracker.json")
    payload = json.loads(path.read_text())
    change(payload)
    path.write_text(json.dumps(payload))
    with pytest.raises(ValueError, match=match) as raised:
        HRTracker.load(path)
    assert "tracker.json" in str(raised.value)
    path.write_text(json.dumps([payload]))
    with pytest.raises(ValueError, match="not an HRTracker file"):
        HRTracker.load(path)
