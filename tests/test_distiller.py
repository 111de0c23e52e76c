import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from keras_ppg_kd import MLP, Distiller, HRClasses, ResNet1D
from keras_ppg_kd.losses import DKD, FeatureDistillation, SoftDistillation
from keras_ppg_kd.protocol import WindowConfig
from tests.conftest import tensorflow_only

RNG = np.random.default_rng(0)
X = RNG.normal(size=(96, 200, 1)).astype("float32")
Y = RNG.integers(40, 80, 96).astype("int32")


def _pair(seed=0):
    keras.utils.set_random_seed(seed)
    return ResNet1D(3, name="teacher"), ResNet1D(1, name="student")


def _weights(model):
    return [w.numpy().copy() for w in model.weights]


@pytest.mark.parametrize(
    "loss",
    [
        "hard",
        "soft",
        DKD(),
        [DKD(), FeatureDistillation("block_3", "block_1", 0.0)],
    ],
)
def test_fit_updates_student_only(loss):
    teacher, student = _pair()
    before_t, before_s = _weights(teacher), _weights(student)
    distiller = Distiller(teacher, student, loss=loss)
    distiller.compile(optimizer=keras.optimizers.Adam(5e-4))
    history = distiller.fit(
        X,
        Y,
        batch_size=32,
        epochs=1,
        validation_data=(X[:32], Y[:32]),
        verbose=0,
    )
    for key in ["loss", "ce_loss", "kd_loss", "hr_mae", "val_hr_mae"]:
        assert np.isfinite(history.history[key]).all(), key
    # teacher untouched, BatchNorm statistics included
    for a, b in zip(before_t, _weights(teacher)):
        np.testing.assert_array_equal(a, b)
    changed = [
        not np.array_equal(a, b) for a, b in zip(before_s, _weights(student))
    ]
    assert all(changed[:2]) and sum(changed) > len(changed) // 2
    np.testing.assert_allclose(
        distiller(X[:4]), student(X[:4], training=False), atol=1e-6
    )


def test_trainable_variables_are_student_and_adapters():
    teacher, student = _pair()
    distiller = Distiller(
        teacher, student, loss=[DKD(), FeatureDistillation("block_3", "stem")]
    )
    ids = {id(v) for v in distiller.trainable_variables}
    assert not ids & {id(v) for v in teacher.weights}
    student_ids = {id(v) for v in student.trainable_variables}
    assert student_ids <= ids
    adapter_vars = distiller.adapters[1].trainable_variables
    assert (
        len(ids) == len(student_ids) + len(adapter_vars) == len(student_ids) + 2
    )
    # the adapter maps (200, 32) student features to (100, 32) teacher ones
    mapped = distiller.adapters[1](np.zeros((1, 200, 32), "float32"))
    assert mapped.shape == (1, 100, 32)


def test_compile_builds_the_optimizer_before_the_first_step():
    # Slots made inside the first step would make TensorFlow trace it twice.
    teacher, student = _pair()
    distiller = Distiller(
        teacher, student, loss=[DKD(), FeatureDistillation("block_3", "stem")]
    )
    distiller.compile(optimizer=keras.optimizers.Adam(5e-4))
    optimizer = distiller.optimizer
    assert optimizer.built
    made = {id(v) for v in optimizer.variables}
    distiller.fit(X, Y, batch_size=32, epochs=1, verbose=0)
    assert {id(v) for v in optimizer.variables} == made
    # Adam's two slots for every student and adapter weight.
    assert len(made) >= 2 * len(distiller.trainable_variables)


def test_incompatible_models_and_taps_raise():
    teacher, _ = _pair()
    with pytest.raises(ValueError, match=r"output \(class\) shapes"):
        Distiller(
            teacher,
            ResNet1D(1, protocol=WindowConfig(classes=HRClasses(30.0, 120.0))),
        )
    with pytest.raises(ValueError, match=r"input shapes.*\(None, 256, 1\)"):
        Distiller(teacher, ResNet1D(1, protocol=WindowConfig(target_rate=32.0)))
    with pytest.raises(ValueError, match=r"'block_7'.*Available taps"):
        Distiller(
            teacher, ResNet1D(1), loss=FeatureDistillation("block_7", "stem")
        )
    with pytest.raises(ValueError, match=r"Unknown distillation loss 'kl'"):
        Distiller(teacher, ResNet1D(1), loss="kl")


