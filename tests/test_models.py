import dataclasses

import keras
import numpy as np
import pytest

from keras_ppg_kd import MLP, HRClasses, ResNet1D, mlp_for_budget, models
from keras_ppg_kd.models import STUDY_PARAMETER_COUNTS, TCN
from keras_ppg_kd.protocol import WindowConfig


def _trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


@pytest.mark.parametrize("num_blocks", sorted(STUDY_PARAMETER_COUNTS))
def test_reference_parameter_count_matches_study(num_blocks):
    # Counted as the study's PyTorch code counts (incl. its unused layers).
    model = ResNet1D(num_blocks)
    study = STUDY_PARAMETER_COUNTS[num_blocks]
    assert model.reference_parameter_count() == pytest.approx(study, rel=0.02)


@pytest.mark.parametrize("num_blocks", [6, 8, 10, 12])
def test_trainable_parameters_within_ten_percent(num_blocks):
    model = ResNet1D(num_blocks)
    study = STUDY_PARAMETER_COUNTS[num_blocks]
    assert _trainable(model) == pytest.approx(study, rel=0.10)


def test_small_resnet_parameter_table():
    # Without the reference's dead layers the small models are smaller;
    # documented in README next to the study's figures.
    assert _trainable(ResNet1D(1)) == 16_628
    assert _trainable(ResNet1D(2)) == 27_060


def test_resnet_shapes_and_downsampling():
    model = ResNet1D(4, dropout=0.0)
    assert model.output.shape == (None, 180)
    assert model.tap_output("block_1").shape == (None, 200, 32)
    assert model.tap_output("block_2").shape == (None, 100, 32)
    assert model.tap_output("block_4").shape == (None, 50, 32)
    big = ResNet1D(9)
    assert big.tap_output("block_5").shape[-1] == 64
    assert big.tap_output("block_9").shape[-1] == 128


def test_the_model_owns_its_protocol():
    protocol = WindowConfig(
        target_rate=32.0, band=(0.5, 8.0), classes=HRClasses(40.0, 130.0)
    )
    for model in (
        ResNet1D(2, protocol=protocol),
        TCN(2, protocol=protocol),
        MLP((8,), protocol=protocol),
        models.get("mlp:1", protocol=protocol),
    ):
        assert model.protocol == protocol
        assert model.input_length == 256 and model.num_classes == 90
        assert model.sampling_rate == 32.0
        assert model.get_config()["protocol"] == protocol.get_config()
        assert WindowConfig.for_model(model) == protocol
    with pytest.raises(ValueError, match="protocol=4"):
        ResNet1D(1, protocol=4)
    with pytest.raises(ValueError, match="class range"):
        WindowConfig().check_model(
            ResNet1D(
                1,
                protocol=dataclasses.replace(
                    WindowConfig(), classes=HRClasses(40.0, 220.0)
                ),
            )
        )


def test_a_model_saved_before_it_owned_its_protocol_loads(tmp_path):
    """Old files kept length, channels, classes and rate as arguments."""
    old = ResNet1D(1, protocol=WindowConfig(accelerometer=True))
    config = {**old.get_config(), "input_length": 200, "channels": 4}
    config.update(num_classes=180, sampling_rate=25.0)
    del config["protocol"]
    rebuilt = ResNet1D.from_config(config)
    assert rebuilt.protocol == WindowConfig(accelerometer=True)
    from keras_ppg_kd import pretrained

    shipped = pretrained.load("synthetic_tcn5")  # saved with the old keys
    assert shipped.protocol == WindowConfig()


def test_feature_model_shares_weights():
    model = ResNet1D(2)
    features = model.feature_model(["block_1", "pool"])
    x = np.random.default_rng(0).normal(size=(3, 200, 1)).astype("float32")
    out = features(x, training=False)
    np.testing.assert_allclose(
        out["logits"], model(x, training=False), rtol=1e-5, atol=1e-5
    )
    assert out["block_1"].shape == (3, 200, 32)


def test_unknown_tap_lists_available():
    with pytest.raises(
        ValueError, match=r"'block_9'.*Available taps: \['stem'"
    ):
        ResNet1D(2).tap_output("block_9")
    with pytest.raises(ValueError, match="hidden_1"):
        MLP((8,)).feature_model(["block_1"])


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_blocks": 0}, "num_blocks=0"),
        ({"num_blocks": 2.5}, "num_blocks=2.5"),
        ({"num_blocks": 2, "dropout": 1.0}, "dropout=1.0"),
    ],
)
def test_resnet_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ResNet1D(**kwargs)


def test_mlp_bad_arguments():
    with pytest.raises(ValueError, match="hidden_units=-4"):
        MLP((16, -4))
    with pytest.raises(ValueError, match=r"hidden_units=\(\)"):
        MLP(())
    with pytest.raises(ValueError, match="num_params=10"):
        mlp_for_budget(10)


@pytest.mark.parametrize("budget", [20_000, 34_000, 139_000, 550_000])
def test_mlp_for_budget(budget):
    model = mlp_for_budget(budget, depth=2)
    assert model.count_params() == pytest.approx(budget, rel=0.01)
    assert mlp_for_budget(budget, depth=1).count_params() == pytest.approx(
        budget, rel=0.01
    )


@pytest.mark.parametrize(
    "build",
    [
        lambda: ResNet1D(3, name="teacher"),
        lambda: MLP((32, 16)),
        lambda: ResNet1D(1, protocol=WindowConfig(accelerometer=True)),
        lambda: TCN(2, protocol=WindowConfig(accelerometer=True)),
        lambda: models.get("tcnw:8"),
    ],
)
def test_save_load_round_trip(tmp_path, build):
    model = build()
    shape = (4, 200, model.channels)
    x = np.random.default_rng(1).normal(size=shape).astype("float32")
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is type(model)
    assert loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(
        loaded(x, training=False), model(x, training=False)
    )
    assert loaded.feature_taps == model.feature_taps


def test_get_config_round_trip():
    model = ResNet1D(5, base_filters=16, kernel_size=3)
    clone = ResNet1D.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    assert clone.count_params() == model.count_params()


def test_width_scaled_resnet_grows_with_width_only(tmp_path):
    import keras

    from keras_ppg_kd import models

    small, large = models.get("resnetw:8"), models.get("resnetw:32")
    assert small.count_params() < large.count_params()
    # Same depth (what the model sees); resnetw:32 is ResNet1D(2) itself.
    assert small.num_blocks == large.num_blocks == 2
    assert models.cost("resnetw:32") == models.cost("resnet:2")
    small.save(tmp_path / "w8.keras")
    loaded = keras.saving.load_model(tmp_path / "w8.keras")
    assert loaded.base_filters == 8 and loaded.name == "resnet1d_2w8"
    with pytest.raises(ValueError, match="resnetw:0"):
        models.get("resnetw:0")


def test_every_family_says_what_its_size_counts():
    means = {family: models.size_means(family) for family in models.REGISTRY}
    assert means["resnet"] == means["tcn"] == "blocks"
    assert means["resnetw"] == "base filters" and means["tcnw"] == "filters"
    assert all(m != "size" for m in means.values()), means


def test_the_default_family_is_what_a_bare_size_names():
    assert models.DEFAULT_FAMILY == "resnet" == ResNet1D.family
    assert models.parse(3) == (models.DEFAULT_FAMILY, 3)
    assert models.label(models.get(2)) == 2
    assert models.label(models.get("tcn:2")) == "tcn:2"
