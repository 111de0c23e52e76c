"""The ``keras-ppg-kd`` command line (absl flags).

Usage: ``keras-ppg-kd COMMAND [--flags]``; ``keras-ppg-kd COMMAND --help``
lists that command's flags (a flag another command reads is refused).
Commands:

  models   Print the ResNet1D / MLP parameter table next to the study's.
  train    Train a teacher or scratch model on named datasets.
  distill  Distil a student from a saved teacher with one strategy.
  sweep    Run (or resume) a teacher x student x strategy study; --dry_run
           prints its cells and estimated time instead.
  fit      Fit the scaling laws to a sweep's results table.
  report   Table 2, scaling-law fits and Figures 1-3 from a results table.
  export   Export a saved student to LiteRT (float32/float16/dynamic/int8),
           check it against Keras and print its size, ops and latency.
  plan     Recommend a student size and strategy for a device budget.
"""

import os
import sys

from absl import app, flags, logging

FLAGS = flags.FLAGS
flags.DEFINE_list(
    "blocks",
    ["1", "2", "6", "8", "10", "12"],
    "models: ResNet1D block counts to list.",
)

# --- data and training (train, distill) ---
flags.DEFINE_list(
    "datasets",
    ["synthetic_ppg/small"],
    "train/distill: dataset names[/config], e.g. synthetic_ppg/small, "
    "ppg_folder/ppg_acc, ppg_folder/cancel_motion; any registered builder "
    "(an unknown name lists them).",
)
flags.DEFINE_string("data_dir", None, "tfds data directory (tfds default).")
flags.DEFINE_string(
    "manual_dir",
    None,
    "Raw downloads: one folder for every dataset, or name=path,... per "
    "dataset (default $PPG_DATA_DIR/<name>).",
)
flags.DEFINE_string(
    "model_id",
    "resnet:1",
    "train/distill: the model to build, '<family>:<size>' (resnet, tcn, mlp).",
)
flags.DEFINE_integer(
    "epochs",
    None,
    "train/distill: epochs (1 or more); by default up to 300 with early "
    "stopping on held-out training participants (--patience). sweep: "
    "overrides.",
    lower_bound=1,
)
flags.DEFINE_integer(
    "patience",
    10,
    "train/distill without --epochs: stop after this many epochs without a "
    "better held-out MAE (the best epoch's weights are kept).",
)
flags.DEFINE_integer("seed", 0, "train/distill: seed of weights and split.")
flags.DEFINE_float(
    "test_fraction", 0.2, "train/distill: held-out share of participants."
)
flags.DEFINE_string("teacher", None, "distill: path of the teacher .keras.")
flags.DEFINE_string(
    "strategy",
    "dkd",
    "distill: a registered strategy, e.g. dkd or 'dkd:temperature=4' (an "
    "unknown name lists them).",
)
flags.DEFINE_bool(
    "from_scratch",
    False,
    "train/distill: start from fresh weights with the study's settings "
    "(Adam 5e-4, one-hot labels, the windows as --datasets names them), "
    "instead of the shipped synthetic-pre-trained model of --model_id "
    "(resnet:6, resnet:1; distill also tcn:5) fine-tuned gently on "
    "motion-cancelled windows.",
)
flags.DEFINE_bool(
    "baseline",
    True,
    "distill: also train the student on the labels alone (same start, data "
    "and epochs) and report its MAE beside the distilled one's "
    "(--nobaseline skips it).",
)
flags.DEFINE_string("out", None, "Output directory (every command).")
flags.DEFINE_bool(
    "epoch_progress",
    True,
    "train/distill/sweep: epoch lines with the run's ETA (at most one per "
    "10 s per run; --noepoch_progress for none).",
)
flags.DEFINE_string(
    "tensorboard",
    None,
    "train/distill/sweep: write TensorBoard logs under this folder (one "
    "sub-folder per run); view with `tensorboard --logdir DIR`.",
)
# --- sweep ---
flags.DEFINE_string(
    "config",
    "quick",
    "sweep: a preset (quick, paper, scaling, scaling_pretrained, "
    "scaling_width) or a StudyConfig JSON file.",
)
flags.DEFINE_enum(
    "engine",
    "local",
    ["local", "ray"],
    "sweep: run cells in this process or as Ray tasks.",
)
flags.DEFINE_string(
    "ray_address", None, "sweep: existing Ray cluster (local one if unset)."
)
flags.DEFINE_integer(
    "workers",
    1,
    "sweep, local: run cells in this many processes (cpu_count / workers "
    "TensorFlow threads each; on small CPUs faster than one process).",
)
flags.DEFINE_float(
    "gpus_per_cell",
    None,
    "sweep, Ray: share of a GPU per cell (default 0.25 on a cluster with "
    "GPUs, 0 without).",
)
flags.DEFINE_string(
    "shard", None, "sweep: 'i/n' runs every n-th cell from i (job arrays)."
)
flags.DEFINE_bool(
    "dry_run", False, "sweep: print cells and estimated time, train nothing."
)
# --- fit / report ---
flags.DEFINE_string(
    "results",
    None,
    "fit/report: results.csv of a sweep (or its directory); report: "
    "several, comma-separated, to combine studies (one per teacher).",
)
flags.DEFINE_integer(
    "teacher_blocks", None, "fit/report: teacher to analyse (largest default)."
)
flags.DEFINE_float(
    "target_mae", None, "fit: smallest student that reaches this MAE (BPM)."
)
flags.DEFINE_integer(
    "predict_params", None, "fit: predicted MAE at this parameter count."
)
# --- export / plan ---
flags.DEFINE_string(
    "model",
    None,
    "export: the student .keras file, or a shipped model's name "
    "(e.g. synthetic_tcn5).",
)
flags.DEFINE_enum(
    "quantization",
    "int8",
    ["float32", "float16", "dynamic", "int8"],
    "export: float32, float16 weights, dynamic-range int8 weights, or full "
    "int8 (calibrated on --datasets windows).",
)
flags.DEFINE_string(
    "fits",
    None,
    "plan: fits.json written by `report` (default: the shipped laws, "
    "keras_ppg_kd/pretrained/laws).",
)
flags.DEFINE_float("flash_kb", None, "plan: flash budget in KB.")
flags.DEFINE_float("ram_kb", None, "plan: RAM (tensor arena) budget in KB.")
flags.DEFINE_float("latency_ms", None, "plan: latency budget per window, ms.")
flags.DEFINE_list(
    "sizes",
    None,
    "plan: students to measure, 'family:size' or a size of the laws' family "
    "(default: the sizes the laws' study measured).",
)

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