def test_mlp_student_and_feature_into_vector_tap():
    teacher, _ = _pair()
    student = MLP((32,))
    distiller = Distiller(
        teacher,
        student,
        loss=[SoftDistillation(), FeatureDistillation("pool", "hidden_1")],
    )
    distiller.compile(optimizer="adam")
    distiller.fit(X, Y, batch_size=48, epochs=1, verbose=0)
    mapped = distiller.adapters[1](np.zeros((1, 32), "float32"))
    assert mapped.shape == (1, 32)  # the 3-block teacher pools 32 channels


def test_cached_teacher_matches_uncached():
    teacher, student = _pair()
    distiller = Distiller(
        teacher,
        student,
        loss=[DKD(), FeatureDistillation("block_2", "block_1")],
    )
    distiller.compile(optimizer="adam")
    plain = distiller.evaluate(X, Y, batch_size=32, verbose=0, return_dict=True)
    cached = distiller.cache_teacher(X, Y, batch_size=32, shuffle=False)
    fast = distiller.evaluate(cached, verbose=0, return_dict=True)
    for key in plain:
        assert fast[key] == pytest.approx(plain[key], rel=1e-4), key
    distiller.fit(cached, epochs=1, verbose=0)


def test_our_losses_inside_keras_distillation():
    teacher, student = _pair()
    before = _weights(student)
    kd = keras.distillation.Distiller(
        teacher, student, distillation_losses=SoftDistillation(temperature=2.0)
    )
    kd.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    history = kd.fit(X, Y, batch_size=32, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert any(
        not np.array_equal(a, b) for a, b in zip(before, _weights(student))
    )


def test_save_load_round_trip_and_student_export(tmp_path):
    teacher, student = _pair()
    distiller = Distiller(
        teacher,
        student,
        loss=[DKD(), FeatureDistillation("block_3", "block_1")],
    )
    distiller.compile(optimizer="adam")
    distiller.fit(X, Y, batch_size=48, epochs=1, verbose=0)
    distiller.save(tmp_path / "distiller.keras")
    loaded = keras.saving.load_model(tmp_path / "distiller.keras")
    np.testing.assert_allclose(loaded(X[:8]), distiller(X[:8]), atol=1e-5)
    assert loaded.get_config()["loss"] == distiller.get_config()["loss"]
    student.save(tmp_path / "student.keras")
    exported = keras.saving.load_model(tmp_path / "student.keras")
    assert exported.count_params() == student.count_params()
    assert not any("adapter" in layer.name for layer in exported.layers)


@pytest.mark.slow
def test_callbacks(tmp_path):
    teacher, student = _pair()
    distiller = Distiller(teacher, student, loss="dkd")
    distiller.compile(optimizer="adam")
    callbacks = [
        keras.callbacks.ModelCheckpoint(
            tmp_path / "best.weights.h5",
            monitor="val_hr_mae",
            save_best_only=True,
            save_weights_only=True,
            mode="min",
        ),
        keras.callbacks.EarlyStopping(
            monitor="val_hr_mae", patience=1, mode="min"
        ),
        keras.callbacks.BackupAndRestore(tmp_path / "backup"),
    ]
    history = distiller.fit(
        X,
        Y,
        batch_size=32,
        epochs=3,
        validation_data=(X, Y),
        callbacks=callbacks,
        verbose=0,
    )
    assert (tmp_path / "best.weights.h5").exists()
    assert 1 <= len(history.history["loss"]) <= 3


@pytest.mark.slow
def test_mixed_precision_student():
    teacher, _ = _pair()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        student = ResNet1D(1)
        distiller = Distiller(
            teacher, student, loss=[DKD(), SoftDistillation(20.0)]
        )
        distiller.compile(optimizer="adam")
        history = distiller.fit(X, Y, batch_size=32, epochs=1, verbose=0)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert student.output.dtype == "float16"
    assert np.isfinite(history.history["loss"]).all()


@pytest.mark.slow
@tensorflow_only
def test_mirrored_strategy_two_cpus():
    script = textwrap.dedent(
        """
        import numpy as np, tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        import keras
        from keras_ppg_kd import Distiller, ResNet1D
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        assert strategy.num_replicas_in_sync == 2
        rng = np.random.default_rng(0)
        x = rng.normal(size=(64, 200, 1)).astype("float32")
        y = rng.integers(40, 80, 64).astype("int32")
        with strategy.scope():
            teacher, student = ResNet1D(2), ResNet1D(1)
            before = [w.numpy().copy() for w in teacher.weights]
            d = Distiller(teacher, student, loss="dkd")
            d.compile(optimizer=keras.optimizers.Adam(5e-4))
        h = d.fit(x, y, batch_size=32, epochs=2, verbose=0)
        assert all(np.isfinite(h.history["loss"]))
        after = [w.numpy() for w in teacher.weights]
        assert all(np.array_equal(a, b) for a, b in zip(before, after))
        print("OK", h.history["loss"])
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "OK" in result.stdout, result.stderr[-3000:]


def test_bad_labels_sample_weight_and_softmax_models_are_refused():
    import keras
    import numpy as np
    import pytest

    from keras_ppg_kd import Distiller, ResNet1D

    teacher, student = ResNet1D(2), ResNet1D(1)
    distiller = Distiller(teacher, student, loss="soft")
    distiller.compile(optimizer="adam")
    x = np.random.default_rng(0).standard_normal((8, 200, 1)).astype("float32")
    for bad in (-1, 180):
        y = np.full(8, 40, "int32")
        y[3] = bad
        with pytest.raises(Exception, match="labels must be class indices"):
            distiller.fit(x, y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="sample_weight"):
        distiller.fit(
            x, np.full(8, 40), sample_weight=np.zeros(8), epochs=1, verbose=0
        )
    inputs = keras.Input((200, 1))
    flat = keras.layers.Flatten()(inputs)
    probs = keras.layers.Dense(180, activation="softmax")(flat)
    with pytest.raises(ValueError, match="ends in a softmax"):
        Distiller(teacher, keras.Model(inputs, probs), loss="soft")


def test_sequential_students_and_teachers_distil():
    import keras
    import numpy as np

    from keras_ppg_kd import Distiller, ResNet1D

    student = keras.Sequential(
        [keras.layers.Flatten(), keras.layers.Dense(180, name="logits")]
    )
    distiller = Distiller(ResNet1D(2), student, loss="dkd")
    distiller.compile(optimizer="adam")
    x = np.random.default_rng(0).standard_normal((16, 200, 1)).astype("f4")
    history = distiller.fit(x, np.full(16, 40), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    teacher = keras.Sequential(
        [keras.Input((200, 1)), keras.layers.Flatten(), keras.layers.Dense(180)]
    )
    Distiller(teacher, ResNet1D(1), loss="soft")


def test_compiled_metrics_are_honoured_and_keras_names_accepted():
    teacher, student = _pair()
    distiller = Distiller(teacher, student, loss="soft")
    with pytest.raises(ValueError, match="compile\\(loss=...\\) is not used"):
        distiller.compile("adam", loss="mse")
    distiller.compile("adam", metrics=["sparse_categorical_accuracy"])
    history = distiller.fit(X, Y, batch_size=32, epochs=1, verbose=0)
    accuracy = history.history["sparse_categorical_accuracy"][0]
    assert 0.0 <= accuracy <= 1.0
    # keras.distillation's argument names: w * CE + (1 - w) * KD.
    mixed = Distiller(
        teacher,
        student,
        distillation_losses=[DKD(), SoftDistillation()],
        distillation_loss_weights=[1.0, 0.5],
        student_loss_weight=0.25,
    )
    assert mixed.ce_weight == 0.25
    assert mixed.loss_weights == [0.75, 0.375]
    with pytest.raises(ValueError, match="student_loss_weight"):
        Distiller(teacher, student, student_loss_weight=1.5)
