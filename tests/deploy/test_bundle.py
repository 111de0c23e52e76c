"""The watch bundle: the files, their bytes, the manifest."""

import json

import keras
import numpy as np
import pytest

from keras_ppg_kd import ResNet1D
from keras_ppg_kd.data import (
    SyntheticConfig,
    WindowSet,
    export_cancel_motion_c,
    generate_recording,
    windows_from_recording,
)
from keras_ppg_kd.deploy import (
    Bundle,
    LiteRTModel,
    bundle,
    export_tflite,
    read_protocol,
)
from keras_ppg_kd.protocol import WindowConfig
from keras_ppg_kd.tracking import HRTracker

pytest.importorskip("ai_edge_litert", reason="needs the 'litert' extra")


@pytest.fixture(scope="module")
def parts():
    """An untrained 1-block student, motion-cancelled windows, a tracker."""
    protocol = WindowConfig(cancel_motion=True)
    config = SyntheticConfig(num_participants=2, minutes=2, seed=3)
    windows = WindowSet.concatenate(
        windows_from_recording(generate_recording(i, config), protocol)
        for i in range(config.num_participants)
    )
    keras.utils.set_random_seed(0)
    return ResNet1D(1), windows, HRTracker(transition_scale=2.5)


@pytest.fixture(scope="module")
def written(parts, tmp_path_factory):
    model, windows, tracker = parts
    folder = tmp_path_factory.mktemp("bundle") / "out"
    return bundle(
        model, tracker, windows, folder, lag=1, extra={"note": "tiny"}
    )


def test_the_files_are_those_the_steps_write_by_hand(parts, written, tmp_path):
    model, windows, tracker = parts
    tflite = export_tflite(
        model,
        tmp_path / "student_int8.tflite",
        "int8",
        representative_data=windows.windows,
        protocol=windows.config,
        order_for_micro=True,  # a watch's file: TFLM's smaller arena
    )
    tracker = tracker.replace(lag=1)
    tracker.save(tmp_path / "tracker.json")
    scale = float(LiteRTModel(tflite).output["quantization"][0])
    tracker.export_c(tmp_path / "tracker_c", logit_scale=scale)
    export_cancel_motion_c(tmp_path / "tracker_c")
    names = [
        "student_int8.tflite",
        "tracker.json",
        *(f"tracker_c/{p.name}" for p in (tmp_path / "tracker_c").iterdir()),
    ]
    assert len(names) == 7  # 3 tracker C files, 2 motion-cancellation
    for name in names:
        expected = (tmp_path / name).read_bytes()
        assert (written.folder / name).read_bytes() == expected, name
    assert written.logit_scale == scale
    assert written.tracker.get_config() == tracker.get_config()


def test_the_manifest_names_every_file(written):
    assert isinstance(written, Bundle)
    manifest = json.loads(written.manifest_path.read_text())
    assert list(manifest) == [
        "student",
        "tflite",
        "tracker",
        "tracker_c",
        "note",
    ]
    top = {p.name for p in written.folder.iterdir()}
    named = {v for k, v in manifest.items() if k != "note"}
    assert top == named | {"manifest.json"}
    assert set(written.files) == {
        str(p.relative_to(written.folder))
        for p in written.folder.rglob("*")
        if p.is_file()
    }


def test_the_tflite_runs_in_the_litert_interpreter(parts, written):
    _, windows, _ = parts
    int8 = LiteRTModel(written.tflite_path)
    assert int8.input_dtype == np.int8
    logits = int8.predict(windows.windows[:3])
    assert logits.shape == (3, windows.config.classes.num_classes)
    assert np.isfinite(logits).all()
    assert read_protocol(written.tflite_path) == windows.config
    assert written.protocol == windows.config


def test_add_to_manifest_appends_after_the_files(written):
    written.add_to_manifest({"validation_mae": {"int8": 1.5}})
    manifest = json.loads(written.manifest_path.read_text())
    assert list(manifest)[-1] == "validation_mae"
    assert manifest["validation_mae"] == {"int8": 1.5}
    assert manifest["tflite"] == "student_int8.tflite"


def test_a_tracker_fitted_on_the_int8_file_and_no_extras(parts, tmp_path):
    model, windows, tracker = parts
    seen = []

    def fit(int8):
        seen.append(int8)
        return tracker

    written = bundle(
        model,
        fit,
        windows.windows,
        tmp_path,
        protocol=windows.config,
        name="tiny",
        tracker_file="tiny_tracker.json",
        keras_files=False,
        c_sources=False,
        manifest=False,
    )
    assert isinstance(seen[0], LiteRTModel)
    assert written.files == ("tiny_int8.tflite", "tiny_tracker.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == list(written.files)
    assert HRTracker.load(written.tracker_path).get_config() == (
        tracker.get_config()
    )
    assert written.manifest_path is None and written.c_folder is None
    with pytest.raises(ValueError, match="no manifest.json"):
        written.add_to_manifest({"x": 1})
