"""What the commands share: the registry, errors, data, saving, training.

A command registers itself with ``@_command(...)`` in its own module; the
dispatcher (``keras_ppg_kd.cli``) reads ``_COMMANDS`` and ``_REQUIRED``.
"""

import os
import sys

from absl import app

from keras_ppg_kd.cli._flags import FLAGS

_COMMANDS = {}  # name -> (function, the flags it reads)
_REQUIRED = {}  # name -> the flags it cannot run without
# sweep: --config.<field>=value overrides, taken out of argv before absl
# parses it (absl has no flag per StudyConfig field).
_OVERRIDES = {}
_OVERRIDE_PREFIX = "--config."


def _command(*flag_names, required=()):
    """Register ``cmd_<name>`` with the flags it reads (others are refused)
    and those it cannot run without (checked before it runs)."""

    def register(function):
        name = function.__name__.removeprefix("cmd_")
        _COMMANDS[name] = (function, flag_names)
        _REQUIRED[name] = required
        return function

    return register


def _fail(command, message):
    """Print one short error (no help dump) and exit with status 2."""
    where = f"keras-ppg-kd {command}" if command else "keras-ppg-kd"
    print(
        f"{where}: error: {message}\n(`{where} --help` lists the flags)",
        file=sys.stderr,
    )
    sys.exit(2)


def _manual_dir():
    """``--manual_dir``: one path, or ``{name: path}`` from name=path,..."""
    from keras_ppg_kd.datasets import parse_manual_dir

    return parse_manual_dir(FLAGS.manual_dir)


def _holdout():
    """``--datasets`` split by participant: ``(train, test)`` windows."""
    import tensorflow_datasets as tfds

    from keras_ppg_kd.data import train_test_split
    from keras_ppg_kd.datasets import load_windows

    tfds.disable_progress_bar()  # one line per command, not bars

    windows = load_windows(
        FLAGS.datasets, data_dir=FLAGS.data_dir, manual_dir=_manual_dir()
    )
    train, test = train_test_split(windows, FLAGS.test_fraction, FLAGS.seed)
    return windows.subset(train), windows.subset(test)


def _participants(windows):
    """The sorted participant keys of ``windows`` (for the record)."""
    from keras_ppg_kd.data.splits import participant_keys

    return sorted(set(participant_keys(windows)))


# What to try when a model has collapsed (metrics.check_collapse).
_COLLAPSE_HINT = (
    "start from a shipped pre-trained model (leave out --from_scratch; "
    "--model_id=resnet:6 for the teacher, tcns:5 for the student), train "
    "fewer epochs, add participants, or check the recordings' reference "
    "and sampling rate."
)


def _collapsed(model, test, name=None):
    """The collapse warning (metrics.check_collapse) of ``model`` on the
    held-out ``test`` windows, printed to stderr; None when it varies."""
    from keras_ppg_kd.heart_rate import logits_to_bpm
    from keras_ppg_kd.metrics import check_collapse

    if not len(test):
        return None
    logits = model.predict(test.windows, batch_size=512, verbose=0)
    found = check_collapse(
        logits_to_bpm(logits),
        test.hr_bpm,
        name=name or model.name,
        hint=_COLLAPSE_HINT,
    )
    if found is None:
        return None
    print(found.message(), file=sys.stderr)
    return found.message()


def _save(model, result, train, test, command, extra=None):
    """The model, and beside it its record: result, flags, split, versions
    (and ``extra`` fields); warns when the model has collapsed."""
    import json

    os.makedirs(FLAGS.out, exist_ok=True)
    path = os.path.join(FLAGS.out, model.name + ".keras")
    model.save(path)
    record = {
        **result.to_dict(),
        # {participant: [MAE, windows]} as JSON, not a string inside it
        "participant_mae": json.loads(result.participant_mae or "{}"),
        **_record(command, train, test),
        **(extra or {}),
    }
    collapsed = dict(record.get("collapsed") or {})
    warning = _collapsed(model, test)
    if warning:
        collapsed[model.name] = warning
    record["collapsed"] = collapsed
    with open(os.path.join(FLAGS.out, model.name + ".json"), "w") as f:
        json.dump(record, f, indent=1)
    print(
        f"{model.name}: MAE {result.mae:.2f} BPM, RMSE {result.rmse:.2f} "
        f"BPM, {result.params:,} parameters, {_epochs(result.epochs)}, "
        f"{result.wall_time_s:.0f} s -> {path}"
    )


def _epochs(count):
    """``"1 epoch"``, ``"12 epochs"``."""
    return f"{count} epoch" + ("" if count == 1 else "s")


def _record(command, train, test):
    """What every run's record holds: the command, its flags, the split
    and the versions (``export`` reads the data and split from it)."""
    import keras
    import tensorflow as tf

    from keras_ppg_kd.version import __version__

    _, accepted = _COMMANDS[command]
    return {
        "command": command,
        "flags": {name: FLAGS[name].value for name in accepted},
        "train_participants": _participants(train),
        "test_participants": _participants(test),
        "versions": {
            "keras_ppg_kd": __version__,
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
        },
    }


def _progress(epochs=None, label=None):
    """``epochs`` and the progress/TensorBoard callbacks of train/distill
    (default: ``--epochs`` or the study's, labelled by ``--model_id``)."""
    from keras_ppg_kd.study.progress import training_callbacks
    from keras_ppg_kd.training import recipes

    epochs = epochs or FLAGS.epochs or recipes.STUDY_EPOCHS
    label = label or FLAGS.model_id.replace(":", "")
    return dict(
        epochs=epochs,
        callbacks=training_callbacks(
            label, epochs, FLAGS.epoch_progress, FLAGS.tensorboard
        ),
    )


def _early_stopping(train, fit):
    """Without ``--epochs``: hold out a fifth of the training participants
    (at least one), keep the epoch with their lowest MAE and stop after
    ``--patience`` epochs without a better one. Returns the windows to fit
    on and adds ``validation`` and the stopping callback to ``fit``."""
    import keras
    import numpy as np

    from keras_ppg_kd.data.splits import participant_keys
    from keras_ppg_kd.training.generalize import split_validation

    if FLAGS.epochs:
        return train
    people = len(np.unique(participant_keys(train)))
    if people < 2:
        raise app.UsageError(
            f"the training split has {people} participant(s); early "
            "stopping holds some out. Give --epochs, or more participants."
        )
    fit_on, held = split_validation(train, max(1, people // 5), FLAGS.seed)
    fit["validation"] = held
    fit["callbacks"] = [
        *fit["callbacks"],
        keras.callbacks.EarlyStopping(
            monitor="val_hr_mae", mode="min", patience=FLAGS.patience
        ),
    ]
    print(
        f"early stopping on {len(np.unique(participant_keys(held)))} held-"
        f"out training participant(s) (patience {FLAGS.patience}, at most "
        f"{_epochs(fit['epochs'])}; --epochs trains a fixed number)"
    )
    return fit_on
