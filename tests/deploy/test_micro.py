"""The exported files in the real TensorFlow Lite for Microcontrollers."""

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
    LiteRTModel,
    MicroModel,
    export_tflite,
    inspect_tflite,
    micro_arena_bytes,
)

pytest.importorskip("tflite_micro", reason="needs the 'micro' extra")
from keras_ppg_kd.deploy._micro_probe import first_invoke  # noqa: E402

pytest.importorskip("ai_edge_litert", reason="needs the 'litert' extra")


@pytest.fixture(scope="module")
def int8_file(tmp_path_factory):
    """A briefly trained 1-block student as an int8 file, and windows."""
    config = SyntheticConfig(num_participants=3, minutes=3, seed=8)
    windows = WindowSet.concatenate(
        windows_from_recording(generate_recording(i, config))
        for i in range(config.num_participants)
    )
    keras.utils.set_random_seed(0)
    model = ResNet1D(1)
    model.compile(
        keras.optimizers.Adam(2e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(windows.windows, windows.label, epochs=2, verbose=0)
    folder = tmp_path_factory.mktemp("micro")
    path = str(folder / "int8.tflite")
    export_tflite(model, path, "int8", windows.windows)
    # A float file: the host binding crashes on some of its too-small
    # arenas (e.g. 2 KB), which the search must survive.
    export_tflite(model, str(folder / "f32.tflite"))
    return path, windows


def test_the_measured_arena_is_the_smallest_that_runs(int8_file):
    path, _ = int8_file
    arena = micro_arena_bytes(path)
    with open(path, "rb") as f:
        assert first_invoke(f.read(), arena)[0] is not None
    # Starting 16 bytes lower fails, doubles and bisects back to it.
    assert micro_arena_bytes(path, start=arena - 16) == arena
    report = inspect_tflite(path)
    assert report.micro_arena_kb == arena / 1024
    # The lifetime estimate leaves out TFLM's own structures and scratch.
    assert report.micro_arena_kb > report.arena_kb
    assert "TFLite Micro arena" in report.summary()
    f32 = inspect_tflite(path.replace("int8", "f32"))
    assert f32.micro_arena_kb > 2 * report.micro_arena_kb, f32.micro_note


def test_micro_matches_litert_on_the_int8_file(int8_file):
    path, windows = int8_file
    sample = windows.windows[:40]
    micro = MicroModel(path).predict(sample)
    litert = LiteRTModel(path).predict(sample)
    step = LiteRTModel(path).output["quantization"][0]
    # Same integer kernels up to rounding: at most one output step apart.
    assert np.abs(micro - litert).max() <= step + 1e-6
    assert np.mean(micro.argmax(1) == litert.argmax(1)) >= 0.95


def test_micro_refuses_what_it_cannot_run(int8_file, tmp_path):
    path, windows = int8_file
    with pytest.raises(ValueError, match=r"shape \(200, 1\); received"):
        MicroModel(path).predict(windows.windows[:2, :100])
    with pytest.raises(ValueError, match="2048-byte arena; it needs"):
        MicroModel(path, arena_size=2048)
    with pytest.raises(ValueError, match="at least 1024 bytes.*Received: 64"):
        MicroModel(path, arena_size=64)
    with pytest.raises(FileNotFoundError):
        MicroModel(str(tmp_path / "missing.tflite"))


def test_ordering_for_the_micro_planner_saves_a_tensor_not_a_result(tmp_path):
    """Renumbered activations: the same file size and outputs, and TFLM
    packs a residual TCN in one 200 x filters tensor less."""
    from keras_ppg_kd.deploy.planner import like_trained
    from keras_ppg_kd.models import TCN

    model = like_trained(TCN(5, filters=8))
    x = np.random.default_rng(3).standard_normal((64, 200, 1)).astype("f4")
    paths = {}
    for quantization in ("int8", "float32"):
        for ordered in (False, True):
            path = str(tmp_path / f"{quantization}_{ordered}.tflite")
            paths[quantization, ordered] = export_tflite(
                model, path, quantization, x, order_for_micro=ordered
            )
            if quantization == "int8":
                assert inspect_tflite(path).int8_ready
    plain, ordered = paths["int8", False], paths["int8", True]
    with open(plain, "rb") as f, open(ordered, "rb") as g:
        assert len(f.read()) == len(g.read())
    # Three 200 x 8 int8 activations are alive at once; as converted,
    # TFLM's planner gives them four slots.
    saved = micro_arena_bytes(plain) - micro_arena_bytes(ordered)
    assert saved == 200 * 8
    for quantization in ("int8", "float32"):
        np.testing.assert_array_equal(
            LiteRTModel(paths[quantization, True]).predict(x[:8]),
            LiteRTModel(paths[quantization, False]).predict(x[:8]),
        )
    np.testing.assert_array_equal(
        MicroModel(ordered).predict(x[:8]), MicroModel(plain).predict(x[:8])
    )


FAKE_PROBE = """
import json, os, signal, sys
NEED, CRASH = 4096, 2048  # runs from NEED bytes; crashes below CRASH


def answer(arena):
    if arena < CRASH:
        os.kill(os.getpid(), signal.SIGSEGV)
    return arena >= NEED


if len(sys.argv) > 2:
    sys.exit(0 if answer(int(sys.argv[2])) else "too small")
print("a line that is not an answer")
for line in sys.stdin:
    ran = answer(int(line))
    print("PROBE " + json.dumps([ran, "" if ran else "too small"]), flush=True)
"""


def test_the_search_survives_a_crashing_probe(tmp_path, monkeypatch):
    """Tries below 2 KB crash the (stand-in) probe process: the search
    starts another and still finds the smallest arena that runs."""
    from keras_ppg_kd.deploy import micro

    probe = tmp_path / "probe.py"
    probe.write_text(FAKE_PROBE)
    monkeypatch.setattr(micro, "_PROBE", str(probe))
    assert micro_arena_bytes(tmp_path / "model.tflite", start=1024) == 4096
    ran, log = micro._runs(tmp_path / "model.tflite", 1024)
    assert not ran and "crashed, signal" in log
