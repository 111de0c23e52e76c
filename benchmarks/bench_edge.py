"""Inference cost of ResNet1D / MLP students: the study's Table 3 and beyond.

For ResNet1D 1/2/6/8/10/12 blocks, MLPs of matched size, the TCN and the
recipe's default student (``tcns:5``, the TCN on a stride-2 stem):

* Keras/TensorFlow inference (GPU when present, else CPU; the device is
  named): latency per window (batch 1) and per batch of 128, median of many
  calls; ``tf.profiler`` traces for TensorBoard's profiler in
  ``<out>/traces``; peak memory from the allocator on GPU, and on CPU (no
  allocator statistics there) an estimate: float32 weights plus the peak
  live activations of one window (LiteRT planner) times the batch.
* LiteRT interpreter (1 thread, XNNPACK as shipped): file size, tensor
  arena and median latency per window for float32 and int8.
* TensorFlow Lite for Microcontrollers (the ``tflite-micro`` host
  interpreter) on each int8 file: the tensor arena it actually needs
  (kernel scratch and interpreter structures included, unlike the
  lifetime estimate) and its output parity with LiteRT.
* MACs per inference and the ratio of measured LiteRT time to the CPU's
  arithmetic floor (MACs / peak MAC rate of one core).
* The heart-rate tracker's causal step (:class:`HRTracker`): MACs, state
  and constant bytes, and the median time per window of its exported
  plain-C step (compiled with ``gcc -O2``, int8 logits in) and of the NumPy
  reference, beside the 1-block int8 student (target: < 10 % of it); and
  its fixed-lag step at each of ``--tracker_lags`` (``hrt_lag_step_int8``:
  MACs, ``sizeof(hrt_lag_state)``, time per window) beside the int8
  students (target at lag 3: < 10 % of the default student, ``tcns:5``).
* The window protocol's motion cancellation (``cancel_motion``): its
  plain-C step (``gcc -O2``) and the NumPy one, per 200-sample window.

Prints a Markdown table and writes it with a latency/size plot to --out.

Usage: python benchmarks/bench_edge.py [--out bench_edge]
"""

import ctypes
import os
import platform
import re
import shutil
import statistics
import subprocess
import time

import keras
import matplotlib
import numpy as np
import tensorflow as tf
from absl import app, flags

from keras_ppg_kd import models
from keras_ppg_kd.data import cancel_motion, export_cancel_motion_c
from keras_ppg_kd.deploy import (
    LiteRTModel,
    MicroModel,
    export_tflite,
    inspect_tflite,
    micro,
)
from keras_ppg_kd.tracking import HRTracker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import ticker  # noqa: E402

flags.DEFINE_string("out", "bench_edge", "Output folder.")
flags.DEFINE_list("blocks", ["1", "2", "6", "8", "10", "12"], "ResNet sizes.")
flags.DEFINE_list("mlp_blocks", ["1", "2", "6"], "MLPs matching these.")
flags.DEFINE_list("tcn_blocks", ["5"], "TCN sizes (blocks).")
flags.DEFINE_list(
    "tcns_blocks", ["5"], "Stride-2-stem TCN sizes (blocks; 5: the default)."
)
flags.DEFINE_integer("runs", 300, "Timed LiteRT invokes per file.")
flags.DEFINE_float(
    "tracker_scale", 2.0, "Tracker transition scale (BPM per stride)."
)
flags.DEFINE_list(
    "tracker_lags", ["0", "1", "2", "3", "5", "10"], "Tracker lags to time."
)
flags.DEFINE_integer("keras_runs", 50, "Timed Keras calls per setting.")
flags.DEFINE_float(
    "fp32_macs_per_cycle",
    16,
    "Peak fp32 MACs/cycle/core (two 256-bit FMA pipes x 8: AVX2 CPUs and "
    "AMD Zen 4; 32 on Intel cores with two 512-bit FMA units).",
)
flags.DEFINE_float(
    "int8_macs_per_cycle",
    None,
    "Peak int8 MACs/cycle/core; default from /proc/cpuinfo: 64 with VNNI "
    "(2 x 256-bit VPDPBUSD x 32), else 32 (AVX2 VPMADDUBSW, 2 x 16).",
)
flags.DEFINE_float(
    "ghz",
    None,
    "Core clock for the floor (default: /proc/cpuinfo's, often the nominal "
    "clock; a core boosting above it shows ratios below 1).",
)
FLAGS = flags.FLAGS
BATCH = 128


