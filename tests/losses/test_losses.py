import keras
import numpy as np
import pytest

from keras_ppg_kd import losses
from keras_ppg_kd.losses import (
    DKD,
    FeatureDistillation,
    HardDistillation,
    SoftDistillation,
    dkd_loss,
    dkd_terms,
    feature_distillation_loss,
    hard_distillation_loss,
    soft_distillation_loss,
)
from tests.losses import reference

RNG = np.random.default_rng(0)
T_LOGITS = RNG.normal(size=(6, 180)).astype("float32") * 3
S_LOGITS = RNG.normal(size=(6, 180)).astype("float32") * 3
LABELS = RNG.integers(0, 180, 6)


def test_soft_by_hand_two_classes():
    # p_t = [0.5, 0.5], p_s = softmax([ln 3, 0]) = [0.75, 0.25], T = 1
    value = soft_distillation_loss(
        np.array([[0.0, 0.0]]), np.array([[np.log(3.0), 0.0]]), 1.0
    )
    expected = 0.5 * np.log(0.5 / 0.75) + 0.5 * np.log(0.5 / 0.25)
    assert float(value) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.0, 4.0, 20.0])
def test_soft_matches_reference_and_t_squared(temperature):
    value = soft_distillation_loss(T_LOGITS, S_LOGITS, temperature)
    expected = reference.soft(T_LOGITS, S_LOGITS, temperature)
    assert float(value) == pytest.approx(expected, rel=1e-4)
    kl_only = reference.soft(T_LOGITS, S_LOGITS, temperature) / temperature**2
    assert float(value) / temperature**2 == pytest.approx(kl_only, rel=1e-4)


def test_hard_matches_reference():
    value = hard_distillation_loss(T_LOGITS, S_LOGITS)
    assert float(value) == pytest.approx(
        reference.hard(T_LOGITS, S_LOGITS), rel=1e-5
    )


@pytest.mark.parametrize("temperature", [1.0, 2.0, 8.0])
def test_dkd_matches_reference(temperature):
    tckd, nckd = dkd_terms(T_LOGITS, S_LOGITS, LABELS, temperature)
    ref_t, ref_n = reference.dkd_terms(T_LOGITS, S_LOGITS, LABELS, temperature)
    np.testing.assert_allclose(tckd, ref_t, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(nckd, ref_n, rtol=1e-4, atol=1e-6)
    value = dkd_loss(T_LOGITS, S_LOGITS, LABELS, 1.0, 8.0, temperature)
    assert float(value) == pytest.approx((ref_t + 8 * ref_n).mean(), rel=1e-4)


@pytest.mark.parametrize("temperature", [1.0, 2.0, 5.0])
def test_dkd_identity_per_sample(temperature):
    # KD = TCKD + (1 - p_t) * NCKD, per sample, all at temperature T.
    tckd, nckd = dkd_terms(T_LOGITS, S_LOGITS, LABELS, temperature)
    kd = temperature**2 * reference.kl(
        reference.softmax(T_LOGITS, temperature),
        reference.softmax(S_LOGITS, temperature),
    )
    p_t = reference.softmax(T_LOGITS, temperature)[np.arange(6), LABELS]
    np.testing.assert_allclose(
        kd, np.asarray(tckd) + (1 - p_t) * np.asarray(nckd), rtol=1e-4
    )


@pytest.mark.parametrize("temperature", [0.5, 1.0, 4.0, 20.0])
def test_extreme_logits_stay_finite(temperature):
    big_t = np.full((4, 180), -1e4, "float32")
    big_t[np.arange(4), [0, 5, 90, 179]] = 1e4  # one-hot teacher
    big_s = -big_t
    labels = np.array([0, 5, 1, 179])
    for value in [
        soft_distillation_loss(big_t, big_s, temperature),
        dkd_loss(big_t, big_s, labels, 1.0, 8.0, temperature),
        hard_distillation_loss(big_t, big_s),
        *dkd_terms(big_t, big_s, labels, temperature),
    ]:
        assert np.isfinite(np.asarray(value)).all()
    assert float(soft_distillation_loss(big_t, big_t, temperature)) == 0.0


def test_float16_inputs_computed_in_float32():
    value = soft_distillation_loss(
        T_LOGITS.astype("float16"), S_LOGITS.astype("float16"), 2.0
    )
    assert value.dtype == "float32"
    expected = reference.soft(
        T_LOGITS.astype("float16"), S_LOGITS.astype("float16"), 2.0
    )
    assert float(value) == pytest.approx(expected, rel=1e-3)
    tckd, _ = dkd_terms(
        np.full((2, 180), 6e4, "float16"),
        np.zeros((2, 180), "float16"),
        [0, 1],
        0.5,
    )
    assert np.isfinite(np.asarray(tckd)).all()


def test_feature_loss_is_mse():
    # Differences of 2 and 0: MSE gives 2, MAE would give 1.
    a = np.zeros((2, 3, 4))
    b = np.zeros((2, 3, 4))
    b[..., :2] = 2.0
    assert float(feature_distillation_loss(a, b)) == pytest.approx(2.0)


def test_dkd_warmup_ramp_and_label_requirement():
    loss = DKD(warmup_steps=10)
    full = float(loss.compute_loss(T_LOGITS, S_LOGITS, labels=LABELS))
    half = float(loss.compute_loss(T_LOGITS, S_LOGITS, labels=LABELS, step=5))
    assert half == pytest.approx(full / 2, rel=1e-5)
    with pytest.raises(ValueError, match="needs the true labels"):
        loss.compute_loss(T_LOGITS, S_LOGITS)


@pytest.mark.parametrize(
    "loss",
    [
        HardDistillation(ce_weight=0.3),
        SoftDistillation(temperature=3.0),
        DKD(alpha=0.5, beta=4.0, temperature=3.0, warmup_steps=7),
        FeatureDistillation("block_2", "block_1", ce_weight=0.0),
    ],
)
def test_config_round_trip(loss):
    clone = type(loss).from_config(loss.get_config())
    assert clone.get_config() == loss.get_config()
    restored = keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(loss)
    )
    assert type(restored) is type(loss)
    assert restored.get_config() == loss.get_config()


def test_registry_and_errors():
    assert isinstance(losses.get("dkd"), DKD)
    assert isinstance(losses.get("Soft"), SoftDistillation)
    assert losses.get("dkd").get_config() == {
        "ce_weight": 1.0,
        "alpha": 1.0,
        "beta": 8.0,
        "temperature": 2.0,
        "warmup_steps": 0,
    }
    with pytest.raises(ValueError, match=r"'fitnet'.*\['dkd', 'feature'"):
        losses.get("fitnet")
    with pytest.raises(ValueError, match="temperature=0"):
        SoftDistillation(temperature=0)
    with pytest.raises(ValueError, match="beta=-1"):
        DKD(beta=-1)