@_command("blocks")
def cmd_models():
    """Parameter table: our ResNet1D, the study's count, an equal MLP."""
    from keras_ppg_kd.models import (
        STUDY_PARAMETER_COUNTS,
        ResNet1D,
        mlp_for_budget,
        trainable_parameters,
    )

    print(
        f"{'blocks':>6} {'params':>9} {'as-study':>9} {'study':>8} "
        f"{'MLP same size':>16}"
    )
    for blocks in map(int, FLAGS.blocks):
        model = ResNet1D(blocks)
        trainable = trainable_parameters(model)
        study = STUDY_PARAMETER_COUNTS.get(blocks)
        mlp = mlp_for_budget(trainable)
        print(
            f"{blocks:>6} {trainable:>9,} "
            f"{model.reference_parameter_count():>9,} "
            f"{(f'{study:,}' if study else '-'):>8} "
            f"{'x'.join(map(str, mlp.hidden_units)):>9} "
            f"{trainable_parameters(mlp):>6,}"
        )


def _manual_dir():
    """``--manual_dir``: one path, or ``{name: path}`` from name=path,..."""
    from keras_ppg_kd.datasets import parse_manual_dir

    return parse_manual_dir(FLAGS.manual_dir)


def _holdout():
    import tensorflow_datasets as tfds

    from keras_ppg_kd.data import train_test_split
    from keras_ppg_kd.datasets import load_windows

    tfds.disable_progress_bar()  # one line per command, not bars

    windows = load_windows(
        FLAGS.datasets, data_dir=FLAGS.data_dir, manual_dir=_manual_dir()
    )
    train, test = train_test_split(windows, FLAGS.test_fraction, FLAGS.seed)
    return windows.subset(train), windows.subset(test)


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


