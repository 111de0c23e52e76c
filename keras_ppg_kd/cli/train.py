"""``keras-ppg-kd train``: a teacher or scratch model on named datasets."""

from keras_ppg_kd.cli._common import (
    _command,
    _early_stopping,
    _holdout,
    _participants,
    _progress,
    _save,
)
from keras_ppg_kd.cli._flags import _TRAIN_FLAGS, FLAGS
from keras_ppg_kd.cli._recipe import (
    _describe,
    _recipe,
    _recipe_fit,
    _recipe_holdout,
    _recipe_record,
    _shipped_start,
)


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
    from keras_ppg_kd.training import recipes
    from keras_ppg_kd.training.generalize import finetune_teacher

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
