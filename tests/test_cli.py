"""The keras-ppg-kd command line: help, fit/report and early errors."""

import json
import pathlib
import shutil
import subprocess
import sys

import pytest

from tests import zygote
from tests.study.test_report import results_table


def cli(*args, cwd=None, fresh=False):
    """``python -m keras_ppg_kd.cli *args``, forked from a process that
    has imported TensorFlow (:mod:`tests.zygote`); ``fresh``: in a new
    interpreter, for what a command prints while TensorFlow imports."""
    command = [sys.executable, "-m", "keras_ppg_kd.cli", *args]
    if fresh:
        return subprocess.run(
            command, capture_output=True, text=True, cwd=cwd, timeout=300
        )
    return zygote.run(command, cwd=cwd)


def test_installed_script_help_version_and_stray_flags():
    script = pathlib.Path(sys.executable).parent / "keras-ppg-kd"
    assert script.exists(), f"console script not installed at {script}"

    def run(*args):
        return subprocess.run(
            [str(script), *args], capture_output=True, text=True, timeout=300
        )

    done = run("--help")
    assert done.returncode == 0 and "sweep    Run (or resume)" in done.stdout
    done = run("sweep", "--help")
    assert done.returncode == 0 and "--shard" in done.stdout
    assert "--quantization" not in done.stdout  # only sweep's own flags
    export_help = run("export", "--help").stdout
    assert "--quantization" in export_help
    out = "--out: Output directory (train, distill, export, sweep, report)."
    assert out + " (required)" in export_help
    assert "(default: None)" not in export_help
    assert "``" not in run("--help").stdout  # no raw reST
    done = run("--version")
    assert done.returncode == 0 and done.stdout.startswith("keras-ppg-kd ")
    # A flag of another command is refused before any work, error first.
    done = run("train", "--strategy=foo")
    assert done.returncode == 2
    first = done.stderr.strip().splitlines()[-2]
    assert first.startswith("keras-ppg-kd train: error: --strategy does not")


def test_help_and_version_import_neither_keras_nor_tensorflow():
    """What makes ``keras-ppg-kd --help`` answer at once (TensorFlow's
    import alone takes seconds; time in benchmarks, not here); any other
    import of the package registers the model classes."""
    code = (
        "import sys; sys.argv = ['/bin/keras-ppg-kd', *sys.argv[1:]]\n"
        "from keras_ppg_kd.cli import run; run()\n"
        "print(sorted({'keras', 'tensorflow'} & set(sys.modules)))"
    )
    for args in (["--help"], ["train", "--help"], ["--version"]):
        done = subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True
        )
        assert done.returncode == 0 and done.stdout.endswith("[]\n"), done
    # A bad flag or a missing one is said before Keras is imported, by
    # the script and by `python -m keras_ppg_kd.cli` alike.
    for args in (["train", "--strategy=foo"], ["export", "--out=x"]):
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "keras_ppg_kd.cli"]
            + args,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 2 and "error:" in done.stderr, done
        imported = {
            line.rsplit("|", 1)[-1].strip()
            for line in done.stderr.splitlines()
            if line.startswith("import time:")
        }
        assert "keras_ppg_kd.cli" in imported
        assert not {"keras", "tensorflow"} & imported
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, keras_ppg_kd, keras; "
            "print(keras.saving.get_registered_object('keras_ppg_kd>ResNet1D'))",
        ],
        capture_output=True,
        text=True,
    )
    assert "ResNet1D" in done.stdout, done.stderr


