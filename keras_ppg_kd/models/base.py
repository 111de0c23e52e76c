"""Shared base of the package's functional models: protocol and taps."""

import dataclasses

import keras
import numpy as np

from keras_ppg_kd.heart_rate import DEFAULT_CLASSES, HRClasses
from keras_ppg_kd.protocol import WindowConfig


def trainable_parameters(model):
    """Trainable parameters of a Keras model (the study's size measure)."""
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


# family -> builder from a size, in registration order.
FAMILIES = {}


def register_family(name, size_means="size"):
    """Decorator: make a model builder ``builder(size, protocol=None, ...)``
    the family ``name`` of identifiers ``"name:size"``.

    A family registers itself in its own module; :func:`models.get`, the
    study (students and teachers) and the CLI find it here. A builder may
    set ``MAX_SIZE`` (largest size for the standard window).

    Args:
        name: The family's name in identifiers.
        size_means: What its size counts, plural (``"blocks"``,
            ``"filters"``); kept as ``builder.SIZE_MEANS`` for whatever
            explains sizes (:func:`keras_ppg_kd.models.size_means`).
    """

    def add(builder):
        if name in FAMILIES and FAMILIES[name] is not builder:
            raise ValueError(f"Model family {name!r} is taken.")
        builder.family = name
        builder.SIZE_MEANS = size_means
        FAMILIES[name] = builder
        return builder

    return add


def legacy_protocol(
    input_length=None, channels=None, num_classes=None, sampling_rate=None
):
    """The protocol of a model saved before models carried one.

    Such files stored the window length, channels, class count and rate
    as separate arguments; the rest of their protocol was the default.
    """
    default = WindowConfig()
    rate = float(sampling_rate or default.target_rate)
    length = int(input_length or default.window_length)
    classes = DEFAULT_CLASSES
    if num_classes and num_classes != classes.num_classes:
        classes = HRClasses(
            classes.min_bpm,
            classes.min_bpm + num_classes * classes.resolution,
            classes.resolution,
        )
    return dataclasses.replace(
        default,
        target_rate=rate,
        window_seconds=length / rate,
        accelerometer=channels == 4,
        classes=classes,
    )


