"""Running a sweep's cells as Ray tasks (``engine="ray"``).

On a cluster with GPUs every task asks for a fraction of one
(``gpus_per_cell``), so Ray packs several small-model cells on a GPU and
sets ``CUDA_VISIBLE_DEVICES`` for each; the worker turns on TensorFlow's
memory growth so those cells do not each reserve the whole card.
"""

import keras

from keras_ppg_kd.study.cells import CellRunner
from keras_ppg_kd.study.config import StudyConfig

# On a cluster with GPUs, cells share one this many at a time by default.
DEFAULT_CELLS_PER_GPU = 4

# Tasks rebuild a CellRunner in the worker from (config, out_dir, windows,
# options); the windows travel once through the object store.


def _grow_gpu_memory():
    """Allocate GPU memory as needed, not all of it at the first op."""
    import tensorflow as tf

    for gpu in tf.config.list_physical_devices("GPU"):
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:  # already initialised in this worker
            pass


def _worker_context(config_json, out_dir, windows, options):
    _grow_gpu_memory()
    return CellRunner(
        StudyConfig.from_json(config_json), out_dir, windows, **options
    )


def _ray_teacher(config_json, out_dir, windows, options, cell):
    context = _worker_context(config_json, out_dir, windows, options)
    _, outputs = context.ensure_teacher(cell)
    return outputs


def _ray_cell(config_json, out_dir, windows, options, cell, teacher_outputs):
    context = _worker_context(config_json, out_dir, windows, options)
    if teacher_outputs is not None:
        teacher = keras.saving.load_model(
            context.store.model_path(cell.teacher_cell())
        )
        context.teachers[cell.teacher_cell().id] = (teacher, teacher_outputs)
    return context.run(cell)


def task_options(cluster_gpus, gpus_per_cell=None):
    """Ray resources of one cell: ``{"num_gpus": fraction}``.

    Args:
        cluster_gpus: GPUs the cluster has (``ray.cluster_resources()``).
        gpus_per_cell: Share of a GPU per cell, in [0, 1]; None:
            ``1 / DEFAULT_CELLS_PER_GPU`` when the cluster has GPUs, else 0.

    Raises:
        ValueError: ``gpus_per_cell`` outside [0, 1], or above 0 on a
            cluster without GPUs (the tasks would never be scheduled).
    """
    if gpus_per_cell is None:
        gpus_per_cell = 1 / DEFAULT_CELLS_PER_GPU if cluster_gpus else 0.0
    if not 0 <= gpus_per_cell <= 1:
        raise ValueError(
            f"gpus_per_cell must be in [0, 1] (a share of one GPU). "
            f"Received: {gpus_per_cell}"
        )
    if gpus_per_cell and not cluster_gpus:
        raise ValueError(
            f"gpus_per_cell={gpus_per_cell} but the Ray cluster has no GPU; "
            "its tasks would wait forever. Use 0 or a cluster with GPUs."
        )
    return {"num_gpus": gpus_per_cell}


def run_ray(context, todo, address, progress, gpus_per_cell=None):
    """Run ``todo`` as Ray tasks (teachers before their students)."""
    try:
        import ray
    except ImportError:
        raise ImportError(
            "engine='ray' needs Ray: pip install 'ray[default]' (or, in the "
            "source checkout, pip install -e '.[ray]')"
        ) from None
    started_here = not ray.is_initialized()
    if started_here:
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    try:
        config_json = context.config.to_json()
        out_dir, windows = context.store.out_dir, ray.put(context.windows)
        options = dict(
            verbose=0,
            epoch_lines=context.epoch_lines,
            tensorboard=context.tensorboard,
        )
        resources = task_options(
            ray.cluster_resources().get("GPU", 0), gpus_per_cell
        )
        teacher_task = ray.remote(**resources)(_ray_teacher)
        cell_task = ray.remote(**resources)(_ray_cell)
        teachers, pending = {}, {}

        def teacher_ref(cell):
            if cell.id not in teachers:
                teachers[cell.id] = teacher_task.remote(
                    config_json, out_dir, windows, options, cell
                )
            return teachers[cell.id]

        for cell in todo:
            if cell.role == "teacher":
                ref = teacher_ref(cell)  # its row is written by the task
            elif cell.role == "student":
                dependency = teacher_ref(cell.teacher_cell())
                ref = cell_task.remote(
                    config_json, out_dir, windows, options, cell, dependency
                )
            else:
                ref = cell_task.remote(
                    config_json, out_dir, windows, options, cell, None
                )
            pending[ref] = cell
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            cell = pending.pop(ready[0])
            ray.get(ready[0])  # re-raises a task's error here
            progress.update(context.store.read_result(cell))
            context.store.write_table()
    finally:
        if started_here:
            ray.shutdown()