def cpu_facts():
    """``(name, GHz, SIMD flags)`` of this CPU from /proc/cpuinfo."""
    name, mhz, simd = platform.processor() or "CPU", None, []
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    name = line.split(":", 1)[1].strip()
                if line.startswith("cpu MHz") and mhz is None:
                    mhz = float(line.split(":", 1)[1])
                if line.startswith("flags") and not simd:
                    simd = [
                        flag
                        for flag in line.split(":", 1)[1].split()
                        if flag.startswith(("avx2", "avx512f", "avx512_vnni"))
                        or flag in ("fma", "avx_vnni")
                    ]
    except OSError:
        pass
    return name, (mhz or 2000.0) / 1e3, simd


def macs(model):
    """Multiply-accumulates of one window (convolutions and Dense)."""
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.DepthwiseConv1D):
            length, channels = layer.output.shape[1:]
            total += length * layer.kernel.shape[0] * channels
        elif isinstance(layer, keras.layers.Conv1D):
            length, filters = layer.output.shape[1:]
            kernel, channels, _ = layer.kernel.shape
            total += length * kernel * channels * filters
        elif isinstance(layer, keras.layers.Dense):
            total += int(np.prod(layer.kernel.shape))
    return total


def median_call_ms(fn, x, runs):
    fn(x)  # trace
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn(x).numpy()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def keras_inference(model, name, device, gpu):
    fn = tf.function(lambda x: model(x, training=False))
    x1 = tf.random.normal((1, 200, 1))
    xb = tf.random.normal((BATCH, 200, 1))
    with tf.device(device):
        if gpu:
            tf.config.experimental.reset_memory_stats(device)
        per_window = median_call_ms(fn, x1, FLAGS.keras_runs)
        per_batch = median_call_ms(fn, xb, FLAGS.keras_runs)
        peak = (
            tf.config.experimental.get_memory_info(device)["peak"] / 2**20
            if gpu
            else None
        )
        tf.profiler.experimental.start(os.path.join(FLAGS.out, "traces", name))
        for _ in range(5):
            fn(xb).numpy()
        tf.profiler.experimental.stop()
    return per_window, per_batch, peak


def litert(model, name, quantization, calibration):
    path = export_tflite(
        model,
        os.path.join(FLAGS.out, f"{name}_{quantization}.tflite"),
        quantization,
        representative_data=calibration,
    )
    report = inspect_tflite(path)
    runner = LiteRTModel(path, num_threads=1)
    latency = runner.latency_us(FLAGS.runs)
    return report, latency, micro_parity(path, runner, calibration[:50])


def micro_parity(path, runner, windows):
    """TFLite Micro vs LiteRT on the same file: largest logit gap in output
    quantization steps, and the share of windows with the same class."""
    if not micro.available():
        return None
    ours = MicroModel(path).predict(windows)
    theirs = runner.predict(windows)
    scale = runner.output["quantization"][0] or 1.0
    return (
        float(np.abs(ours - theirs).max() / scale),
        float(np.mean(ours.argmax(1) == theirs.argmax(1))),
    )


_TIMING_DRIVER = r"""
#include <stdint.h>
#include <time.h>
#include "hr_tracker.h"
/* Median-free driver: ns per step over `steps` steps (caller repeats). */
double hrt_time_steps(const int8_t *logits, int windows, int steps) {
  static float belief[HRT_NUM_CLASSES], scratch[HRT_NUM_CLASSES];
  volatile int sink = 0;
  struct timespec a, b;
  hrt_reset(belief);
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (int i = 0; i < steps; ++i) {
    sink += hrt_step_int8(logits + (i % windows) * HRT_NUM_CLASSES, 1,
                          belief, scratch);
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / steps;
}
"""


