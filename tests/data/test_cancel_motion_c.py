"""Motion cancellation: the C step equals NumPy on awkward accelerometers."""

import ctypes
import shutil
import subprocess

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from keras_ppg_kd.data import Recording, windows_from_recording
from keras_ppg_kd.data.transforms import (
    cancel_motion,
    export_cancel_motion_c,
    standardize,
)
from keras_ppg_kd.protocol import WindowConfig

_FLOATS = ctypes.POINTER(ctypes.c_float)


@pytest.fixture(scope="module")
def c_step(tmp_path_factory):
    """``run(ppg, acc)``: the compiled C step on one window."""
    if shutil.which("gcc") is None:
        pytest.skip("needs gcc to compile the exported C step")
    folder = tmp_path_factory.mktemp("cancel")
    written = export_cancel_motion_c(folder / "c")
    library = folder / "libcancel.so"
    subprocess.run(
        ["gcc", "-O2", "-shared", "-fPIC", "-o", str(library), str(written[0])]
        + ["-lm"],
        check=True,
    )
    lib = ctypes.CDLL(str(library))

    def run(ppg, acc):
        out = np.ascontiguousarray(ppg, "float32").copy()
        window = np.ascontiguousarray(acc, "float32")
        lib.ppg_cancel_motion(
            out.ctypes.data_as(_FLOATS),
            window.ctypes.data_as(_FLOATS),
            len(out),
        )
        return out

    run.lib = lib
    return run


def _numpy_step(ppg, acc):
    cleaned = cancel_motion(ppg[None], acc[None])
    return standardize(cleaned[..., None], axis=1)[0, :, 0]


def _collinear(rng, correlation, length=200):
    base = rng.standard_normal(length)
    noise = rng.standard_normal((length, 3))
    spread = np.sqrt(1 / correlation**2 - 1)
    return base[:, None] + spread * noise


def test_c_step_with_three_identical_axes_is_finite(c_step):
    rng = np.random.default_rng(0)
    axis = rng.standard_normal(200)
    acc = np.stack([axis, axis, axis], 1).astype("float32")
    ppg = (rng.standard_normal(200) + 2 * axis).astype("float32")
    out = c_step(ppg, acc)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, _numpy_step(ppg, acc), atol=2e-3)


@pytest.mark.parametrize("correlation", [0.9998, 0.99999, 1 - 1e-7])
def test_c_and_numpy_agree_on_nearly_collinear_axes(c_step, correlation):
    rng = np.random.default_rng(1)
    acc = _collinear(rng, correlation).astype("float32")
    ppg = (rng.standard_normal(200) + 3 * acc[:, 0] - 2 * acc[:, 2]).astype(
        "float32"
    )
    np.testing.assert_allclose(
        c_step(ppg, acc), _numpy_step(ppg, acc), atol=5e-3
    )


def test_huge_accelerometer_values_still_cancel(c_step):
    rng = np.random.default_rng(2)
    acc = rng.standard_normal((200, 3))
    ppg = rng.standard_normal(200) + 4 * acc[:, 1]
    plain = _numpy_step(ppg, acc)
    assert _numpy_step(ppg, acc * 1e20) == pytest.approx(plain, abs=1e-4)
    huge = c_step(ppg, (acc * 1e20).astype("float32"))
    np.testing.assert_allclose(huge, plain, atol=2e-3)
    # The same in windows_from_recording, which holds windows in float32.
    fs = 64.0
    t = np.arange(int(fs * 60)) / fs
    swing = np.stack([np.sin(2 * np.pi * 1.7 * t), 0.3 * t % 1, 0 * t], 1)
    ppg = np.sin(2 * np.pi * 1.2 * t) + 2 * swing[:, 0]
    config = WindowConfig(cancel_motion=True)
    beats = np.arange(0, 61, 0.5)
    found = [
        windows_from_recording(
            Recording("t", "p", ppg, fs, beat_times=beats, acc=swing * k),
            config,
        ).windows
        for k in (1.0, 1e20)
    ]
    np.testing.assert_allclose(found[1], found[0], atol=1e-3)


def _gravity_recording(acc, fs=64.0, seconds=180, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(fs * seconds)) / fs
    ppg = np.sin(2 * np.pi * 1.3 * t) + 0.3 * rng.standard_normal(len(t))
    beats = np.arange(0, seconds + 1, 1 / 1.3)
    return Recording("t", "p", ppg, fs, beat_times=beats, acc=acc(t))


def test_a_still_wrist_reading_gravity_changes_nothing(c_step):
    config = WindowConfig(cancel_motion=True)

    def windows(acc):
        return windows_from_recording(_gravity_recording(acc), config).windows

    zero = windows(lambda t: np.zeros((len(t), 3)))
    gravity = windows(lambda t: np.tile([0.0, 0.0, 1.0], (len(t), 1)))
    np.testing.assert_allclose(gravity, zero, atol=1e-5)
    # Gravity on a still axis beside a moving one: as if that axis read 0.
    swing = np.sin(2 * np.pi * 0.9 * np.arange(int(64 * 180)) / 64)
    moving = windows(lambda t: np.stack([swing, 0 * t, 0 * t], 1))
    tilted = windows(lambda t: np.stack([swing, 0 * t + 0.7, 0 * t + 0.7], 1))
    np.testing.assert_allclose(tilted, moving, atol=1e-5)


def test_the_c_still_axis_check_equals_numpy(c_step):
    # ppg_still_axes zeroes, in the band-passed window, each axis whose raw
    # window is still: what windows_from_recording does.
    raw = np.zeros((512, 3), "float32")
    raw[:, 0] = np.sin(np.arange(512) / 9.0)  # moves
    raw[:, 1] = 9.81  # gravity
    raw[:, 2] = 0.5 + 1e-9 * np.arange(512)  # float noise on a level
    window = np.ones((200, 3), "float32")
    c_step.lib.ppg_still_axes(
        raw.ctypes.data_as(_FLOATS), 512, window.ctypes.data_as(_FLOATS), 200
    )
    np.testing.assert_array_equal(window[:, 0], 1.0)
    np.testing.assert_array_equal(window[:, 1:], 0.0)


_AXIS_KINDS = ["noise", "zero", "constant", "copy", "collinear", "scaled"]


@given(
    seed=st.integers(0, 2**31 - 1),
    kinds=st.lists(st.sampled_from(_AXIS_KINDS), min_size=3, max_size=3),
    scale=st.sampled_from([1e-6, 1.0, 300.0, 1e20]),
    leak=st.floats(0.0, 5.0),
)
def test_property_c_cancellation_equals_numpy(c_step, seed, kinds, scale, leak):
    """Random windows and degenerate accelerometers: C equals NumPy."""
    rng = np.random.default_rng(seed)
    base = rng.standard_normal(200)
    axes = []
    for kind in kinds:
        axes.append(
            {
                "noise": rng.standard_normal(200),
                "zero": np.zeros(200),
                "constant": np.full(200, rng.normal()),
                "copy": base,
                "collinear": base + 1e-3 * rng.standard_normal(200),
                "scaled": base * rng.uniform(1e-3, 1e3),
            }[kind]
        )
    acc = (np.stack(axes, 1) * scale).astype("float32")
    ppg = (rng.standard_normal(200) + leak * base).astype("float32")
    out = c_step(ppg, acc)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, _numpy_step(ppg, acc), atol=5e-3)
