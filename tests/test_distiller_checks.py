"""The Distiller refuses what would train silently wrong."""

import dataclasses

import numpy as np
import pytest

from keras_ppg_kd import Distiller, ResNet1D
from keras_ppg_kd.data import WindowSet
from keras_ppg_kd.protocol import WindowConfig
from keras_ppg_kd.training import recipes


def _distiller():
    distiller = Distiller(ResNet1D(2), ResNet1D(1), loss="soft")
    distiller.compile(optimizer="adam")
    return distiller


def test_non_finite_windows_are_refused_where_they_enter():
    distiller = _distiller()
    x = np.random.default_rng(0).standard_normal((8, 200, 1)).astype("float32")
    y = np.full(8, 40, "int32")
    x[5, 17, 0] = np.nan
    with pytest.raises(ValueError, match=r"1 of 8 windows .*NaN.*window 5"):
        distiller.fit(x, y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"1 of 8 windows .*NaN.*window 5"):
        distiller.cache_teacher(x, y)
    with pytest.raises(ValueError, match=r"1 of 8 windows .*NaN.*window 5"):
        distiller.evaluate(x, y, verbose=0)


def _window_set(n, nan=False):
    config = WindowConfig()
    windows = np.random.default_rng(0).standard_normal((n, 200, 1))
    if nan:
        windows[n // 2, 3, 0] = np.inf
    return WindowSet(
        windows=windows.astype("float32"),
        start_times=np.arange(n, dtype="float32"),
        hr_bpm=np.full(n, 80.0, "float32"),
        label=np.full(n, 50, "int32"),
        participant=np.full(n, "p", dtype=object),
        dataset=np.full(n, "d", dtype=object),
        activity=np.full(n, "", dtype=object),
        config=config,
    )


def test_training_recipes_refuse_non_finite_and_empty_windows():
    bad, good = _window_set(16, nan=True), _window_set(16)
    with pytest.raises(ValueError, match=r"train: 1 of 16 windows .*Inf"):
        recipes.train_scratch(bad, good, "resnet:1", epochs=1)
    with pytest.raises(ValueError, match=r"train: 1 of 16 windows .*Inf"):
        recipes.distill(ResNet1D(2), bad, good, "resnet:1", epochs=1)
    with pytest.raises(ValueError, match=r"train: no windows"):
        recipes.train_scratch(_window_set(0), good, "resnet:1", epochs=1)


def test_zero_windows_raise_instead_of_returning_silently():
    distiller = _distiller()
    x = np.zeros((0, 200, 1), "float32")
    y = np.zeros(0, "int32")
    with pytest.raises(ValueError, match="no windows"):
        distiller.cache_teacher(x, y)
    with pytest.raises(ValueError, match="no windows"):
        distiller.fit(x, y, epochs=1, verbose=0)


@pytest.mark.parametrize(
    "change",
    [
        {"band": (0.4, 4.0)},
        {"zscore": False},
        {"stride_seconds": 1.0},
        {"filter_order": 2},
        {"cancel_motion": True},
    ],
)
def test_a_student_on_another_protocol_is_refused(change):
    teacher = ResNet1D(2, protocol=WindowConfig())
    other = dataclasses.replace(WindowConfig(), **change)
    field = next(iter(change))
    with pytest.raises(ValueError, match=rf"{field} teacher .* vs student"):
        Distiller(teacher, ResNet1D(1, protocol=other), loss="soft")