def _check_no_leak(teacher_path, test):
    """Refuse a student test set holding the teacher's training people.

    Reads the record ``train`` wrote beside the teacher; a teacher without
    one is reported (its split cannot be checked), not refused.
    """
    import json

    record_path = os.path.splitext(teacher_path)[0] + ".json"
    try:
        with open(record_path) as f:
            seen = set(json.load(f)["train_participants"])
    except (OSError, ValueError, KeyError):
        print(
            f"note: no split record at {record_path}; cannot check that the "
            "teacher never trained on the student's test participants",
            file=sys.stderr,
        )
        return
    leaked = sorted(seen & set(_participants(test)))
    if leaked:
        raise app.UsageError(
            f"the teacher trained on {len(leaked)} of the student's test "
            f"participants ({', '.join(leaked[:5])}"
            f"{', ...' if len(leaked) > 5 else ''}); use the teacher's "
            "--seed and --test_fraction so both share one split"
        )


def _participants(windows):
    from keras_ppg_kd.data.splits import participant_keys

    return sorted(set(participant_keys(windows)))


# What to try when a model has collapsed (metrics.check_collapse).
_COLLAPSE_HINT = (
    "start from a shipped pre-trained model (leave out --from_scratch; "
    "--model_id=resnet:6 for the teacher, tcn:5 for the student), train "
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

    import keras
    import tensorflow as tf

    from keras_ppg_kd.version import __version__

    os.makedirs(FLAGS.out, exist_ok=True)
    path = os.path.join(FLAGS.out, model.name + ".keras")
    model.save(path)
    _, accepted = _COMMANDS[command]
    record = {
        **result.to_dict(),
        # {participant: [MAE, windows]} as JSON, not a string inside it
        "participant_mae": json.loads(result.participant_mae or "{}"),
        "command": command,
        "flags": {name: FLAGS[name].value for name in accepted},
        "train_participants": _participants(train),
        "test_participants": _participants(test),
        **(extra or {}),
        "versions": {
            "keras_ppg_kd": __version__,
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
        },
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
        f"BPM, {result.params:,} parameters, {result.epochs} epochs, "
        f"{result.wall_time_s:.0f} s -> {path}"
    )


# The flags of _holdout() (data and split), and of training on them.
_DATA_FLAGS = ("datasets", "data_dir", "manual_dir", "seed", "test_fraction")
_PROGRESS_FLAGS = ("epoch_progress", "tensorboard")
_TRAIN_FLAGS = (
    *_DATA_FLAGS,
    "model_id",
    "from_scratch",
    "epochs",
    "patience",
    "out",
    *_PROGRESS_FLAGS,
)


def _progress(epochs=None, label=None):
    """``epochs`` and the progress/TensorBoard callbacks of train/distill
    (default: ``--epochs`` or the study's, labelled by ``--model_id``)."""
    from keras_ppg_kd.study import recipes
    from keras_ppg_kd.study.progress import training_callbacks

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
    from keras_ppg_kd.study.generalize import split_validation

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
        f"{fit['epochs']} epochs; --epochs trains a fixed number)"
    )
    return fit_on


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
    from keras_ppg_kd.study.generalize import GeneralizingRecipe

    given = list(FLAGS.datasets)
    why = ""
    if teacher is not None:
        protocol = teacher.protocol
        recipe = GeneralizingRecipe(
            accelerometer=protocol.accelerometer,
            cancel_motion=protocol.cancel_motion,
        )
        if recipe.window == protocol and recipe.builder_config != "default":
            FLAGS.datasets = _with_config(recipe.builder_config)
            why = " (the teacher's windows)"
        train, test = _holdout()
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
    """The generalizing recipe (study.generalize) as the CLI runs it.

    Its gentle fine-tuning as it is (Adam 1e-4, ordinal soft targets,
    augmentation, synthetic windows mixed in, WiSE-FT averaging half-way
    back to the shipped start), on ``window``'s protocol.
    """
    from keras_ppg_kd.study.generalize import GeneralizingRecipe

    recipe = GeneralizingRecipe(
        student=FLAGS.model_id,
        strategy=FLAGS.strategy,
        accelerometer=window.accelerometer,
        cancel_motion=window.cancel_motion,
        **changes,
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
            f"participant(s) (at most {epochs} epochs"
            + ("" if FLAGS.epochs else f", patience {FLAGS.patience}")
            + ")"
        )
    return held, callbacks, counted


