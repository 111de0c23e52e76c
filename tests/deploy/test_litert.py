"""LiteRT export: parity through the LiteRT interpreter, reports, errors."""

import dataclasses
import os
import pathlib

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_ppg_kd import Distiller, ResNet1D
from keras_ppg_kd.data import (
    SyntheticConfig,
    WindowSet,
    generate_recording,
    train_test_split,
    windows_from_recording,
)
from keras_ppg_kd.deploy import LiteRTModel, export_tflite, inspect_tflite
from keras_ppg_kd.heart_rate import logits_to_bpm
from keras_ppg_kd.losses import FeatureDistillation, HeartRateCrossEntropy
from keras_ppg_kd.protocol import WindowConfig

pytest.importorskip("ai_edge_litert", reason="needs the 'litert' extra")


@pytest.fixture(scope="module")
def trained():
    """A 1-block student trained a little on synthetic data, and splits."""
    config = SyntheticConfig(num_participants=6, minutes=4, seed=5)
    windows = WindowSet.concatenate(
        windows_from_recording(generate_recording(i, config))
        for i in range(config.num_participants)
    )
    train_mask, test_mask = train_test_split(windows, 0.34, seed=0)
    train, test = windows.subset(train_mask), windows.subset(test_mask)
    keras.utils.set_random_seed(0)
    model = ResNet1D(1)
    model.compile(
        keras.optimizers.Adam(2e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(train.windows, train.label, epochs=4, batch_size=64, verbose=0)
    return model, train, test


def mae(logits, windows):
    return float(np.mean(np.abs(logits_to_bpm(logits) - windows.hr_bpm)))


def test_float32_matches_keras(trained, tmp_path):
    model, _, test = trained
    path = export_tflite(model, tmp_path / "f32.tflite")
    runner = LiteRTModel(path)
    expected = model.predict(test.windows, verbose=0)
    np.testing.assert_allclose(
        runner.predict(test.windows), expected, atol=1e-4
    )
    report = inspect_tflite(path)
    assert report.builtin_only and not report.int8_ready
    assert "CONV_2D" in report.ops and "FULLY_CONNECTED" in report.ops
    assert runner.latency_us(runs=20, warmup=2) > 0


def test_int8_keeps_the_heart_rate(trained, tmp_path):
    model, train, test = trained
    path = export_tflite(model, tmp_path / "int8.tflite", "int8", train.windows)
    runner = LiteRTModel(path)
    assert runner.input_dtype == np.int8
    float_mae = mae(model.predict(test.windows, verbose=0), test)
    int8_mae = mae(runner.predict(test.windows), test)
    assert abs(int8_mae - float_mae) <= 0.5, (float_mae, int8_mae)
    report = inspect_tflite(path)
    assert report.int8_ready and report.input_dtype == "int8"
    f32 = inspect_tflite(export_tflite(model, tmp_path / "f32.tflite"))
    assert report.size_kb < f32.size_kb / 2.5  # names stripped too
    assert report.arena_kb < f32.arena_kb / 2.5
    with pytest.raises(TypeError, match="takes int8 input.*predict"):
        runner.invoke(test.windows[:1])


@pytest.mark.parametrize("quantization", ["float16", "dynamic"])
def test_weight_quantized_files_stay_close(trained, tmp_path, quantization):
    model, _, test = trained
    path = export_tflite(model, tmp_path / "q.tflite", quantization)
    logits = LiteRTModel(path).predict(test.windows[:32])
    expected = model.predict(test.windows[:32], verbose=0)
    assert np.abs(logits - expected).max() < 0.2
    assert (
        inspect_tflite(path).size_kb
        < inspect_tflite(export_tflite(model, tmp_path / "f32.tflite")).size_kb
    )


def test_a_distiller_exports_only_its_student(trained, tmp_path):
    model, _, _ = trained
    distiller = Distiller(
        ResNet1D(2), model, loss=FeatureDistillation("head", "head")
    )
    from_distiller = inspect_tflite(
        export_tflite(distiller, tmp_path / "d.tflite")
    )
    alone = inspect_tflite(export_tflite(model, tmp_path / "s.tflite"))
    assert from_distiller.ops == alone.ops
    assert abs(from_distiller.size_kb - alone.size_kb) < 1.0


def test_bad_requests_name_the_fix(trained, tmp_path):
    model, _, _ = trained
    with pytest.raises(ValueError, match="needs representative_data"):
        export_tflite(model, tmp_path / "a.tflite", "int8")
    with pytest.raises(ValueError, match="not writable"):
        export_tflite(model, tmp_path / "missing" / "a.tflite")
    with pytest.raises(ValueError, match="must end with '.tflite'"):
        export_tflite(model, tmp_path / "a.bin")
    with pytest.raises(ValueError, match="quantization must be one of"):
        export_tflite(model, tmp_path / "a.tflite", "int4")
    with pytest.raises(FileNotFoundError):
        LiteRTModel(str(tmp_path / "none.tflite"))
    inputs = keras.Input((200, 1))
    odd = keras.layers.Lambda(tf.math.special.bessel_i0e)(inputs)
    unsupported = keras.Model(inputs, keras.layers.Dense(180)(odd))
    with pytest.raises(ValueError, match="no LiteRT builtin kernel"):
        export_tflite(unsupported, tmp_path / "u.tflite")
    assert not os.path.exists(tmp_path / "u.tflite")


@pytest.mark.parametrize(
    "make, match",
    [
        (
            lambda x: np.where(
                np.arange(x.size).reshape(x.shape) == 5, np.nan, x
            ),
            "NaN/Inf",
        ),
        (
            lambda x: np.where(
                np.arange(x.size).reshape(x.shape) == 5, np.inf, x
            ),
            "NaN/Inf",
        ),
        (lambda x: np.zeros_like(x), "does not look like"),
        (lambda x: 300.0 + 50.0 * x, "does not look like"),
        (lambda x: x[:1], "at least 32"),
        (lambda x: x[:, :100], r"must be \(n, 200, 1\).*\(64, 100, 1\)"),
        (lambda x: np.repeat(x, 4, 2), r"must be \(n, 200, 1\).*200, 4\)"),
    ],
)
def test_bad_int8_calibration_data_is_refused(tmp_path, make, match):
    from keras_ppg_kd import ResNet1D
    from keras_ppg_kd.deploy import export_tflite

    x = np.random.default_rng(0).standard_normal((64, 200, 1)).astype("f4")
    with pytest.raises(ValueError, match=match):
        export_tflite(
            ResNet1D(1),
            str(tmp_path / "m.tflite"),
            "int8",
            representative_data=make(x),
        )
    assert not (tmp_path / "m.tflite").exists()


def test_wrong_batch_or_window_length_gives_a_clear_error(trained, tmp_path):
    model, _, test = trained
    runner = LiteRTModel(export_tflite(model, tmp_path / "f32.tflite"))
    with pytest.raises(ValueError, match="fixed batch of 1"):
        runner.predict(test.windows[:8], batch_size=4)
    with pytest.raises(ValueError, match=r"shape \(200, 1\)"):
        runner.predict(np.zeros((2, 256, 1), "float32"))


def test_an_accelerometer_model_exports_to_int8(tmp_path):
    config = SyntheticConfig(num_participants=1, minutes=3, seed=5)
    windows = windows_from_recording(
        generate_recording(0, config), WindowConfig(accelerometer=True)
    )
    keras.utils.set_random_seed(0)
    model = ResNet1D(1, protocol=windows.config)
    model.compile("adam", HeartRateCrossEntropy(2.0))
    model.fit(windows.windows, windows.label, epochs=2, verbose=0)
    path = export_tflite(
        model, tmp_path / "acc.tflite", "int8", windows.windows
    )
    runner = LiteRTModel(path)
    assert runner.input_shape == (200, 4)
    expected = model.predict(windows.windows, verbose=0)
    logits = runner.predict(windows.windows)
    assert np.corrcoef(expected.ravel(), logits.ravel())[0, 1] > 0.99
    with pytest.raises(ValueError, match=r"shape \(200, 4\)"):
        runner.predict(windows.windows[..., :1])


def test_the_protocol_travels_in_the_file(trained, tmp_path):
    model, train, test = trained
    path = export_tflite(
        model,
        tmp_path / "p.tflite",
        "int8",
        train.windows,
        protocol=train.config,
    )
    report = inspect_tflite(path)
    protocol = report.protocol
    assert protocol == train.config
    assert (protocol.target_rate, protocol.window_length) == (25.0, 200)
    assert protocol.stride_seconds == 2.0
    assert (protocol.classes.min_bpm, protocol.classes.max_bpm) == (30, 210)
    assert "8 s windows every 2 s at 25 Hz" in report.summary()
    runner = LiteRTModel(path)
    assert runner.protocol == train.config
    np.testing.assert_array_equal(
        runner.predict(test), runner.predict(test.windows)
    )
    # Windows made at another stride: same shape, other protocol.
    other = dataclasses.replace(test, config=WindowConfig(stride_seconds=1.0))
    with pytest.raises(
        ValueError, match="stride_seconds=2.0.*stride_seconds=1.0"
    ):
        runner.predict(other)
    with pytest.raises(
        ValueError, match="sampling rate.*protocol 64.0, model 25.0"
    ):
        export_tflite(
            model,
            tmp_path / "q.tflite",
            protocol=WindowConfig(target_rate=64.0),
        )
    # A file from elsewhere (no metadata) reads as no protocol.
    from tensorflow.lite.tools import flatbuffer_utils

    flat = flatbuffer_utils.read_model(path)
    flat.metadata = None
    flatbuffer_utils.write_model(flat, tmp_path / "bare.tflite")
    assert inspect_tflite(str(tmp_path / "bare.tflite")).protocol is None


def test_a_damaged_file_is_named_not_a_struct_error(trained, tmp_path):
    from keras_ppg_kd.deploy import read_protocol

    model, _, _ = trained
    path = export_tflite(model, tmp_path / "m.tflite")
    content = pathlib.Path(path).read_bytes()
    for name, damaged in [
        ("cut.tflite", content[:4096]),
        ("noise.tflite", bytes(range(256)) * 8),
        ("empty.tflite", b""),
    ]:
        (tmp_path / name).write_bytes(damaged)
        with pytest.raises(ValueError, match=f"{name}: not a readable LiteRT"):
            read_protocol(tmp_path / name)
