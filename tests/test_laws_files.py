"""Shipped laws files: a damaged or incomplete one is named in the error."""

import pytest

from keras_ppg_kd.pretrained import laws


@pytest.mark.core
def test_shipped_cards_read():
    for name in laws.available():
        assert laws.card(name)["command"]
    assert laws.cross_device()["students"]


@pytest.mark.core
@pytest.mark.parametrize(
    "text, message",
    [('{"card": {"family"', "Cannot read"), ('{"fits": {}}', "has no 'card'")],
)
def test_damaged_laws_file_is_named(tmp_path, monkeypatch, text, message):
    (tmp_path / "broken.json").write_text(text)
    monkeypatch.setattr(laws, "_HERE", tmp_path)
    with pytest.raises(ValueError, match=message) as error:
        laws.card("broken")
    assert "broken.json" in str(error.value)


@pytest.mark.core
def test_damaged_cross_device_is_named(tmp_path, monkeypatch):
    (tmp_path / "cross_device.json").write_text("{")
    monkeypatch.setattr(laws, "_HERE", tmp_path)
    with pytest.raises(ValueError, match="cross_device.json"):
        laws.cross_device()