def _recipe_record(recipe, start):
    import dataclasses
    import json

    return {
        "start": start,
        "recipe": json.loads(json.dumps(dataclasses.asdict(recipe))),
    }


@_command(*_TRAIN_FLAGS, required=("out",))
def cmd_train():
    """Train a --model_id on a participant holdout.

    By default a ResNet1D that the package ships pre-trained on synthetic
    data (resnet:6, resnet:1) starts from it and is fine-tuned gently (the
    recipe of examples/train_and_deploy.py) on motion-cancelled windows
    when the recordings have an accelerometer; --from_scratch trains fresh
    weights with cross-entropy.
    """
    from keras_ppg_kd import models
    from keras_ppg_kd.study import recipes
    from keras_ppg_kd.study.generalize import finetune_teacher

    start = _shipped_start("train")
    if start is None:
        fit = _progress()  # a --tensorboard without its package fails first
        train, test = _holdout()
        print(f"windows: {_describe(train.config)}")
        model, result = recipes.train_scratch(
            _early_stopping(train, fit),
            test,
            model=FLAGS.model_id,
            seed=FLAGS.seed,
            **fit,
        )
        _save(model, result, train, test, "train", {"start": "scratch"})
        return
    _progress()  # a --tensorboard without its package fails first
    train, test = _recipe_holdout()
    _, blocks = models.parse(FLAGS.model_id)
    recipe = _recipe(train.config, teacher_blocks=blocks)
    recipe = recipe.replace(
        pretrained_teacher=start,
        teacher_epochs=FLAGS.epochs or recipe.teacher_epochs,
    )
    held, callbacks, counted = _recipe_fit(
        train, recipe.teacher_epochs, FLAGS.model_id.replace(":", "")
    )
    recipe = recipe.replace(validation_participants=held)
    print(
        f"starting from the shipped {start}, fine-tuned gently (Adam "
        f"{recipe.learning_rate:g}, synthetic windows mixed in, averaged "
        f"{1 - recipe.finetune_weight:.0%} back to the start)"
    )
    model, validation, log = finetune_teacher(
        train,
        recipe,
        seed=FLAGS.seed,
        callbacks=callbacks,
    )
    result = recipes.record(
        model,
        test,
        "teacher",
        FLAGS.model_id,
        "teacher",
        0,
        epochs=len(counted),
        wall_time_s=log["teacher_s"],
        seed=FLAGS.seed,
        train_windows=len(train),
    )
    extra = _recipe_record(recipe, start)
    extra.update(
        selected_epoch=log["teacher_epoch"],
        validation_participants=_participants(validation),
    )
    _save(model, result, train, test, "train", extra)


