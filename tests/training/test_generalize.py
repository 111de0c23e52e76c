"""The generalizing recipe: overrides, validation split, shipped models."""

import numpy as np
import pytest

from keras_ppg_kd import models, pretrained
from keras_ppg_kd.data import (
    SyntheticConfig,
    WindowSet,
    generate_recording,
    windows_from_recording,
)
from keras_ppg_kd.models import ResNet1D
from keras_ppg_kd.protocol import WindowConfig, preset_name
from keras_ppg_kd.training.generalize import (
    GeneralizingRecipe,
    interpolate_weights,
    load_weights_expanding_inputs,
    pretrain_teacher,
    score,
    split_validation,
    train_and_distill,
)


def test_override_parses_fields_and_rejects_unknown_ones():
    recipe = GeneralizingRecipe().override(
        [
            "teacher_epochs=3",
            "label_sigma=1.5",
            "augmentation.stretch_prob=0",
            "augmentation.hr_range=50,150",
            "pretrained_teacher=",
        ]
    )
    assert recipe.teacher_epochs == 3 and recipe.label_sigma == 1.5
    assert recipe.augmentation.stretch_prob == 0.0
    assert recipe.augmentation.hr_range == (50.0, 150.0)
    assert recipe.pretrained_teacher == ""
    assert (
        GeneralizingRecipe().override(["augmentation=None"]).augmentation
        is None
    )
    for bad in ("epochs=3", "augmentation.color=1", "x.y=2"):
        with pytest.raises(ValueError, match="Unknown recipe field"):
            GeneralizingRecipe().override([bad])


def test_validation_holds_out_whole_participants():
    config = SyntheticConfig(minutes=1)
    windows = WindowSet.concatenate(
        windows_from_recording(generate_recording(i, config)) for i in range(5)
    )
    train, validation = split_validation(windows, 2, seed=0)
    assert len(set(validation.participant)) == 2
    assert not set(train.participant) & set(validation.participant)
    assert len(train) + len(validation) == len(windows)
    with pytest.raises(ValueError, match="validation participants"):
        split_validation(windows, 5)
    table = score(validation, extra={"truth": validation.hr_bpm})
    assert (table["truth"] == 0).all() and table["windows"].sum() == len(
        validation
    )


def test_shipped_models_load_and_have_cards():
    student = pretrained.student_name("resnet:1")
    assert {pretrained.TEACHER_NAME, student} <= set(pretrained.available())
    for name, blocks in (
        (pretrained.TEACHER_NAME, 6),
        (student, 1),
    ):
        model = pretrained.load(name)
        assert model.num_blocks == blocks
        card = pretrained.model_card(name)
        unseen = card["unseen_ieee_spc2015_mae"]
        assert unseen["model"] < unseen["spectral_peak"]
        x = np.zeros((2, 200, 1), "float32")
        assert model.predict(x, verbose=0).shape == (2, 180)
    with pytest.raises(ValueError, match="No shipped model"):
        pretrained.load("nope")


