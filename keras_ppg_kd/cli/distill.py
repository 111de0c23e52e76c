"""``keras-ppg-kd distill``: a student from a saved teacher.

From the shipped pre-trained student with the recipe's settings
(``_distill_recipe``) or from fresh weights (``_distill_scratch``), each
with its no-distillation baseline; the teacher's split is checked first.
"""

import os
import sys

from absl import app

from keras_ppg_kd.cli._common import (
    _collapsed,
    _command,
    _early_stopping,
    _participants,
    _progress,
    _record,
    _save,
)
from keras_ppg_kd.cli._flags import _TRAIN_FLAGS, FLAGS
from keras_ppg_kd.cli._recipe import (
    _recipe,
    _recipe_fit,
    _recipe_holdout,
    _recipe_record,
    _shipped_start,
)


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
    data (tcns:5, tcn:5, tcnw:8, tcnw:12, resnet:1) starts from it, with
    the recipe's gentle settings, and its tracker is calibrated and saved
    beside it; --from_scratch trains fresh weights. The teacher and the
    student trained on the labels alone (--baseline) are scored on the
    same held-out participants.
    """
    import keras

    from keras_ppg_kd.losses import get
    from keras_ppg_kd.training import recipes

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
        extra["baseline"] = _save_baseline(
            baseline[1], model, train, test, extra
        )
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


def _save_baseline(baseline, student, train, test, scores):
    """Save the no-distillation baseline as ``<student>_no_distillation``
    with a record of its own (so ``export`` finds its data and split);
    returns the ``.keras`` file's name."""
    import json

    os.makedirs(FLAGS.out, exist_ok=True)
    stem = os.path.join(FLAGS.out, f"{student.name}_no_distillation")
    baseline.save(stem + ".keras")
    record = {
        "role": f"no-distillation baseline of {student.name}",
        "mae": scores["baseline_mae"],
        "rmse": scores["baseline_rmse"],
        **_record("distill", train, test),
    }
    with open(stem + ".json", "w") as f:
        json.dump(record, f, indent=1)
    return os.path.basename(stem + ".keras")


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


def _distill_scratch(teacher, train, test):
    """The study's distillation from fresh weights (and its baseline)."""
    from keras_ppg_kd.training import recipes

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
    from keras_ppg_kd.training import recipes
    from keras_ppg_kd.training.generalize import (
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
