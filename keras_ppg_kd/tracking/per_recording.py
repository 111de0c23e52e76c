"""Tracking windows of several recordings: each taken apart, in time
order, through one of the tracker's passes."""

import numpy as np

from keras_ppg_kd.tracking._common import _check_lag, _recording_codes


class _PerRecording:
    """:class:`~keras_ppg_kd.tracking.HRTracker`'s ``track`` and
    ``posteriors`` over windows of many recordings."""

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