@_command(
    *_TRAIN_FLAGS,
    "teacher",
    "strategy",
    "baseline",
    required=("out", "teacher"),
)
def cmd_distill():
    """Distil a student from --teacher with --strategy.

    By default a student that the package ships pre-trained on synthetic
    data (tcn:5, resnet:1) starts from it, with the recipe's gentle
    settings, and its tracker is calibrated and saved beside it;
    --from_scratch trains fresh weights. The teacher and the student
    trained on the labels alone (--baseline) are scored on the same
    held-out participants.
    """
    import keras

    from keras_ppg_kd.losses import get
    from keras_ppg_kd.study import recipes

    get(FLAGS.strategy)  # fail on an unknown strategy before any work
    _progress()  # a --tensorboard without its package fails first
    try:
        teacher = keras.saving.load_model(FLAGS.teacher)
    except (OSError, ValueError) as error:
        raise app.UsageError(f"Cannot load --teacher: {error}") from None
    start = _shipped_start("distill")
    train, test = _recipe_holdout(teacher)
    _check_no_leak(FLAGS.teacher, test)
    if start is None:
        model, result, baseline, extra = _distill_scratch(teacher, train, test)
    else:
        model, result, baseline, extra = _distill_recipe(
            teacher, train, test, start
        )
    teacher_mae, teacher_rmse = recipes.evaluate(teacher, test)
    extra.update(teacher_mae=teacher_mae, teacher_rmse=teacher_rmse)
    collapsed = {}
    for name, scored in (("teacher " + teacher.name, teacher), baseline):
        warning = scored is not None and _collapsed(scored, test, name)
        if warning:
            collapsed[name] = warning
    extra["collapsed"] = collapsed
    if baseline[1] is not None:  # to export and compare on recordings
        os.makedirs(FLAGS.out, exist_ok=True)
        kept = os.path.join(FLAGS.out, f"{model.name}_no_distillation.keras")
        baseline[1].save(kept)
        extra["baseline"] = os.path.basename(kept)
    _save(model, result, train, test, "distill", extra)
    line = (
        f"on the same {len(_participants(test))} held-out participants: "
        f"teacher {teacher.name} MAE {teacher_mae:.2f} BPM"
    )
    if baseline[1] is not None:
        gain = extra["baseline_mae"] - result.mae
        line += (
            f"; without distillation (labels alone, same start and data) "
            f"{extra['baseline_mae']:.2f} BPM: distillation "
            + (
                f"gained {gain:.2f} BPM"
                if gain >= 0
                else f"lost {-gain:.2f} BPM"
            )
        )
    print(line)


def _distill_scratch(teacher, train, test):
    """The study's distillation from fresh weights (and its baseline)."""
    from keras_ppg_kd.study import recipes

    fit = _progress()
    fit_on = _early_stopping(train, fit)
    model, result = recipes.distill(
        teacher,
        fit_on,
        test,
        model=FLAGS.model_id,
        strategy=FLAGS.strategy,
        seed=FLAGS.seed,
        **fit,
    )
    extra, baseline = {"start": "scratch"}, None
    if FLAGS.baseline:
        fit = _progress(label=FLAGS.model_id.replace(":", "") + "-labels")
        baseline, scored = recipes.train_scratch(
            _early_stopping(train, fit),
            test,
            model=FLAGS.model_id,
            seed=FLAGS.seed,
            **fit,
        )
        extra.update(baseline_mae=scored.mae, baseline_rmse=scored.rmse)
    return model, result, ("no-distillation baseline", baseline), extra


