"""Sweeps: one row per cell, resumable after a kill, shardable, Ray."""

import dataclasses
import hashlib
import io
import json
import os
import re
import shutil
import signal
import sys
import textwrap
import time
import warnings

import keras
import numpy as np
import pytest

from keras_ppg_kd import models
from keras_ppg_kd.study import StudyConfig, plan_cells, run_sweep
from keras_ppg_kd.study.cost import dry_run
from keras_ppg_kd.study.plan import fold_masks, parse_shard
from tests import zygote

TINY_DATA = textwrap.dedent(
    """
    from keras_ppg_kd.data import (
        SyntheticConfig, WindowSet, generate_recording,
        windows_from_recording,
    )
    cfg = SyntheticConfig(num_participants=4, minutes=2, seed=3)
    WINDOWS = WindowSet.concatenate(
        windows_from_recording(generate_recording(i, cfg))
        for i in range(4)
    )
    """
)


def tiny_config(epochs=1):
    return StudyConfig(
        name="tiny",
        split="holdout",
        teachers=(2,),
        students=(1, "mlp:1"),
        strategies=("dkd", "feature"),
        epochs=epochs,
        teacher_epochs=epochs,
        batch_size=64,
    )


@pytest.fixture(scope="module")
def windows():
    scope = {}
    exec(TINY_DATA, scope)
    return scope["WINDOWS"]


def cell_files(out):
    folder = os.path.join(out, "cells")
    return {
        name: os.stat(os.path.join(folder, name)).st_mtime_ns
        for name in os.listdir(folder)
    }


def test_sweep_writes_every_cell_once_and_a_rerun_trains_nothing(
    windows, tmp_path
):
    config = tiny_config()
    out = str(tmp_path / "sweep")
    stream = io.StringIO()
    table = run_sweep(config, out, windows=windows, stream=stream)
    expected = {cell.id for cell in plan_cells(config)}
    assert set(table["cell"]) == expected and len(table) == len(expected)
    assert "[7/7]" in stream.getvalue() and "ETA" in stream.getvalue()
    assert table["mae"].notna().all() and (table["params"] > 0).all()
    for cell in expected:
        assert os.path.exists(os.path.join(out, "models", cell + ".keras"))
    # Teacher row, scratch baselines, MLP feature students (pool -> head).
    assert set(table["role"]) == {"teacher", "scratch", "student"}
    assert {"resnet", "mlp"} == set(table.loc[table.role == "student", "model"])
    assert json.loads(open(os.path.join(out, "study.json")).read()) == (
        json.loads(config.to_json())
    )
    # Each record breaks its MAE down by test participant (for the fits'
    # bootstrap): the window-weighted mean of the parts is the whole.
    for _, row in table.iterrows():
        parts = json.loads(row["participant_mae"])
        windows_per = np.array([n for _, n in parts.values()])
        assert parts and windows_per.sum() == row["test_windows"]
        mean = sum(m * n for m, n in parts.values()) / windows_per.sum()
        assert mean == pytest.approx(row["mae"], abs=1e-3)

    before = cell_files(out)
    stream = io.StringIO()
    again = run_sweep(config, out, windows=windows, stream=stream)
    assert stream.getvalue() == ""  # nothing left to run
    assert cell_files(out) == before
    assert again.equals(table)
    # A study kept as its table alone (cells/ and models/ not committed)
    # gets its records back from results.csv and trains nothing.
    records = {n: open(os.path.join(out, "cells", n)).read() for n in before}
    shutil.rmtree(os.path.join(out, "cells"))
    shutil.rmtree(os.path.join(out, "models"))
    stream = io.StringIO()
    again = run_sweep(config, out, windows=windows, stream=stream)
    assert stream.getvalue() == "" and again.equals(table)
    restored = {n: open(os.path.join(out, "cells", n)).read() for n in before}
    assert {n: json.loads(r) for n, r in restored.items()} == {
        n: json.loads(r) for n, r in records.items()
    }
    assert not os.listdir(os.path.join(out, "models"))

    with pytest.raises(ValueError, match="holds a different study"):
        run_sweep(config.replace(epochs=2), out, windows=windows)
    with pytest.raises(ValueError, match="holds a different study"):
        run_sweep(config.replace(strategies=("dkd",)), out, windows=windows)


