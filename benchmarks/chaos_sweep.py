"""Chaos test of the sweep store: SIGKILL a sweep at random moments.

Starts a tiny sweep (4 synthetic participants, 7 cells, 3 epochs each) in a
subprocess, kills it with SIGKILL after a random delay, again and again,
then lets it finish and checks the folder like a database: every planned
cell exists exactly once and parses, ``results.csv`` has one row per cell,
no temporary file is left. Prints kills, cells, lost, duplicated and the
damaged files that were moved aside (a kill inside a checkpoint write).

Usage: python benchmarks/chaos_sweep.py [--kills 50] [--seed 0]
"""

import glob
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

import pandas as pd
from absl import app, flags

flags.DEFINE_integer("kills", 50, "SIGKILLs to deliver.")
flags.DEFINE_integer("seed", 0, "Seed of the kill times.")
flags.DEFINE_float("min_delay", 2.0, "Shortest delay before a kill (s).")
flags.DEFINE_float("max_delay", 9.0, "Longest delay before a kill (s).")
FLAGS = flags.FLAGS
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(_):
    sys.path.insert(0, ROOT)  # the tiny sweep lives in the test suite
    from keras_ppg_kd.study import plan_cells
    from tests.study.test_sweep import TINY_DATA, tiny_config

    start = time.perf_counter()
    work = tempfile.mkdtemp(prefix="chaos-")
    out = os.path.join(work, "sweep")
    script = os.path.join(work, "run.py")
    with open(script, "w") as f:
        f.write(
            TINY_DATA
            + textwrap.dedent(
                f"""
                from keras_ppg_kd.study import run_sweep
                from tests.study.test_sweep import tiny_config
                run_sweep(tiny_config(epochs=3), {out!r}, windows=WINDOWS)
                """
            )
        )
    env = {**os.environ, "PYTHONPATH": ROOT}
    rng = random.Random(FLAGS.seed)
    kills = finished_early = 0
    for _ in range(FLAGS.kills):
        process = subprocess.Popen(
            [sys.executable, script],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(FLAGS.min_delay, FLAGS.max_delay))
        if process.poll() is not None:
            finished_early += 1
            if process.returncode != 0:
                print(f"a run failed with exit code {process.returncode}")
            continue
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
    final = subprocess.run(
        [sys.executable, script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    expected = {c.id for c in plan_cells(tiny_config(epochs=3))}
    names = os.listdir(os.path.join(out, "cells"))
    records = [n for n in names if n.endswith(".json")]
    present = {n[: -len(".json")] for n in records}
    for name in records:
        json.loads(open(os.path.join(out, "cells", name)).read())
    table = pd.read_csv(os.path.join(out, "results.csv"))
    moved = glob.glob(os.path.join(out, "**", "*.corrupt-*"), recursive=True)
    print(
        f"kills delivered {kills} (runs that finished before their kill: "
        f"{finished_early}); final run exit code {final.returncode}\n"
        f"cells planned {len(expected)}, present {len(present & expected)}, "
        f"lost {len(expected - present)}, unexpected {len(present - expected)}"
        f", duplicated rows in results.csv "
        f"{int(table['cell'].duplicated().sum())}\n"
        f"damaged files moved aside and redone: {len(moved)} "
        f"{sorted(os.path.basename(m).split('.corrupt')[0] for m in moved)}\n"
        f"temporary files left: {len(glob.glob(os.path.join(out, '.tmp-*')))}"
        f"; {time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    app.run(main)
