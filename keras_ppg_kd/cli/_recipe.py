"""The recipe path of ``train`` and ``distill``: the shipped start.

Which shipped model ``--model_id`` starts from, the windows the recipe
trains on, and the recipe's settings, callbacks and record.
"""

from absl import app

from keras_ppg_kd.cli._common import _epochs, _holdout, _progress
from keras_ppg_kd.cli._flags import FLAGS


def _shipped_start(command):
    """The shipped model that ``--model_id`` starts from, or None.

    None with ``--from_scratch`` or when the package ships none for it;
    ``train`` starts ResNet1D teachers only (the recipe's teacher).
    """
    from keras_ppg_kd import models, pretrained

    if FLAGS.from_scratch:
        return None
    family, size = models.parse(FLAGS.model_id)
    name = pretrained.student_name(f"{family}:{size}")
    if name in pretrained.available() and (
        command == "distill" or family == "resnet"
    ):
        return name
    print(
        f"no shipped pre-trained model for --model_id={FLAGS.model_id} "
        f"(shipped: {', '.join(pretrained.available())}): training from "
        "fresh weights with the study's settings"
    )
    return None


def _with_config(config):
    """``--datasets`` with builder ``config`` for every name that gives
    none and whose builder has it (others as they are)."""
    import tensorflow_datasets as tfds

    from keras_ppg_kd.datasets import available

    names = []
    for name in FLAGS.datasets:
        base, _, given = name.partition("/")
        has = base in available() and config in {
            c.name for c in tfds.builder_cls(base).BUILDER_CONFIGS
        }
        names.append(f"{base}/{config}" if has and not given else name)
    return names


def _describe(window):
    """What the windows of protocol ``window`` hold, in words."""
    if window.cancel_motion:
        what = "PPG cleaned with the accelerometer (motion cancellation)"
        return what + (
            ", with the accelerometer" if window.accelerometer else ""
        )
    return "PPG with the accelerometer" if window.accelerometer else "PPG alone"


def _recipe_holdout(teacher=None):
    """``_holdout()`` on the windows the recipe trains on.

    Names without a config get the teacher's window protocol (distill), or
    motion cancellation (the builders' ``cancel_motion``) when the
    recordings have an accelerometer and the PPG alone when they do not
    (train). The names used replace ``--datasets``, so the record (and
    ``export``) names them; the output says which.
    """
    from keras_ppg_kd.protocol import preset_name

    given = list(FLAGS.datasets)
    why = ""
    if teacher is not None:
        preset = preset_name(teacher.protocol)  # the builders' config
        if preset not in (None, "default"):
            FLAGS.datasets = _with_config(preset)
            why = " (the teacher's windows)"
        train, test = _holdout()
        if train.config != teacher.protocol:
            raise app.UsageError(
                f"--teacher reads {_describe(teacher.protocol)} "
                f"({preset or 'its own window protocol'}), but --datasets="
                f"{','.join(FLAGS.datasets)} gives "
                f"{_describe(train.config)}; give the datasets the teacher "
                "trained on (its record beside it names them)"
            )
    else:
        FLAGS.datasets = _with_config("cancel_motion")
        try:
            train, test = _holdout()
        except ValueError as error:
            if "has no `acc`" not in str(error):
                raise
            FLAGS.datasets = given
            train, test = _holdout()
            why = " (the recordings have no accelerometer)"
    print(
        f"windows: {_describe(train.config)}{why}; --datasets="
        f"{','.join(FLAGS.datasets)}"
    )
    return train, test


def _recipe(window, **changes):
    """The generalizing recipe (training.generalize) as the CLI runs it.

    Its gentle fine-tuning as it is (Adam 1e-4, ordinal soft targets,
    augmentation, synthetic windows mixed in, WiSE-FT averaging half-way
    back to the shipped start), on ``window``'s protocol.
    """
    from keras_ppg_kd.training.generalize import GeneralizingRecipe

    recipe = GeneralizingRecipe.for_window(
        window, student=FLAGS.model_id, strategy=FLAGS.strategy, **changes
    )
    if recipe.window != window:
        raise ValueError(
            f"The windows were made with {window}; starting from a shipped "
            "model takes one of the builders' window configs (default, "
            "ppg_acc, cancel_motion, cancel_motion_acc). Use --from_scratch."
        )
    return recipe


def _recipe_fit(train, epochs, label, say=True):
    """What the recipe path trains with: ``(validation participants,
    callbacks, epoch counter)``.

    A fifth of the training participants (at least one, when there are
    two or more) choose the epoch, as the recipe does; without
    ``--epochs`` training also stops after ``--patience`` epochs without
    a better held-out MAE.
    """
    import keras
    import numpy as np

    from keras_ppg_kd.data.splits import participant_keys

    people = len(np.unique(participant_keys(train)))
    held = max(1, people // 5) if people >= 2 else 0
    callbacks = _progress(epochs, label)["callbacks"]
    if held and not FLAGS.epochs:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor="val_hr_mae", mode="min", patience=FLAGS.patience
            )
        )
    counted = []
    callbacks.append(
        keras.callbacks.LambdaCallback(
            on_epoch_end=lambda epoch, logs: counted.append(epoch)
        )
    )
    if say:
        print(
            f"the epoch is chosen on {held} held-out training "
            f"participant(s) (at most {_epochs(epochs)}"
            + ("" if FLAGS.epochs else f", patience {FLAGS.patience}")
            + ")"
        )
    return held, callbacks, counted


def _recipe_record(recipe, start):
    """The record's fields of the recipe path: its start and settings."""
    import dataclasses
    import json

    return {
        "start": start,
        "recipe": json.loads(json.dumps(dataclasses.asdict(recipe))),
    }
