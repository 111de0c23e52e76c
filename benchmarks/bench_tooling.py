"""Two searches every recipe run and every export makes, each against the
way it was made before: medians and side-by-side ratios.

* The tracker's calibration grid (``HRTracker.calibrate``'s 27 settings)
  tracked one candidate at a time (each ``candidate.track``) against the
  candidates that differ only in temperature and jump probability run
  side by side; the estimates are checked to be the same.
* The TensorFlow Lite for Microcontrollers arena search
  (``micro_arena_bytes``) with a fresh process per try against one probe
  process for the whole search, on the shipped int8 student; the arenas
  are checked to be the same.

Usage: python benchmarks/bench_tooling.py [--repeats 5]
"""

import itertools
import os
import platform
import statistics
import time

import numpy as np
from absl import app, flags

from keras_ppg_kd import pretrained
from keras_ppg_kd.deploy import micro
from keras_ppg_kd.deploy.arena import estimate_arena_bytes
from keras_ppg_kd.tracking import HRTracker
from keras_ppg_kd.tracking.calibration import _track_candidates

flags.DEFINE_integer("repeats", 5, "Timed runs of each (median).")
flags.DEFINE_integer("windows", 1500, "Calibration windows.")
FLAGS = flags.FLAGS


def _median_seconds(function, repeats):
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def _calibration_inputs(tracker, n):
    """Logits of ``n`` windows in 6 recordings (gaps, junk windows), in
    shuffled order, and the default grid's 27 candidates."""
    rng = np.random.default_rng(0)
    per = n // 6
    recording = np.repeat(np.arange(6), per)
    steps = rng.choice([2.0, 4.0, 40.0], size=(6, per), p=[0.9, 0.08, 0.02])
    times = np.cumsum(steps, axis=1).reshape(-1)
    truth = 60 + 50 * np.sin(np.arange(6 * per) / 50)
    centres = np.asarray(tracker.classes.centers)
    sharpness = rng.uniform(0.2, 3, (6 * per, 1))
    logits = -0.5 * ((centres - truth[:, None]) / 6) ** 2 * sharpness
    logits += rng.normal(0, 1.5, logits.shape)
    logits[::37] = rng.normal(0, 5, logits[::37].shape)
    order = rng.permutation(6 * per)
    grid = itertools.product(
        (1.0, 2.0, 4.0), (1.0, 2.0, 4.0), (1e-3, 1e-2, 5e-2)
    )
    candidates = [
        tracker.replace(
            temperature=tracker.temperature * hot,
            transition_scale=tracker.transition_scale * wide,
            jump_probability=jump,
        )
        for hot, wide, jump in grid
    ]
    return candidates, logits[order], recording[order], times[order]


def bench_calibration(repeats, n):
    tracker = HRTracker.load(pretrained.tracker_path("synthetic_tcn5"))
    candidates, logits, recording, times = _calibration_inputs(tracker, n)
    before, one = _median_seconds(
        lambda: np.stack(
            [c.track(logits, recording, times) for c in candidates]
        ),
        repeats,
    )
    after, many = _median_seconds(
        lambda: _track_candidates(candidates, logits, recording, times),
        repeats,
    )
    assert np.array_equal(one, many), "side by side differs"
    return (
        f"calibration grid, {len(candidates)} candidates x {n} windows",
        before,
        after,
    )


def bench_arena(repeats):
    path = pretrained.int8_path("synthetic_tcn5")
    start = max(micro._MIN_ARENA, estimate_arena_bytes(path) // 16 * 16)
    before, old = _median_seconds(
        lambda: micro._search(path, start, micro._runs), repeats
    )
    after, new = _median_seconds(lambda: micro.micro_arena_bytes(path), repeats)
    assert old == new, (old, new)
    return f"TFLM arena search, {os.path.basename(path)}", before, after


def main(_):
    arena_repeats = max(1, FLAGS.repeats // 2)
    rows = [
        bench_calibration(FLAGS.repeats, FLAGS.windows),
        bench_arena(arena_repeats),
    ]
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} "
        f"cores; medians of {FLAGS.repeats} (arena: {arena_repeats})"
    )
    print("| search | before (s) | now (s) | before / now |")
    print("|---|---|---|---|")
    for name, before, after in rows:
        print(f"| {name} | {before:.2f} | {after:.2f} | {before / after:.1f} |")


if __name__ == "__main__":
    app.run(main)