def test_a_study_extends_its_grid_and_keeps_its_cells(windows, tmp_path):
    config = tiny_config().replace(students=(1,), strategies=("dkd",))
    out = str(tmp_path / "sweep")
    table = run_sweep(config, out, windows=windows)
    # A record of the days when records carried the whole config's hash.
    saved = hashlib.sha256(config.to_json().encode()).hexdigest()[:16]
    record = os.path.join(out, "cells", "f0-s0-scratch-resnet1.json")
    row = json.loads(open(record).read())
    open(record, "w").write(json.dumps({**row, "config_hash": saved}))
    before = cell_files(out)
    del before[os.path.basename(record)]

    wider = config.replace(seeds=(0, 1), strategies=("dkd", "feature"))
    stream = io.StringIO()
    grown = run_sweep(wider, out, windows=windows, stream=stream)
    assert set(grown["cell"]) == {c.id for c in plan_cells(wider)}
    kept = grown[grown["cell"].isin(table["cell"])]
    assert kept.sort_values("cell")["mae"].tolist() == (
        table.sort_values("cell")["mae"].tolist()
    )
    trained = re.findall(r"\] (\S+)", stream.getvalue())
    assert sorted(trained) == sorted(set(grown["cell"]) - set(table["cell"]))
    assert json.loads(open(record).read())["config_hash"] != saved
    assert all(cell_files(out)[n] == m for n, m in before.items())
    assert json.loads(open(os.path.join(out, "study.json")).read()) == (
        json.loads(wider.to_json())
    )


def test_shards_partition_the_cells():
    cells = plan_cells(tiny_config())
    parts = [cells[i::3] for i in range(3)]
    assert sorted(sum(parts, [])) == sorted(cells)
    assert parse_shard("2/3") == (2, 3)
    for bad in ("3/3", "a/b", "1"):
        with pytest.raises(ValueError, match="--shard must be"):
            parse_shard(bad)


def test_shard_runs_its_cells_and_the_teachers_they_need(windows, tmp_path):
    config = tiny_config()
    out = str(tmp_path / "sweep")
    table = run_sweep(config, out, windows=windows, shard="1/2")
    mine = {c.id for c in plan_cells(config)[1::2]}
    teacher = "f0-s0-teacher2"
    assert mine <= set(table["cell"]) <= mine | {teacher}
    table = run_sweep(config, out, windows=windows, shard="0/2")
    assert len(table) == len(plan_cells(config))