_LAG_DRIVER = r"""
#include <stdint.h>
#include <time.h>
#include "hr_tracker.h"
/* ns per fixed-lag step over `steps` steps (caller repeats). */
double hrt_time_lag_steps(const int8_t *logits, int windows, int steps) {
  static hrt_lag_state state;
  volatile int sink = 0;
  struct timespec a, b;
  hrt_lag_reset(&state);
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (int i = 0; i < steps; ++i) {
    sink += hrt_lag_step_int8(&state, logits + (i % windows) * HRT_NUM_CLASSES,
                              1);
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / steps;
}
"""


def tracker_lag_cost(students):
    """Cost per window of the fixed-lag C step at each lag (``gcc -O2``
    and ``-O3 -march=native``), beside the int8 students (``{name: us}``).
    """
    if not shutil.which("gcc"):
        print("tracker fixed-lag step: not timed (no gcc)")
        return
    tracker = HRTracker(transition_scale=FLAGS.tracker_scale)
    rng = np.random.default_rng(0)
    logits = rng.integers(-128, 128, (64, 180)).astype("int8")
    pointer = logits.ctypes.data_as(ctypes.POINTER(ctypes.c_int8))
    names = list(students)
    lines = [
        "| lag | delay (s) | MACs | state B | C -O2 us | C -O3 native us | "
        + " | ".join(f"% of {name} int8 (-O2)" for name in names)
        + " |",
        "|---|---|---|---|---|---|" + "---|" * len(names),
    ]
    for lag in (int(lag) for lag in FLAGS.tracker_lags):
        folder = os.path.join(FLAGS.out, "tracker_c", f"lag{lag}")
        tracker.export_c(folder, logit_scale=0.1, lag=lag)
        with open(os.path.join(folder, "driver.c"), "w") as f:
            f.write(_LAG_DRIVER)
        sources = [
            os.path.join(folder, n) for n in ("hr_tracker.c", "driver.c")
        ]
        us = {}
        for tag, options in (
            ("-O2", ["-O2"]),
            ("-O3", ["-O3", "-march=native"]),
        ):
            library = os.path.join(folder, f"libhrt{tag}.so")
            subprocess.run(
                ["gcc", *options, "-shared", "-fPIC", "-o", library, *sources],
                check=True,
            )
            lib = ctypes.CDLL(os.path.abspath(library))
            lib.hrt_time_lag_steps.restype = ctypes.c_double
            lib.hrt_lag_state_bytes.restype = ctypes.c_size_t
            us[tag] = statistics.median(
                lib.hrt_time_lag_steps(pointer, 64, 20000) / 1e3
                for _ in range(9)
            )
            state = lib.hrt_lag_state_bytes()
        shares = " | ".join(
            f"{100 * us['-O2'] / students[name]:.1f}%" for name in names
        )
        lines.append(
            f"| {lag} | {lag * tracker.stride_seconds:g} | "
            f"{tracker.cost(lag)['macs']:,} | {state:,} | {us['-O2']:.2f} | "
            f"{us['-O3']:.2f} | {shares} |"
        )
    print("tracker fixed-lag step (hrt_lag_step_int8) per window:")
    print("\n".join(lines))


