"""MicroTCN (``tcnm``): size, reach, the coarse classifier's read-out, and
an int8 file under 8 KB that TFLite Micro runs."""

import os

import keras
import numpy as np
import pytest

from keras_ppg_kd import models
from keras_ppg_kd.heart_rate import HRClasses
from keras_ppg_kd.models.tcn_micro import MicroTCN
from keras_ppg_kd.protocol import WindowConfig
from tests.conftest import tensorflow_only


def test_micro_tcn_sees_the_whole_window_with_few_parameters(tmp_path):
    model = models.get("tcnm:16")
    assert isinstance(model, MicroTCN) and model.name == "tcnm_16"
    # Stem 9*16+16+32, three blocks of 9*16+16*16+16+32, classifier
    # 16*45+45, read-out 8 (trainable; BN statistics add 128).
    assert models.trainable_parameters(model) == 192 + 3 * 448 + 765 + 8
    assert model.receptive_field == 9 + 2 * 8 * (1 + 3 + 9) == 217
    assert model.get_layer("block_3_add").output.shape == (None, 100, 16)
    assert model.feature_taps == ["stem", "block_1", "block_2", "block_3"] + [
        "head",
        "pool",
    ]
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.get_config() == model.get_config()
    x = np.random.default_rng(0).standard_normal((3, 200, 1)).astype("f4")
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-5
    )


def test_read_out_starts_as_linear_interpolation_of_the_coarse_classes():
    model = MicroTCN(8)
    read_out = keras.Model(model.get_layer("coarse").output, model.output)
    ramp = np.arange(45, dtype="float32").reshape(1, 45, 1)
    logits = np.asarray(read_out(ramp))[0]
    # Coarse class i covers classes 4i..4i+3, its centre at 4i + 1.5.
    inner = np.arange(2, 178)
    np.testing.assert_allclose(logits[inner], (inner - 1.5) / 4, atol=1e-5)


def test_micro_tcn_needs_a_class_count_it_can_read_out():
    odd = WindowConfig(classes=HRClasses(30.0, 211.0, 1.0))  # 181 classes
    with pytest.raises(ValueError, match="multiple of 4. Received: 181"):
        MicroTCN(8, protocol=odd)
    with pytest.raises(ValueError, match="Received: filters=0"):
        MicroTCN(0)


@tensorflow_only  # LiteRT converts a TensorFlow graph
def test_micro_tcn_int8_file_is_under_8_kb_and_runs_in_tflite_micro(tmp_path):
    pytest.importorskip("ai_edge_litert", reason="needs the 'litert' extra")
    pytest.importorskip("tflite_micro", reason="needs the 'micro' extra")
    from tensorflow.lite.tools import flatbuffer_utils

    from keras_ppg_kd.deploy import (
        LiteRTModel,
        MicroModel,
        export_tflite,
        inspect_tflite,
    )
    from keras_ppg_kd.deploy.planner import like_trained

    keras.utils.set_random_seed(0)
    model = like_trained(models.get("tcnm:16"))
    x = np.random.default_rng(2).standard_normal((64, 200, 1)).astype("f4")
    path = export_tflite(
        model, str(tmp_path / "m.tflite"), "int8", x, order_for_micro=True
    )
    report = inspect_tflite(path)
    assert report.int8_ready and "TRANSPOSE_CONV" in report.ops
    # Measured: 7,896 bytes, a 9.7 KB arena.
    assert os.path.getsize(path) < 8192 and report.micro_arena_kb <= 16
    flat = flatbuffer_utils.read_model(path)
    graph = flat.subgraphs[0]
    weights = [t for t in graph.tensors if t.buffer and t.type == 9]
    assert weights and all(len(t.quantization.scale) == 1 for t in weights)
    # Tensors without data share buffer 0; no buffer is left unused.
    used = {t.buffer for t in graph.tensors} | {m.buffer for m in flat.metadata}
    assert used | {0} == set(range(len(flat.buffers)))
    micro, litert = MicroModel(path), LiteRTModel(path)
    step = litert.output["quantization"][0]  # reference kernels: 1-3
    assert np.abs(micro.predict(x[:8]) - litert.predict(x[:8])).max() <= (
        3 * step + 1e-6
    )
    float_classes = model.predict(x[:16], verbose=0).argmax(1)
    assert (litert.predict(x[:16]).argmax(1) == float_classes).mean() >= 0.75
    wide = export_tflite(
        model, str(tmp_path / "pc.tflite"), "int8", x, per_channel=True
    )
    assert os.path.getsize(wide) > os.path.getsize(path) + 1500
