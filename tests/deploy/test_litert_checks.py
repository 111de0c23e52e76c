"""read_protocol refuses a damaged LiteRT file instead of reading it."""

import pytest

from keras_ppg_kd import pretrained
from keras_ppg_kd.deploy.litert import read_protocol

SHIPPED = pretrained._HERE / "synthetic_tcn5_int8.tflite"


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],
        lambda data: bytes(len(data)),
        lambda data: data[:4],
    ],
    ids=["cut_in_half", "zeroed", "four_bytes"],
)
def test_a_damaged_file_raises_naming_it(tmp_path, damage):
    assert read_protocol(SHIPPED) is not None
    path = tmp_path / "model.tflite"
    path.write_bytes(damage(SHIPPED.read_bytes()))
    with pytest.raises(ValueError, match=r"model.tflite: not a readable"):
        read_protocol(path)
