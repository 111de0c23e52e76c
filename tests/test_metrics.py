import keras
import numpy as np
import pytest

from keras_ppg_kd import HeartRateMAE


def _one_hot_logits(classes):
    logits = np.full((len(classes), 180), -50.0, dtype="float32")
    logits[np.arange(len(classes)), classes] = 50.0
    return logits


def test_hr_mae_by_hand():
    metric = HeartRateMAE()
    metric.update_state(np.array([10, 20]), _one_hot_logits([13, 20]))
    assert float(metric.result()) == pytest.approx(1.5)
    metric.update_state(np.array([[0]]), _one_hot_logits([10]))
    assert float(metric.result()) == pytest.approx((3 + 0 + 10) / 3)


def test_hr_mae_in_compile_and_config_round_trip():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(180)])
    model.compile(
        "adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[HeartRateMAE(method="expectation")],
    )
    x = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    result = model.evaluate(x, np.arange(8), verbose=0, return_dict=True)
    assert np.isfinite(result["hr_mae"]) and result["hr_mae"] > 0
    clone = HeartRateMAE.from_config(
        HeartRateMAE(method="expectation").get_config()
    )
    assert clone.method == "expectation" and clone.classes.num_classes == 180
    with pytest.raises(ValueError, match="method='mode'"):
        HeartRateMAE(method="mode")
