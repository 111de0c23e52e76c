"""Heart-rate tracking: an HMM over the model's class probabilities.

One window's logits say which heart rates fit that window; heart rate also
changes slowly from one 2 s step to the next. The tracker combines both:
the hidden state is the heart-rate class, the transition is a Laplace
distribution of the class change per stride (its scale learned from
training labels; heavier-tailed than a Gaussian, as HR changes are, and
computable in O(classes) by two first-order recursions) mixed with a small
uniform *jump* probability (so a tracker that went wrong can
recover), and the emission is the model's softmax at a calibrated
temperature.

- :meth:`HRTracker.step` / :meth:`HRTracker.filter`: the causal forward
  filter, one step per window, constant memory (what ships to a watch; a
  plain-C version is written by :meth:`HRTracker.export_c`).
- :meth:`HRTracker.fixed_lag`: the estimate for window ``t`` given at
  window ``t + lag``, from the forward belief and a ``lag``-step backward
  pass (``lag * stride_seconds`` of delay, memory for ``lag + 1`` windows;
  the exported C tracker has it too). ``lag=0`` is the causal filter.
- :meth:`HRTracker.smooth` (forward-backward) and :meth:`HRTracker.viterbi`:
  offline, using the whole recording.

The start (the first window, and the first after a reset): the belief
before any window is uniform, or with ``prior_mean_bpm`` and
``prior_std_bpm`` a Gaussian over the classes; :meth:`HRTracker.fit` learns
them from the training labels of the recordings' first 30 s. A uniform
start follows the first windows' argmax wherever it is, and a window that
peaks on the motion's cadence or a harmonic can hold the track there for
many windows.

Gaps: consecutive windows ``k`` strides apart apply the transition ``k``
times (at most ``MAX_STEPS``); a gap longer than ``max_gap_seconds``
resets the belief to uniform; window times that do not increase raise.
Settings outside ``RANGES`` raise, and a belief the window contradicts
beyond float32's range restarts from that window: the output is always a
class of the range, never NaN.

Reference:
    Bieri et al., "BeliefPPG: Uncertainty-aware Heart Rate Estimation from
    PPG signals via Belief Propagation", UAI 2023 (belief propagation over
    an HMM of HR bins with a transition prior learned from HR changes).
"""

import numpy as np
from scipy import signal

from keras_ppg_kd.heart_rate import DEFAULT_CLASSES
from keras_ppg_kd.protocol import WindowConfig
from keras_ppg_kd.tracking._common import (  # noqa: F401 (public here)
    _FORMAT,
    _RESTART_BELOW,
    MAX_LAG,
    MAX_STEPS,
    RANGES,
    _c_float,
    _check_lag,
    _check_settings,
    _recording_codes,
)
from keras_ppg_kd.tracking.c_export import _CExport
from keras_ppg_kd.tracking.calibration import _Calibration
from keras_ppg_kd.tracking.offline import _Offline
from keras_ppg_kd.tracking.per_recording import _PerRecording
from keras_ppg_kd.tracking.serialisation import _Serialisation