def tracker_cost(student_us):
    """Cost per window of the tracker's causal step (C and NumPy)."""
    tracker = HRTracker(transition_scale=FLAGS.tracker_scale)
    cost = tracker.cost()
    rng = np.random.default_rng(0)
    logits = rng.integers(-128, 128, (64, 180)).astype("int8")
    folder = os.path.join(FLAGS.out, "tracker_c")
    tracker.export_c(folder, logit_scale=0.1)
    c_us = {}
    if shutil.which("gcc"):
        with open(os.path.join(folder, "driver.c"), "w") as f:
            f.write(_TIMING_DRIVER)
        sources = [
            os.path.join(folder, n) for n in ("hr_tracker.c", "driver.c")
        ]
        # Portable (what a generic build gets) and this CPU's SIMD (what
        # XNNPACK gives the LiteRT student it is compared with).
        for tag, options in (
            ("-O2", ["-O2"]),
            ("-O3 -march=native", ["-O3", "-march=native"]),
        ):
            library = os.path.join(folder, f"libhrt{len(c_us)}.so")
            subprocess.run(
                ["gcc", *options, "-shared", "-fPIC", "-o", library, *sources],
                check=True,
            )
            lib = ctypes.CDLL(os.path.abspath(library))
            lib.hrt_time_steps.restype = ctypes.c_double
            pointer = logits.ctypes.data_as(ctypes.POINTER(ctypes.c_int8))
            c_us[tag] = statistics.median(
                lib.hrt_time_steps(pointer, 64, 20000) / 1e3 for _ in range(9)
            )
    belief = tracker.initial_state()
    floats = logits.astype("float64") * 0.1
    times = []
    for i in range(2000):
        start = time.perf_counter_ns()
        belief = tracker.step(belief, floats[i % 64])
        times.append((time.perf_counter_ns() - start) / 1e3)
    numpy_us = statistics.median(times)
    print(
        f"tracker causal step: {cost['macs']:,} MACs, state "
        f"{cost['state_bytes']} B, constants {cost['constant_bytes']} B; "
        + "".join(f"C (gcc {k}) {v:.2f} us/window, " for k, v in c_us.items())
        + ("" if c_us else "C not timed (no gcc), ")
        + f"NumPy {numpy_us:.1f} us/window"
    )
    for tag, us in c_us.items():
        if student_us:
            print(
                f"tracker C step (gcc {tag}) / 1-block int8 student: "
                f"{us:.2f} / {student_us:.1f} us = "
                f"{100 * us / student_us:.1f}% (target < 10%)"
            )


_CANCEL_DRIVER = r"""
#include <string.h>
#include <time.h>
#include "cancel_motion.h"
/* ns per window over `steps` windows (each copied in: the step is in place). */
double cm_time_steps(const float *ppg, const float *acc, int windows,
                     int steps) {
  static float work[200];
  volatile float sink = 0.0f;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (int i = 0; i < steps; ++i) {
    memcpy(work, ppg + (i % windows) * 200, sizeof(work));
    ppg_cancel_motion(work, acc + (i % windows) * 600, 200);
    sink += work[0];
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / steps;
}
"""


class _Compact(ticker.LogFormatterSciNotation):
    """Log-axis labels where matplotlib puts them, written 1M, 13.5K, 2.5
    (over a narrow range it labels minor ticks too, and "1.35x10^4"
    labels overlap)."""

    def __call__(self, value, pos=None):
        if not super().__call__(value, pos):
            return ""
        for scale, suffix in ((1e6, "M"), (1e3, "K")):
            if value >= scale:
                return f"{value / scale:g}{suffix}"
        return f"{value:g}"


def cancel_motion_cost(students):
    """Cost per window of the protocol's motion cancellation (C, NumPy),
    beside the int8 students' (``{name: us}``)."""
    rng = np.random.default_rng(0)
    ppg = rng.normal(size=(64, 200)).astype("float32")
    acc = rng.normal(size=(64, 200, 3)).astype("float32")
    # 3 centring, 9 normal-equation and 3 residual MACs per sample, and the
    # standardisation (2): the 3 x 3 solve is a few dozen more.
    macs = (3 + 9 + 3 + 2) * 200
    c_us = None
    if shutil.which("gcc"):
        folder = os.path.join(FLAGS.out, "cancel_motion_c")
        source = export_cancel_motion_c(folder)[0]
        with open(os.path.join(folder, "driver.c"), "w") as f:
            f.write(_CANCEL_DRIVER)
        library = os.path.join(folder, "libcm.so")
        subprocess.run(
            ["gcc", "-O2", "-shared", "-fPIC", "-o", library, str(source)]
            + [os.path.join(folder, "driver.c"), "-lm"],
            check=True,
        )
        lib = ctypes.CDLL(os.path.abspath(library))
        lib.cm_time_steps.restype = ctypes.c_double
        floats = ctypes.POINTER(ctypes.c_float)
        c_us = statistics.median(
            lib.cm_time_steps(
                ppg.ctypes.data_as(floats),
                acc.ctypes.data_as(floats),
                64,
                20000,
            )
            / 1e3
            for _ in range(9)
        )
    times = []
    for i in range(2000):
        start = time.perf_counter_ns()
        cancel_motion(ppg[i % 64][None], acc[i % 64][None])
        times.append((time.perf_counter_ns() - start) / 1e3)
    print(
        f"cancel_motion step: ~{macs:,} MACs; "
        + (f"C (gcc -O2) {c_us:.2f} us/window, " if c_us else "C not timed, ")
        + f"NumPy {statistics.median(times):.1f} us/window"
    )
    for name, us in students.items() if c_us else ():
        print(
            f"cancel_motion C step (gcc -O2) / {name} int8: "
            f"{c_us:.2f} / {us:.1f} us = {100 * c_us / us:.1f}%"
        )


