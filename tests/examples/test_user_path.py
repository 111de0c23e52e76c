"""The user's path: train_and_deploy.py, then hr_from_recording.py."""

import json
import pathlib
import sys

import numpy as np
import pytest
import scipy.io

from tests import zygote

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"
TINY = [
    "pretrain_epochs=1",
    "teacher_epochs=1",
    "student_epochs=1",
    "synthetic_participants=2",
    "synthetic_minutes=2",
    "teacher_blocks=2",
    "pretrained_teacher=",
    "pretrained_student=false",
]


def _run(script, *args):
    """``python examples/<script> *args`` (forked: :mod:`tests.zygote`)."""
    command = [sys.executable, str(EXAMPLES / script), *args]
    return zygote.run(command, timeout=900)


@pytest.fixture(scope="module")
def deployed(tmp_path_factory, request):
    spc_dir = request.getfixturevalue("spc_dir")
    wrist_dir = request.getfixturevalue("wrist_dir")
    out = tmp_path_factory.mktemp("deploy")
    args = ["--datasets=ieee_spc2015", f"--manual_dir=ieee_spc2015={spc_dir}"]
    # The target device's recordings, given without their reference.
    args += [f"--unlabelled=physionet_wrist={wrist_dir}"]
    args += [f"--out={out}", f"--data_dir={out / 'tfds'}"]
    args += [f"--set={item}" for item in TINY]
    done = _run("train_and_deploy.py", *args)
    assert done.returncode == 0, done.stderr[-3000:]
    assert " - loss: " in done.stdout  # a progress line per epoch
    assert "(teacher: epoch 1, student: epoch 1)" in done.stdout  # from 1
    return out, spc_dir


@pytest.mark.slow
def test_train_and_deploy_writes_the_manifest(deployed):
    out, _ = deployed
    manifest = json.loads((out / "manifest.json").read_text())
    for key in ("teacher", "student", "tflite", "tracker"):
        assert (out / manifest[key]).is_file(), key
    assert (out / "tracker_c" / "hr_tracker_params.h").is_file()
    assert (out / "tracker_c" / "cancel_motion.c").is_file()
    assert manifest["unlabelled_windows"] > 1000  # s2 and s3
    assert manifest["log"]["pseudo_labelled_windows"] > 0
    scores = manifest["validation_mae"]
    assert {"spectral_peak", "int8", "int8+tracker"} <= set(scores)
    assert all(np.isfinite(v) for v in scores.values())


