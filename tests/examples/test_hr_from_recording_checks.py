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