def _distill_recipe(teacher, train, test, start):
    """The recipe's distillation from the shipped ``start`` (and its
    baseline); the student's tracker is saved beside it."""
    from keras_ppg_kd import models
    from keras_ppg_kd.study import recipes
    from keras_ppg_kd.study.generalize import (
        synthetic_windows,
        train_and_distill,
    )

    recipe = _recipe(train.config)
    recipe = recipe.replace(
        student_epochs=FLAGS.epochs or recipe.student_epochs
    )
    label = FLAGS.model_id.replace(":", "")
    held, callbacks, counted = _recipe_fit(train, recipe.student_epochs, label)
    recipe = recipe.replace(validation_participants=held)
    print(
        f"starting from the shipped {start}, distilled gently (Adam "
        f"{recipe.student_learning_rate:g}, synthetic windows mixed in, "
        f"averaged {1 - recipe.finetune_weight:.0%} back to the start)"
    )
    synthetic = synthetic_windows(recipe)
    run = dict(teacher=teacher, seed=FLAGS.seed, synthetic=synthetic)
    trained = train_and_distill(train, recipe, callbacks=callbacks, **run)
    result = recipes.record(
        trained.student,
        test,
        "student",
        FLAGS.model_id,
        FLAGS.strategy,
        models.label(teacher),
        epochs=len(counted),
        wall_time_s=trained.log["student_s"] - trained.log["teacher_s"],
        seed=FLAGS.seed,
        train_windows=len(train),
    )
    extra = _recipe_record(recipe, start)
    extra.update(
        selected_epoch=trained.log["student_epoch"],
        validation_participants=_participants(trained.validation),
    )
    os.makedirs(FLAGS.out, exist_ok=True)
    tracker = os.path.join(FLAGS.out, trained.student.name + "_tracker.json")
    trained.tracker.save(tracker)
    extra["tracker"] = os.path.basename(tracker)
    print(
        f"tracker calibrated on the held-out participants -> {tracker} "
        "(examples/hr_from_recording.py --tracker)"
    )
    baseline = None
    if FLAGS.baseline:
        _, callbacks, _ = _recipe_fit(
            train, recipe.student_epochs, label + "-labels", say=False
        )
        baseline = train_and_distill(
            train, recipe.replace(strategy="none"), callbacks=callbacks, **run
        ).student
        extra["baseline_mae"], extra["baseline_rmse"] = recipes.evaluate(
            baseline, test
        )
    return (
        trained.student,
        result,
        ("no-distillation baseline", baseline),
        extra,
    )


@_command(
    "config",
    "engine",
    "workers",
    "ray_address",
    "gpus_per_cell",
    "shard",
    "dry_run",
    "epochs",
    "data_dir",
    "manual_dir",
    "out",
    *_PROGRESS_FLAGS,
)
def cmd_sweep():
    """Run or resume a study (or --dry_run it).

    Any StudyConfig field can be set with --config.<field>=value, e.g.
    --config.epochs=3 --config.students=resnet:1,resnet:2,mlp:1
    --config.strategies=soft,dkd:temperature=4 --config.scratch=false.
    """
    from keras_ppg_kd.study import get_config, run_sweep
    from keras_ppg_kd.study.cost import dry_run
    from keras_ppg_kd.study.plan import parse_shard

    config = get_config(FLAGS.config).override(_OVERRIDES)
    if FLAGS.epochs:
        config = config.replace(epochs=FLAGS.epochs)
    shard = parse_shard(FLAGS.shard) if FLAGS.shard else None
    if FLAGS.dry_run:
        dry_run(config, FLAGS.data_dir, _manual_dir())
        return
    out = FLAGS.out
    if out is None:
        raise app.UsageError("--out is required (except with --dry_run)")
    table = run_sweep(
        config,
        out,
        data_dir=FLAGS.data_dir,
        manual_dir=_manual_dir(),
        engine=FLAGS.engine,
        ray_address=FLAGS.ray_address,
        gpus_per_cell=FLAGS.gpus_per_cell,
        workers=FLAGS.workers,
        shard=shard,
        epoch_lines=FLAGS.epoch_progress,
        tensorboard=FLAGS.tensorboard,
    )
    print(f"{len(table)} finished cells -> {out}/results.csv")


