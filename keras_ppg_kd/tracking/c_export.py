"""The tracker on a watch: the plain-C tracker and its cost."""

import pathlib

import numpy as np

from keras_ppg_kd._csource import copy_sources
from keras_ppg_kd.tracking._common import (
    _RESTART_BELOW,
    MAX_STEPS,
    _c_float,
    _check_lag,
)


class _CExport:
    """:class:`~keras_ppg_kd.tracking.HRTracker`'s deployment methods."""

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
