"""What the tracker's modules share: accepted settings, limits, helpers."""

import numpy as np

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


def _check_settings(values):
    """Raise unless each ``{name: value}`` lies in its ``RANGES`` interval."""
    for name, value in values.items():
        low, high, closed = RANGES[name]
        number = isinstance(value, (int, float, np.number))
        ok = number and not isinstance(value, bool)
        ok = ok and (low <= value < high if closed else low < value <= high)
        if not ok:
            accepted = f"[{low}, {high})" if closed else f"({low}, {high}]"
            raise ValueError(
                f"`{name}` must be in {accepted}. Received: {name}={value!r}"
            )