@_command(
    "results",
    "teacher_blocks",
    "target_mae",
    "predict_params",
    required=("results",),
)
def cmd_fit():
    """Fit both scaling laws per strategy; predict and invert."""
    from keras_ppg_kd.study import report

    table = report.read_results(FLAGS.results)
    families = report.student_families(table)
    by_family = {
        family: report.fit_strategies(table, FLAGS.teacher_blocks, family)
        for family in families
    }
    by_family = {f: fits for f, fits in by_family.items() if fits}
    if not by_family:
        students = table[table["role"] != "teacher"]
        per_family = students.groupby("model")["size"].unique()
        sizes = "; ".join(
            f"{f}: {', '.join(str(s) for s in sorted(per_family[f]))}"
            for f in families
        )
        raise app.UsageError(
            "No strategy has >= 3 student sizes of one family in "
            f"--results (sizes per family: {sizes or 'none'}); a scaling "
            "law needs three. Add student sizes to the sweep."
        )

    def more(strategy, best):
        lines = []
        if FLAGS.predict_params:
            lines.append(
                f"    predicted MAE at {FLAGS.predict_params:,} parameters: "
                f"{best.predict(FLAGS.predict_params):.2f} BPM"
            )
        if FLAGS.target_mae:
            try:
                needed = best.invert(FLAGS.target_mae)
                lines.append(
                    f"    smallest student for {FLAGS.target_mae} BPM: "
                    f"{needed:,.0f} parameters"
                )
            except ValueError as error:
                lines.append(f"    {error}")
        return lines

    for family, fits in by_family.items():
        print(f"{family} students:")
        print(report.format_fits(fits, more))


