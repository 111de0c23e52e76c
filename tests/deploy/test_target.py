"""Deploy targets: the registry, and LiteRT and TFLite Micro behind it."""

import os

import keras
import numpy as np
import pytest

from keras_ppg_kd import ResNet1D
from keras_ppg_kd.data import (
    SyntheticConfig,
    WindowSet,
    generate_recording,
    windows_from_recording,
)
from keras_ppg_kd.deploy import (
    LiteRT,
    LiteRTModel,
    Target,
    TFLiteMicro,
    export_tflite,
    get_target,
    inspect_tflite,
    list_targets,
    register_target,
)
from keras_ppg_kd.deploy import target as target_module

pytest.importorskip("ai_edge_litert", reason="needs the 'litert' extra")


@pytest.fixture(scope="module")
def parts():
    """An untrained 1-block student and synthetic windows."""
    config = SyntheticConfig(num_participants=2, minutes=2, seed=4)
    windows = WindowSet.concatenate(
        windows_from_recording(generate_recording(i, config))
        for i in range(config.num_participants)
    )
    keras.utils.set_random_seed(0)
    return ResNet1D(1), windows


def test_both_targets_are_registered_where_they_live():
    assert {"litert", "tflite_micro"} <= set(list_targets())
    assert isinstance(get_target("litert"), LiteRT)
    assert isinstance(get_target("tflite_micro"), TFLiteMicro)
    litert = LiteRT()
    assert get_target(litert) is litert
    with pytest.raises(ValueError, match=r"'coreml'.*'litert'"):
        get_target("coreml")


def test_a_new_target_is_one_class(tmp_path):
    @register_target("test_copy")
    class Copy(Target):
        suffix = ".bin"

        def export(self, model, path, representative_data=None, **options):
            with open(path, "wb") as f:
                f.write(b"1234")
            return path

        def memory_bytes(self, path):
            return 0

    try:
        target = get_target("test_copy")
        assert target.name == "test_copy" and "test_copy" in list_targets()
        path = target.export(None, tmp_path / "m.bin")
        assert target.size_bytes(path) == 4
        with pytest.raises(ValueError, match="taken"):
            register_target("test_copy")(type("Other", (Target,), {}))
    finally:
        target_module.TARGETS.pop("test_copy")


def test_litert_is_export_tflite_and_litertmodel(parts, tmp_path):
    model, windows = parts
    target = get_target("litert")
    assert target.available()
    path = target.export(model, tmp_path / "a.tflite", quantization="float32")
    export_tflite(model, tmp_path / "b.tflite")
    with open(path, "rb") as a, open(tmp_path / "b.tflite", "rb") as b:
        assert a.read() == b.read()
    runner = target.load(path)
    assert isinstance(runner, LiteRTModel)
    x = windows.windows[:2]
    np.testing.assert_array_equal(
        target.predict(path, x), LiteRTModel(path).predict(x)
    )
    assert target.size_bytes(path) == os.path.getsize(path)
    assert target.memory_bytes(path) == inspect_tflite(path).arena_kb * 1024


def test_tflite_micro_runs_the_int8_micro_export(parts, tmp_path):
    pytest.importorskip("tflite_micro", reason="needs the 'micro' extra")
    from keras_ppg_kd.deploy import MicroModel

    model, windows = parts
    target = get_target("tflite_micro")
    assert target.available()
    path = target.export(model, tmp_path / "a.tflite", windows.windows)
    export_tflite(
        model,
        tmp_path / "b.tflite",
        "int8",
        windows.windows,
        batch_size=1,
        order_for_micro=True,
    )
    with open(path, "rb") as a, open(tmp_path / "b.tflite", "rb") as b:
        assert a.read() == b.read()
    arena = target.memory_bytes(path)
    assert arena >= inspect_tflite(path).arena_kb * 1024
    runner = target.load(path, arena_size=arena)
    assert isinstance(runner, MicroModel)
    x = windows.windows[:2]
    np.testing.assert_allclose(
        runner.predict(x), LiteRTModel(path).predict(x), atol=0.5
    )
