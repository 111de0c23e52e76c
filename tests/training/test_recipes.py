"""Recipes: the steps they train and the schedule those steps follow."""

import json

import keras
import numpy as np
import pytest
from keras import ops

from keras_ppg_kd import pretrained
from keras_ppg_kd.data import (
    SyntheticConfig,
    WindowSet,
    generate_recording,
    windows_from_recording,
)
from keras_ppg_kd.data.splits import participant_keys
from keras_ppg_kd.training import recipes


@pytest.fixture(scope="module")
def windows():
    config = SyntheticConfig(num_participants=2, minutes=1, seed=5)
    return WindowSet.concatenate(
        windows_from_recording(generate_recording(i, config)) for i in range(2)
    )


class Steps(keras.callbacks.Callback):
    """Optimizer steps and learning rate at the end of training."""

    def on_train_end(self, logs=None):
        optimizer = self.model.optimizer
        self.steps = int(ops.convert_to_numpy(optimizer.iterations))
        self.rate = float(ops.convert_to_numpy(optimizer.learning_rate))


@pytest.mark.parametrize("strategy", ["scratch", "dkd"])
def test_full_batches_only_and_the_cosine_ends_at_zero(windows, strategy):
    batch = 16
    assert len(windows) % batch  # there is a last partial batch to leave out
    steps = Steps()
    common = dict(
        epochs=2,
        batch_size=batch,
        learning_rate=1e-3,
        schedule="cosine",
        callbacks=[steps],
    )
    test = windows.subset(np.arange(8))
    if strategy == "scratch":
        recipes.train_scratch(windows, test, **common)
    else:
        recipes.distill(pretrained.load(), windows, test, **common)
    assert steps.steps == 2 * (len(windows) // batch)
    assert steps.steps == 2 * recipes.steps_per_epoch(len(windows), batch)
    assert steps.rate == pytest.approx(0.0, abs=1e-9)


def test_a_set_smaller_than_a_batch_still_trains_a_step_per_epoch(windows):
    few = windows.subset(np.arange(5))
    steps = Steps()
    _, record = recipes.train_scratch(
        few, few, epochs=3, batch_size=32, schedule="cosine", callbacks=[steps]
    )
    assert steps.steps == 3 and np.isfinite(record.mae)


def test_cross_fitted_logits_come_from_the_teacher_that_did_not_see_them():
    config = SyntheticConfig(num_participants=4, minutes=0.5, seed=5)
    train = WindowSet.concatenate(
        windows_from_recording(generate_recording(i, config)) for i in range(4)
    )
    teachers, outputs, results = recipes.cross_fitted_teachers(
        train, folds=2, model=1, epochs=1, batch_size=16
    )
    logits = outputs["logits"]
    assert len(teachers) == len(results) == 2
    assert logits.shape == (len(train), 180)
    keys = participant_keys(train)
    # each teacher's record lists the participants it held out
    held_out = [set(json.loads(r.participant_mae)) for r in results]
    assert held_out[0].isdisjoint(held_out[1])
    assert held_out[0] | held_out[1] == set(np.unique(keys).tolist())
    for k, teacher in enumerate(teachers):
        held = np.isin(keys, sorted(held_out[k]))
        assert results[k].train_windows == np.sum(~held)
        assert results[k].test_windows == np.sum(held)
        np.testing.assert_allclose(
            logits[held],
            teacher.predict(train.windows[held], verbose=0),
            rtol=1e-5,
            atol=1e-5,
        )
        # the other teacher scores these windows differently
        other = teachers[1 - k].predict(train.windows[held], verbose=0)
        assert not np.allclose(logits[held], other, atol=1e-3)
    # logits serve logit losses; a feature loss needs the teachers' taps
    common = dict(epochs=1, batch_size=16, teacher_outputs=outputs)
    student, record = recipes.distill(
        teachers[0], train, train, strategy="dkd", **common
    )
    assert np.isfinite(record.mae)
    with pytest.raises(ValueError, match=r"lack \['head'\].*logit losses"):
        recipes.distill(teachers[0], train, train, strategy="feature", **common)


def test_a_bare_feature_strategy_takes_the_taps_its_student_names():
    from keras_ppg_kd.losses import DKD, FeatureDistillation

    mlp = recipes.resolve_strategy("feature", "mlp:1")[0]
    assert (mlp.teacher_tap, mlp.student_tap) == ("pool", "head")
    tcn, dkd, tuned = recipes.resolve_strategy(
        ["feature", "dkd", "feature:ce_weight=0"], "tcn:2"
    )
    assert isinstance(tcn, FeatureDistillation)
    assert (tcn.teacher_tap, tcn.student_tap) == ("head", "head")
    assert isinstance(dkd, DKD)
    # a configured strategy is taken as written
    assert tuned.ce_weight == 0.0 and tuned.teacher_tap == "head"
    # the hook itself, on a built model
    built = FeatureDistillation.for_student(recipes.models.get("mlp:1"))
    assert built.get_config() == mlp.get_config()