@_command("results", "teacher_blocks", "out", required=("results",))
def cmd_report():
    """Write Table 2, fits and Figures 1-3 next to the results."""
    from keras_ppg_kd.study import report

    results = FLAGS.results.split(",")
    first = results[0]
    out = FLAGS.out or os.path.join(
        first if os.path.isdir(first) else os.path.dirname(first),
        "report",
    )
    results = results if len(results) > 1 else first
    text, paths = report.report(results, out, teacher=FLAGS.teacher_blocks)
    print(text)
    print("\n".join(["wrote:", *paths]))


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
    path = export_tflite(
        model,
        os.path.join(out, f"{model.name}_{FLAGS.quantization}.tflite"),
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


@_command("fits", "flash_kb", "ram_kb", "latency_ms", "sizes")
def cmd_plan():
    """Recommend a student for --flash_kb/--ram_kb/--latency_ms."""
    from keras_ppg_kd.deploy import load_fits, measure_candidates, plan
    from keras_ppg_kd.deploy.planner import cross_device_note

    laws = load_fits(FLAGS.fits)  # fail on bad fits before measuring
    students = [
        s if ":" in s else f"{laws.family}:{s}" for s in FLAGS.sizes or ()
    ]
    students = students or laws.sizes()
    if not students:
        _fail("plan", f"{laws.source} lists no measured sizes; pass --sizes")
    laws.check_family(students)
    # Sizes the laws file measured are read from it; others are measured.
    candidates = measure_candidates(students, known=laws.edge)
    result = plan(
        laws,
        candidates,
        flash_kb=FLAGS.flash_kb,
        ram_kb=FLAGS.ram_kb,
        latency_ms=FLAGS.latency_ms,
    )
    print(
        f"{'strategy':<9} {'student':>10} {'params':>8} {'KB':>6} "
        f"{'arena':>6} {'us':>6} {'MAE':>6} {'95 %':>11}  fits"
    )
    for o in result.options:
        c, (low, high) = o.candidate, o.interval
        print(
            f"{o.strategy:<9} {c.model:>10} {c.params:>8,} {c.flash_kb:>6.1f} "
            f"{c.ram_kb:>6.1f} {c.latency_ms * 1e3:>6.0f} {o.mae:>6.2f} "
            f"{low:>5.2f}-{high:<5.2f}  {'yes' if o.fits_budget else 'no'}"
        )
    print(result.summary())
    if result.population.startswith("synthetic"):
        print(cross_device_note(result.candidate.model))


def _fail(command, message):
    """Print one short error (no help dump) and exit with status 2."""
    where = f"keras-ppg-kd {command}" if command else "keras-ppg-kd"
    print(
        f"{where}: error: {message}\n(`{where} --help` lists the flags)",
        file=sys.stderr,
    )
    sys.exit(2)


def _main(argv):
    if len(argv) < 2 or argv[1] not in _COMMANDS:
        received = argv[1] if len(argv) > 1 else None
        _fail(
            None,
            f"expected a command, one of {sorted(_COMMANDS)}. Received: "
            f"{received!r}",
        )
    command = argv[1]
    if len(argv) > 2:
        _fail(command, f"unexpected arguments: {argv[2:]}")
    if _OVERRIDES and command != "sweep":
        _fail(
            command,
            f"--config.<field> overrides apply to `sweep` only. Received: "
            f"{', '.join(_OVERRIDE_PREFIX + k for k in _OVERRIDES)}",
        )
    if FLAGS["verbosity"].present and FLAGS.verbosity >= 0:
        from keras_ppg_kd import _logs

        # TensorFlow was imported with the package; its INFO lines now.
        print("\n".join(_logs.DROPPED), file=sys.stderr)
    else:
        logging.set_verbosity(logging.WARNING)
    function, accepted = _COMMANDS[command]
    ours = {name for _, names in _COMMANDS.values() for name in names}
    stray = sorted(n for n in ours - set(accepted) if FLAGS[n].present)
    if stray:
        _fail(
            command,
            f"{', '.join('--' + n for n in stray)} does not apply to "
            f"`{command}`; its flags: {', '.join('--' + n for n in accepted)}",
        )
    missing = [n for n in _REQUIRED[command] if getattr(FLAGS, n) in (None, "")]
    if missing:
        _fail(command, f"{', '.join('--' + n for n in missing)} is required")
    try:
        function()
    except (ValueError, FileNotFoundError, app.UsageError) as error:
        # bad input or a missing folder: one line, no traceback
        _fail(command, str(error))


def _help(argv):
    """The help text: the command's own flags, or the list of commands."""
    command = next((a for a in argv[1:] if a in _COMMANDS), None)
    if command is None:
        return (
            __doc__.replace("``", "`")
            + "\nRun `keras-ppg-kd COMMAND --help` for a command's flags; "
            "--version prints the version; --helpfull lists every flag."
        )
    function, accepted = _COMMANDS[command]
    lines = [
        f"usage: keras-ppg-kd {command} [--flag=value ...]",
        "",
        function.__doc__.strip(),
        "",
        "flags:",
    ]
    for name in accepted:
        flag = FLAGS[name]
        if name in _REQUIRED[command]:
            default = "required"
        elif flag.default is None:
            default = "optional"
        else:
            default = f"default: {flag.default!r}"
        lines.append(f"  --{name}: {flag.help} ({default})")
    lines.append(
        "  --verbosity: 0 shows INFO logs, TensorFlow's included "
        "(default: warnings and errors only)"
    )
    return "\n".join(lines)


def _take_override(arg):
    """Record ``--config.<field>=value`` in _OVERRIDES; False for others."""
    if not arg.startswith(_OVERRIDE_PREFIX):
        return False
    name, sep, value = arg[len(_OVERRIDE_PREFIX) :].partition("=")
    if not (name and sep):
        _fail(
            "sweep",
            f"write overrides as --config.<field>=value. Received: {arg!r}",
        )
    _OVERRIDES[name] = value
    return True


def run():
    """Console-script entry point."""
    argv = sys.argv
    if "--version" in argv[1:]:
        from keras_ppg_kd.version import __version__

        print(f"keras-ppg-kd {__version__}")
        return
    if {"--help", "-h", "--helpshort", "help"} & set(argv[1:]):
        print(_help(argv))
        return
    argv = [a for a in argv if not _take_override(a)]
    # absl's --helpfull prints the __main__ docstring and the flags of the
    # program file; for an installed console script neither is this module.
    sys.modules["__main__"].__doc__ = __doc__
    for flag in FLAGS.flags_by_module_dict().get(__name__, []):
        FLAGS.register_key_flag_for_module(sys.argv[0], flag)
    app.run(_main, argv=argv)


if __name__ == "__main__":
    run()
