"""tfds builder for the built-in synthetic PPG data (no download)."""

import dataclasses

import tensorflow_datasets as tfds

from keras_ppg_kd.data.synthetic import SyntheticConfig, generate_recording
from keras_ppg_kd.datasets.base import PPGBuilderConfig, WindowedPPGBuilder
from keras_ppg_kd.protocol import WindowConfig


@dataclasses.dataclass
class SyntheticBuilderConfig(PPGBuilderConfig):
    """A synthetic dataset size on top of the windowing protocol."""

    synthetic: SyntheticConfig = SyntheticConfig()


class Builder(WindowedPPGBuilder):
    """Synthetic wrist PPG with exact heart-rate labels; generates itself."""

    name = "synthetic_ppg"
    VERSION = tfds.core.Version("1.4.0")
    RELEASE_NOTES = {
        "1.0.0": "Initial release.",
        "1.1.0": "Generator: irregular arm movements and a boxing activity, "
        "wider resting heart rate and diastolic-wave range.",
        "1.2.0": "The generator's accelerometer in Recording.acc and the "
        "small_ppg_acc config; the protocol stored with the windows.",
        "1.3.0": "The varied config (48 participants x 3.3 min).",
        "1.4.0": "The crowd config (100 participants x 3.3 min).",
    }
    BUILDER_CONFIGS = [
        SyntheticBuilderConfig(
            name="small",
            description="16 participants x 10 min (~4.6K windows).",
        ),
        SyntheticBuilderConfig(
            name="varied",
            description="48 participants x 3.3 min (~4.6K windows): as "
            "many windows as small from three times the people, so a "
            "held-out fifth is ~10 participants, not 3.",
            synthetic=SyntheticConfig(num_participants=48, minutes=10 / 3),
        ),
        SyntheticBuilderConfig(
            name="crowd",
            description="100 participants x 3.3 min (~9.6K windows): the "
            "main job's data. It holds out 60 % of the people, so it trains "
            "on about as many windows as varied's training split (~40 "
            "people) and tests on ~60: a few people's hard windows move the "
            "test MAE less.",
            synthetic=SyntheticConfig(num_participants=100, minutes=10 / 3),
        ),
        SyntheticBuilderConfig(
            name="large",
            description="64 participants x 60 min (~110K windows).",
            synthetic=SyntheticConfig(num_participants=64, minutes=60),
        ),
        SyntheticBuilderConfig(
            name="small_ppg_acc",
            description="As small, with the 3-axis accelerometer as "
            "channels 1-3.",
            window=WindowConfig(accelerometer=True),
        ),
    ]

    def _sources(self, dl_manager):
        return range(self.builder_config.synthetic.num_participants)

    def _read(self, source):
        return generate_recording(source, self.builder_config.synthetic)
