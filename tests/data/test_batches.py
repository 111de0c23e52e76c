"""Batches for fit on every backend (tf.data on TensorFlow, else
ArrayBatches): shapes, per-epoch shuffling, partial batches, dicts."""

import keras
import numpy as np
import pytest

from keras_ppg_kd import Distiller, ResNet1D, _backend
from keras_ppg_kd.data.batches import ArrayBatches, batches


def _epochs(ds, count=2):
    return [
        np.concatenate([np.asarray(y) for _, y in ds]) for _ in range(count)
    ]


@pytest.mark.parametrize("drop", [False, True])
def test_every_epoch_is_a_new_order_of_the_same_rows(drop):
    labels = np.arange(100, dtype="int32")

    def make():
        windows = np.zeros((100, 4, 1), "float32")
        return ArrayBatches(windows, labels, 32, seed=3, drop_remainder=drop)

    ds = make()
    assert len(ds) == (3 if drop else 4)
    first, second = _epochs(ds)
    assert len(first) == (96 if drop else 100)
    assert not np.array_equal(first, second)
    if not drop:
        assert sorted(first) == sorted(second) == list(labels)
    assert np.array_equal(_epochs(make())[0], first)  # one seed, one stream


def test_unshuffled_dict_features_keep_their_rows_together():
    features = {
        "window": np.arange(10.0)[:, None],
        "teacher/logits": np.arange(10.0),
    }
    ds = ArrayBatches(features, np.arange(10), 4, shuffle=False)
    x, y = ds[2]
    assert list(y) == [8, 9] and list(x["teacher/logits"]) == [8.0, 9.0]


def test_the_backend_picks_the_pipeline():
    ds = batches(np.zeros((10, 4, 1), "float32"), np.zeros(10, "int32"), 4)
    assert isinstance(ds, ArrayBatches) != _backend.is_tensorflow()
    with pytest.raises(ValueError, match="0 windows"):
        batches(np.zeros((0, 4, 1)), np.zeros(0), 4)


def test_cached_distillation_trains_from_array_batches():
    keras.utils.set_random_seed(0)
    distiller = Distiller(ResNet1D(2), ResNet1D(1), loss="dkd")
    distiller.compile(optimizer="adam")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 200, 1)).astype("float32")
    y = rng.integers(40, 140, 40)
    ds = distiller.cache_teacher(x, y, batch_size=16)
    history = distiller.fit(ds, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    bad = ArrayBatches(
        {
            "window": x,
            **{
                f"teacher/{k}": v
                for k, v in distiller.teacher_outputs(x).items()
            },
        },
        -y,
        16,
    )
    with pytest.raises(ValueError, match="labels must be class indices"):
        distiller.fit(bad, epochs=1, verbose=0)
