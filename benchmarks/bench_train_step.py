"""Training throughput on CPU: XLA, thread settings, parallel processes.

For 1-4 block ResNet1D students at the main job's batch size (32), the
windows/s of one training epoch (median of --epochs timed epochs after a
warm-up) in a fresh process per setting:

* ``default``: TensorFlow's own thread settings;
* ``xla``: ``compile(jit_compile=True)``;
* ``threads=N``: N intra-op threads, 1 inter-op thread;
* ``2 procs x 1``: two 1-thread processes training at the same time (what
  ``run_sweep(..., workers=2)`` does), their windows/s summed.

Prints a table with each setting's ratio to ``default``. A second table
times the *first* epoch of a fresh model (1 thread, median over
--epochs fresh models after a warm-up one), where TensorFlow traces the
training step: as Keras does it by default (Adam's slots built inside the
first step, a last partial batch), and as the recipes do it (Adam built
before ``fit``, full batches only: one trace instead of two). Every sweep
cell pays this once. The data are random windows (throughput does not
depend on them).

Usage: python benchmarks/bench_train_step.py [--blocks 1,2,3,4] [--cold_only]
"""

import statistics
import subprocess
import sys
import time

from absl import app, flags

flags.DEFINE_list("blocks", ["1", "2", "3", "4"], "ResNet1D sizes.")
flags.DEFINE_integer("batch_size", 32, "Batch size (the main job's).")
flags.DEFINE_integer("windows", 3782, "Windows per epoch (the main job's).")
flags.DEFINE_integer("epochs", 3, "Timed epochs per setting (median).")
flags.DEFINE_bool("cold_only", False, "Only the first-epoch table.")
flags.DEFINE_string("worker", None, "Internal: 'setting,blocks'.")
FLAGS = flags.FLAGS
SETTINGS = ("default", "xla", "threads=1", "threads=2")
COLD = ("cold", "cold-prebuilt")


def worker(setting, blocks):
    """Print the median windows/s of one setting (run in its own process)."""
    import tensorflow as tf

    if setting.startswith("threads=") or setting in COLD:
        threads = 1 if setting in COLD else int(setting.split("=")[1])
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras
    import numpy as np

    from keras_ppg_kd import models
    from keras_ppg_kd.losses import HeartRateCrossEntropy

    rng = np.random.default_rng(0)
    x = rng.standard_normal((FLAGS.windows, 200, 1)).astype("float32")
    y = rng.integers(0, 180, FLAGS.windows)
    prebuilt = setting == "cold-prebuilt"
    data = (
        tf.data.Dataset.from_tensor_slices((x, y))
        .shuffle(FLAGS.windows)
        .batch(FLAGS.batch_size, drop_remainder=prebuilt)
        .prefetch(tf.data.AUTOTUNE)
    )

    def compiled():
        model = models.get(f"resnet:{blocks}")
        model.compile(
            keras.optimizers.Adam(1e-3),
            HeartRateCrossEntropy(2.0),
            jit_compile=setting == "xla",
        )
        if prebuilt:
            model.optimizer.build(model.trainable_variables)
        return model

    def epoch_rate(model):
        start = time.perf_counter()
        model.fit(data, epochs=1, verbose=0)
        return FLAGS.windows / (time.perf_counter() - start)

    model = compiled()
    epoch_rate(model)  # warm-up (and, for cold starts, process start-up)
    if setting in COLD:
        rates = [epoch_rate(compiled()) for _ in range(FLAGS.epochs)]
    else:
        rates = [epoch_rate(model) for _ in range(FLAGS.epochs)]
    print(statistics.median(rates))


def measure(settings, blocks, processes=1):
    """Windows/s of ``processes`` concurrent workers of one setting."""
    command = [sys.executable, __file__, f"--epochs={FLAGS.epochs}"]
    command += [f"--batch_size={FLAGS.batch_size}"]
    command += [f"--windows={FLAGS.windows}", f"--worker={settings},{blocks}"]
    running = [
        subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    return sum(float(p.communicate()[0].split()[-1]) for p in running)


def main(_):
    if FLAGS.worker:
        setting, blocks = FLAGS.worker.split(",")
        worker(setting, int(blocks))
        return
    if not FLAGS.cold_only:
        steady()
    cold()


def steady():
    columns = [*SETTINGS, "2 procs x 1"]
    print(
        f"training windows/s, batch {FLAGS.batch_size}, median of "
        f"{FLAGS.epochs} epochs of {FLAGS.windows} windows (ratio to default)"
    )
    print("| ResNet1D | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for blocks in map(int, FLAGS.blocks):
        rates = {s: measure(s, blocks) for s in SETTINGS}
        rates["2 procs x 1"] = measure("threads=1", blocks, processes=2)
        base = rates["default"]
        cells = [f"{r:,.0f} ({r / base:.2f}x)" for r in rates.values()]
        print(f"| {blocks} block | " + " | ".join(cells) + " |", flush=True)


def cold():
    print(
        f"\nfirst epoch of a fresh model, windows/s (1 thread, median of "
        f"{FLAGS.epochs} models)"
    )
    print("| ResNet1D | Keras default | Adam built first, full batches |")
    print("|---|---|---|")
    for blocks in map(int, FLAGS.blocks):
        before, after = (measure(s, blocks) for s in COLD)
        print(
            f"| {blocks} block | {before:,.0f} | {after:,.0f} "
            f"({after / before:.2f}x) |",
            flush=True,
        )


if __name__ == "__main__":
    app.run(main)
