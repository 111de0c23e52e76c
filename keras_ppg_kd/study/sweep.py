"""Teacher x student x strategy sweeps: resumable, shardable, Ray-ready.

One job per module: :mod:`~keras_ppg_kd.study.plan` (cells, folds,
shards), :mod:`~keras_ppg_kd.study.store` (the sweep directory),
:mod:`~keras_ppg_kd.study.progress`, :mod:`~keras_ppg_kd.study.cost` (dry
runs), :mod:`~keras_ppg_kd.study.cells` (one cell),
:mod:`~keras_ppg_kd.study.processes` and
:mod:`~keras_ppg_kd.study.ray_engine`; this one runs a sweep.

Finished cells are never redone; a half-done cell resumes from its last
finished epoch. Our files are written to a temporary name and then moved
into place; Keras's backups keep the previous checkpoint too, and a backup
that still fails to load is moved aside (``backup/<cell>.corrupt-*``) with
a warning and the cell restarts. A cell record counts as done only when it
parses, has every field and was made by this config on these data;
otherwise it is moved aside (``.corrupt-*``) with a warning naming it and
the cell is redone. A per-cell lock lets shards and duplicate sweeps share
a folder: a process that meets a locked cell waits for it and reads its
result. Teachers train once per fold and seed; their outputs on the
training windows are computed once and shared by every student cell.
"""

import os
from collections.abc import Mapping
from typing import TextIO

import pandas as pd

from keras_ppg_kd.data.transforms import WindowSet
from keras_ppg_kd.study.cells import CellRunner
from keras_ppg_kd.study.config import StudyConfig, get_config
from keras_ppg_kd.study.plan import load_study_windows, parse_shard, plan_cells
from keras_ppg_kd.study.processes import run_processes
from keras_ppg_kd.study.progress import Progress


def run_sweep(
    config: StudyConfig | str | dict,
    out_dir: str | os.PathLike,
    windows: WindowSet | None = None,
    data_dir: str | None = None,
    manual_dir: str | Mapping[str, str] | None = None,
    engine: str = "local",
    ray_address: str | None = None,
    shard: str | tuple[int, int] | None = None,
    verbose: int = 0,
    stream: TextIO | None = None,
    epoch_lines: bool = False,
    tensorboard: str | None = None,
    gpus_per_cell: float | None = None,
    workers: int = 1,
) -> pd.DataFrame:
    """Run (or resume) every unfinished cell of a study.

    Args:
        config: A :class:`StudyConfig`, a preset name or a JSON path.
        out_dir: The sweep directory (created; reused to resume).
        windows: Use this WindowSet instead of loading ``config.datasets``.
        data_dir: tfds data directory.
        manual_dir: Manual download directory (or ``{name: dir}``).
        engine: ``"local"`` (this process, in order) or ``"ray"`` (one Ray
            task per cell; teacher -> student dependencies as object
            references).
        ray_address: An existing Ray cluster; a local one when None.
        shard: ``(i, n)`` or ``"i/n"``: run only every n-th cell starting
            at i (plus the teachers those cells need), for job arrays.
        verbose: Keras verbosity during training.
        stream: Where progress goes (stdout by default).
        epoch_lines: Also print epoch lines with each run's ETA
            (:class:`~keras_ppg_kd.study.progress.EpochProgress`; at most
            one per 10 s per run).
        tensorboard: A folder for TensorBoard logs, one sub-folder per
            cell; None writes none.
        gpus_per_cell: Ray only: the share of a GPU each cell requests
            (default a quarter on a cluster with GPUs, else none); see
            :func:`keras_ppg_kd.study.ray_engine.task_options`.
        workers: Local only: run the cells in this many processes, each
            with ``cpu_count // workers`` TensorFlow threads (see
            :mod:`~keras_ppg_kd.study.processes`); 1 runs them here.

    Returns:
        The results DataFrame of every finished cell in ``out_dir``.
    """
    config = get_config(config)
    if engine not in ("local", "ray"):
        raise ValueError(f"engine must be 'local' or 'ray'; got {engine!r}")
    if (
        isinstance(workers, bool)
        or not isinstance(workers, int)
        or (workers < 1 or (workers > 1 and engine != "local"))
    ):
        raise ValueError(
            f"workers must be an integer >= 1 (above 1 with engine='local' "
            f"only). Received: workers={workers!r}, engine={engine!r}"
        )
    if gpus_per_cell is not None and engine != "ray":
        raise ValueError(
            f"gpus_per_cell applies to engine='ray'; received engine="
            f"{engine!r} with gpus_per_cell={gpus_per_cell}"
        )
    cells = plan_cells(config)
    if shard is not None:
        index, count = shard if isinstance(shard, tuple) else parse_shard(shard)
        cells = cells[index::count]
    if windows is None:
        windows = load_study_windows(config, data_dir, manual_dir)
    context = CellRunner(
        config, out_dir, windows, verbose, epoch_lines, tensorboard
    )
    todo = [c for c in cells if not context.store.done(c)]
    progress = Progress(config, todo, len(cells), stream)
    if engine == "local" and workers > 1:
        run_processes(context, todo, workers, progress)
    elif engine == "local":
        for cell in todo:
            progress.update(context.run(cell))
            context.store.write_table()
    else:
        from keras_ppg_kd.study.ray_engine import run_ray

        run_ray(context, todo, ray_address, progress, gpus_per_cell)
    context.store.write_table()
    return context.store.results()
