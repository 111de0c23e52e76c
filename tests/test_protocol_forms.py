"""One window protocol from recipe to builder, and the shims of its old
forms (each warns for one release)."""

import dataclasses
import json
import pathlib

import numpy as np
import pytest

from keras_ppg_kd import protocol
from keras_ppg_kd.datasets import builder, load_unlabelled, load_windows
from keras_ppg_kd.datasets.base import DEFAULT_CONFIGS, PPGBuilderConfig
from keras_ppg_kd.protocol import PRESETS, WindowConfig, preset_name, resolve
from keras_ppg_kd.tracking import HRTracker
from keras_ppg_kd.training.generalize import GeneralizingRecipe

DUMMY = (
    pathlib.Path(__file__).parents[1]
    / "keras_ppg_kd/datasets/ppg_folder/dummy_data"
)
SHIPPED_TRACKER = (
    pathlib.Path(__file__).parents[1]
    / "keras_ppg_kd/pretrained/synthetic_tcn5_tracker.json"
)


def test_a_preset_name_resolves_in_one_place():
    assert resolve("cancel_motion") == WindowConfig(cancel_motion=True)
    config = WindowConfig(stride_seconds=1.0)
    assert resolve(config) is config
    with pytest.raises(ValueError, match=r"preset names.*'small'"):
        resolve("small")
    for name, window in PRESETS.items():
        assert preset_name(window) == name
    assert preset_name(config) is None


def test_builder_configs_are_derived_from_the_presets():
    assert [c.name for c in DEFAULT_CONFIGS] == list(PRESETS)
    assert [c.window for c in DEFAULT_CONFIGS] == list(PRESETS.values())
    other = PPGBuilderConfig.for_window(WindowConfig(stride_seconds=1.0))
    assert other.name.startswith("window_") and other.window.stride_seconds == 1


def test_a_window_config_picks_the_builders_config():
    spc = builder("ieee_spc2015", WindowConfig(cancel_motion=True))
    assert spc.builder_config.name == "cancel_motion"
    by_name = builder("ieee_spc2015", config="cancel_motion")
    assert by_name.builder_config is spc.builder_config
    # "name/config" names a dataset config; the protocol is applied to it.
    large = builder("synthetic_ppg/large", WindowConfig(accelerometer=True))
    assert large.builder_config.name == "large_ppg_acc"
    assert large.builder_config.synthetic.num_participants == 64
    small = builder("synthetic_ppg", WindowConfig(accelerometer=True))
    assert small.builder_config.name == "small_ppg_acc"
    # A builder config's own name still goes to tfds as it is.
    assert builder("synthetic_ppg", config="large").builder_config.name == (
        "large"
    )


def test_load_windows_takes_a_window_config(tmp_path):
    data = tmp_path / "tfds"
    by_config = load_windows(
        "ppg_folder",
        data_dir=data,
        manual_dir=str(DUMMY),
        config=WindowConfig(),
    )
    by_name = load_windows(
        "ppg_folder", data_dir=data, manual_dir=str(DUMMY), config="default"
    )
    assert by_config.config == WindowConfig() and len(by_config) > 0
    np.testing.assert_array_equal(by_config.windows, by_name.windows)


def _device_folder(folder):
    """One participant's recording without a reference, as ppg_folder
    reads it."""
    import pandas as pd

    from keras_ppg_kd.data import SyntheticConfig, generate_recording

    recording = generate_recording(0, SyntheticConfig(minutes=1, seed=5))
    n = len(recording.ppg)
    table = {"time_s": np.arange(n) / recording.fs, "ppg": recording.ppg}
    for i, axis in enumerate("xyz"):
        table[f"acc_{axis}"] = recording.acc[:, i]
    (folder / "P01").mkdir(parents=True)
    pd.DataFrame(table).to_csv(folder / "P01" / "walk.csv", index=False)
    return str(folder)


def test_load_unlabelled_takes_a_window_config(tmp_path):
    folder = _device_folder(tmp_path / "device")
    window = WindowConfig(cancel_motion=True)
    found = load_unlabelled(folder, config=window)
    assert found.config == window and len(found) > 0
    by_name = load_unlabelled(folder, config="cancel_motion")
    np.testing.assert_array_equal(found.windows, by_name.windows)


def test_the_recipe_is_made_from_a_window_config():
    window = WindowConfig(accelerometer=True, cancel_motion=True)
    recipe = GeneralizingRecipe.for_window(window, student="tcn:5")
    assert recipe.window == window and recipe.student == "tcn:5"
    assert recipe.accelerometer and recipe.cancel_motion


def test_the_tracker_holds_its_protocol_once():
    tracker = HRTracker(stride_seconds=1.0)
    assert tracker.protocol == WindowConfig(stride_seconds=1.0)
    assert tracker.stride_seconds == 1.0 and tracker.classes is (
        tracker.protocol.classes
    )
    assert HRTracker.fit(
        70 + np.arange(40.0) % 3,
        ["a"] * 40,
        np.arange(40.0),
        protocol=WindowConfig(stride_seconds=1.0),
    ).protocol == WindowConfig(stride_seconds=1.0)
    with pytest.raises(ValueError, match="stride: tracker 1.0 s"):
        tracker.check_protocol(WindowConfig())


def test_old_tracker_files_load_and_save_the_same_bytes(tmp_path):
    shipped = HRTracker.load(SHIPPED_TRACKER)
    assert shipped.protocol == WindowConfig()
    again = shipped.save(tmp_path / "tracker.json")
    assert again.read_bytes() == SHIPPED_TRACKER.read_bytes()
    config = json.loads(again.read_text())["config"]
    assert {"stride_seconds", "classes"} <= set(config)


# === Deprecated names (one release) ===


def test_window_config_from_data_transforms_warns():
    with pytest.warns(DeprecationWarning, match="keras_ppg_kd.protocol"):
        from keras_ppg_kd.data.transforms import WindowConfig as Old
    assert Old is WindowConfig


def test_window_config_from_data_warns():
    import keras_ppg_kd.data

    with pytest.warns(DeprecationWarning, match="keras_ppg_kd.protocol"):
        old = keras_ppg_kd.data.WindowConfig
    assert old is WindowConfig


def test_recipe_builder_config_warns():
    recipe = GeneralizingRecipe()
    with pytest.warns(DeprecationWarning, match="recipe.window"):
        name = recipe.builder_config
    assert name == "cancel_motion" == preset_name(recipe.window)
    both = dataclasses.replace(recipe, accelerometer=True)
    with pytest.warns(DeprecationWarning):
        assert both.builder_config == "cancel_motion_acc"


def test_the_protocol_module_is_the_one_place():
    assert protocol.PRESETS["default"] == WindowConfig()