def main(_):
    os.makedirs(FLAGS.out, exist_ok=True)
    gpus = tf.config.list_physical_devices("GPU")
    device = "/GPU:0" if gpus else "/CPU:0"
    cpu, ghz, simd = cpu_facts()
    ghz = FLAGS.ghz or ghz
    if FLAGS.int8_macs_per_cycle is None:
        vnni = {"avx512_vnni", "avx_vnni"} & set(simd)
        FLAGS.int8_macs_per_cycle = 64 if vnni else 32
    where = (
        tf.config.experimental.get_device_details(gpus[0]).get(
            "device_name", "GPU"
        )
        if gpus
        else f"{cpu}, {os.cpu_count()} cores"
    )
    print(
        f"Keras/TF inference on {device} ({where}); LiteRT on {cpu}, 1 thread"
        f"; {ghz:.2f} GHz, {' '.join(simd)}; floor at "
        f"{FLAGS.fp32_macs_per_cycle:.0f} fp32 / "
        f"{FLAGS.int8_macs_per_cycle:.0f} int8 MACs per cycle"
    )
    rng = np.random.default_rng(0)
    calibration = rng.standard_normal((100, 200, 1)).astype("float32")
    candidates = [
        (f"resnet{b}", models.get(f"resnet:{b}")) for b in FLAGS.blocks
    ]
    candidates += [
        (f"mlp~resnet{b}", models.get(f"mlp:{b}")) for b in FLAGS.mlp_blocks
    ]
    candidates += [
        (f"tcn{b}", models.get(f"tcn:{b}")) for b in FLAGS.tcn_blocks
    ]
    candidates += [
        (f"tcns{b}", models.get(f"tcns:{b}")) for b in FLAGS.tcns_blocks
    ]

    rows = []
    for name, model in candidates:
        params = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
        mac = macs(model)
        window_ms, batch_ms, peak = keras_inference(
            model, name, device, bool(gpus)
        )
        f32, f32_us, _ = litert(model, name, "float32", calibration)
        i8, i8_us, parity = litert(model, name, "int8", calibration)
        if peak is None:  # CPU: weights + activations estimate
            weights = sum(int(np.prod(w.shape)) for w in model.weights) * 4
            peak = (weights + f32.arena_kb * 1024 * BATCH) / 2**20
        floor_f32 = mac / (FLAGS.fp32_macs_per_cycle * ghz * 1e3)  # us
        floor_i8 = mac / (FLAGS.int8_macs_per_cycle * ghz * 1e3)
        rows.append(
            dict(
                model=name,
                params=params,
                macs=mac,
                keras_window_ms=window_ms,
                keras_batch_ms=batch_ms,
                memory_mb=peak,
                f32_kb=f32.size_kb,
                f32_us=f32_us,
                f32_floor_x=f32_us / floor_f32,
                i8_kb=i8.size_kb,
                i8_arena_kb=i8.arena_kb,
                micro_arena_kb=i8.micro_arena_kb,
                micro_parity=parity,
                i8_us=i8_us,
                i8_floor_x=i8_us / floor_i8,
                i8_ready=i8.int8_ready,
            )
        )
        print(f"  {name}: done", flush=True)

    memory_note = "allocator peak" if gpus else "estimate"
    header = (
        "| model | params | MACs | TF ms/window | TF ms/batch128 | "
        f"TF memory MB ({memory_note}) | f32 KB | f32 us | f32 x floor | "
        "int8 KB | int8 arena KB (estimate) | TFLM arena KB | TFLM vs LiteRT "
        "| int8 us | int8 x floor | int8-only |"
    )
    lines = [header, "|" + "---|" * 16]
    for r in rows:
        tflm_kb, tflm_parity = "n/a", "n/a (pip install tflite-micro)"
        if r["micro_arena_kb"] is not None:
            tflm_kb = f"{r['micro_arena_kb']:.1f}"
        if r["micro_parity"] is not None:
            steps, agree = r["micro_parity"]
            tflm_parity = f"{steps:.0f} step max, {100 * agree:.0f}% same class"
        lines.append(
            f"| {r['model']} | {r['params']:,} | {r['macs'] / 1e6:.2f}M | "
            f"{r['keras_window_ms']:.2f} | {r['keras_batch_ms']:.2f} | "
            f"{r['memory_mb']:.1f} | {r['f32_kb']:.1f} | {r['f32_us']:.0f} | "
            f"{r['f32_floor_x']:.1f} | {r['i8_kb']:.1f} | "
            f"{r['i8_arena_kb']:.1f} | {tflm_kb} | {tflm_parity} | "
            f"{r['i8_us']:.0f} | "
            f"{r['i8_floor_x']:.1f} | {'yes' if r['i8_ready'] else 'no'} |"
        )
    table = "\n".join(lines)
    print(table)
    by_name = {r["model"]: r for r in rows}
    if {"resnet1", "resnet12"} <= set(by_name):
        big, small = by_name["resnet12"], by_name["resnet1"]
        for key, label in [
            ("keras_batch_ms", "TF time per batch"),
            ("memory_mb", "TF memory"),
            ("i8_us", "LiteRT int8 time"),
            ("i8_kb", "LiteRT int8 size"),
            ("i8_arena_kb", "LiteRT int8 arena"),
        ]:
            cut = 100 * (1 - small[key] / big[key])
            print(f"12 -> 1 block: {label} -{cut:.0f}%")
        floor = small["macs"] / (FLAGS.int8_macs_per_cycle * ghz * 1e3)
        print(
            f"1-block int8: {small['i8_kb']:.1f} KB (target <= 32), "
            f"{small['i8_us']:.0f} us/window (target <= 25); arithmetic "
            f"floor {floor:.1f} us at {FLAGS.int8_macs_per_cycle:.0f} int8 "
            f"MACs/cycle, {ghz:.2f} GHz"
        )
    with open(os.path.join(FLAGS.out, "table3.md"), "w") as f:
        f.write(table + "\n")
    tracker_cost(by_name.get("resnet1", {}).get("i8_us"))
    tcns = [f"tcns{b}" for b in FLAGS.tcns_blocks]
    tcn = [f"tcn{b}" for b in FLAGS.tcn_blocks]
    tracker_lag_cost(
        {
            name: by_name[name]["i8_us"]
            for name in (*tcns, *tcn, "resnet1")
            if name in by_name
        }
    )
    cancel_motion_cost(
        {
            name: by_name[name]["i8_us"]
            for name in ("resnet1", *tcn, *tcns)
            if name in by_name
        }
    )

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    kinds = (("resnet", "o"), ("mlp", "s"), ("tcn", "^"), ("tcns", "v"))
    for kind, marker in kinds:
        sel = [r for r in rows if re.match(r"[a-z]+", r["model"])[0] == kind]
        p = [r["params"] for r in sel]
        left.plot(
            p, [r["i8_us"] for r in sel], marker + "-", label=f"{kind} int8"
        )
        left.plot(
            p, [r["f32_us"] for r in sel], marker + ":", label=f"{kind} f32"
        )
        right.plot(
            p, [r["i8_kb"] for r in sel], marker + "-", label=f"{kind} int8"
        )
        right.plot(
            p, [r["f32_kb"] for r in sel], marker + ":", label=f"{kind} f32"
        )
    left.set_ylabel("LiteRT latency per window (us, 1 thread)")
    right.set_ylabel("LiteRT file size (KB)")
    for ax in (left, right):
        ax.set_xscale("log")
        ax.set_yscale("log")
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_formatter(_Compact())
            axis.set_minor_formatter(_Compact(labelOnlyBase=False))
        ax.set_xlabel("parameters")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"Student inference cost on {cpu}")
    fig.savefig(
        os.path.join(FLAGS.out, "edge_cost.png"), dpi=150, bbox_inches="tight"
    )
    print(f"wrote {FLAGS.out}/table3.md, edge_cost.png, traces/")


if __name__ == "__main__":
    app.run(main)
