"""tfds DatasetBuilderTestCase for every builder, on its dummy_data tree."""

import pathlib

import tensorflow_datasets as tfds

from keras_ppg_kd.datasets import (
    galaxy_ppg,
    ieee_spc2015,
    physionet_wrist,
    ppg_dalia,
    ppg_folder,
    synthetic_ppg,
    wildppg,
)

_ROOT = pathlib.Path(ppg_dalia.__file__).parent.parent


class PPGDaliaTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = ppg_dalia.Builder
    # 2 participants x (20 s -> 7 windows)
    SPLITS = {"train": 14}
    SKIP_CHECKSUMS = True


class WildPPGTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = wildppg.Builder
    # d01: 13 windows; d02: 13 minus the 5 touching its 10-13 s gap fill
    SPLITS = {"train": 21}
    SKIP_CHECKSUMS = True


class GalaxyPPGTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = galaxy_ppg.Builder
    # P01: 16 windows; P02: 17 minus the 4 touching its 12-14 s status flags
    SPLITS = {"train": 29}
    SKIP_CHECKSUMS = True


class SPC2015Test(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = ieee_spc2015.Builder
    # 2 recordings x (17 windows, one label short -> 16)
    SPLITS = {"train": 32}
    SKIP_CHECKSUMS = True


class PhysioNetWristTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = physionet_wrist.Builder
    # s1: walk 20 s (7 windows) + a flagged minute + run 16 s (5); s2: 7
    SPLITS = {"train": 19}
    SKIP_CHECKSUMS = True


class PPGFolderTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = ppg_folder.Builder
    # The ppg_acc config needs an accelerometer in every file; P02 has none
    # (tests/datasets/test_readers.py checks that error).
    BUILDER_CONFIG_NAMES_TO_TEST = ["default"]
    # P01: 30 s + 1 min pause + 27 s (3 s hole); P02: 40 s. 19 + 16 kept;
    # 33 windows touch the pause, 5 the hole.
    SPLITS = {"train": 35}
    SKIP_CHECKSUMS = True


class SyntheticPPGTest(tfds.testing.DatasetBuilderTestCase):
    DATASET_CLASS = synthetic_ppg.Builder
    BUILDER_CONFIG_NAMES_TO_TEST = ["small"]
    EXAMPLE_DIR = _ROOT / "synthetic_ppg"  # generates itself; reads nothing
    SPLITS = {"train": 4651}  # 16 x 297 windows, 101 dropped as clipped
    SKIP_CHECKSUMS = True


if __name__ == "__main__":
    tfds.testing.test_main()
