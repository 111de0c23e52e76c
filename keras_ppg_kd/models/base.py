"""Shared base of the package's functional models: named feature taps."""

import keras
import numpy as np


def trainable_parameters(model):
    """Trainable parameters of a Keras model (the study's size measure)."""
    return int(sum(np.prod(w.shape) for w in model.trainable_weights))


class PPGModel(keras.Model):
    """A functional PPG model with named feature taps.

    Subclasses build a functional graph and call :meth:`_init_functional`
    with the taps: a dict from tap name (``"stem"``, ``"block_3"``, ...) to
    the tensor it exposes. Taps let feature distillation address
    intermediate feature maps by a stable name.

    Args:
        sampling_rate: Sampling rate (Hz) the model expects its windows at;
            stored so data and export code can check it.

    Attributes:
        DISTILLATION_TAPS: ``(teacher tap, own tap)`` that feature
            distillation matches by default when this model is the student:
            a ResNet1D teacher's ``head`` feature map for students with a
            time axis; families without one override it.
    """

    DISTILLATION_TAPS = ("head", "head")

    def _init_functional(self, inputs, logits, taps, sampling_rate, **kwargs):
        super().__init__(inputs=inputs, outputs=logits, **kwargs)
        self.sampling_rate = float(sampling_rate)
        self._tap_layers = {
            tap: t._keras_history[0].name for tap, t in taps.items()
        }

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
