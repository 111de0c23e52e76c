"""What the libraries under the package log: quiet by default, all on
request (``TF_CPP_MIN_LOG_LEVEL=0`` or absl's ``--verbosity``)."""

import logging
import os
import re
import subprocess
import sys

import pytest
from absl import logging as absl_logging

from keras_ppg_kd import _logs

RETRACE = """
import keras_ppg_kd, keras, numpy as np
for width in range(4, 11):  # a model per width, as in a sweep
    model = keras.Sequential([keras.Input((width,)), keras.layers.Dense(2)])
    model.predict(np.zeros((2, width)), verbose=0)
print("done")
"""


def _record(logger, level, path, message):
    return logger.makeRecord(logger.name, level, path, 1, message, (), None)


def test_tfds_info_goes_and_warnings_stay(monkeypatch):
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "2")
    absl = absl_logging.get_absl_logger()
    assert isinstance(absl, absl_logging.ABSLLogger)  # not replaced
    tfds_file = "/site-packages/tensorflow_datasets/core/dataset_info.py"
    info = _record(absl, logging.INFO, tfds_file, "Load dataset info")
    warning = _record(absl, logging.WARNING, tfds_file, "Checksum failed")
    ours = _record(absl, logging.INFO, "/work/examples/x.py", "step 3")
    saver = _record(  # a LiteRT export writes a SavedModel first
        absl,
        logging.INFO,
        "/site-packages/tensorflow/python/checkpoint/functional_saver.py",
        "Sharding callback duration: 84 microseconds",
    )
    scan = _record(  # on every first preparation
        absl,
        logging.WARNING,
        "/site-packages/tensorflow_datasets/core/utils/file_utils.py",
        "Variant folder /d/ppg_folder/default/1.1.0 has no dataset_info.json",
    )
    assert not absl.filter(info) and not absl.filter(saver)
    assert not absl.filter(scan)
    assert absl.filter(warning) and absl.filter(ours)
    tf = logging.getLogger("tensorflow")
    keras_note = _record(
        tf,
        logging.WARNING,
        "polymorphic_function.py",
        "5 out of the last 5 calls to <function TensorFlowTrainer."
        "make_predict_function.<locals>.one_step_on_data_distributed at 0x1>"
        " triggered tf.function retracing.",
    )
    user_note = _record(
        tf,
        logging.WARNING,
        "polymorphic_function.py",
        "5 out of the last 5 calls to <function my_step at 0x1> triggered "
        "tf.function retracing.",
    )
    assert not tf.filter(keras_note) and tf.filter(user_note)
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    assert absl.filter(info) and absl.filter(saver) and tf.filter(keras_note)


def test_a_sweep_of_models_prints_no_retracing_notes():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    run = [sys.executable, "-c", RETRACE]
    done = subprocess.run(run, capture_output=True, text=True, env=env)
    assert done.returncode == 0 and done.stdout == "done\n", done.stderr
    assert "retracing" not in done.stderr
    env["TF_CPP_MIN_LOG_LEVEL"] = "0"  # everything, on request
    done = subprocess.run(run, capture_output=True, text=True, env=env)
    assert "triggered tf.function retracing" in done.stderr


def test_tfds_bars_only_on_a_terminal(monkeypatch):
    from tensorflow_datasets.core.utils import tqdm_utils

    monkeypatch.setattr(tqdm_utils, "_active", True)
    for terminal in (False, True):
        monkeypatch.setattr(sys.stderr, "isatty", lambda t=terminal: t)
        with _logs.tfds_progress_on_terminal():
            assert tqdm_utils._active is terminal
        assert tqdm_utils._active is True  # as it was
    tqdm_utils.disable_progress_bar()  # a user's choice stays
    with _logs.tfds_progress_on_terminal():
        assert tqdm_utils._active is False


@pytest.mark.parametrize(
    "level, shown", [("2", "E"), ("1", "WE"), ("0", "IWE")]
)
def test_native_log_lines_below_the_level_are_dropped(
    monkeypatch, capfd, level, shown
):
    """As TensorFlow would, where it was imported before the package set
    ``TF_CPP_MIN_LOG_LEVEL`` (a user's ``import keras`` first)."""
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", level)
    lines = [
        f"{s}0000 00:00:1796634540.331992   10286 x.cc:364] {s} line"
        for s in "IWE"
    ] + ["a line of our own"]
    with _logs.quiet_native(re.compile("^never")):
        os.write(2, ("\n".join(lines) + "\n").encode())
    err = capfd.readouterr().err
    for severity in "IWE":
        assert (f"] {severity} line" in err) == (severity in shown), err
    assert "a line of our own" in err


def test_the_packages_own_log_lines_are_plain_under_absl():
    formatter = absl_logging.get_absl_handler().python_handler.formatter
    own, library = (
        logging.LogRecord(
            "absl", logging.WARNING, path, 204, "prepared %s", ("again",), None
        )
        for path in ("/x/keras_ppg_kd/datasets/base.py", "/x/tfds/core.py")
    )
    assert formatter.format(own) == "warning: prepared again"
    assert formatter.format(library).startswith("W")  # absl's own format
    assert "core.py:204] prepared again" in formatter.format(library)