class PPGModel(keras.Model):
    """A functional PPG model that owns its window protocol and feature taps.

    The protocol (:class:`~keras_ppg_kd.protocol.WindowConfig`: window length
    and rate, channels, heart-rate classes) decides the input shape and the
    number of logits, is kept in :meth:`get_config` (so a saved model knows
    it) and is read back by augmentation, the losses, the Distiller and
    export. Subclasses build a functional graph on :meth:`_input` and
    :meth:`_logits` and call :meth:`_init_functional` with the taps: a dict
    from tap name (``"stem"``, ``"block_3"``, ...) to the tensor it
    exposes. Taps let feature distillation address intermediate feature
    maps by a stable name.

    Args:
        protocol: The :class:`~keras_ppg_kd.protocol.WindowConfig` of the data
            (``WindowSet.config``); the standard protocol by default.

    Attributes:
        DISTILLATION_TAPS: ``(teacher tap, own tap)`` that feature
            distillation matches by default when this model is the student:
            a ResNet1D teacher's ``head`` feature map for students with a
            time axis; families without one override it.
        PER_CHANNEL: Whether an int8 export gives each output channel of a
            weight tensor its own scale (the converter's default) or one
            per tensor (smaller files): what
            :func:`~keras_ppg_kd.deploy.export_tflite` does by default.
    """

    DISTILLATION_TAPS = ("head", "head")
    PER_CHANNEL = True

    @staticmethod
    def _protocol(protocol):
        """``protocol``, or the default one; a clear error for others."""
        if protocol is None:
            return WindowConfig()
        if not isinstance(protocol, WindowConfig):
            raise ValueError(
                "`protocol` must be a keras_ppg_kd.protocol.WindowConfig. "
                f"Received: protocol={protocol!r}"
            )
        return protocol

    @staticmethod
    def _input(protocol):
        """The model input for ``protocol``'s windows."""
        shape = (protocol.window_length, protocol.channels)
        return keras.Input(shape, name="ppg")

    @staticmethod
    def _conv_stem(inputs, filters, kernel_size, strides=1):
        """Conv1D -> BN -> ReLU (layers ``stem_*``): a convolutional
        family's first stage; returns the tensor for the ``stem`` tap."""
        layers = keras.layers
        x = layers.Conv1D(
            filters,
            kernel_size,
            strides=strides,
            padding="same",
            name="stem_conv",
        )(inputs)
        x = layers.BatchNormalization(name="stem_bn")(x)
        return layers.ReLU(name="stem_relu")(x)

    @staticmethod
    def _pool(x, taps):
        """Tap ``x`` as ``head`` and its average over time as ``pool``;
        returns the pooled tensor."""
        taps["head"] = x
        taps["pool"] = keras.layers.GlobalAveragePooling1D(name="pool")(x)
        return taps["pool"]

    @staticmethod
    def _logits(x, protocol):
        """The classifier: one logit per class of ``protocol``."""
        units = protocol.classes.num_classes
        return keras.layers.Dense(units, name="logits")(x)

    def _init_functional(self, inputs, logits, taps, protocol, **kwargs):
        super().__init__(inputs=inputs, outputs=logits, **kwargs)
        self.protocol = protocol
        self._tap_layers = {
            tap: t._keras_history[0].name for tap, t in taps.items()
        }

    def get_config(self):
        """Name, trainable and protocol; families add their arguments."""
        return {
            "name": self.name,
            "trainable": self.trainable,
            "protocol": self.protocol.get_config(),
        }

    @classmethod
    def from_config(cls, config):
        """Rebuild from :meth:`get_config`, also of files saved before the
        protocol was kept (their separate length, channels, classes and
        rate become it)."""
        config = dict(config)
        legacy = {
            key: config.pop(key, None)
            for key in ("input_length", "channels", "num_classes")
            + ("sampling_rate",)
        }
        protocol = config.pop("protocol", None)
        config["protocol"] = (
            WindowConfig.from_config(protocol)
            if protocol is not None
            else legacy_protocol(**legacy)
        )
        return cls(**config)

    @property
    def sampling_rate(self):
        """Sampling rate (Hz) of the windows (the protocol's)."""
        return self.protocol.target_rate

    @property
    def feature_taps(self):
        """Tap names in network order."""
        return list(self._tap_layers)

    def tap_output(self, tap):
        """The symbolic tensor of a tap; ValueError lists the valid names."""
        if tap not in self._tap_layers:
            raise ValueError(
                f"Unknown feature tap {tap!r} for model {self.name!r}. "
                f"Available taps: {self.feature_taps}"
            )
        return self.get_layer(self._tap_layers[tap]).output

    def feature_model(self, taps):
        """A model sharing these weights that returns logits and the taps.

        Args:
            taps: Tap names (see :attr:`feature_taps`).

        Returns:
            ``keras.Model`` mapping a window batch to
            ``{"logits": ..., tap: ..., ...}``.
        """
        outputs = {"logits": self.output}
        outputs.update({tap: self.tap_output(tap) for tap in taps})
        return keras.Model(self.input, outputs, name=f"{self.name}_taps")

    @property
    def input_length(self):
        return int(self.inputs[0].shape[1])

    @property
    def channels(self):
        """Channels per window (1: PPG; 4: PPG + 3-axis accelerometer)."""
        return int(self.inputs[0].shape[-1])

    @property
    def num_classes(self):
        return int(self.output.shape[-1])


def check_positive_int(name, value, minimum=1):
    """Raise a ValueError echoing ``value`` unless it is an int >= minimum."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(
            f"`{name}` must be an integer >= {minimum}. Received: "
            f"{name}={value!r}"
        )


def check_dropout(dropout):
    """Raise a ValueError echoing ``dropout`` unless it is in [0, 1)."""
    if not 0.0 <= dropout < 1.0:
        raise ValueError(
            f"`dropout` must be in [0, 1). Received: dropout={dropout}"
        )
