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

import inspect
import itertools
import json
import pathlib
import warnings

import numpy as np
from scipy import optimize, signal, special

from keras_ppg_kd._csource import copy_sources
from keras_ppg_kd.heart_rate import DEFAULT_CLASSES, HRClasses

_FORMAT = "keras_ppg_kd.HRTracker/1"
# Accepted settings: (low, high, low end included). Outside them the
# arithmetic leaves float32 (a temperature of 1e-310 or inf) or a gap would
# apply thousands of transitions; the jump probability may be 0.
RANGES = {
    "transition_scale": (0.01, 1000.0, False),
    "jump_probability": (0.0, 1.0, True),
    "temperature": (0.01, 100.0, False),
    "stride_seconds": (0.0, 3600.0, False),
    "max_gap_seconds": (0.0, 3600.0, False),
    "prior_std_bpm": (1.0, 1000.0, False),
}
# The largest fixed lag, in windows (two minutes at a 2 s stride).
MAX_LAG = 60
# A gap applies at most this many transitions (then the belief has spread
# over the classes anyway); the C tracker caps them the same.
MAX_STEPS = 1000
# A posterior whose sum falls below this (the prior and the window
# disagree almost beyond float32's range) restarts from the window alone,
# in NumPy and in C alike: far above float32's smallest number, so that C
# (float32) and NumPy (float64) take the same decision.
_RESTART_BELOW = 1e-20


def _c_float(value):
    """A float literal C reads back exactly (``0.5f``, ``1e-05f``)."""
    return f"{float(value)!r}f"


def _recording_codes(recording):
    """Recording ids as integer codes; ``None`` raises naming the window."""
    ids = np.asarray(recording, dtype=object).reshape(-1)
    codes = {}
    try:
        for i, key in enumerate(ids):
            if key is None:
                raise ValueError(
                    f"recording id of window {i} is None; give every window "
                    "a recording (or participant) id."
                )
            codes.setdefault(key, len(codes))
    except TypeError as error:
        raise ValueError(
            f"recording ids must be hashable; window {i} has {key!r}"
        ) from error
    return np.array([codes[key] for key in ids], "int64")


def _check_lag(lag):
    """``lag`` as an int; raises unless an integer in [0, MAX_LAG]."""
    integer = isinstance(lag, (int, np.integer)) and not isinstance(lag, bool)
    if not (integer and 0 <= lag <= MAX_LAG):
        raise ValueError(
            f"`lag` must be an integer in [0, {MAX_LAG}] (windows). "
            f"Received: lag={lag!r}"
        )
    return int(lag)