@pytest.mark.parametrize("name", pretrained.available())
def test_every_card_has_one_parameter_count_its_input_and_its_file_hash(name):
    import hashlib
    import pathlib

    card = pretrained.model_card(name)
    model = pretrained.load(name)
    assert card["params"] == models.trainable_parameters(model)
    assert WindowConfig.from_config(card["input"]) == model.protocol
    path = pathlib.Path(pretrained.__file__).with_name(f"{name}.keras")
    assert card["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    for field in ("licence", "intended_use", "limitations", "package_version"):
        assert card[field], field
    if "int8" in card:  # a watch bundle: the int8 file and its tracker
        for part, find in (
            ("int8", pretrained.int8_path),
            ("tracker", pretrained.tracker_path),
        ):
            data = find(name).read_bytes()
            assert card[part]["sha256"] == hashlib.sha256(data).hexdigest()


def test_the_default_student_has_a_synthetic_start_and_tcn5_a_bundle():
    default = GeneralizingRecipe().student
    assert pretrained.student_name(default) in pretrained.available()
    # The watch bundle stays TCN(5): zero-shot it reads SPC 2015 0.39 BPM
    # better than synthetic_tcns5.
    name = pretrained.student_name("tcn:5")
    assert pretrained.int8_path(name).is_file()
    assert pretrained.tracker_path(name).is_file()
    with pytest.raises(ValueError, match="No shipped model file"):
        pretrained.int8_path(pretrained.TEACHER_NAME)


def test_accelerometer_recipe_starts_from_the_ppg_only_weights():
    recipe = GeneralizingRecipe(accelerometer=True)
    teacher = pretrain_teacher(recipe)
    plain = pretrained.load(pretrained.TEACHER_NAME)
    assert teacher.input_shape == (None, 200, 4)
    x = np.random.default_rng(0).normal(size=(4, 200, 4)).astype("float32")
    # Zero weights on the accelerometer: the same output whatever it holds.
    np.testing.assert_allclose(
        teacher.predict(x, verbose=0),
        plain.predict(x[..., :1], verbose=0),
        atol=1e-4,
    )
    with pytest.raises(ValueError, match="differ beyond the input"):
        load_weights_expanding_inputs(ResNet1D(6, base_filters=8), plain)
    ppg_only = windows_from_recording(
        generate_recording(0, SyntheticConfig(minutes=1))
    )
    with pytest.raises(ValueError, match="config 'cancel_motion_acc'"):
        train_and_distill(ppg_only, recipe)


def test_cancel_motion_recipe_takes_only_cleaned_windows():
    recipe = GeneralizingRecipe()  # cancel_motion by default
    assert recipe.window.cancel_motion and recipe.window.channels == 1
    assert preset_name(recipe.window) == "cancel_motion"
    plain = GeneralizingRecipe(cancel_motion=False)
    assert preset_name(plain.window) == "default"
    # The shipped teacher is carried over to the recipe's protocol, so the
    # student it teaches (and exports) names the windows it needs.
    teacher = pretrain_teacher(recipe)
    assert teacher.protocol == recipe.window
    plain = pretrained.load(pretrained.TEACHER_NAME)
    x = np.random.default_rng(0).normal(size=(2, 200, 1)).astype("float32")
    np.testing.assert_allclose(
        teacher.predict(x, verbose=0), plain.predict(x, verbose=0), atol=1e-5
    )
    # Windows of the same shape but not cleaned are refused.
    recording = generate_recording(0, SyntheticConfig(minutes=1))
    with pytest.raises(ValueError, match="config 'cancel_motion'"):
        train_and_distill(windows_from_recording(recording), recipe)
    cleaned = windows_from_recording(recording, recipe.window)
    assert cleaned.config == recipe.window
    both = recipe.replace(accelerometer=True)
    assert preset_name(both.window) == "cancel_motion_acc"
    assert both.window.channels == 4


def test_finetuned_weights_are_averaged_back_toward_the_start():
    """WiSE-FT: float weights (BatchNorm statistics too) move a fraction
    of the way from the start; 1 keeps the fine-tuned ones."""
    model = ResNet1D(1)
    start = [w + 1.0 for w in model.get_weights()]
    tuned = model.get_weights()
    interpolate_weights(model, start, 0.25)
    for now, a, b in zip(model.get_weights(), start, tuned, strict=True):
        np.testing.assert_allclose(now, 0.25 * b + 0.75 * a, rtol=1e-6)
    before = model.get_weights()
    interpolate_weights(model, start, 1.0)
    interpolate_weights(model, None, 0.5)  # started from scratch
    for now, then in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(now, then)
    with pytest.raises(ValueError, match="finetune_weight"):
        GeneralizingRecipe(finetune_weight=1.5)
    with pytest.raises(ValueError, match="calibration_participants=-1"):
        GeneralizingRecipe(calibration_participants=-1)
    for factors in ((), (0.0,), (1.0, float("inf"))):
        with pytest.raises(ValueError, match="temperature_factors"):
            GeneralizingRecipe(temperature_factors=factors)


def test_the_tracker_calibrates_on_synthetic_people_no_model_saw():
    from keras_ppg_kd.training.generalize import (
        calibration_windows,
        synthetic_windows,
    )

    recipe = GeneralizingRecipe(
        synthetic_participants=2,
        calibration_participants=3,
        synthetic_minutes=1,
    )
    trained_on, held = synthetic_windows(recipe), calibration_windows(recipe)
    assert len(np.unique(held.participant)) == 3
    # Other people (seed + 1): no window of theirs is a training window.
    first = {w.tobytes() for w in trained_on.windows[:, :, 0]}
    assert not first & {w.tobytes() for w in held.windows[:, :, 0]}
    assert calibration_windows(recipe.replace(synthetic_participants=0)) is None
    assert (
        calibration_windows(recipe.replace(calibration_participants=0)) is None
    )


@pytest.mark.slow
def test_fusion_and_tracker_fit_on_the_held_out_people():
    from keras_ppg_kd.training.generalize import calibration_windows

    config = SyntheticConfig(minutes=2, seed=5)
    recipe = GeneralizingRecipe(
        teacher_epochs=1,
        student_epochs=1,
        synthetic_participants=1,
        synthetic_minutes=1,
        calibration_participants=2,
        validation_participants=1,
        spectral_fusion=True,
    )
    train = WindowSet.concatenate(
        windows_from_recording(generate_recording(i, config), recipe.window)
        for i in range(3)
    )
    trained = train_and_distill(train, recipe)
    assert trained.fusion is not None
    calibration = len(trained.validation) + len(calibration_windows(recipe))
    assert trained.log["calibration_windows"] == calibration
    with pytest.raises(ValueError, match="spectral_fusion needs validation"):
        train_and_distill(train, recipe.replace(validation_participants=0))


def test_score_names_the_estimators_that_collapsed():
    windows = WindowSet.concatenate(
        windows_from_recording(
            generate_recording(
                i, SyntheticConfig(num_participants=2, minutes=2)
            )
        )
        for i in range(2)
    )
    constant = np.full(len(windows), 120.0)
    table = score(windows, extra={"constant": constant, "good": windows.hr_bpm})
    assert set(table.attrs["collapsed"]) == {"constant"}
    assert "constant has collapsed" in table.attrs["collapsed"]["constant"]
    assert table["good"].max() == 0.0
