"""Recipes: the steps they train and the schedule those steps follow."""

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
from keras_ppg_kd.study import recipes


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