def test_a_killed_sweep_resumes_without_loss_or_duplicates(tmp_path):
    out = str(tmp_path / "sweep")
    script = tmp_path / "run.py"
    script.write_text(
        TINY_DATA
        + textwrap.dedent(
            f"""
            from keras_ppg_kd.study import StudyConfig, run_sweep
            from tests.study.test_sweep import tiny_config
            run_sweep(tiny_config(epochs=3), {out!r}, windows=WINDOWS)
            """
        )
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    process = zygote.start(
        [sys.executable, str(script)],
        cwd=root,
        env={**os.environ, "PYTHONPATH": root},
    )
    deadline = time.time() + 300
    cells = os.path.join(out, "cells")
    while time.time() < deadline and process.poll() is None:
        if os.path.isdir(cells) and len(os.listdir(cells)) >= 2:
            break
        time.sleep(0.2)
    assert process.poll() is None, "the sweep ended before it was killed"
    time.sleep(1.0)  # into the next cell's training
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished = cell_files(out)
    assert 2 <= len(finished) < 7

    from tests.study.test_sweep import tiny_config as config

    scope = {}
    exec(TINY_DATA, scope)
    with warnings.catch_warnings():
        # A kill inside a backup write is repaired with a RuntimeWarning.
        warnings.simplefilter("always", RuntimeWarning)
        table = run_sweep(config(epochs=3), out, windows=scope["WINDOWS"])
    assert len(table) == 7 and table["cell"].is_unique
    now = cell_files(out)
    assert {k: now[k] for k in finished} == finished  # not redone
    # Only backups a kill damaged (moved aside, the cell redone) remain.
    left = os.listdir(os.path.join(out, "backup"))
    assert all(".corrupt-" in name for name in left), left


def test_ray_sweep_on_a_local_cluster(windows, tmp_path):
    ray = pytest.importorskip("ray", reason="the 'ray' extra is not installed")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        config = tiny_config()
        table = run_sweep(
            config, str(tmp_path / "ray"), windows=windows, engine="ray"
        )
    finally:
        ray.shutdown()
    assert set(table["cell"]) == {c.id for c in plan_cells(config)}
    assert table["mae"].notna().all()


def test_local_workers_split_the_cells_and_a_failure_is_reported(
    windows, tmp_path, capfd
):
    from keras_ppg_kd.study.processes import balance
    from keras_ppg_kd.study.progress import cell_work

    config = tiny_config()
    cells = plan_cells(config)
    groups = balance(cells, config, 2)
    assert sorted(c.id for g in groups for c in g) == sorted(
        c.id for c in cells
    )
    loads = [sum(cell_work(c, config) for c in g) for g in groups]
    assert max(loads) <= 2 * min(loads)

    table = run_sweep(config, str(tmp_path / "two"), windows=windows, workers=2)
    assert set(table["cell"]) == {c.id for c in cells}
    assert table["mae"].notna().all()
    out, err = capfd.readouterr()  # the workers' output included
    assert out.count(f"/{len(cells)}]") == len(cells)
    assert "Warning" not in err, err

    # Windows the models cannot take (2 channels): the workers fail, the
    # parent says so and that a rerun resumes.
    bad = dataclasses.replace(
        windows, windows=np.repeat(windows.windows, 2, axis=-1)
    )
    with pytest.raises(RuntimeError, match="unfinished.*a rerun resumes"):
        run_sweep(config, str(tmp_path / "bad"), windows=bad, workers=2)
    with pytest.raises(ValueError, match="workers must be an integer >= 1"):
        run_sweep(config, str(tmp_path / "x"), windows=windows, workers=0)


def test_ray_cells_ask_for_a_share_of_a_gpu():
    from keras_ppg_kd.study.ray_engine import task_options

    assert task_options(cluster_gpus=0) == {"num_gpus": 0.0}
    assert task_options(cluster_gpus=2) == {"num_gpus": 0.25}
    assert task_options(cluster_gpus=1, gpus_per_cell=0.5) == {"num_gpus": 0.5}
    with pytest.raises(ValueError, match=r"in \[0, 1\].*Received: 2"):
        task_options(cluster_gpus=1, gpus_per_cell=2)
    with pytest.raises(ValueError, match="has no GPU"):
        task_options(cluster_gpus=0, gpus_per_cell=0.5)
    with pytest.raises(ValueError, match="applies to engine='ray'"):
        run_sweep(tiny_config(), "unused", gpus_per_cell=0.5)


def small_study(**changes):
    """A holdout study on prepared ``synthetic_ppg/small``: 3 cells."""
    fields = dict(
        datasets=("synthetic_ppg/small",),
        split="holdout",
        teachers=(2,),
        students=(1,),
        strategies=("dkd",),
    )
    return StudyConfig(**{**fields, **changes})


def test_dry_run_prints_cells_and_an_estimate(tmp_path):
    config = small_study(epochs=300)
    stream = io.StringIO()
    seconds = dry_run(config, data_dir=str(tmp_path), stream=stream)
    text = stream.getvalue()
    assert "3 cells" in text and "f0-s0-t2-resnet1-dkd" in text
    assert "prepared data" in text and "resnet:2:" in text
    assert seconds > 0 and f"{seconds:,.0f} s" in text


def test_dry_run_counts_the_cross_fitted_teachers(monkeypatch, tmp_path):
    from keras_ppg_kd.study import cost

    monkeypatch.setattr(cost, "measure_rate", lambda *a, **k: 1000.0)
    config = small_study(epochs=3, teacher_epochs=5)
    stream = io.StringIO()
    plain = dry_run(config, data_dir=str(tmp_path), stream=stream)
    crossed = dry_run(
        config.replace(teacher_folds=3), data_dir=str(tmp_path), stream=stream
    )
    # three sub-teachers on 2/3 of the training windows each: two teachers
    train = int(re.search(r"per fold \[(\d+)\]", stream.getvalue())[1])
    assert crossed - plain == pytest.approx(2 * 5 * train / 1000.0)


def test_progress_eta_weighs_remaining_cells_by_cost(monkeypatch):
    from keras_ppg_kd.study import plan, progress

    config = small_study(teachers=(6,), epochs=2, teacher_epochs=4)
    todo = plan.plan_cells(config)  # teacher6, scratch-resnet1, t6-dkd
    clock = [0.0, 28.0]  # start, then after the teacher (and from then on)
    monkeypatch.setattr(
        progress.time,
        "perf_counter",
        lambda: clock.pop(0) if len(clock) > 1 else clock[0],
    )
    stream = io.StringIO()
    tracker = progress.Progress(config, todo, len(todo), stream)
    tracker.update({"cell": todo[0].id, "mae": 10.0})
    # Work = epochs x layers: the teacher's 4 x L6 units took 28 s; left
    # are two 1-block cells of 2 epochs, 2 x 2 x L1 units.
    layers6, layers1 = models.cost("resnet:6")[1], models.cost("resnet:1")[1]
    eta = 28.0 * (2 * 2 * layers1) / (4 * layers6)
    assert f"ETA {eta:6.0f} s" in stream.getvalue(), stream.getvalue()
    assert 2 < eta < 14  # a deep teacher costs more per epoch


def test_a_new_student_family_is_swept_fitted_plotted_and_exported(
    windows, tmp_path
):
    """The TCN goes through the study runner by identifier alone."""
    from keras_ppg_kd.deploy import export_tflite, inspect_tflite
    from keras_ppg_kd.study import report

    config = StudyConfig(
        name="tcn",
        split="holdout",
        teachers=(2,),
        students=(1, "tcn:1", "tcn:2", "tcn:3"),
        strategies=("dkd:temperature=2", "feature"),
        epochs=1,
        teacher_epochs=1,
        batch_size=64,
    )
    out = str(tmp_path / "sweep")
    table = run_sweep(config, out, windows=windows, stream=io.StringIO())
    students = table[table.role == "student"]
    assert set(students["model"]) == {"resnet", "tcn"}
    assert set(students["strategy"]) == {"dkd:temperature=2", "feature"}
    assert students.loc[students.model == "tcn", "params"].nunique() == 3
    _, paths = report.report(table, str(tmp_path / "report"))
    assert str(tmp_path / "report" / "fig2_scaling_tcn.png") in paths
    assert str(tmp_path / "report" / "fig3_families.png") in paths
    cell = next(c for c in plan_cells(config) if c.model == "tcn")
    model = __import__("keras").saving.load_model(
        os.path.join(out, "models", cell.id + ".keras")
    )
    path = export_tflite(
        model, str(tmp_path / "tcn.tflite"), "int8", windows.windows[:64]
    )
    assert inspect_tflite(path).int8_ready


def test_a_shipped_teacher_is_loaded_not_trained(windows, tmp_path):
    from keras_ppg_kd import pretrained

    config = StudyConfig(
        name="shipped",
        split="holdout",
        teachers=(6,),
        students=(1,),
        strategies=("dkd",),
        scratch=False,
        seeds=(0, 1),
        epochs=1,
        batch_size=64,
        learning_rate=1e-2,
        schedule="cosine",
        label_sigma=2.0,
        dropout=0.2,
        pretrained_teacher=pretrained.TEACHER_NAME,
    )
    out = str(tmp_path / "sweep")
    table = run_sweep(config, out, windows=windows, stream=io.StringIO())
    teachers = table[table.role == "teacher"]
    # One record per seed, from one model (its outputs are computed once).
    assert len(teachers) == 2 and teachers["mae"].nunique() == 1
    teacher = teachers.iloc[0]
    assert teacher["epochs"] == 0  # loaded, not trained
    saved = __import__("keras").saving.load_model(
        os.path.join(out, "models", teacher["cell"] + ".keras")
    )
    shipped = pretrained.load(pretrained.TEACHER_NAME)
    for a, b in zip(saved.get_weights(), shipped.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert table.loc[table.role == "student", "mae"].notna().all()
    # The config's dropout reaches the students (the teacher keeps its own).
    student = __import__("keras").saving.load_model(
        os.path.join(
            out,
            "models",
            table.loc[table.role == "student", "cell"].iloc[0] + ".keras",
        )
    )
    assert student.dropout == 0.2 and saved.dropout == 0.5
    with pytest.raises(ValueError, match="has 6 blocks"):
        run_sweep(
            config.replace(teachers=(8,)),
            str(tmp_path / "other"),
            windows=windows,
            stream=io.StringIO(),
        )
    # A teacher from a .keras file (one pre-trained here, say) is loaded
    # the same way.
    path = str(tmp_path / "mine.keras")
    shipped.save(path)
    own = run_sweep(
        config.replace(pretrained_teacher=path, seeds=(0,)),
        str(tmp_path / "own"),
        windows=windows,
        stream=io.StringIO(),
    )
    assert own.loc[own.role == "teacher", "mae"].iloc[0] == teacher["mae"]


def test_teacher_folds_cross_fit_the_logits_and_leave_feature_taps(
    windows, tmp_path
):
    config = tiny_config().replace(
        students=(1,), strategies=("soft", "feature"), scratch=False
    )
    own = run_sweep(config, str(tmp_path / "own"), windows=windows)
    crossed_config = config.replace(teacher_folds=2)
    out = str(tmp_path / "crossed")
    crossed = run_sweep(crossed_config, out, windows=windows)
    cells = {c.strategy: c for c in plan_cells(config)}
    teacher_cell = cells["teacher"]
    path = os.path.join(out, "models", teacher_cell.id + ".crossfit.npy")
    logits = np.load(path)
    train = windows.subset(fold_masks(crossed_config, windows)[0][0])
    assert logits.shape == (len(train), 180)
    teacher = keras.saving.load_model(
        os.path.join(out, "models", teacher_cell.id + ".keras")
    )
    assert not np.allclose(logits, teacher.predict(train.windows, verbose=0))

    def weights(sweep, strategy):
        model = keras.saving.load_model(
            os.path.join(sweep, "models", cells[strategy].id + ".keras")
        )
        return np.concatenate([w.ravel() for w in model.get_weights()])

    # soft reads the cross-fitted logits, feature only the teacher's taps
    own_dir = str(tmp_path / "own")
    assert (
        own.set_index("strategy").loc["teacher", "mae"]
        == (crossed.set_index("strategy").loc["teacher", "mae"])
    )
    assert not np.allclose(weights(own_dir, "soft"), weights(out, "soft"))
    np.testing.assert_allclose(
        weights(own_dir, "feature"), weights(out, "feature"), atol=1e-6
    )
    # a rerun reads the saved logits; without them it cross-fits again
    stamp = os.stat(path).st_mtime_ns
    run_sweep(crossed_config, out, windows=windows)
    assert os.stat(path).st_mtime_ns == stamp
    os.remove(path)
    for name in os.listdir(os.path.join(out, "cells")):
        if "soft" in name:
            os.remove(os.path.join(out, "cells", name))
    soft = weights(out, "soft")
    run_sweep(crossed_config, out, windows=windows)
    np.testing.assert_allclose(np.load(path), logits, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(weights(out, "soft"), soft, atol=1e-5)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"teacher_folds": 1}, "teacher_folds must be 0 .off. or >= 2"),
        (
            {"teacher_folds": 2, "pretrained_teacher": "synthetic_resnet6"},
            "a pretrained_teacher",
        ),
    ],
)
def test_teacher_folds_refuses_what_it_cannot_do(changes, message):
    with pytest.raises(ValueError, match=message):
        tiny_config().replace(**changes)


