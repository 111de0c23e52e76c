"""``keras-ppg-kd export``: a saved student to LiteRT, checked.

The model is converted, compared with Keras on held-out windows of the
data it was trained on (read from its record) and measured.
"""

import os
import sys

from absl import app

from keras_ppg_kd.cli._common import _COLLAPSE_HINT, _command, _holdout
from keras_ppg_kd.cli._flags import _DATA_FLAGS, FLAGS


@_command(
    "model", "quantization", *_DATA_FLAGS, "out", required=("model", "out")
)
def cmd_export():
    """Export --model to LiteRT, verify it and report size/ops/latency."""
    import keras
    import numpy as np

    from keras_ppg_kd import pretrained
    from keras_ppg_kd.deploy import LiteRTModel, export_tflite, inspect_tflite
    from keras_ppg_kd.heart_rate import logits_to_bpm
    from keras_ppg_kd.metrics import check_collapse

    shipped = FLAGS.model in pretrained.available()
    try:
        model = (
            pretrained.load(FLAGS.model)
            if shipped and not os.path.exists(FLAGS.model)
            else keras.saving.load_model(FLAGS.model)
        )
    except (OSError, ValueError) as error:
        raise app.UsageError(f"Cannot load --model: {error}") from None
    except TypeError as error:  # Keras: pages of config, the cause last
        cause = str(error).strip().splitlines()[-1].strip()
        raise app.UsageError(
            f"Cannot load --model={FLAGS.model}: {cause}. Its config names "
            "a class or function that is not registered here: import the "
            "code that defines it (keras.saving.register_keras_serializable)"
            " first, or save the model again without it."
        ) from None
    out = FLAGS.out
    if shipped and not FLAGS["datasets"].present:
        print(  # its card: trained on the built-in synthetic data only
            f"{FLAGS.model} is a shipped model trained on synthetic data: "
            f"calibrating and checking on --datasets={FLAGS.datasets[0]}"
        )
    elif not shipped:
        _data_from_record(FLAGS.model)
    os.makedirs(out, exist_ok=True)
    train, test = _holdout()
    # Named after the file or the shipped name, so that two files of one
    # model (a student, its baseline, the shipped start) do not collide.
    name = FLAGS.model if shipped else _stem(FLAGS.model)
    path = export_tflite(
        model,
        os.path.join(out, f"{name}_{FLAGS.quantization}.tflite"),
        FLAGS.quantization,
        representative_data=train.windows,
    )
    runner = LiteRTModel(path)
    keras_logits = model.predict(test.windows, verbose=0)
    lite_logits = runner.predict(test.windows)
    keras_mae = np.mean(np.abs(logits_to_bpm(keras_logits) - test.hr_bpm))
    lite_mae = np.mean(np.abs(logits_to_bpm(lite_logits) - test.hr_bpm))
    print(inspect_tflite(path).summary())
    print(
        f"max |logit difference| {np.abs(keras_logits - lite_logits).max():.2e}"
        f"; HR MAE Keras {keras_mae:.2f} BPM vs LiteRT {lite_mae:.2f} BPM on "
        f"{len(test)} held-out windows; latency {runner.latency_us():.0f} us "
        f"per window (1 thread) -> {path}"
    )
    found = check_collapse(
        logits_to_bpm(lite_logits),
        test.hr_bpm,
        name=os.path.basename(path),
        hint=_COLLAPSE_HINT,
    )
    if found is not None:
        print(found.message(), file=sys.stderr)


def _stem(path):
    return os.path.splitext(os.path.basename(path))[0]


def _data_from_record(model_path):
    """Take the data and split flags from the record beside ``model_path``.

    ``export`` calibrates and checks a student on the data it was trained
    on: its record (written by ``train``/``distill``) names the datasets
    and the split. Data flags given on the command line win; with neither
    a record nor ``--datasets`` the command stops rather than calibrate on
    data the model never saw.
    """
    import json

    record_path = os.path.splitext(model_path)[0] + ".json"
    given = [name for name in _DATA_FLAGS if FLAGS[name].present]
    try:
        with open(record_path) as f:
            recorded = json.load(f)["flags"]
    except (OSError, ValueError, KeyError):
        if "datasets" not in given:
            raise app.UsageError(
                f"--datasets is required: {model_path} has no record beside "
                f"it ({record_path}) naming the data it was trained on, and "
                "export calibrates and checks the model on that data."
            ) from None
        return
    if given:
        return
    for name in _DATA_FLAGS:
        if name in recorded:
            FLAGS[name].value = recorded[name]
    print(
        f"data and split from {record_path}: --datasets="
        f"{','.join(FLAGS.datasets)} --seed={FLAGS.seed} "
        f"--test_fraction={FLAGS.test_fraction}"
    )
