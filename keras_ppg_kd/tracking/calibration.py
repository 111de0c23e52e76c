"""Learning a tracker: its transition and start from training labels
(:meth:`HRTracker.fit`), its temperature and a small grid of settings on
validation windows (:meth:`HRTracker.calibrate`)."""

import itertools
import warnings

import numpy as np
from scipy import optimize, special

from keras_ppg_kd.heart_rate import DEFAULT_CLASSES
from keras_ppg_kd.tracking._common import _RESTART_BELOW, RANGES


class _Calibration:
    """:class:`~keras_ppg_kd.tracking.HRTracker`'s learning methods."""

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
        protocol=None,
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
            protocol: The windows' ``WindowConfig`` (a WindowSet's
                ``config``): its stride and classes replace
                ``stride_seconds`` and ``classes``.
            **kwargs: Other :class:`HRTracker` arguments.
        """
        if protocol is not None:
            stride_seconds = protocol.stride_seconds
            kwargs["classes"] = protocol.classes
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
        grid = itertools.product(
            temperature_factors, scale_factors, jump_probabilities
        )
        candidates = [
            best.replace(
                temperature=min(
                    best.temperature * hot, RANGES["temperature"][1]
                ),
                transition_scale=self.transition_scale * wide,
                jump_probability=jump,
            )
            for hot, wide, jump in grid
        ]
        bpm = _track_candidates(candidates, logits, recording, start_times)
        chosen, best_mae = best, np.inf
        for candidate, found in zip(candidates, bpm, strict=True):
            mae = float(np.mean(np.abs(found - hr_bpm)))
            if mae < best_mae:
                chosen, best_mae = candidate, mae
        return chosen


def _track_candidates(candidates, logits, recording, start_times):
    """``candidate.track(logits, recording, start_times)`` of each
    candidate, ``(candidates, n)``: the causal filters of candidates that
    differ only in temperature and jump probability run side by side, one
    row each (row for row the same arithmetic, so the same numbers)."""
    out = np.empty((len(candidates), len(logits)), "float32")
    groups = {}
    for row, candidate in enumerate(candidates):
        config = candidate.get_config()
        if candidate.lag:  # fixed-lag tracking: one at a time
            out[row] = candidate.track(logits, recording, start_times)
            continue
        del config["temperature"], config["jump_probability"]
        groups.setdefault(repr(sorted(config.items())), []).append(row)
    ids = np.asarray(recording)
    times = np.asarray(start_times, "float64")
    for rows in groups.values():
        first = candidates[rows[0]]
        temperature = np.array([[candidates[r].temperature] for r in rows])
        jump = np.array([[candidates[r].jump_probability] for r in rows])
        for key in np.unique(ids):
            index = np.flatnonzero(ids == key)
            index = index[np.argsort(times[index], kind="stable")]
            beliefs = _filter_rows(
                first, logits[index], times[index], temperature, jump
            )
            out[np.ix_(rows, index)] = first._decode(beliefs)
    return out


def _filter_rows(tracker, logits, start_times, temperature, jump):
    """:meth:`HRTracker.filter_beliefs` for each row's ``(temperature,
    jump)`` (``(rows, 1)`` each), the rest of ``tracker`` shared:
    ``(rows, n, num_classes)``."""
    logits = tracker._check_logits(logits)
    steps = tracker._steps(len(logits), start_times)
    start = np.tile(tracker.initial_state(), (len(temperature), 1))
    beliefs = np.empty((len(temperature), *logits.shape), "float32")
    belief = start
    top = np.max(logits, axis=-1, keepdims=True)
    for i, k in enumerate(steps):
        if k == 0:
            belief, k = start, 1
        emission = np.exp((logits[i] - top[i]) / temperature)
        posterior = _predict_rows(tracker, belief, k, jump) * emission
        restart = ~(posterior.sum(axis=-1) >= _RESTART_BELOW)
        posterior[restart] = emission[restart]
        belief = (posterior / posterior.sum(axis=-1, keepdims=True)).astype(
            "float32"
        )
        beliefs[:, i] = belief
    return beliefs


def _predict_rows(tracker, belief, steps, jump):
    """:meth:`HRTracker.predict_state` of each row alone, at each row's
    jump probability."""
    for _ in range(int(steps)):
        belief = tracker._transition(belief, jump)
        largest = np.sum(belief, axis=-1, keepdims=True)  # each row's own
        belief = np.divide(belief, largest, out=belief, where=largest > 0)
    return belief
