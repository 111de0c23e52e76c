"""Running a sweep's cells in several local processes (``workers=N``).

On a small CPU, N single-threaded TensorFlow processes train small models
faster than one process using every core: on 2 cores, two 1-thread
processes give 1.55-2.55x the windows/s of one process for 1-4 block
ResNets (``benchmarks/bench_train_step.py``). Each worker gets a
share of the cells balanced by their rough cost; they share the sweep
folder through the per-cell locks, so a teacher still trains once (a
worker that needs it while another trains it waits for it).

The job (config and windows) is written into the sweep folder
(``.jobs/job-<parent pid>.pkl``), not a system temp folder, and removed at
the end; one left by a killed run is removed by the next. Workers watch
their parent and exit when it is gone, so killing the sweep stops them
(finished cells are kept; locks left behind are recovered as after any
kill).
"""

import os
import pathlib
import pickle
import subprocess
import sys
import threading
import time

from keras_ppg_kd import _backend
from keras_ppg_kd.study.cells import CellRunner
from keras_ppg_kd.study.config import StudyConfig
from keras_ppg_kd.study.progress import cell_work

# The sweep's workers set TensorFlow's threads and log level.
tf = _backend.LazyTensorFlow("sweep worker processes")


def balance(cells, config, workers):
    """Split ``cells`` into ``workers`` lists of about equal rough cost.

    Longest first onto the least loaded worker; each list keeps the plan's
    order (teachers before their students).
    """
    loads = [0.0] * workers
    assigned = [[] for _ in range(workers)]
    order = {cell.id: i for i, cell in enumerate(cells)}
    for cell in sorted(cells, key=lambda c: -cell_work(c, config)):
        least = loads.index(min(loads))
        loads[least] += cell_work(cell, config)
        assigned[least].append(cell)
    return [sorted(group, key=lambda c: order[c.id]) for group in assigned]


def _exit_with_parent(parent, poll_s=1.0):
    """Exit this process as soon as ``parent`` is no longer its parent."""

    def watch():
        while os.getppid() == parent:
            time.sleep(poll_s)
        os._exit(3)  # cells in flight are abandoned, as after a kill

    threading.Thread(target=watch, daemon=True).start()


def _remove_stale_jobs(folder):
    """Delete job files of sweeps whose process is gone."""
    for path in folder.glob("job-*.pkl"):
        try:
            os.kill(int(path.stem.split("-")[1]), 0)
        except ProcessLookupError:
            path.unlink(missing_ok=True)
        except (ValueError, PermissionError):
            continue


_WORKER = (
    "import sys; from keras_ppg_kd.study.processes import _worker; "
    "_worker(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))"
)


def _worker(job_path, index, parent):
    """One worker process: its group of cells, ``threads`` TF threads."""
    _exit_with_parent(parent)
    with open(job_path, "rb") as f:
        job = pickle.load(f)
    tf.get_logger().setLevel(job["log_level"])  # as the caller's
    tf.config.threading.set_intra_op_parallelism_threads(job["threads"])
    tf.config.threading.set_inter_op_parallelism_threads(1)

    context = CellRunner(
        StudyConfig.from_json(job["config"]),
        job["out_dir"],
        job["windows"],
        **job["options"],
    )
    for cell in job["groups"][index]:
        context.run(cell)


def run_processes(context, todo, workers, progress, poll_s=0.5):
    """Run ``todo`` in ``workers`` spawned processes; report as cells end.

    Raises:
        RuntimeError: a worker failed (its traceback is on stderr above);
            the cells finished so far are kept, and a rerun resumes.
    """
    threads = max(1, (os.cpu_count() or 1) // workers)
    options = dict(
        verbose=0,
        epoch_lines=context.epoch_lines,
        tensorboard=context.tensorboard,
    )
    groups = [g for g in balance(todo, context.config, workers) if g]
    job = dict(
        config=context.config.to_json(),
        out_dir=context.store.out_dir,
        windows=context.windows,
        groups=groups,
        threads=threads,
        options=options,
        log_level=tf.get_logger().level,
    )
    jobs = pathlib.Path(context.store.out_dir) / ".jobs"
    jobs.mkdir(parents=True, exist_ok=True)
    _remove_stale_jobs(jobs)
    job_path = jobs / f"job-{os.getpid()}.pkl"
    with open(job_path, "wb") as f:
        pickle.dump(job, f)
    # Fresh interpreters (not multiprocessing): the caller's script is not
    # re-imported, so it needs no ``if __name__ == "__main__"`` guard. Not
    # ``-m`` this module: the package's __init__ imports it first, and
    # runpy warns about running a module already imported.
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(job_path), str(i)]
            + [str(os.getpid())]
        )
        for i in range(len(groups))
    ]
    waiting = list(todo)
    try:
        while waiting:
            finished = [cell for cell in waiting if context.store.done(cell)]
            for cell in finished:
                waiting.remove(cell)
                progress.update(context.store.read_result(cell))
                context.store.write_table()
            if all(p.poll() is not None for p in processes):
                break
            time.sleep(poll_s)
    finally:
        for process in processes:
            process.wait()
        os.remove(job_path)
    for cell in list(waiting):  # finished between the last poll and exit
        if context.store.done(cell):
            waiting.remove(cell)
            progress.update(context.store.read_result(cell))
    failed = [f"worker {i}" for i, p in enumerate(processes) if p.returncode]
    if failed or waiting:
        raise RuntimeError(
            f"{', '.join(failed) or 'the workers'} stopped with "
            f"{len(waiting)} cell(s) unfinished (see the error above); the "
            "finished cells are kept and a rerun resumes"
        )
