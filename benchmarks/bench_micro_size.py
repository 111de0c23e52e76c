"""Flash and RAM of small int8 students in TensorFlow Lite Micro.

For each student (``--students``, ``"family:size"``): a fresh model with
the kind of weights training leaves (:func:`~keras_ppg_kd.deploy.planner.
like_trained`, so biases and BatchNorm offsets are not folded away) is
exported to int8 LiteRT, calibrated on random windows, and measured:

* ``params``: trainable parameters;
* ``file_bytes``: the whole ``.tflite`` file (flash), protocol metadata
  included;
* ``weight_bytes``: bytes of constant tensor data in it (the rest is
  quantization scales and zero points and the flatbuffer's tables);
* ``estimate_bytes``: peak bytes of activations alive at once;
* ``micro_arena_bytes``: the smallest arena with which the real TFLite
  Micro interpreter (``tflite-micro``) allocates and invokes the file, as
  exported and with ``order_for_micro=True`` (activation tensors renumbered
  for TFLM's planner, :func:`~keras_ppg_kd.deploy.arena.
  order_for_micro_planner`), and whether both files give the same outputs;
* ``int8_us``: the LiteRT interpreter's median time per window (batch
  1, 1 thread) of the ordered file on this machine.

Prints a Markdown table and writes it (and a CSV) to --out.

Usage:
    python benchmarks/bench_micro_size.py --students=tcnw:8,tcn:5
"""

import os
import pathlib
import platform

import numpy as np
import pandas as pd
from absl import app, flags

from keras_ppg_kd import models
from keras_ppg_kd.deploy import (
    LiteRTModel,
    MicroModel,
    export_tflite,
    inspect_tflite,
)
from keras_ppg_kd.deploy.planner import like_trained

flags.DEFINE_list(
    "students",
    ["tcnw:4", "tcnw:6", "tcnw:8", "tcnw:12", "tcnw:16", "tcnw:24", "tcn:5"],
    "Students, '<family>:<size>'.",
)
flags.DEFINE_string("out", "bench_micro_size", "Output folder.")
FLAGS = flags.FLAGS
COLUMNS = [
    "student",
    "params",
    "file_bytes",
    "weight_bytes",
    "ops",
    "estimate_bytes",
    "micro_arena_bytes",
    "micro_arena_ordered_bytes",
    "same_outputs",
    "int8_us",
]


def weight_bytes(path):
    """Bytes of constant tensor data (weights, biases, shapes) in a file."""
    from tensorflow.lite.tools import flatbuffer_utils

    flat = flatbuffer_utils.read_model(path)
    return sum(len(b.data) for b in flat.buffers if b.data is not None)


def measure(identifier, folder, windows):
    """One row of the table for ``identifier``."""
    model = like_trained(models.get(identifier))
    name = identifier.replace(":", "")
    row = {"student": identifier, "params": models.cost(identifier)[0]}
    outputs = {}
    for ordered in (False, True):
        path = str(folder / f"{name}{'_ordered' if ordered else ''}.tflite")
        export_tflite(model, path, "int8", windows, order_for_micro=ordered)
        report = inspect_tflite(path)
        micro = MicroModel(path)
        outputs[ordered] = micro.predict(windows[:8])
        key = "micro_arena_ordered_bytes" if ordered else "micro_arena_bytes"
        row[key] = micro.arena_size
        if not ordered:
            row.update(
                file_bytes=os.path.getsize(path),
                weight_bytes=weight_bytes(path),
                estimate_bytes=round(report.arena_kb * 1024),
                ops=len(report.ops),
            )
    row["same_outputs"] = bool(np.array_equal(outputs[False], outputs[True]))
    row["int8_us"] = round(LiteRTModel(path).latency_us(), 1)
    return row


def main(_):
    folder = pathlib.Path(FLAGS.out)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    windows = rng.standard_normal((64, 200, 1)).astype("float32")
    rows = [measure(s, folder, windows) for s in FLAGS.students]
    table = pd.DataFrame(rows)[COLUMNS]
    table.to_csv(folder / "micro_size.csv", index=False)
    lines = [
        "| " + " | ".join(table.columns) + " |",
        "|" + "---|" * len(table.columns),
        *("| " + " | ".join(map(str, row)) + " |" for row in table.values),
    ]
    text = f"{platform.machine()}, {os.cpu_count()} CPU cores\n\n" + (
        "\n".join(lines)
    )
    (folder / "micro_size.md").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    app.run(main)
