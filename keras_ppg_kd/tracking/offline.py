"""The tracker's passes over a whole recording: forward-backward
smoothing, the fixed-lag estimate and Viterbi."""

import numpy as np

from keras_ppg_kd.tracking._common import _RESTART_BELOW, _check_lag


class _Offline:
    """:class:`~keras_ppg_kd.tracking.HRTracker`'s offline and fixed-lag
    methods (built on its causal filter)."""

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
