"""hr_from_recording.py: bad rates and accelerometer files, one line each."""

import numpy as np
import pytest

from tests.examples.test_user_path import _run


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    from keras_ppg_kd.data import SyntheticConfig, generate_recording

    folder = tmp_path_factory.mktemp("rec")
    recording = generate_recording(0, SyntheticConfig(minutes=3, fs=64.0))
    np.save(folder / "rec.npy", recording.ppg)
    np.savetxt(folder / "acc.csv", recording.acc, delimiter=",")  # no header
    return folder


@pytest.mark.parametrize("fs", ["inf", "nan", "-64", "0"])
def test_a_rate_that_is_not_a_positive_number_is_one_line(synthetic, fs):
    done = _run(
        "hr_from_recording.py",
        f"--ppg={synthetic / 'rec.npy'}",
        "--acc=none",
        f"--fs={fs}",
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert f"--fs must be a positive, finite rate in Hz. Received: {fs}" in (
        done.stderr
    )


def test_a_headerless_accelerometer_csv_is_read_whole(synthetic):
    done = _run(
        "hr_from_recording.py",
        f"--ppg={synthetic / 'rec.npy'}",
        f"--acc={synthetic / 'acc.csv'}",
        "--fs=64",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "tracked heart rates for 87 steps" in done.stdout
    assert "accelerometer looks" not in done.stderr  # on the PPG's clock


def test_a_late_accelerometer_is_one_warning_line_and_goes_on(
    synthetic, tmp_path
):
    acc = np.loadtxt(synthetic / "acc.csv", delimiter=",")
    t = np.arange(len(acc)) / 64.0  # read at t what happened at t - 0.25
    late = np.stack([np.interp(t - 0.25, t, axis) for axis in acc.T], 1)
    np.savetxt(tmp_path / "late.csv", late, delimiter=",")
    done = _run(
        "hr_from_recording.py",
        f"--ppg={synthetic / 'rec.npy'}",
        f"--acc={tmp_path / 'late.csv'}",
        "--fs=64",
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "tracked heart rates for 87 steps" in done.stdout
    lines = [
        line
        for line in done.stderr.splitlines()
        if "accelerometer looks" in line
    ]
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith("hr_from_recording.py: warning: ")
    assert "s late" in lines[0] and "earlier" in lines[0], lines[0]


def test_breathing_dominated_recording_at_its_true_rate_warns_and_goes_on(
    tmp_path,
):
    # As a finger on a phone camera (30 Hz): breathing and baseline swings
    # dominate most 8 s stretches; the pulse is there above them.
    from keras_ppg_kd.data import SyntheticConfig, generate_recording

    recording = generate_recording(0, SyntheticConfig(minutes=3, fs=30.0))
    ppg = np.asarray(recording.ppg, "float64")
    t = np.arange(len(ppg)) / 30.0
    rng = np.random.default_rng(1)
    wander = np.cumsum(rng.standard_normal(len(ppg))) / np.sqrt(30 * 20)
    ppg = ppg / ppg.std() + np.sin(2 * np.pi * 0.22 * t) + 0.5 * wander
    np.save(tmp_path / "phone.npy", ppg)
    common = [f"--ppg={tmp_path / 'phone.npy'}", "--acc=none"]
    done = _run("hr_from_recording.py", *common, "--fs=30")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "warning: at --fs=30 Hz only 0% of" in done.stderr
    assert "going on" in done.stderr
    done = _run("hr_from_recording.py", *common, "--fs=3")
    assert done.returncode == 2 and "--fs=3 Hz looks wrong" in done.stderr