@pytest.mark.slow
def test_hr_from_recording_writes_one_row_per_step(deployed, tmp_path):
    out, spc_dir = deployed
    mat = spc_dir / "Training_data" / "DATA_01_TYPE01.mat"
    sig = scipy.io.loadmat(mat)["sig"][:, : 125 * 60]  # one minute
    ppg = sig[1]
    np.save(tmp_path / "rec.npy", ppg)
    np.save(tmp_path / "acc.npy", sig[3:6].T)
    model = f"--model={out / 'student_int8.tflite'}"
    # The recipe's student cleans the PPG with the accelerometer.
    done = _run("hr_from_recording.py", model, f"--ppg={tmp_path / 'rec.npy'}")
    assert done.returncode != 0 and "--acc=none" in done.stderr
    for acc in (tmp_path / "acc.npy", "none"):
        csv = tmp_path / f"hr_{pathlib.Path(str(acc)).stem}.csv"
        done = _run(
            "hr_from_recording.py",
            model,
            f"--tracker={out / 'tracker.json'}",
            f"--ppg={tmp_path / 'rec.npy'}",
            f"--acc={acc}",
            "--fs=125",
            f"--out_csv={csv}",
        )
        assert done.returncode == 0, done.stderr[-3000:]
        rows = csv.read_text().splitlines()
        assert rows[0] == "start_s,bpm"
        starts = [float(r.split(",")[0]) for r in rows[1:]]
        assert starts == [2.0 * i for i in range(27)]  # (60 - 8) / 2 + 1
        bpm = [float(r.split(",")[1]) for r in rows[1:]]
        assert all(30 <= b < 210 for b in bpm)

    np.save(tmp_path / "two.npy", np.stack([ppg, ppg], axis=1))
    done = _run(
        "hr_from_recording.py",
        model,
        f"--ppg={tmp_path / 'two.npy'}",
        "--acc=none",
        "--fs=125",
    )
    assert done.returncode != 0 and "(7500, 2)" in done.stderr
    table = tmp_path / "two.csv"
    table.write_text(
        "ppg,acc\n" + "\n".join(f"{a},{a}" for a in ppg[:2000]) + "\n"
    )
    done = _run(
        "hr_from_recording.py",
        model,
        f"--ppg={table}",
        "--acc=none",
        "--fs=125",
    )
    assert done.returncode != 0 and "--column" in done.stderr
    done = _run(
        "hr_from_recording.py",
        model,
        f"--ppg={table}",
        "--column=ppg",
        "--acc=none",
        "--fs=125",
    )
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.slow
def test_hr_from_recording_refuses_a_wrong_rate_or_tracker(deployed, tmp_path):
    out, spc_dir = deployed
    mat = spc_dir / "Training_data" / "DATA_01_TYPE01.mat"
    np.save(tmp_path / "rec.npy", scipy.io.loadmat(mat)["sig"][1])  # 5 min
    common = [f"--model={out / 'student_int8.tflite'}", "--acc=none"]
    common.append(f"--ppg={tmp_path / 'rec.npy'}")
    for fs in ("12.5", "1250"):
        done = _run("hr_from_recording.py", *common, f"--fs={fs}")
        assert done.returncode != 0
        assert f"--fs={fs} Hz looks wrong" in done.stderr
    shifted = json.loads((out / "tracker.json").read_text())
    shifted["config"]["classes"] = {"min_bpm": 40.0, "max_bpm": 220.0}
    (tmp_path / "shifted.json").write_text(json.dumps(shifted))
    done = _run(
        "hr_from_recording.py",
        *common,
        "--fs=125",
        f"--tracker={tmp_path / 'shifted.json'}",
    )
    assert done.returncode != 0
    assert "does not match the model's protocol (classes" in done.stderr


def test_hr_from_recording_names_a_missing_file_in_one_line(tmp_path):
    done = _run("hr_from_recording.py", f"--model={tmp_path / 'none.tflite'}")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().endswith(
        f"error: No LiteRT file at {tmp_path / 'none.tflite'}"
    )
    keras_file = tmp_path / "student.keras"
    keras_file.write_bytes(b"PK\x03\x04 a zip, as .keras files are")
    done = _run("hr_from_recording.py", f"--model={keras_file}")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().endswith(
        f"error: {keras_file} is not a LiteRT (.tflite) file; a .keras model "
        "becomes one with `keras-ppg-kd export`"
    )


def test_hr_from_recording_works_out_of_the_box_with_the_shipped_bundle():
    done = _run("hr_from_recording.py")  # shipped int8 TCN(5) + tracker
    assert done.returncode == 0, done.stderr[-3000:]
    assert "tracked heart rates" in done.stdout
    mae = float(done.stdout.split("MAE vs the synthetic truth:")[1].split()[0])
    assert mae < 10.0


def test_the_shipped_bundle_asks_for_the_accelerometer(tmp_path):
    from keras_ppg_kd.data import SyntheticConfig, generate_recording

    recording = generate_recording(0, SyntheticConfig(minutes=1, fs=64.0))
    np.save(tmp_path / "rec.npy", recording.ppg)
    np.save(tmp_path / "acc.npy", recording.acc)
    common = [f"--ppg={tmp_path / 'rec.npy'}", "--fs=64"]
    done = _run("hr_from_recording.py", *common)
    assert done.returncode == 2
    assert "cancel_motion): give --acc, or --acc=none" in done.stderr
    for acc in (tmp_path / "acc.npy", "none"):
        done = _run("hr_from_recording.py", *common, f"--acc={acc}")
        assert done.returncode == 0, done.stderr[-3000:]
        assert "tracked heart rates for 27 steps" in done.stdout
    done = _run("hr_from_recording.py", f"--acc={tmp_path / 'acc.npy'}")
    assert done.returncode == 2 and "--acc goes with --ppg" in done.stderr
