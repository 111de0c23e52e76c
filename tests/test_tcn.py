"""TCN student: size, reach, config round trip, registry, int8 export;
the width-scaled family ``tcnw``."""

import numpy as np
import pytest

from keras_ppg_kd import models
from keras_ppg_kd.models import TCN, ResNet1D
from tests.conftest import tensorflow_only


def trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


def test_tcn_is_smaller_than_resnet1_and_sees_several_beats():
    tcn = TCN(5)
    assert trainable(tcn) == 13_076 < trainable(ResNet1D(1))
    assert tcn.receptive_field == 129  # 5.2 s at 25 Hz
    assert tcn.feature_taps == [
        "stem",
        *(f"block_{i}" for i in range(1, 6)),
        "head",
        "pool",
    ]
    x = np.zeros((2, 200, 1), "float32")
    assert tcn.predict(x, verbose=0).shape == (2, 180)
    with pytest.raises(ValueError, match="Received: num_blocks=0"):
        TCN(0)


def test_tcn_round_trips_through_keras_files(tmp_path):
    tcn = TCN(3, filters=16)
    x = np.random.default_rng(0).standard_normal((4, 200, 1)).astype("f4")
    tcn.save(tmp_path / "tcn.keras")
    loaded = models.get("tcn:1")  # registry builds a fresh one
    assert loaded.num_blocks == 1
    import keras

    again = keras.saving.load_model(tmp_path / "tcn.keras")
    assert again.get_config() == tcn.get_config()
    np.testing.assert_allclose(
        again.predict(x, verbose=0), tcn.predict(x, verbose=0), atol=1e-5
    )


def test_registry_resolves_identifiers_and_rejects_bad_ones():
    assert isinstance(models.get("resnet:2"), ResNet1D)
    mlp = models.get("mlp:1")
    assert abs(trainable(mlp) - trainable(ResNet1D(1))) < 600
    for bad in ("resnet", "lstm:2", "tcn:x"):
        with pytest.raises(ValueError, match="Unknown model"):
            models.get(bad)
    with pytest.raises(ValueError, match="resnet takes a positive integer"):
        models.get("resnet:six")


@tensorflow_only  # LiteRT converts a TensorFlow graph
def test_tcn_exports_to_an_int8_only_file(tmp_path):
    pytest.importorskip("ai_edge_litert", reason="needs the 'litert' extra")
    from keras_ppg_kd.deploy import LiteRTModel, export_tflite, inspect_tflite

    tcn = TCN(5)
    x = np.random.default_rng(1).standard_normal((64, 200, 1)).astype("f4")
    path = export_tflite(
        tcn, str(tmp_path / "tcn.tflite"), "int8", representative_data=x
    )
    report = inspect_tflite(path)
    assert report.int8_ready and "DEPTHWISE_CONV_2D" in report.ops
    assert report.size_kb < 32
    error = np.abs(LiteRTModel(path).predict(x[:8]) - tcn.predict(x[:8]))
    assert error.max() < 0.05


def test_width_scaled_tcn_keeps_the_reach_and_shrinks_the_weights(tmp_path):
    small = models.get("tcnw:8")
    assert isinstance(small, TCN) and small.name == "tcn_5w8"
    assert (small.num_blocks, small.filters) == (5, 8)
    assert small.receptive_field == TCN(5).receptive_field == 129
    # Stem 5*8+8+16, five blocks of 5*8+8+16+8*8+8+16, head 8*180+180.
    assert trainable(small) == 64 + 5 * 152 + 1620 == 2_444
    assert models.cost("tcnw:32") == models.cost("tcn:5")
    small.save(tmp_path / "w8.keras")
    import keras

    loaded = keras.saving.load_model(tmp_path / "w8.keras")
    assert loaded.get_config() == small.get_config()
    with pytest.raises(ValueError, match="Received: size=0"):
        models.REGISTRY["tcnw"](0)
    with pytest.raises(ValueError, match="tcnw:0"):
        models.get("tcnw:0")


@tensorflow_only
def test_width_scaled_tcn_runs_in_tflite_micro(tmp_path):
    pytest.importorskip("ai_edge_litert", reason="needs the 'litert' extra")
    pytest.importorskip("tflite_micro", reason="needs the 'micro' extra")
    from keras_ppg_kd.deploy import (
        LiteRTModel,
        MicroModel,
        export_tflite,
        inspect_tflite,
    )
    from keras_ppg_kd.deploy.planner import like_trained

    small = like_trained(models.get("tcnw:8"))
    x = np.random.default_rng(2).standard_normal((64, 200, 1)).astype("f4")
    path = export_tflite(small, str(tmp_path / "w8.tflite"), "int8", x)
    report = inspect_tflite(path)
    assert report.int8_ready
    assert set(report.ops) == {
        "RESHAPE",
        "CONV_2D",
        "DEPTHWISE_CONV_2D",
        "ADD",
        "MEAN",
        "FULLY_CONNECTED",
    }
    # Measured: 15.5 KB of flash (3.5 KB of it weights), 13.2 KB of arena.
    assert report.size_kb < 16 and report.micro_arena_kb <= 16
    micro, litert = MicroModel(path), LiteRTModel(path)
    step = litert.output["quantization"][0]
    assert np.abs(micro.predict(x[:8]) - litert.predict(x[:8])).max() <= (
        step + 1e-6
    )


def test_strided_tcn_halves_every_block_and_keeps_the_weights(tmp_path):
    """``tcns:5``: the default's parameters on 100 steps, dilations capped
    at 8 so that the reach (189 samples) stays inside the 200-sample
    window; its arena in TFLite Micro is measured in the benchmarks."""
    strided = models.get("tcns:5")
    assert isinstance(strided, TCN) and strided.name == "tcns_5"
    assert strided.dilations == (1, 2, 4, 8, 8) and strided.stem_stride == 2
    assert strided.receptive_field == 5 + 4 * 23 * 2 == 189
    assert trainable(strided) == trainable(TCN(5))
    assert strided.get_layer("block_5_add").output.shape == (None, 100, 32)
    x = np.zeros((2, 200, 1), "float32")
    assert strided.predict(x, verbose=0).shape == (2, 180)
    strided.save(tmp_path / "s.keras")
    import keras

    loaded = keras.saving.load_model(tmp_path / "s.keras")
    assert loaded.get_config() == strided.get_config()
    with pytest.raises(ValueError, match=r"per block \(2\); received \[1\]"):
        TCN(2, dilations=[1])
    with pytest.raises(ValueError, match="Received: dilations=0"):
        TCN(2, dilations=[1, 0])
