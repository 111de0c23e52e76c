"""Fusing a model's posterior with the window's own spectrum.

A window's PPG spectrum is evidence the model's logits only summarise: at
rest its highest peak is the pulse (the spectral peak beats most models
there), while under motion the arm's or the pedals' cadence and its
harmonics dominate it. :class:`SpectralFusion` adds the log of the
window's normalised power at each class's frequency to the model's
log-probabilities, with a weight set per window from what a watch knows:

- **peakiness** of the spectrum (a clean pulse is one narrow peak);
- **motion**: how much the PPG spectrum looks like the accelerometer's
  (cosine similarity of the two, 0 without an accelerometer); with an
  accelerometer the PPG power is also divided by ``1 + suppression * A``
  where ``A`` is the accelerometer's relative power at that frequency, so
  the cadence and its harmonics are suppressed;
- **confidence** of the model (its largest class probability).

``weight = softplus(gate · (1, peakiness, motion, confidence))``; the gate
and the suppression are fitted on held-out participants by the negative
log-likelihood of the true class (:meth:`SpectralFusion.fit`). The fused
logits feed :class:`~keras_ppg_kd.tracking.HRTracker` unchanged, and
``export_c`` writes the same computation in plain C (a Goertzel-style
recursion per class, no tables).

Reference for the motion suppression: Zhang et al., TROIKA (IEEE TBME
2015), which removes the accelerometer's spectral peaks from the PPG's.
"""

import dataclasses

import numpy as np
from scipy import optimize, special

from keras_ppg_kd.heart_rate import DEFAULT_CLASSES, HRClasses
from keras_ppg_kd.protocol import WindowConfig

_EPS = 1e-6
_FEATURES = ("bias", "peakiness", "motion", "confidence")


def class_power(x, rate, classes=DEFAULT_CLASSES):
    """Hann-windowed power of ``(n, length)`` signals at each class's HR.

    Returns:
        ``(n, num_classes)`` power at ``classes.bpm / 60`` Hz.
    """
    x = np.asarray(x, "float64")
    length = x.shape[-1]
    t = np.arange(length) / rate
    hz = classes.centers / 60.0
    basis = np.hanning(length)[:, None] * np.exp(
        -2j * np.pi * t[:, None] * hz[None, :]
    )
    return np.abs((x - x.mean(axis=-1, keepdims=True)) @ basis) ** 2


def _normalised(power):
    return power / (power.sum(axis=-1, keepdims=True) + _EPS)


