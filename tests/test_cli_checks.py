"""Bad command-line values and damaged files: one line, no traceback."""

import json
import zipfile

import pytest

from keras_ppg_kd.study import StudyConfig
from keras_ppg_kd.study.store import SweepStore
from tests.test_cli import cli


@pytest.mark.parametrize("epochs", ["-3", "0"])
def test_train_refuses_epochs_below_one(tmp_path, epochs):
    done = cli(
        "train",
        "--datasets=synthetic_ppg/small",
        f"--epochs={epochs}",
        f"--data_dir={tmp_path / 'tfds'}",
        f"--out={tmp_path / 'out'}",
    )
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert f"--epochs={epochs}: {epochs} is not a positive integer" in (
        done.stderr
    )
    assert not (tmp_path / "out").exists()


def test_export_of_a_model_naming_an_unknown_function_is_one_line(tmp_path):
    import keras

    inputs = keras.Input((200, 1))
    flat = keras.layers.Flatten()(inputs)
    model = keras.Model(inputs, keras.layers.Dense(180, "relu")(flat))
    model.save(tmp_path / "good.keras")
    with zipfile.ZipFile(tmp_path / "good.keras") as z:
        files = {name: z.read(name) for name in z.namelist()}
    files["config.json"] = files["config.json"].replace(
        b'"relu"', b'"my_own_activation"'
    )
    with zipfile.ZipFile(tmp_path / "bad.keras", "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    done = cli(
        "export", f"--model={tmp_path / 'bad.keras'}", f"--out={tmp_path}"
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    first = done.stderr.splitlines()[0]
    assert "bad.keras" in first and "my_own_activation" in first
    assert len(done.stderr.splitlines()) == 2  # the error and the hint


def test_plan_with_a_laws_file_that_is_a_list_is_one_line(tmp_path):
    path = tmp_path / "laws.json"
    path.write_text(json.dumps([1, 2]))
    done = cli("plan", f"--fits={path}", "--flash_kb=32")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "laws.json" in done.stderr and "Received: a list" in done.stderr


def test_a_damaged_study_json_is_named(tmp_path):
    config = StudyConfig()
    SweepStore(str(tmp_path), config)
    (tmp_path / "study.json").write_text('{"epochs": 3,')
    with pytest.raises(ValueError, match=r"study.json.*damaged"):
        SweepStore(str(tmp_path), config)


def test_distill_names_a_teacher_whose_windows_the_data_does_not_give(
    tmp_path,
):
    from keras_ppg_kd.models import ResNet1D
    from keras_ppg_kd.protocol import PRESETS

    ResNet1D(1, protocol=PRESETS["cancel_motion"]).save(tmp_path / "t.keras")
    done = cli(
        "distill",
        f"--teacher={tmp_path / 't.keras'}",
        "--model_id=tcn:5",
        "--datasets=synthetic_ppg/small",
        f"--data_dir={tmp_path / 'tfds'}",
        f"--out={tmp_path / 'out'}",
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "--teacher reads PPG cleaned with the accelerometer" in done.stderr
    assert (
        "(cancel_motion), but --datasets=synthetic_ppg/small gives PPG "
        "alone" in done.stderr
    )
    assert not (tmp_path / "out").exists()
