"""Sweep state survives damage, kills at random moments and parallel runs."""

import glob
import json
import os
import random
import signal
import sys
import textwrap
import time

import pytest

from keras_ppg_kd.study import StudyConfig, plan_cells, run_sweep
from tests import zygote
from tests.study.test_sweep import TINY_DATA, tiny_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


@pytest.fixture(scope="module")
def windows():
    scope = {}
    exec(TINY_DATA, scope)
    return scope["WINDOWS"]


def _script(tmp_path, out, shard=None, epochs=2, workers=1):
    script = tmp_path / f"run_{shard or 'all'}_{workers}.py".replace("/", "of")
    script.write_text(
        TINY_DATA
        + textwrap.dedent(
            f"""
            from keras_ppg_kd.study import run_sweep
            from tests.study.test_sweep import tiny_config
            run_sweep(tiny_config(epochs={epochs}), {out!r},
                      windows=WINDOWS, shard={shard!r}, workers={workers})
            """
        )
    )
    return script


def _start(script):
    """``python <script>``, started without TensorFlow's import
    (forked: :mod:`tests.zygote`)."""
    return zygote.start(
        [sys.executable, str(script)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": ROOT},
    )


def _check_complete(out, config):
    names = os.listdir(os.path.join(out, "cells"))
    cells = sorted(n for n in names if n.endswith(".json"))
    expected = sorted(f"{c.id}.json" for c in plan_cells(config))
    assert cells == expected  # every cell exactly once, nothing else
    for name in cells:
        row = json.loads(open(os.path.join(out, "cells", name)).read())
        assert row["cell"] + ".json" == name
    assert not glob.glob(os.path.join(out, ".tmp-*"))


def test_damaged_records_and_backups_are_moved_aside_and_redone(
    windows, tmp_path
):
    config = tiny_config()
    out = str(tmp_path / "sweep")
    run_sweep(config, out, windows=windows)
    student = next(c for c in plan_cells(config) if c.role == "student")
    record = os.path.join(out, "cells", student.id + ".json")
    text = open(record).read()
    open(record, "w").write(text[: len(text) // 2])  # killed mid-write
    # A half-written Keras backup of another cell in progress.
    scratch = next(c for c in plan_cells(config) if c.role == "scratch")
    os.remove(os.path.join(out, "cells", scratch.id + ".json"))
    backup = os.path.join(out, "backup", scratch.id)
    os.makedirs(backup)
    open(os.path.join(backup, "latest.weights.h5"), "wb").write(b"\0" * 96)
    open(os.path.join(backup, "training_metadata.json"), "w").write('{"ep')
    with pytest.warns(RuntimeWarning) as caught:
        table = run_sweep(config, out, windows=windows)
    messages = " ".join(str(w.message) for w in caught)
    assert student.id + ".json" in messages and "unreadable" in messages
    assert "backup does not load" in messages
    assert len(table) == len(plan_cells(config)) and table["cell"].is_unique
    assert glob.glob(record + ".corrupt-*")
    assert glob.glob(backup + ".corrupt-*")
    _check_complete(out, config)


def test_resume_on_other_data_or_an_edited_record_is_refused(windows, tmp_path):
    config = tiny_config()
    out = str(tmp_path / "sweep")
    run_sweep(config, out, windows=windows)
    with pytest.raises(ValueError, match="run on other data"):
        run_sweep(config, out, windows=windows.subset(slice(1, None)))
    cell = plan_cells(config)[1]
    record = os.path.join(out, "cells", cell.id + ".json")
    row = json.loads(open(record).read())
    row["config_hash"] = "0" * 16
    open(record, "w").write(json.dumps(row))
    with pytest.raises(ValueError, match="made by another config"):
        run_sweep(config, out, windows=windows)


def test_bad_seeds_fail_before_any_data_loads():
    with pytest.raises(ValueError, match="seeds must be integers"):
        StudyConfig(seeds=("x/../../y",))


@pytest.mark.slow
def test_two_shards_started_together_both_finish(tmp_path):
    out = str(tmp_path / "sweep")
    shards = [_start(_script(tmp_path, out, f"{i}/2")) for i in range(2)]
    for process in shards:
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err[-3000:]
    _check_complete(out, tiny_config(epochs=2))


@pytest.mark.slow
def test_chaos_random_kills_then_completion_loses_nothing(tmp_path):
    """SIGKILL a sweep at random moments, then finish it (CI: 6 kills)."""
    kills = int(os.environ.get("CHAOS_KILLS", "6"))
    out = str(tmp_path / "sweep")
    script = _script(tmp_path, out, epochs=3)
    rng = random.Random(int(os.environ.get("CHAOS_SEED", "0")))
    done = 0
    for _ in range(kills):
        process = _start(script)
        time.sleep(rng.uniform(0.5, 4.0))  # the whole sweep: ~13 s
        if process.poll() is not None:
            break  # finished before this kill
        process.send_signal(signal.SIGKILL)
        process.wait()
        done += 1
    process = _start(script)
    _, err = process.communicate(timeout=600)
    assert process.returncode == 0, err[-3000:]
    _check_complete(out, tiny_config(epochs=3))
    assert done >= 1


def _children(pid):
    """Process ids whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if entry.isdigit() and int(fields[1]) == pid:
            found.append(int(entry))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc (Linux)")
def test_killing_a_parallel_sweep_stops_its_workers(tmp_path):
    """SIGKILL the parent of workers=2: no worker runs on, no job is left."""
    out = tmp_path / "sweep"
    script = _script(tmp_path, str(out), epochs=3, workers=2)
    process = _start(script)
    deadline = time.time() + 120
    while not glob.glob(str(out / ".jobs" / "job-*.pkl")):
        assert process.poll() is None and time.time() < deadline
        time.sleep(0.2)
    workers = []
    while len(workers) < 2 and time.time() < deadline:
        workers = _children(process.pid)
        time.sleep(0.2)
    assert len(workers) == 2
    process.send_signal(signal.SIGKILL)
    process.wait()
    stop = time.time() + 15
    while any(zygote.running(w) for w in workers) and time.time() < stop:
        time.sleep(0.2)
    assert not any(zygote.running(w) for w in workers)
    # the next run removes the dead run's job file and finishes
    rerun = _start(script)
    _, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err[-3000:]
    assert not glob.glob(str(out / ".jobs" / "job-*.pkl"))


def test_a_diverged_model_evaluates_to_nan(windows):
    import keras
    import numpy as np

    from keras_ppg_kd.training.recipes import evaluate

    inputs = keras.Input((200, 1))
    logits = keras.layers.Lambda(lambda x: x[:, :180, 0] * np.nan)(inputs)
    mae, rmse = evaluate(keras.Model(inputs, logits), windows)
    assert np.isnan(mae) and np.isnan(rmse)