@pytest.mark.slow
def test_a_ppg_acc_sweep_builds_every_model_for_its_windows(tmp_path):
    """4-channel windows (PPG + accelerometer): teachers and students of
    every family take the data's protocol, no shape mismatch."""
    from keras_ppg_kd.data import (
        SyntheticConfig,
        WindowConfig,
        WindowSet,
        generate_recording,
        windows_from_recording,
    )

    protocol = WindowConfig(accelerometer=True)
    cfg = SyntheticConfig(num_participants=4, minutes=2, seed=3)
    acc = WindowSet.concatenate(
        windows_from_recording(generate_recording(i, cfg), protocol)
        for i in range(4)
    )
    config = dataclasses.replace(tiny_config(), students=("tcn:1", "mlp:1"))
    results = run_sweep(config, str(tmp_path), windows=acc)
    assert len(results) == len(plan_cells(config))
    assert np.isfinite(results["mae"]).all()
    saved = sorted((tmp_path / "models").rglob("*.keras"))
    assert len(saved) == len(plan_cells(config))
    for path in saved:
        assert keras.saving.load_model(path).protocol == protocol


@pytest.mark.slow
def test_any_family_can_teach(windows, tmp_path):
    config = dataclasses.replace(
        tiny_config(), teachers=("tcn:5",), students=("tcn:1",)
    )
    assert config.teachers == ("tcn:5",)
    cells = plan_cells(config)
    assert [c.id for c in cells if c.role == "teacher"] == ["f0-s0-teachertcn5"]
    assert "f0-s0-ttcn5-tcn1-dkd" in {c.id for c in cells}
    results = run_sweep(config, str(tmp_path), windows=windows)
    students = results[results.role == "student"]
    assert len(students) == 2 and set(students.teacher.astype(str)) == {"tcn:5"}
    assert np.isfinite(results["mae"]).all()