class HRTracker(
    _PerRecording, _Calibration, _Offline, _CExport, _Serialisation
):
    """Causal and offline heart-rate tracking over class logits.

    Args:
        transition_scale: Laplace scale of the HR change per stride (its
            mean absolute value), in BPM.
        jump_probability: Probability per stride of a jump to any class
            (the floor that lets the tracker recover).
        temperature: Emission temperature: probabilities are
            ``softmax(logits / temperature)``.
        stride_seconds: Time between consecutive windows.
        max_gap_seconds: A longer gap between windows resets the belief.
            Each setting must lie in its ``RANGES`` interval.
        classes: The :class:`~keras_ppg_kd.HRClasses` of the logits.
        prior_mean_bpm: Mean of the Gaussian belief at a start (the first
            window and the first after a reset), in BPM within the classes'
            range; ``None`` (with ``prior_std_bpm``): uniform.
        prior_std_bpm: Its standard deviation, BPM.
        lag: Windows of delay of :meth:`track`'s ``"filter"`` estimate
            and of the exported C tracker (an integer, 0 to ``MAX_LAG``):
            the estimate for a window waits for ``lag`` more windows and
            uses them (:meth:`fixed_lag`). 0 is the causal filter.

    Attributes:
        protocol: The :class:`~keras_ppg_kd.protocol.WindowConfig` the
            tracker reads windows of: ``stride_seconds`` and ``classes``
            (its other fields, which the tracker does not read, at their
            defaults). :meth:`check_protocol` compares a model's with it.

    Example:
    >>> tracker = HRTracker.fit(train.hr_bpm, train.participant,
    ...                         train.start_times)
    >>> tracker = tracker.calibrate(model.predict(val.windows), val.hr_bpm)
    >>> bpm = tracker.filter(model.predict(test.windows), test.start_times)
    """

    def __init__(
        self,
        transition_scale=2.0,
        jump_probability=1e-3,
        temperature=1.0,
        stride_seconds=2.0,
        max_gap_seconds=30.0,
        classes=DEFAULT_CLASSES,
        prior_mean_bpm=None,
        prior_std_bpm=None,
        lag=0,
    ):
        values = {
            "transition_scale": transition_scale,
            "jump_probability": jump_probability,
            "temperature": temperature,
            "stride_seconds": stride_seconds,
            "max_gap_seconds": max_gap_seconds,
        }
        if (prior_mean_bpm is None) != (prior_std_bpm is None):
            raise ValueError(
                "Give both `prior_mean_bpm` and `prior_std_bpm`, or neither "
                "(a uniform start). Received: prior_mean_bpm="
                f"{prior_mean_bpm!r}, prior_std_bpm={prior_std_bpm!r}"
            )
        if prior_std_bpm is not None:
            values["prior_std_bpm"] = prior_std_bpm
        _check_settings(values)
        if prior_mean_bpm is not None and (
            isinstance(prior_mean_bpm, bool)
            or not isinstance(prior_mean_bpm, (int, float, np.number))
            or not classes.min_bpm <= prior_mean_bpm <= classes.max_bpm
        ):
            raise ValueError(
                "`prior_mean_bpm` must be a heart rate in the classes' range "
                f"[{classes.min_bpm:g}, {classes.max_bpm:g}] BPM. Received: "
                f"prior_mean_bpm={prior_mean_bpm!r}"
            )
        if max_gap_seconds < stride_seconds:
            raise ValueError(
                "`max_gap_seconds` must be at least `stride_seconds`. "
                f"Received: max_gap_seconds={max_gap_seconds}, "
                f"stride_seconds={stride_seconds}"
            )
        self.lag = _check_lag(lag)
        self.transition_scale = float(transition_scale)
        self.jump_probability = float(jump_probability)
        self.temperature = float(temperature)
        # The protocol's fields the tracker reads, held once (the stride it
        # counts gaps in, the classes it decodes).
        self.protocol = WindowConfig(
            stride_seconds=float(stride_seconds), classes=classes
        )
        self.max_gap_seconds = float(max_gap_seconds)
        self.prior_mean_bpm = (
            None if prior_mean_bpm is None else float(prior_mean_bpm)
        )
        self.prior_std_bpm = (
            None if prior_std_bpm is None else float(prior_std_bpm)
        )
        # Kernel rho^|d| over class offsets d, normalised on the infinite
        # line: sum_d rho^|d| = (1 + rho) / (1 - rho).
        self.rho = float(np.exp(-classes.resolution / self.transition_scale))
        self.kernel_norm = (1.0 - self.rho) / (1.0 + self.rho)

    @property
    def stride_seconds(self):
        """Time between consecutive windows (``protocol.stride_seconds``)."""
        return self.protocol.stride_seconds

    @property
    def classes(self):
        """The :class:`~keras_ppg_kd.HRClasses` of the logits
        (``protocol.classes``)."""
        return self.protocol.classes

    @property
    def num_classes(self):
        return self.classes.num_classes

    def check_protocol(self, protocol):
        """Raise unless this tracker reads a model of ``protocol``.

        The tracker decodes class ``k`` as ``min_bpm + k * resolution`` and
        counts strides of ``stride_seconds``: a tracker made for other
        classes or another stride would shift or smear every heart rate.

        Args:
            protocol: The model's :class:`~keras_ppg_kd.protocol.WindowConfig`
                (``LiteRTModel(path).protocol``, a WindowSet's ``config``).

        Raises:
            ValueError: naming both sides of each difference.
        """
        differences = []
        if protocol.classes != self.classes:
            differences.append(
                f"classes: tracker {self.classes}, model {protocol.classes}"
            )
        if abs(protocol.stride_seconds - self.stride_seconds) > 1e-9:
            differences.append(
                f"stride: tracker {self.stride_seconds} s, model "
                f"{protocol.stride_seconds} s"
            )
        if differences:
            raise ValueError(
                "The tracker does not match the model's protocol ("
                + "; ".join(differences)
                + "). Use the tracker exported with this model."
            )

    def replace(self, **changes):
        """A copy with some arguments changed."""
        return HRTracker.from_config({**self.get_config(), **changes})

    # === The causal filter ===

    def initial_state(self):
        """The belief before any window (and after a reset): uniform over
        the classes, or the Gaussian of ``prior_mean_bpm`` and
        ``prior_std_bpm`` over the class centres."""
        if self.prior_mean_bpm is None:
            return np.full(self.num_classes, 1.0 / self.num_classes, "float32")
        centres = np.asarray(self.classes.centers, "float64")
        z = (centres - self.prior_mean_bpm) / self.prior_std_bpm
        prior = np.exp(-0.5 * z**2)
        return (prior / prior.sum()).astype("float32")

    def emission(self, logits):
        """Emission weights at the calibrated temperature.

        ``exp((logits - max) / temperature)``: the softmax times a
        per-window constant (the top class weighs 1), which is what the C
        tracker's lookup table holds.
        """
        logits = np.asarray(logits, "float64")
        top = np.max(logits, axis=-1, keepdims=True)
        return np.exp((logits - top) / self.temperature)

    def predict_state(self, belief, steps=1):
        """The belief ``steps`` strides later, before seeing a window.

        Works on ``(..., num_classes)`` arrays; rows need not sum to 1
        (the backward pass sends messages through it). After each stride
        the result is divided by its largest row total, a constant that
        changes no decision but keeps mass leaking over the class range's
        edges from underflowing over a long gap.
        """
        for _ in range(int(steps)):
            belief = self._transition(belief, self.jump_probability)
            largest = np.max(np.sum(belief, axis=-1))
            if largest > 0:
                belief = belief / largest
        return belief

    def _transition(self, belief, jump_probability):
        """One stride of the transition, unscaled: the belief spread by
        the Laplace kernel (two first-order recursive passes), with
        ``jump_probability`` (a number, or one per row) of its mass spread
        evenly over the classes."""
        forward = signal.lfilter([1.0], [1.0, -self.rho], belief)
        backward = signal.lfilter([1.0], [1.0, -self.rho], belief[..., ::-1])
        spread = (forward + backward[..., ::-1] - belief) * self.kernel_norm
        total = np.sum(belief, axis=-1, keepdims=True)
        return (1.0 - jump_probability) * spread + (
            jump_probability * total / self.num_classes
        )

    def step(self, belief, logits, steps=1):
        """One causal update; returns the new belief (sums to 1).

        Args:
            belief: The previous belief (:meth:`initial_state` at first).
            logits: This window's ``(num_classes,)`` logits.
            steps: Strides since the previous window (1 without a gap).

        Where the prior and the window leave no class possible in float32
        (their product sums below 1e-20), the belief restarts from this
        window alone, as the exported C tracker does.
        """
        logits = self._check_logits(np.asarray(logits)[None])[0]
        emission = self.emission(logits)
        posterior = self.predict_state(belief, steps) * emission
        if not posterior.sum() >= _RESTART_BELOW:
            posterior = emission
        return (posterior / posterior.sum()).astype("float32")

    def filter(self, logits, start_times=None):
        """Causal HR estimates: each uses only the windows up to it.

        Args:
            logits: ``(n, num_classes)`` logits of one recording, in time
                order.
            start_times: Window start times in seconds (default: one
                stride apart).

        Returns:
            float32 BPM per window.
        """
        return self._decode(self.filter_beliefs(logits, start_times))

    def filter_beliefs(self, logits, start_times=None):
        """The causal beliefs ``(n, num_classes)`` behind :meth:`filter`."""
        logits = self._check_logits(logits)
        steps = self._steps(len(logits), start_times)
        beliefs = np.empty(logits.shape, "float32")
        belief = self.initial_state()
        for i, k in enumerate(steps):
            if k == 0:
                belief = self.initial_state()
                k = 1  # the uniform prior is unchanged by one transition
            belief = self.step(belief, logits[i], k)
            beliefs[i] = belief
        return beliefs

    # === Helpers ===

    def _decode(self, beliefs):
        return self.classes.centers[np.argmax(beliefs, axis=-1)]

    def _check_logits(self, logits):
        logits = np.asarray(logits, "float64")
        if logits.ndim != 2 or logits.shape[-1] != self.num_classes:
            raise ValueError(
                f"Expected logits of shape (windows, {self.num_classes}). "
                f"Received: shape={logits.shape}"
            )
        if len(logits) == 0:
            raise ValueError("No windows to track: logits are empty.")
        bad = ~np.isfinite(logits).all(axis=1)
        if bad.any():
            raise ValueError(
                f"{int(bad.sum())} window(s) have NaN or Inf logits (first "
                f"at index {int(np.argmax(bad))}); drop them and pass the "
                "remaining windows' start_times so the gap is handled."
            )
        return logits

    def _steps(self, n, start_times):
        """Strides since the previous window; 0 marks a reset."""
        if start_times is None:
            return np.ones(n, "int64")
        times = np.asarray(start_times, "float64").reshape(-1)
        if len(times) != n:
            raise ValueError(
                f"start_times has {len(times)} entries for {n} windows."
            )
        gaps = np.diff(times)
        if (gaps <= 0).any() or not np.isfinite(times).all():
            where = int(np.argmax(~(gaps > 0))) + 1 if len(gaps) else 0
            raise ValueError(
                "start_times must be finite and strictly increasing; "
                f"window {where} starts at {times[where]} s."
            )
        steps = np.clip(np.round(gaps / self.stride_seconds), 1, MAX_STEPS)
        steps[gaps > self.max_gap_seconds] = 0
        return np.concatenate([[0], steps]).astype("int64")