class HRTracker:
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
        for name, value in values.items():
            low, high, closed = RANGES[name]
            number = isinstance(value, (int, float, np.number))
            ok = number and not isinstance(value, bool)
            ok = ok and (low <= value < high if closed else low < value <= high)
            if not ok:
                accepted = f"[{low}, {high})" if closed else f"({low}, {high}]"
                raise ValueError(
                    f"`{name}` must be in {accepted}. Received: "
                    f"{name}={value!r}"
                )
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
        self.stride_seconds = float(stride_seconds)
        self.max_gap_seconds = float(max_gap_seconds)
        self.classes = classes
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
    def num_classes(self):
        return self.classes.num_classes

    # === Learning the prior and the temperature ===

    @classmethod
    def fit(
        cls,
        hr_bpm,
        recording,
        start_times,
        stride_seconds=2.0,
        min_scale=1.0,
        start_prior=True,
        start_seconds=30.0,
        min_prior_std=20.0,
        **kwargs,
    ):
        """A tracker whose transition is learned from training labels.

        The HR change per stride is measured between consecutive windows of
        each recording; ``transition_scale`` is its mean absolute value
        (at least ``min_scale``), ``jump_probability`` the fraction of
        changes beyond six of those (at least 1e-3).

        With ``start_prior``, the belief at a start is a Gaussian with the
        mean and standard deviation (at least ``min_prior_std``) of the
        labels in the first ``start_seconds`` of each recording (a start
        is a recording's first window or the first after a gap longer
        than ``max_gap_seconds``): where recordings start (often near
        rest) rather than where their heart rate spends its time. On the
        unseen SPC 2015 and wrist recordings this cut the first 30 s'
        error of the shipped int8 student by a third or more without
        costing the rest (``benchmarks/bench_tracker_lag.py``);
        ``start_prior=False`` keeps the uniform start.

        Args:
            hr_bpm: Reference heart rate per window.
            recording: Recording (participant) id per window.
            start_times: Window start times in seconds.
            stride_seconds: The windows' stride.
            min_scale: Smallest transition scale, BPM.
            start_prior: Learn the start's Gaussian belief (else uniform).
            start_seconds: The span of each recording's start, seconds.
            min_prior_std: Smallest standard deviation of that belief, BPM
                (a few recordings would make it narrower than the heart
                rates recordings start at).
            **kwargs: Other :class:`HRTracker` arguments.
        """
        hr = np.asarray(hr_bpm, "float64")
        ids = np.asarray(recording)
        times = np.asarray(start_times, "float64")
        if not len(hr) == len(ids) == len(times):
            raise ValueError(
                "hr_bpm, recording and start_times must have one entry per "
                f"window. Received lengths {len(hr)}, {len(ids)}, "
                f"{len(times)}"
            )
        order = np.lexsort((times, ids))
        hr, ids, times = hr[order], ids[order], times[order]
        consecutive = (ids[1:] == ids[:-1]) & np.isclose(
            np.diff(times), stride_seconds
        )
        changes = np.diff(hr)[consecutive]
        changes = changes[np.isfinite(changes)]
        if len(changes) < 10:
            raise ValueError(
                f"Need at least 10 consecutive window pairs to learn the "
                f"transition; found {len(changes)}."
            )
        scale = max(float(np.mean(np.abs(changes))), min_scale)
        jumps = max(float(np.mean(np.abs(changes) > 6 * scale)), 1e-3)
        if start_prior and "prior_mean_bpm" not in kwargs:
            gap = kwargs.get("max_gap_seconds", 30.0)
            new = np.ones(len(hr), bool)
            new[1:] = (ids[1:] != ids[:-1]) | (np.diff(times) > gap)
            segment = np.cumsum(new) - 1
            since = times - times[new][segment]
            early = hr[(since < start_seconds) & np.isfinite(hr)]
            if len(early):
                classes = kwargs.get("classes", DEFAULT_CLASSES)
                kwargs["prior_mean_bpm"] = float(
                    np.clip(np.mean(early), classes.min_bpm, classes.max_bpm)
                )
                kwargs["prior_std_bpm"] = max(
                    float(np.std(early)), min_prior_std
                )
        return cls(
            transition_scale=scale,
            jump_probability=jumps,
            stride_seconds=stride_seconds,
            **kwargs,
        )

    def calibrate(
        self,
        logits,
        hr_bpm,
        recording=None,
        start_times=None,
        temperature_factors=(1.0, 2.0, 4.0),
        scale_factors=(1.0, 2.0, 4.0),
        jump_probabilities=(1e-3, 1e-2, 5e-2),
    ):
        """A copy calibrated on validation windows (this one is unchanged).

        The emission temperature first minimises the NLL of the true
        classes, window by window (against a 2-BPM Gaussian target, so near
        misses count as near).
        Given the windows' ``recording`` and ``start_times`` too, three
        settings are then chosen on a small grid for the lowest causal MAE
        on those recordings:

        - the temperature, times each of ``temperature_factors``: windows
          overlap (8 s every 2 s share three quarters of their samples), so
          consecutive windows err together, and the filter, which takes
          them as independent evidence, counts each sample several times.
          The temperature that scores windows one at a time best is too
          low for tracking;
        - the transition scale (times each of ``scale_factors``) and the
          jump probability: how far a wrong track may drift before it is
          abandoned depends on how the model errs, which the labels alone
          do not say.

        Args:
            logits: ``(n, num_classes)`` validation logits.
            hr_bpm: Their reference heart rates.
            recording: Recording id per window (enables the grid).
            start_times: Window start times in seconds.
            temperature_factors: Multipliers of the temperature to try.
            scale_factors: Multipliers of ``transition_scale`` to try.
            jump_probabilities: Jump probabilities to try.

        Returns:
            A new :class:`HRTracker`.
        """
        logits = self._check_logits(logits)
        hr_bpm = np.asarray(hr_bpm, "float64").reshape(-1)
        if len(hr_bpm) != len(logits):
            raise ValueError(
                f"hr_bpm has {len(hr_bpm)} entries for {len(logits)} windows."
            )
        known = np.isfinite(hr_bpm)
        if not known.all():
            warnings.warn(
                f"HRTracker.calibrate: dropped {int((~known).sum())} of "
                f"{len(hr_bpm)} windows whose label is NaN or Inf.",
                stacklevel=2,
            )
            logits, hr_bpm = logits[known], hr_bpm[known]
            if recording is not None:
                recording = np.asarray(recording)[known]
                start_times = np.asarray(start_times)[known]
        outside = ~self.classes.in_range(hr_bpm)
        if outside.any() or not len(hr_bpm):
            raise ValueError(
                f"{int(outside.sum())} of {len(hr_bpm)} calibration labels "
                f"lie outside the tracker's classes ({self.classes.min_bpm:g}"
                f"-{self.classes.max_bpm:g} BPM), e.g. "
                f"{hr_bpm[outside][:3].tolist()}; labels are heart rates in "
                "BPM (not Hz, not RR intervals)."
            )
        labels = self.classes._raw_class(hr_bpm).astype(int)
        centres = np.arange(self.num_classes)
        target = np.exp(-0.5 * ((centres - labels[:, None]) / 2.0) ** 2)
        target /= target.sum(axis=1, keepdims=True)

        def nll(log_t):
            log_p = special.log_softmax(logits / np.exp(log_t), axis=1)
            return -np.mean(np.sum(target * log_p, axis=1))

        found = optimize.minimize_scalar(nll, bounds=(-3, 4), method="bounded")
        best = self.replace(temperature=float(np.exp(found.x)))
        if recording is None:
            return best
        chosen, best_mae = best, np.inf
        grid = itertools.product(
            temperature_factors, scale_factors, jump_probabilities
        )
        for hot, wide, jump in grid:
            candidate = best.replace(
                temperature=min(
                    best.temperature * hot, RANGES["temperature"][1]
                ),
                transition_scale=self.transition_scale * wide,
                jump_probability=jump,
            )
            bpm = candidate.track(logits, recording, start_times)
            mae = float(np.mean(np.abs(bpm - hr_bpm)))
            if mae < best_mae:
                chosen, best_mae = candidate, mae
        return chosen

    def track(self, logits, recording, start_times, method="filter", lag=None):
        """Track each recording on its own, in time order.

        Args:
            logits: ``(n, num_classes)`` logits of windows from one or more
                recordings, in any order.
            recording: Recording id per window.
            start_times: Window start times in seconds.
            method: ``"filter"`` (causal, or with ``lag`` windows of delay:
                :meth:`fixed_lag`), ``"smooth"`` or ``"viterbi"``.
            lag: For ``"filter"``: windows of delay, 0 to ``MAX_LAG``
                (default: the tracker's ``lag``; 0 is :meth:`filter`).

        Returns:
            BPM per window, in the input order.
        """
        if method not in ("filter", "smooth", "viterbi"):
            raise ValueError(
                "`method` must be 'filter', 'smooth' or 'viterbi'. "
                f"Received: method={method!r}"
            )
        if method != "filter" and lag is not None:
            raise ValueError(
                "`lag` applies to method='filter' only (smooth and viterbi "
                f"use the whole recording). Received: method={method!r}, "
                f"lag={lag!r}"
            )
        function = getattr(self, method)
        if method == "filter":
            lag = self.lag if lag is None else _check_lag(lag)
            if lag:

                def function(logits, start_times):
                    return self.fixed_lag(logits, start_times, lag)

        return self._per_recording(function, logits, recording, start_times, ())

    def posteriors(self, logits, recording, start_times):
        """Each window's forward-backward posterior given its whole
        recording (:meth:`smooth_beliefs`, recordings taken apart as in
        :meth:`track`): ``(n, num_classes)``, rows summing to 1, in the
        input order."""
        return self._per_recording(
            self.smooth_beliefs,
            logits,
            recording,
            start_times,
            (self.num_classes,),
        )

    def _per_recording(self, method, logits, recording, start_times, shape):
        logits = self._check_logits(logits)
        ids = _recording_codes(recording)
        times = np.asarray(start_times, "float64")
        if not len(ids) == len(times) == len(logits):
            raise ValueError(
                f"recording ({len(ids)}) and start_times ({len(times)}) need "
                f"one entry per window ({len(logits)})."
            )
        out = np.empty((len(logits), *shape), "float32")
        for key in np.unique(ids):
            index = np.flatnonzero(ids == key)
            index = index[np.argsort(times[index], kind="stable")]
            out[index] = method(logits[index], times[index])
        return out

    def check_protocol(self, protocol):
        """Raise unless this tracker reads a model of ``protocol``.

        The tracker decodes class ``k`` as ``min_bpm + k * resolution`` and
        counts strides of ``stride_seconds``: a tracker made for other
        classes or another stride would shift or smear every heart rate.

        Args:
            protocol: The model's :class:`~keras_ppg_kd.data.WindowConfig`
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
            forward = signal.lfilter([1.0], [1.0, -self.rho], belief)
            backward = signal.lfilter(
                [1.0], [1.0, -self.rho], belief[..., ::-1]
            )[..., ::-1]
            spread = (forward + backward - belief) * self.kernel_norm
            total = np.sum(belief, axis=-1, keepdims=True)
            belief = (1.0 - self.jump_probability) * spread + (
                self.jump_probability * total / self.num_classes
            )
            largest = np.max(np.sum(belief, axis=-1))
            if largest > 0:
                belief = belief / largest
        return belief

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

    # === Offline ===

    def smooth(self, logits, start_times=None):
        """Offline HR: the argmax of the forward-backward posterior."""
        return self._decode(self.smooth_beliefs(logits, start_times))

    def smooth_beliefs(self, logits, start_times=None):
        """The forward-backward posteriors ``(n, num_classes)`` behind
        :meth:`smooth`: each window's belief given the whole recording."""
        logits = self._check_logits(logits)
        steps = self._steps(len(logits), start_times)
        emission = self.emission(logits)
        forward = self.filter_beliefs(logits, start_times).astype("float64")
        posterior = np.empty_like(forward)
        backward = np.ones(self.num_classes)
        posterior[-1] = forward[-1]
        for i in range(len(logits) - 2, -1, -1):
            backward = self._backward_step(
                backward, emission[i + 1], steps[i + 1]
            )
            posterior[i] = self._combine(forward[i], backward)
        return posterior

    def _backward_step(self, backward, emission, steps):
        """The backward message one window earlier (sums to 1).

        ``backward`` is the message into the next window, ``emission`` and
        ``steps`` that window's. The Laplace kernel is symmetric: the
        backward pass uses the same transition. After a reset
        (``steps == 0``) the future says nothing, nor where the window
        contradicts it beyond float32 (the product sums below 1e-20, as in
        :meth:`step`).
        """
        message = backward * emission
        if not steps or not message.sum() >= _RESTART_BELOW:
            return np.full(self.num_classes, 1.0 / self.num_classes)
        backward = self.predict_state(message, steps)
        return backward / backward.sum()

    def _combine(self, forward, backward):
        """The posterior from a forward belief and a backward message; the
        forward belief alone where they contradict beyond float32."""
        joint = forward * backward
        return joint / joint.sum() if joint.sum() >= _RESTART_BELOW else forward

    # === Fixed lag ===

    def fixed_lag(self, logits, start_times=None, lag=None):
        """HR estimates with a fixed delay: window ``t`` given at ``t + lag``.

        Each estimate combines the window's causal belief with a backward
        pass over the ``lag`` windows after it, as a watch running the
        exported C tracker gives it ``lag`` strides late. The last ``lag``
        windows of a recording use the windows that exist after them (the
        C tracker's flush), so they equal :meth:`smooth`'s; ``lag=0`` is
        :meth:`filter`, exactly.

        Args:
            logits: ``(n, num_classes)`` logits of one recording, in time
                order.
            start_times: Window start times in seconds (default: one
                stride apart).
            lag: Windows of delay, 0 to ``MAX_LAG`` (default: the
                tracker's ``lag``).

        Returns:
            float32 BPM per window.
        """
        return self._decode(self.fixed_lag_beliefs(logits, start_times, lag))

    def fixed_lag_beliefs(self, logits, start_times=None, lag=None):
        """The beliefs ``(n, num_classes)`` behind :meth:`fixed_lag`: for
        window ``t``, given the windows up to ``t + lag`` (float64; at
        ``lag=0`` :meth:`filter_beliefs`' float32 ones)."""
        lag = self.lag if lag is None else _check_lag(lag)
        logits = self._check_logits(logits)
        forward = self.filter_beliefs(logits, start_times)
        if lag == 0:
            return forward
        steps = self._steps(len(logits), start_times)
        emission = self.emission(logits)
        forward = forward.astype("float64")
        beliefs = forward.copy()
        n = len(logits)
        for t in range(n - 1):
            # The smoother's backward pass, from t + lag (or the last
            # window) down to t: the same arithmetic, so the final windows
            # equal the smoother's.
            backward = np.ones(self.num_classes)
            for i in range(min(t + lag, n - 1) - 1, t - 1, -1):
                backward = self._backward_step(
                    backward, emission[i + 1], steps[i + 1]
                )
            beliefs[t] = self._combine(forward[t], backward)
        return beliefs

    def viterbi(self, logits, start_times=None):
        """Offline HR: the most likely HR path (Viterbi, in log space)."""
        logits = self._check_logits(logits)
        steps = self._steps(len(logits), start_times)
        log_e = np.log(self.emission(logits) + 1e-30)
        n, c = log_e.shape
        start = (
            -np.log(c)
            if self.prior_mean_bpm is None
            else np.log(self.initial_state().astype("float64") + 1e-30)
        )
        back = np.zeros((n, c), "int32")
        score = log_e[0] + start
        offsets = np.arange(c)
        log_t = {}
        for i in range(1, n):
            if steps[i] == 0:
                back[i] = np.argmax(score)
                score = log_e[i] + start
                continue
            if steps[i] not in log_t:
                matrix = self.predict_state(np.eye(c), steps[i])
                log_t[steps[i]] = np.log(matrix + 1e-30)
            # from (rows) -> to (cols)
            candidates = score[:, None] + log_t[steps[i]]
            back[i] = np.argmax(candidates, axis=0)
            score = candidates[back[i], offsets] + log_e[i]
        path = np.empty(n, "int64")
        path[-1] = np.argmax(score)
        for i in range(n - 1, 0, -1):
            path[i - 1] = back[i, path[i]]
        return self.classes.centers[path]

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

    # === Deployment ===

    def exp_table(self, logit_scale):
        """Emission lookup for int8 logits: ``exp(-d * scale / T)``.

        Entry ``d`` (0-255) is the unnormalised probability of a class
        whose quantized logit is ``d`` below the window's largest.
        """
        if not logit_scale > 0:
            raise ValueError(
                f"`logit_scale` must be positive. Received: {logit_scale}"
            )
        d = np.arange(256, dtype="float64")
        return np.exp(-d * logit_scale / self.temperature).astype("float32")

    def export_c(self, directory, logit_scale, lag=None):
        """Write the plain-C tracker for an int8 student.

        Writes ``hr_tracker.c``, ``hr_tracker.h`` and
        ``hr_tracker_params.h`` (transition constants, jump probability,
        emission lookup table for the student's output quantization
        ``logit_scale``, the start's belief, the lag) into ``directory``.
        ``hrt_step_int8`` is the causal step (state per stream: the belief
        and a scratch, ``num_classes`` floats each); ``hrt_lag_step_int8``
        gives each window's estimate ``lag`` windows later
        (:meth:`fixed_lag`; its state holds the last ``lag + 1`` windows;
        ``hr_tracker.h`` states which window each output belongs to and
        how to flush at a recording's end). Constants: 256 floats, and
        ``num_classes`` more for a Gaussian start.

        Args:
            directory: Output folder (created).
            logit_scale: Scale of the int8 student's output tensor
                (``inspect_tflite(path).output_scale``).
            lag: ``HRT_LAG``, windows of delay (default: the tracker's
                ``lag``).

        Returns:
            The paths written.
        """
        lag = self.lag if lag is None else _check_lag(lag)
        out = pathlib.Path(directory)
        written = copy_sources(
            ("tracking/hr_tracker.c", "tracking/hr_tracker.h"), out
        )

        def array(values):
            rows = [
                ", ".join(_c_float(v) for v in values[i : i + 6])
                for i in range(0, len(values), 6)
            ]
            return "{\n    " + ",\n    ".join(rows) + "}"

        prior = "#define HRT_HAS_PRIOR 0\n"
        if self.prior_mean_bpm is not None:
            prior = (
                "#define HRT_HAS_PRIOR 1\n"
                f"static const float hrt_prior[{self.num_classes}] = "
                f"{array(self.initial_state())};\n"
            )
        params = out / "hr_tracker_params.h"
        params.write_text(
            "/* Written by keras_ppg_kd HRTracker.export_c: "
            f"{self.replace(lag=lag)!r}, logit_scale={logit_scale!r}. */\n"
            "#ifndef HR_TRACKER_PARAMS_H_\n#define HR_TRACKER_PARAMS_H_\n"
            f"#define HRT_NUM_CLASSES {self.num_classes}\n"
            f"#define HRT_LAG {lag}\n"
            f"#define HRT_RHO {_c_float(self.rho)}\n"
            f"#define HRT_KERNEL_NORM {_c_float(self.kernel_norm)}\n"
            f"#define HRT_JUMP {_c_float(self.jump_probability)}\n"
            f"#define HRT_MAX_STEPS {MAX_STEPS}\n"
            f"#define HRT_RESTART_BELOW {_c_float(_RESTART_BELOW)}\n"
            f"#define HRT_MIN_BPM {_c_float(self.classes.min_bpm)}\n"
            f"#define HRT_RESOLUTION {_c_float(self.classes.resolution)}\n"
            "static const float hrt_exp_lut[256] = "
            f"{array(self.exp_table(logit_scale))};\n"
            + prior
            + "#endif /* HR_TRACKER_PARAMS_H_ */\n"
        )
        written.append(params)
        return written

    def cost(self, lag=None):
        """Per-window cost of the C step (one stride, no gap).

        At lag 0, ``hrt_step_int8``: two recursions, the mix with the jump
        floor, the prior's normalisation, the emission product and the
        posterior's normalisation, 6 multiply-adds per class; state: the
        belief and a scratch. At a lag ``L > 0``, ``hrt_lag_step_int8``:
        that step, then ``L`` backward strides (the emission product, the
        transition and two normalisations, 8 per class) and the product
        with the forward belief and its sum (2 per class); state: the
        ``hrt_lag_state`` ring of ``L + 1`` windows (belief, int8 logits,
        steps and top logit each), the backward message and the scratch.

        Args:
            lag: Windows of delay (default: the tracker's ``lag``).

        Returns:
            ``{"macs", "state_bytes", "constant_bytes"}``: multiply-adds,
            the per-stream state in bytes and the constants (the emission
            lookup table, and the start's belief when it is a Gaussian).
        """
        lag = self.lag if lag is None else _check_lag(lag)
        c = self.num_classes
        constant = 1024 + (4 * c if self.prior_mean_bpm is not None else 0)
        if lag == 0:
            return {
                "macs": 6 * c,
                "state_bytes": 8 * c,
                "constant_bytes": constant,
            }
        ring = (lag + 1) * (4 * c + c + 8)
        state = ring + 8 * c + 8
        return {
            "macs": 6 * c + lag * 8 * c + 2 * c,
            "state_bytes": -(-state // 4) * 4,
            "constant_bytes": constant,
        }

    # === Config, save and load ===

    def get_config(self):
        return {
            "transition_scale": self.transition_scale,
            "jump_probability": self.jump_probability,
            "temperature": self.temperature,
            "stride_seconds": self.stride_seconds,
            "max_gap_seconds": self.max_gap_seconds,
            "classes": {
                "min_bpm": self.classes.min_bpm,
                "max_bpm": self.classes.max_bpm,
                "resolution": self.classes.resolution,
            },
            "prior_mean_bpm": self.prior_mean_bpm,
            "prior_std_bpm": self.prior_std_bpm,
            "lag": self.lag,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["classes"] = HRClasses(**config.get("classes", {}))
        return cls(**config)

    def save(self, path):
        """Write the tracker as JSON (``.json``)."""
        path = pathlib.Path(path)
        payload = {"format": _FORMAT, "config": self.get_config()}
        path.write_text(json.dumps(payload, indent=2) + "\n")
        return path

    @classmethod
    def load(cls, path):
        """Read a tracker written by :meth:`save`."""
        path = pathlib.Path(path)
        try:
            payload = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise ValueError(f"{path}: not a readable tracker file") from error
        if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
            raise ValueError(
                f"{path}: not an HRTracker file (expected format {_FORMAT!r})"
            )
        config = payload.get("config")
        if not isinstance(config, dict):
            raise ValueError(
                f"{path}: no 'config' object (what HRTracker.save writes). "
                f"Received: {type(config).__name__}"
            )
        known = set(inspect.signature(cls).parameters)
        unknown = sorted(set(config) - known)
        if unknown:
            raise ValueError(
                f"{path}: unknown key(s) {unknown} in 'config'; a tracker "
                f"takes {sorted(known)} (a file from a newer version?)"
            )
        return cls.from_config(config)

    def __repr__(self):
        return (
            f"HRTracker(transition_scale={self.transition_scale:.2f}, "
            f"jump_probability={self.jump_probability:.4f}, "
            f"temperature={self.temperature:.3f}"
            + (
                f", prior_mean_bpm={self.prior_mean_bpm:.1f}, "
                f"prior_std_bpm={self.prior_std_bpm:.1f}"
                if self.prior_mean_bpm is not None
                else ""
            )
            + (f", lag={self.lag})" if self.lag else ")")
        )