@dataclasses.dataclass(frozen=True)
class SpectralFusion:
    """Model logits + the window's (motion-suppressed) spectrum.

    Args:
        gate: Coefficients of ``(1, peakiness, motion, confidence)`` in the
            per-window spectrum weight ``softplus(gate · features)``.
            All zeros but a very negative bias turns the fusion off.
        suppression: How strongly accelerometer power suppresses the PPG
            power at the same frequency (0: not at all).
        target_rate: Sampling rate of the windows (Hz; the protocol's).
        classes: The :class:`~keras_ppg_kd.HRClasses` of the logits.
    """

    gate: tuple = (-20.0, 0.0, 0.0, 0.0)
    suppression: float = 0.0
    target_rate: float = WindowConfig().target_rate
    classes: HRClasses = DEFAULT_CLASSES

    def __post_init__(self):
        if len(self.gate) != len(_FEATURES) or not np.all(
            np.isfinite(self.gate)
        ):
            raise ValueError(
                f"`gate` must be {len(_FEATURES)} finite numbers "
                f"{_FEATURES}. Received: gate={self.gate}"
            )
        if not (np.isfinite(self.suppression) and self.suppression >= 0):
            raise ValueError(
                "`suppression` must be finite and >= 0. Received: "
                f"suppression={self.suppression}"
            )

    def spectrum(self, windows):
        """``(log normalised spectrum, motion)`` of ``(n, length, ch)``.

        Channel 0 is the PPG; channels 1-3, when present, the
        accelerometer.
        """
        windows = np.asarray(windows, "float64")
        if windows.ndim == 2:
            windows = windows[..., None]
        ppg = _normalised(
            class_power(windows[..., 0], self.target_rate, self.classes)
        )
        motion = np.zeros(len(windows))
        if windows.shape[-1] > 1:
            acc = _normalised(
                sum(
                    class_power(windows[..., c], self.target_rate, self.classes)
                    for c in range(1, windows.shape[-1])
                )
            )
            motion = np.sum(ppg * acc, axis=-1) / (
                np.linalg.norm(ppg, axis=-1) * np.linalg.norm(acc, axis=-1)
                + _EPS
            )
            relative = acc * acc.shape[-1]  # 1 = a flat accelerometer
            ppg = _normalised(ppg / (1.0 + self.suppression * relative))
        return np.log(ppg + _EPS), motion

    def features(self, windows, logits):
        """``(n, 4)``: 1, peakiness, motion, confidence per window."""
        log_spectrum, motion = self.spectrum(windows)
        return self._features(log_spectrum, motion, logits)

    def _features(self, log_spectrum, motion, logits):
        classes = log_spectrum.shape[-1]
        peakiness = np.log(np.exp(log_spectrum).max(axis=-1) * classes)
        peakiness /= np.log(classes)
        confidence = special.softmax(np.asarray(logits, "float64"), -1).max(-1)
        return np.stack(
            [np.ones(len(motion)), peakiness, motion, confidence], axis=1
        )

    def weights(self, windows, logits):
        """The spectrum's weight per window."""
        return self._weight(self.features(windows, logits))

    def _weight(self, features):
        return np.logaddexp(0.0, features @ np.asarray(self.gate))

    def fuse(self, windows, logits):
        """Fused logits: ``log_softmax(logits) + weight * log spectrum``."""
        log_spectrum, motion = self.spectrum(windows)
        return self._fuse(log_spectrum, motion, logits)

    def _fuse(self, log_spectrum, motion, logits):
        weight = self._weight(self._features(log_spectrum, motion, logits))
        log_p = special.log_softmax(np.asarray(logits, "float64"), axis=-1)
        return (log_p + weight[:, None] * log_spectrum).astype("float32")

    @classmethod
    def fit(
        cls,
        windows,
        logits,
        hr_bpm,
        protocol=None,
        suppressions=(0.0, 1.0, 4.0, 16.0),
    ):
        """The fusion that best predicts held-out windows' true classes.

        For each suppression on the grid the gate minimises the negative
        log-likelihood of a 2-BPM Gaussian around the true class (as
        :meth:`HRTracker.calibrate` does); the best pair is kept.

        Args:
            windows: ``(n, length, channels)`` held-out windows.
            logits: Their ``(n, num_classes)`` model logits.
            hr_bpm: Their reference heart rates.
            protocol: The windows' :class:`~keras_ppg_kd.protocol.WindowConfig`
                (rate and classes; the default one if None).
            suppressions: Suppression strengths to try (only the first is
                used for PPG-only windows).
        """
        protocol = protocol or WindowConfig()
        target_rate, classes = protocol.target_rate, protocol.classes
        hr_bpm = np.asarray(hr_bpm, "float64")
        keep = np.isfinite(hr_bpm)
        windows, logits = np.asarray(windows)[keep], np.asarray(logits)[keep]
        hr_bpm = hr_bpm[keep]
        if not len(hr_bpm):
            raise ValueError("SpectralFusion.fit needs labelled windows.")
        labels = np.clip(classes._raw_class(hr_bpm), 0, classes.num_classes - 1)
        centres = np.arange(classes.num_classes)
        target = np.exp(-0.5 * ((centres - labels[:, None]) / 2.0) ** 2)
        target /= target.sum(axis=1, keepdims=True)
        if np.ndim(windows) < 3 or np.shape(windows)[-1] == 1:
            suppressions = suppressions[:1]
        best = None
        for suppression in suppressions:
            fusion = cls(
                suppression=suppression,
                target_rate=target_rate,
                classes=classes,
            )
            log_spectrum, motion = fusion.spectrum(windows)

            def nll(gate, fusion=fusion, spec=(log_spectrum, motion)):
                fused = dataclasses.replace(fusion, gate=tuple(gate))._fuse(
                    *spec, logits
                )
                log_q = special.log_softmax(fused.astype("float64"), -1)
                return -np.mean(np.sum(target * log_q, axis=1))

            found = optimize.minimize(
                nll,
                np.array([-1.0, 0.0, 0.0, 0.0]),
                method="Nelder-Mead",
                options={"maxiter": 400, "xatol": 1e-3, "fatol": 1e-4},
            )
            if best is None or found.fun < best[0]:
                best = (
                    found.fun,
                    dataclasses.replace(
                        fusion, gate=tuple(float(g) for g in found.x)
                    ),
                )
        return best[1]

    def get_config(self):
        """A JSON-ready dict; :meth:`from_config` rebuilds it."""
        config = dataclasses.asdict(self)
        config["gate"] = list(self.gate)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["gate"] = tuple(config["gate"])
        config["classes"] = HRClasses(**config["classes"])
        return cls(**config)
