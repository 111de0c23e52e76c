"""Running a sweep's cells as Ray tasks (``engine="ray"``)."""

import keras

from keras_ppg_kd.study.config import StudyConfig
from keras_ppg_kd.study.sweep import _Context

# Tasks rebuild a _Context in the worker from (config, out_dir, windows);
# the windows travel once through the object store.


def _ray_teacher(config_json, out_dir, windows, cell):
    context = _Context(StudyConfig.from_json(config_json), out_dir, windows, 0)
    _, outputs = context.ensure_teacher(cell)
    return outputs


def _ray_cell(config_json, out_dir, windows, cell, teacher_outputs=None):
    context = _Context(StudyConfig.from_json(config_json), out_dir, windows, 0)
    if teacher_outputs is not None:
        teacher = keras.saving.load_model(
            context.store.model_path(cell.teacher_cell())
        )
        context.teachers[cell.teacher_cell().id] = (teacher, teacher_outputs)
    return context.run(cell)


def run_ray(context, todo, address, progress):
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
        teacher_task = ray.remote(_ray_teacher)
        cell_task = ray.remote(_ray_cell)
        teachers, pending = {}, {}

        def teacher_ref(cell):
            if cell.id not in teachers:
                teachers[cell.id] = teacher_task.remote(
                    config_json, out_dir, windows, cell
                )
            return teachers[cell.id]

        for cell in todo:
            if cell.role == "teacher":
                ref = teacher_ref(cell)  # its row is written by the task
            elif cell.role == "student":
                dependency = teacher_ref(cell.teacher_cell())
                ref = cell_task.remote(
                    config_json, out_dir, windows, cell, dependency
                )
            else:
                ref = cell_task.remote(config_json, out_dir, windows, cell)
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
