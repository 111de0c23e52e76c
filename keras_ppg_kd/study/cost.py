"""What a sweep would cost on this machine (``--dry_run``)."""

import sys
import time

import keras
import numpy as np
import pandas as pd

from keras_ppg_kd import models
from keras_ppg_kd.study.config import get_config
from keras_ppg_kd.study.plan import (
    fold_masks,
    load_study_windows,
    num_folds,
    plan_cells,
)

# The study's three datasets total 107 h (Arora et al., arXiv 2511.18829):
# the nominal size used by a dry run when the data are not prepared here.
NOMINAL_WINDOWS = int(107 * 3600 / 2)


def measure_rate(identifier, batch_size=128, steps=4):
    """Training windows per second of one model on this machine."""
    model = models.get(identifier)
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch_size, model.input_length, 1), "float32")
    y = rng.integers(0, model.num_classes, batch_size)
    model.train_on_batch(x, y)  # trace
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    return steps * batch_size / (time.perf_counter() - start)


def dry_run(config, data_dir=None, manual_dir=None, stream=None):
    """Print the cells and an estimated time from measured step rates.

    Distilled students train from cached teacher outputs, so a student
    cell costs about what its scratch twin costs (see
    ``benchmarks/bench_distill.py``); teacher cells are costed at their own
    rate (times ``teacher_folds`` when cross-fitted). Evaluation and
    teacher-output caching are not counted.

    Returns:
        Estimated sequential seconds on this machine.
    """
    config = get_config(config)
    stream = stream or sys.stdout
    cells = plan_cells(config)
    try:
        windows = load_study_windows(config, data_dir, manual_dir)
        masks = fold_masks(config, windows)
        train_sizes = [int(train.sum()) for train, _ in masks]
        source = "prepared data"
    except (FileNotFoundError, OSError, AssertionError) as error:
        share = (config.folds - 1) / config.folds
        if config.split == "holdout":
            share = 1 - config.test_fraction
        train_sizes = [int(NOMINAL_WINDOWS * share)] * num_folds(config)
        source = (
            f"nominal 107 h = {NOMINAL_WINDOWS:,} windows (data not "
            f"prepared here: {type(error).__name__})"
        )
    rates = {}
    total = 0.0
    for cell in cells:
        key = cell.identifier
        if key not in rates:
            rates[key] = measure_rate(key, batch_size=config.batch_size)
        epochs = config.epochs
        if cell.role == "teacher":
            # cross-fitting: teacher_folds sub-teachers on (k-1)/k each
            epochs = config.teacher_epochs * max(config.teacher_folds, 1)
        total += epochs * train_sizes[cell.fold] / rates[key]
    for cell in cells:
        print(f"  {cell.id}", file=stream)
    roles = pd.Series([c.role for c in cells]).value_counts().to_dict()
    print(
        f"{len(cells)} cells {roles}; training windows per fold "
        f"{train_sizes} ({source})",
        file=stream,
    )
    for identifier, rate in sorted(rates.items()):
        print(f"  {identifier}: {rate:,.0f} training windows/s", file=stream)
    print(
        f"estimated time on this machine: {total / 3600:,.1f} h "
        f"({total:,.0f} s) run sequentially",
        file=stream,
    )
    return total
