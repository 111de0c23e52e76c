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


def test_check_collapse_fires_on_a_constant_predictor_only():
    from keras_ppg_kd.metrics import check_collapse

    reference = np.linspace(90.0, 130.0, 150)  # a run: 40 BPM of change
    constant = np.full(150, 120.0)  # 120 BPM whatever the window
    found = check_collapse(constant, reference, name="tcn_5", hint="x.")
    assert found.std_bpm == 0.0 and found.mode_share == 1.0
    assert found.mode_bpm == 120.0
    assert found.reference_std_bpm == pytest.approx(np.std(reference))
    message = found.message()
    assert message.startswith("warning: tcn_5 has collapsed")
    assert "100% of them at 120 BPM" in message and message.endswith("x.")
    # 141 of 150 windows on one answer, the rest elsewhere: still collapsed
    # (std 4.8 BPM, 94 % on one class), with or without a reference.
    mostly = constant.copy()
    mostly[:9] = 100.0
    assert check_collapse(mostly).mode_share == pytest.approx(141 / 150)
    assert check_collapse(mostly, reference) is not None
    # A good model: errors of a few BPM around the reference.
    good = reference + np.random.default_rng(0).normal(0.0, 5.0, 150)
    assert check_collapse(good, reference) is None
    assert check_collapse(good) is None
    # A steady heart rate answered steadily is right, not collapsed.
    assert check_collapse(np.full(150, 70.0), np.full(150, 70.0)) is None
    # Too few windows to judge; non-finite values are left out.
    assert check_collapse(constant[:9], reference[:9]) is None
    with_nan = np.concatenate([constant, [np.nan] * 5])
    assert check_collapse(with_nan).windows == 150
    with pytest.raises(ValueError, match="one value per window"):
        check_collapse(constant, reference[:10])
