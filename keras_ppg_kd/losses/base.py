"""Base class of the package's distillation losses.

Our losses subclass :class:`keras.distillation.DistillationLoss`, so the
label-free ones also work inside ``keras.distillation.Distiller``. Each
carries ``ce_weight``, the weight of the cross-entropy on the true labels
that the strategy adds (our :class:`~keras_ppg_kd.Distiller` computes that
CE once). ``compute_loss`` returns the distillation term only.
"""

import keras
from keras import ops


def as_float32(*tensors):
    """Cast to float32 (losses stay in float32 under mixed precision)."""
    return [ops.cast(t, "float32") for t in tensors]


def class_index(labels):
    """Integer classes from labels that may be fractional class positions.

    Augmentation that rescales heart rate (time stretch) gives labels
    between classes; they round half up, like :func:`bpm_to_class`.
    """
    labels = ops.reshape(labels, (-1,))
    if "int" in str(labels.dtype):
        return ops.cast(labels, "int32")
    return ops.cast(ops.floor(ops.cast(labels, "float32") + 0.5), "int32")


def ordinal_targets(labels, num_classes, sigma):
    """Gaussian soft targets around each (possibly fractional) label.

    Args:
        labels: ``(batch,)`` class positions.
        num_classes: Number of classes.
        sigma: Standard deviation in classes (BPM for 1-BPM classes).

    Returns:
        ``(batch, num_classes)`` float32 rows that sum to 1.
    """
    labels = ops.reshape(ops.cast(labels, "float32"), (-1, 1))
    centres = ops.arange(num_classes, dtype="float32")[None, :]
    weights = ops.exp(-0.5 * ops.square((centres - labels) / sigma))
    return weights / ops.sum(weights, axis=-1, keepdims=True)


def sparse_ce(labels, logits, sigma=0.0):
    """Mean cross-entropy from logits, in float32.

    Args:
        labels: ``(batch,)`` class indices or fractional class positions.
        logits: ``(batch, classes)``.
        sigma: 0 for the one-hot CE on the rounded label; > 0 for ordinal
            soft targets (a Gaussian of this width in classes around the
            label), which tell the model that 71 BPM is a better answer
            than 140 BPM for a 70 BPM window.
    """
    (logits,) = as_float32(logits)
    log_p = ops.log_softmax(logits, axis=-1)
    if sigma > 0:
        targets = ordinal_targets(labels, logits.shape[-1], sigma)
        return -ops.mean(ops.sum(targets * log_p, axis=-1))
    picked = ops.take_along_axis(log_p, class_index(labels)[:, None], axis=-1)
    return -ops.mean(picked)


@keras.saving.register_keras_serializable(package="keras_ppg_kd")
class HeartRateCrossEntropy(keras.losses.Loss):
    """Cross-entropy on heart-rate classes, optionally with ordinal targets.

    Accepts integer classes or fractional class positions (from
    HR-changing augmentation) as ``y_true``; see :func:`sparse_ce`.

    Args:
        sigma: Width of the Gaussian soft target in classes (BPM for the
            default 1-BPM classes); 0 is the plain one-hot CE.
        name: Loss name.

    Example:
    >>> model.compile("adam", loss=HeartRateCrossEntropy(sigma=2.0))
    """

    def __init__(self, sigma=0.0, name="hr_cross_entropy", **kwargs):
        check_non_negative(sigma=sigma)
        super().__init__(name=name, **kwargs)
        self.sigma = float(sigma)

    def call(self, y_true, y_pred):
        return sparse_ce(y_true, y_pred, self.sigma)

    def get_config(self):
        return {**super().get_config(), "sigma": self.sigma}


def check_temperature(temperature):
    if not temperature > 0:
        raise ValueError(
            "`temperature` must be positive. Received: "
            f"temperature={temperature}"
        )


def check_non_negative(**values):
    for name, value in values.items():
        if not value >= 0:
            raise ValueError(f"`{name}` must be >= 0. Received: {name}={value}")


# name -> strategy class, in registration order (the study's default list).
REGISTRY = {}


def register(name, color):
    """Class decorator: make a strategy known by ``name``.

    Registered strategies are what :func:`keras_ppg_kd.losses.get`
    accepts, the study's default strategy list and the report's legend;
    ``color`` is its colour in the report's figures. A strategy registers
    itself in its own module.
    """

    def add(cls):
        if name in REGISTRY and REGISTRY[name] is not cls:
            raise ValueError(
                f"Strategy name {name!r} is taken by {REGISTRY[name]}."
            )
        cls.name, cls.color = name, color
        REGISTRY[name] = cls
        return cls

    return add


class PPGDistillationLoss(keras.distillation.DistillationLoss):
    """Base: a strategy with a config and a CE weight.

    Args:
        ce_weight: Weight of the cross-entropy on the true labels.
    """

    teacher_tap = None
    student_tap = None

    def __init__(self, ce_weight=1.0):
        check_non_negative(ce_weight=ce_weight)
        self.ce_weight = float(ce_weight)

    def get_config(self):
        return {"ce_weight": self.ce_weight}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"