def test_cli_fit_report_and_errors(tmp_path):
    path = tmp_path / "results.csv"
    results_table().to_csv(path, index=False)
    done = cli(
        "fit", f"--results={path}", "--target_mae=9", "--predict_params=50000"
    )
    assert done.returncode == 0, done.stderr
    assert "smallest student for 9.0 BPM" in done.stdout
    assert "predicted MAE at 50,000 parameters" in done.stdout
    done = cli("report", f"--results={path}")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "report" / "fig2_scaling.png").exists()

    done = cli("fit", f"--results={tmp_path / 'missing.csv'}")
    assert done.returncode != 0 and "Cannot read a results table" in done.stderr
    # An invalid study config fails before any data or training.
    config = tmp_path / "study.json"
    config.write_text('{"strategies": ["dkd", "magic"]}')
    done = cli("sweep", f"--config={config}", f"--out={tmp_path / 'x'}")
    assert done.returncode != 0 and "Unknown distillation loss" in done.stderr
    assert not (tmp_path / "x").exists()
    done = cli("--helpfull")
    assert "--dry_run" in done.stdout and "--shard" in done.stdout


@pytest.mark.parametrize("config", ["", "/ppg_acc"])
def test_own_folder_trains_distils_and_exports_through_the_cli(
    tmp_path, config
):
    """PPG only, and PPG + accelerometer (4-channel windows) end to end:
    the models take the data's protocol, and the file carries it."""
    from keras_ppg_kd.datasets.ppg_folder.make_dummy_data import table

    folder = tmp_path / "recordings"  # 4 people x 2 min of CSV
    for person in range(4):
        (folder / f"P{person}").mkdir(parents=True)
        table(person, 120, "hr_bpm").to_csv(
            folder / f"P{person}" / "walk.csv", index=False
        )
    data = [
        f"--datasets=ppg_folder{config}",
        f"--manual_dir=ppg_folder={folder}",
        f"--data_dir={tmp_path / 'tfds'}",
        "--test_fraction=0.5",
    ]
    out = tmp_path / "out"
    done = cli(
        "train",
        *data,
        "--model_id=tcn:1",
        "--epochs=2",
        f"--out={out}",
        f"--tensorboard={tmp_path / 'tb'}",
        fresh=True,  # what TensorFlow's import prints is checked below
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "tcn_1: MAE" in done.stdout
    record = json.loads((out / "tcn_1.json").read_text())
    assert isinstance(record["participant_mae"], dict)  # not a JSON string
    assert "tcn1  epoch 2/2" in done.stdout and "ETA 0 s" in done.stdout
    assert list((tmp_path / "tb" / "tcn1" / "train").glob("events.out.*"))
    assert "oneDNN" not in done.stderr and "I0000" not in done.stderr
    done = cli(
        "distill",
        *data,
        "--model_id=resnet:1",
        "--epochs=1",
        f"--teacher={out / 'tcn_1.keras'}",
        "--strategy=soft",
        f"--out={out}",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    # No data flags: the student's record names its data and split (it
    # was calibrated on synthetic windows it never saw before). The file
    # is named after the .keras file, not the model inside it.
    for ext in (".keras", ".json"):
        shutil.copy(out / f"resnet1d_1{ext}", out / f"mine{ext}")
    done = cli("export", f"--model={out / 'mine.keras'}", f"--out={out}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "data and split from" in done.stdout
    assert f"--datasets=ppg_folder{config} " in done.stdout
    assert "int8-only" in done.stdout and "TFLite Micro arena" in done.stdout
    assert not (out / "resnet1d_1_int8.tflite").exists()
    from keras_ppg_kd.deploy import read_protocol

    protocol = read_protocol(out / "mine_int8.tflite")
    assert protocol.channels == (4 if config else 1)
    if not config:  # no --epochs: early stopping on held-out participants
        done = cli(
            "train",
            *data,
            "--model_id=tcn:1",
            "--patience=1",
            f"--out={tmp_path / 'early'}",
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert "early stopping on 1 held-out training participant" in (
            done.stdout
        )
        record = json.loads((tmp_path / "early" / "tcn_1.json").read_text())
        assert 2 <= record["epochs"] < 300
    (out / "resnet1d_1.json").unlink()  # no record: the data must be named
    done = cli("export", f"--model={out / 'resnet1d_1.keras'}", f"--out={out}")
    assert done.returncode == 2
    assert "--datasets is required" in done.stderr
    done = cli("train", "--manual_dir=ppg_folder=", f"--out={tmp_path}")
    assert done.returncode != 0 and "name=path,name=path" in done.stderr


def test_plan_validates_its_fits_before_measuring_anything(tmp_path):
    bad = tmp_path / "fits.json"
    bad.write_text("{not json")
    done = cli("plan", f"--fits={bad}", "--flash_kb=32")
    assert done.returncode != 0 and "fits.json" in done.stderr


def test_plan_works_out_of_the_box_with_the_shipped_laws():
    done = cli(
        "plan", "--sizes=8,16", "--flash_kb=32", "--ram_kb=64", "--latency_ms=5"
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "recommended: resnetw:" in done.stdout and "95 %" in done.stdout
    assert "predicted MAE" in done.stdout  # a law, not a measured fallback
    assert "synthetic_crowd_width.json" in done.stdout
    done = cli("plan", "--sizes=resnet:1", "--flash_kb=32")
    assert done.returncode != 0 and "another family" in done.stderr


def test_sweep_config_overrides_and_verbosity(tmp_path):
    done = cli("sweep", "--config.students=foo:1", f"--out={tmp_path}")
    assert done.returncode == 2 and "Unknown model 'foo:1'" in done.stderr
    done = cli("train", "--config.epochs=3")
    assert done.returncode == 2 and "apply to `sweep` only" in done.stderr
    done = cli("sweep", "--config.epochs", f"--out={tmp_path}")
    assert done.returncode == 2 and "--config.<field>=value" in done.stderr
    helped = cli("sweep", "--help").stdout
    assert "--config.<field>=value" in helped
    from keras_ppg_kd.study import PRESETS

    assert all(name in " ".join(helped.split()) for name in PRESETS)
    done = cli("models", "--blocks=1", "--verbosity=0", fresh=True)
    assert done.returncode == 0 and "oneDNN" in done.stderr
    assert "oneDNN" not in cli("models", "--blocks=1", fresh=True).stderr


def test_runs_record_their_split_and_distill_refuses_a_leaky_one(tmp_path):
    common = ["--datasets=synthetic_ppg/small", "--epochs=1"]
    done = cli("train", *common, "--model_id=resnet:2", f"--out={tmp_path}")
    assert done.returncode == 0, done.stderr[-2000:]
    record = json.loads((tmp_path / "resnet1d_2.json").read_text())
    assert record["command"] == "train" and record["flags"]["seed"] == 0
    assert set(record["versions"]) == {"keras_ppg_kd", "tensorflow", "keras"}
    assert not set(record["train_participants"]) & set(
        record["test_participants"]
    )
    teacher = str(tmp_path / "resnet1d_2.keras")
    # Another seed splits the participants differently: the teacher has
    # trained on some of the student's test participants.
    done = cli(
        "distill",
        *common,
        f"--teacher={teacher}",
        "--seed=1",
        f"--out={tmp_path / 'leaky'}",
    )
    assert done.returncode == 2
    assert "the teacher trained on" in done.stderr
    assert not (tmp_path / "leaky").exists()
    done = cli(
        "distill", *common, f"--teacher={teacher}", f"--out={tmp_path / 's'}"
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_missing_data_folder_is_one_line_not_a_traceback(tmp_path):
    done = cli(
        "train",
        "--datasets=ieee_spc2015",
        f"--manual_dir={tmp_path / 'nowhere'}",
        f"--data_dir={tmp_path / 'tfds'}",
        f"--out={tmp_path / 'out'}",
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"ieee_spc2015: no raw files in {tmp_path / 'nowhere'}" in (
        done.stderr
    )


def test_a_shipped_model_exports_by_name(tmp_path):
    done = cli(
        "export",
        "--model=synthetic_tcn5",
        "--quantization=int8",
        f"--data_dir={tmp_path / 'tfds'}",
        f"--out={tmp_path}",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "shipped model trained on synthetic data" in done.stdout
    # Named after the shipped model, not its architecture: the quickstart's
    # runs/tcn_5_int8.tflite is a student's.
    assert (tmp_path / "synthetic_tcn5_int8.tflite").is_file()
    # Quiet: one line of ours for the data, no tfds or converter chatter.
    said = done.stdout + done.stderr
    assert "windows prepared once in" in done.stderr
    for chatter in ("Unknown size", "fully_quantize", "XNNPACK"):
        assert chatter not in said


def test_cli_fit_fits_the_family_the_results_have(tmp_path):
    """A ``quick``-preset table (``resnetw`` students, no ``resnet``)."""
    from tests.study.test_report import quick_like_table

    path = tmp_path / "results.csv"
    table = quick_like_table()
    table.to_csv(path, index=False)
    done = cli("fit", f"--results={path}", "--predict_params=50000")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("resnetw students:\nno law identified")
    assert done.stdout.count("predicted MAE at 50,000") == 3
    table[table["size"] != 32].to_csv(path, index=False)
    done = cli("fit", f"--results={path}")
    assert done.returncode != 0
    assert "sizes per family: resnetw: 8, 16; mlp: 1" in done.stderr


def _distance(model, name):
    """How far ``model``'s weights are from the shipped model ``name``'s,
    relative to their size (a fresh start: about 0.9)."""
    import numpy as np

    from keras_ppg_kd import pretrained

    def flat(found):
        floats = [w for w in found.get_weights() if w.dtype.kind == "f"]
        return np.concatenate([w.ravel() for w in floats])

    shipped = flat(pretrained.load(name))
    return np.linalg.norm(flat(model) - shipped) / np.linalg.norm(shipped)


def _study(folder, reference="hr_bpm", people=5):
    from keras_ppg_kd.datasets.ppg_folder.make_dummy_data import table

    for person in range(people):  # hr_bpm tables carry acc_x/y/z
        (folder / f"P{person}").mkdir(parents=True)
        table(person, 120, reference).to_csv(
            folder / f"P{person}" / "walk.csv", index=False
        )
    return folder


@pytest.mark.slow
def test_train_and_distill_start_from_the_shipped_models(tmp_path):
    """By default: the shipped teacher and student, fine-tuned gently on
    motion-cancelled windows; distill scores the teacher and the baseline
    on the same people. --from_scratch starts from fresh weights."""
    import keras

    data = [
        "--datasets=ppg_folder",
        f"--manual_dir=ppg_folder={_study(tmp_path / 'study')}",
        f"--data_dir={tmp_path / 'tfds'}",
        "--test_fraction=0.4",
        "--epochs=1",
    ]
    out = tmp_path / "out"
    done = cli("train", *data, "--model_id=resnet:6", f"--out={out}")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "starting from the shipped synthetic_resnet6" in done.stdout
    assert "windows: PPG cleaned with the accelerometer" in done.stdout
    record = json.loads((out / "resnet1d_6.json").read_text())
    assert record["start"] == "synthetic_resnet6"
    assert record["flags"]["datasets"] == ["ppg_folder/cancel_motion"]
    assert record["recipe"]["learning_rate"] == 1e-4
    teacher = keras.saving.load_model(out / "resnet1d_6.keras")
    assert teacher.protocol.cancel_motion
    # One gentle epoch, averaged half-way back: near the shipped weights
    # (12 such epochs on SPC 2015 end 0.06 away; a fresh start is 0.9).
    assert _distance(teacher, "synthetic_resnet6") < 0.1

    done = cli(
        "distill",
        *data,
        f"--teacher={out / 'resnet1d_6.keras'}",
        "--model_id=tcns:5",  # the README quickstart's student
        f"--out={out}",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "starting from the shipped synthetic_tcns5" in done.stdout
    assert "(the teacher's windows)" in done.stdout
    assert "teacher resnet1d_6 MAE" in done.stdout
    assert "without distillation (labels alone" in done.stdout
    record = json.loads((out / "tcns_5.json").read_text())
    assert record["start"] == "synthetic_tcns5"
    student = keras.saving.load_model(out / "tcns_5.keras")
    baseline = keras.saving.load_model(out / record["baseline"])
    from keras_ppg_kd.training.recipes import evaluate

    test = _windows(tmp_path, record["test_participants"])
    assert record["teacher_mae"] == pytest.approx(evaluate(teacher, test)[0])
    assert record["baseline_mae"] == pytest.approx(evaluate(baseline, test)[0])
    assert record["mae"] == pytest.approx(evaluate(student, test)[0])
    assert record["baseline_mae"] != record["mae"]  # two models
    # The baseline has a record of its own: export finds its data.
    kept = json.loads((out / "tcns_5_no_distillation.json").read_text())
    assert kept["mae"] == record["baseline_mae"]
    assert kept["flags"]["datasets"] == ["ppg_folder/cancel_motion"]
    assert kept["test_participants"] == record["test_participants"]
    assert (out / record["tracker"]).is_file()
    for model in (student, baseline):
        assert _distance(model, "synthetic_tcns5") < 0.1

    scratch = tmp_path / "scratch"
    done = cli(
        "train",
        *data,
        "--model_id=resnet:6",
        "--from_scratch",
        f"--out={scratch}",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "windows: PPG alone" in done.stdout
    record = json.loads((scratch / "resnet1d_6.json").read_text())
    assert record["start"] == "scratch"
    assert record["flags"]["datasets"] == ["ppg_folder"]
    fresh = keras.saving.load_model(scratch / "resnet1d_6.keras")
    assert _distance(fresh, "synthetic_resnet6") > 0.5


def _windows(tmp_path, participants):
    import numpy as np

    from keras_ppg_kd.data.splits import participant_keys
    from keras_ppg_kd.datasets import load_windows

    windows = load_windows(
        "ppg_folder/cancel_motion",
        data_dir=str(tmp_path / "tfds"),
        manual_dir=str(tmp_path / "study"),
    )
    return windows.subset(np.isin(participant_keys(windows), participants))


def test_train_reads_recordings_without_an_accelerometer_as_ppg_alone(
    tmp_path,
):
    done = cli(
        "train",
        "--datasets=ppg_folder",
        f"--manual_dir=ppg_folder={_study(tmp_path / 'study', 'ecg', 3)}",
        f"--data_dir={tmp_path / 'tfds'}",
        "--test_fraction=0.34",
        "--model_id=resnet:1",
        "--epochs=1",
        f"--out={tmp_path / 'out'}",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "starting from the shipped synthetic_resnet1" in done.stdout
    assert (
        "windows: PPG alone (the recordings have no accelerometer)"
        in done.stdout
    )
    record = json.loads((tmp_path / "out" / "resnet1d_1.json").read_text())
    assert record["flags"]["datasets"] == ["ppg_folder"]


def test_export_warns_that_a_constant_model_has_collapsed(tmp_path):
    """A student that answers 120 BPM whatever the window is named, with
    what to try; the shipped student on the same windows is not."""
    import numpy as np

    from keras_ppg_kd.models import ResNet1D

    model = ResNet1D(1, name="constant")
    weights = model.get_weights()
    weights[-2] = np.zeros_like(weights[-2])  # the head ignores its input
    weights[-1] = np.where(np.arange(180) == 90, 10.0, 0.0)  # 120 BPM
    model.set_weights(weights)
    model.save(tmp_path / "constant.keras")
    common = ["--datasets=synthetic_ppg/small", f"--out={tmp_path}"]
    common.append(f"--data_dir={tmp_path / 'tfds'}")
    done = cli("export", f"--model={tmp_path / 'constant.keras'}", *common)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "constant_int8.tflite has collapsed" in done.stderr
    assert "100% of them at 120 BPM" in done.stderr
    assert "leave out --from_scratch" in done.stderr
    done = cli("export", "--model=synthetic_tcn5", *common)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "collapsed" not in done.stderr + done.stdout
