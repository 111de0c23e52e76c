"""The window protocol: what a model's input windows and classes are.

A :class:`WindowConfig` travels from the data (``WindowSet.config``, a tfds
builder config) into the model (``PPGModel.protocol``, kept in its
``get_config``) and from there into its LiteRT file, so that every step
that makes windows or reads logits uses the numbers the model was trained
on. This module is the one place that states the defaults (8 s windows
every 2 s at 25 Hz, 180 one-BPM classes from 30 BPM).
"""

import dataclasses

from keras_ppg_kd.heart_rate import DEFAULT_CLASSES, HRClasses


@dataclasses.dataclass(frozen=True)
class WindowConfig:
    """The windowing protocol (the study's by default).

    Args:
        window_seconds: Window length (8 s).
        stride_seconds: Hop between window starts (2 s).
        target_rate: Sampling rate of the windows, Hz (25).
        band: Band-pass edges in Hz, or ``None`` to skip filtering.
        filter_order: Butterworth order (applied forward and backward).
        zscore: Standardise each window to zero mean, unit variance.
        flat_std: A window whose raw standard deviation is below this
            (relative to the recording's median window std) is ``flat``.
        max_clipped_fraction: A window with more than this fraction of
            samples stuck at the recording's extreme values is ``clipped``.
        classes: Heart-rate classes for the labels.
        accelerometer: Add the three accelerometer axes as channels 1-3
            (band-passed like the PPG, standardised together so their
            relative size is kept). Needs a recording with ``acc``.
        cancel_motion: Remove from each window's PPG the part that the
            three accelerometer axes explain linearly (least squares in
            the window, after band-passing both; then standardised again):
            adaptive noise cancellation with the accelerometer as the
            motion's reference. Wrist motion leaks into the PPG at the
            cadence and its harmonics, often closer to the pulse than an
            8 s window resolves by frequency; the accelerometer tells the
            motion apart. Needs a recording with ``acc``; a recording
            whose accelerometer is flat gets its windows unchanged.
    """

    window_seconds: float = 8.0
    stride_seconds: float = 2.0
    target_rate: float = 25.0
    band: tuple | None = (0.5, 4.0)
    filter_order: int = 4
    zscore: bool = True
    flat_std: float = 1e-3
    max_clipped_fraction: float = 0.1
    classes: HRClasses = DEFAULT_CLASSES
    accelerometer: bool = False
    cancel_motion: bool = False

    def __post_init__(self):
        for name in ("window_seconds", "stride_seconds", "target_rate"):
            if not getattr(self, name) > 0:
                raise ValueError(
                    f"`{name}` must be positive. Received: "
                    f"{name}={getattr(self, name)}"
                )
        if self.band is not None:
            low, high = self.band
            if not 0 < low < high < self.target_rate / 2:
                raise ValueError(
                    "`band` must satisfy 0 < low < high < target_rate / 2 "
                    f"({self.target_rate / 2} Hz). Received: band={self.band}"
                )

    @property
    def window_length(self) -> int:
        """Samples per window at ``target_rate`` (200 by default)."""
        return int(round(self.window_seconds * self.target_rate))

    @property
    def channels(self) -> int:
        """Channels per window: 1 (PPG), or 4 (PPG + 3-axis ACC)."""
        return 4 if self.accelerometer else 1

    @property
    def needs_accelerometer(self) -> bool:
        """Whether windows are made from PPG and a 3-axis accelerometer."""
        return self.accelerometer or self.cancel_motion

    def get_config(self):
        """A JSON-ready dict; :meth:`from_config` rebuilds the config."""
        config = dataclasses.asdict(self)
        config["band"] = list(self.band) if self.band else None
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["classes"] = HRClasses(**config["classes"])
        config["band"] = tuple(config["band"]) if config["band"] else None
        return cls(**config)

    @classmethod
    def for_model(cls, model, **kwargs):
        """The protocol a model takes.

        A :class:`~keras_ppg_kd.models.PPGModel` carries its own (``kwargs``
        then replace fields of it); for another Keras model, the default
        protocol at its window length, rate (``sampling_rate`` attribute,
        else the default) and channels.
        """
        own = getattr(model, "protocol", None)
        if isinstance(own, cls):
            return dataclasses.replace(own, **kwargs)
        rate = float(getattr(model, "sampling_rate", cls.target_rate))
        length, channels = (int(n) for n in model.input.shape[1:])
        kwargs.setdefault("window_seconds", length / rate)
        kwargs.setdefault("accelerometer", channels == 4)
        return cls(target_rate=rate, **kwargs)

    def check_model(self, model, what="model"):
        """Raise unless ``model`` takes this protocol's windows and classes.

        Args:
            model: A Keras model; a
                :class:`~keras_ppg_kd.models.PPGModel` also has its own
                protocol's rate and class range compared.
            what: How to name the model in the error.
        """
        length, channels = (int(n) for n in model.input.shape[1:])
        expected = {
            "window length (samples)": (self.window_length, length),
            "channels": (self.channels, channels),
            "classes": (self.classes.num_classes, int(model.output.shape[-1])),
        }
        own = getattr(model, "protocol", None)
        if isinstance(own, WindowConfig):
            expected["sampling rate (Hz)"] = (self.target_rate, own.target_rate)
            expected["class range"] = (self.classes, own.classes)
        wrong = {k: v for k, v in expected.items() if v[0] != v[1]}
        if wrong:
            detail = "; ".join(
                f"{k}: protocol {a}, {what} {b}" for k, (a, b) in wrong.items()
            )
            raise ValueError(
                f"{what} {model.name!r} does not match the window protocol "
                f"({detail})."
            )


# Named protocols: the builders' configs of these names make these windows
# (``keras_ppg_kd.datasets``), and a preset name is accepted wherever a
# WindowConfig is, as a shorthand resolved here alone (:func:`resolve`).
PRESETS = {
    "default": WindowConfig(),
    "ppg_acc": WindowConfig(accelerometer=True),
    "cancel_motion": WindowConfig(cancel_motion=True),
    "cancel_motion_acc": WindowConfig(accelerometer=True, cancel_motion=True),
}


def resolve(protocol: str | WindowConfig) -> WindowConfig:
    """The :class:`WindowConfig` a preset name (:data:`PRESETS`) stands
    for, or ``protocol`` itself when it is one.

    Raises:
        ValueError: an unknown name, or neither a name nor a WindowConfig.
    """
    if isinstance(protocol, WindowConfig):
        return protocol
    if isinstance(protocol, str) and protocol in PRESETS:
        return PRESETS[protocol]
    raise ValueError(
        "A window protocol is a WindowConfig or one of the preset names "
        f"{sorted(PRESETS)}. Received: {protocol!r}"
    )


def preset_name(protocol: WindowConfig) -> str | None:
    """The preset name of ``protocol`` (:data:`PRESETS`), or None when it
    is none of them."""
    for name, preset in PRESETS.items():
        if preset == protocol:
            return name
    return None
