"""Training and inference speed per Keras backend (TensorFlow, JAX, PyTorch).

For each backend, in its own process (a process has one Keras backend), on
the same windows (carried as ``.npy`` files, so a machine without
TensorFlow runs it too):

* training windows/s of ResNet1D students (``--blocks``) at batch 32 and
  256 (ordinal CE, Adam; median of ``--repeats`` timed epochs after a
  warm-up epoch that compiles);
* distillation windows/s (DKD, 6-block teacher, 1-block student, batch
  32), the teacher run every step (uncached) and read from its cached
  outputs (``Distiller.cache_teacher``);
* inference latency per window at batch 1 and 256 (median of many
  ``predict_on_batch`` calls);
* peak memory: the accelerator allocator's peak on a GPU, else the
  process's peak resident memory (framework included);
* optionally (``--trace``) one training epoch under the backend's profiler
  (``jax.profiler``, ``torch.profiler``, ``tf.profiler``) for TensorBoard.

Prints one Markdown table with each backend's figure and its ratio to the
first backend's, and writes it (``results.md``), the raw JSON
(``results.json``) and a plot of the ratios (``backends.png``) to
``--out``. ``--plot_only=<results.json>`` redraws the plot from a saved
JSON, beside it, without measuring.

Usage: python benchmarks/bench_backends.py [--backends tensorflow,jax]
       [--blocks 1,2,6,12] [--windows 2048] [--out bench_backends]
       python benchmarks/bench_backends.py --plot_only=OUT/results.json
"""

import argparse
import importlib.util
import json
import os
import pathlib
import platform
import re
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

SIZES = (32, 256)
LATENCY_BATCHES = (1, 256)


def _args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    installed = ["tensorflow", "jax", "torch"]
    parser.add_argument(
        "--backends",
        default=",".join(b for b in installed if importlib.util.find_spec(b)),
        help="Comma-separated backends (default: the installed ones).",
    )
    parser.add_argument("--blocks", default="1,2,6,12", help="ResNet1D sizes.")
    parser.add_argument("--windows", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--latency_calls", type=int, default=100)
    parser.add_argument("--out", default="bench_backends")
    parser.add_argument("--trace", action="store_true")
    parser.add_argument(
        "--plot_only",
        metavar="RESULTS_JSON",
        help="Redraw backends.png beside a saved results.json; no measuring.",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)  # windows folder
    return parser.parse_args(argv)


def _median_seconds(run, repeats):
    run()  # warm-up: compiles / traces
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _peak_memory_mb(backend):
    """Accelerator peak (MB) when one is used, else the process's peak RSS."""
    try:
        if backend == "jax":
            import jax

            device = jax.devices()[0]
            if device.platform != "cpu":
                return device.memory_stats()["peak_bytes_in_use"] / 2**20, "gpu"
        if backend == "torch":
            import torch

            if torch.cuda.is_available():
                return torch.cuda.max_memory_allocated() / 2**20, "gpu"
        if backend == "tensorflow":
            import tensorflow as tf

            if tf.config.list_physical_devices("GPU"):
                info = tf.config.experimental.get_memory_info("GPU:0")
                return info["peak"] / 2**20, "gpu"
    except (RuntimeError, KeyError, ValueError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rss"


def _device(backend):
    if backend == "jax":
        import jax

        return str(jax.devices()[0].device_kind)
    if backend == "torch":
        import torch

        if torch.cuda.is_available():
            return torch.cuda.get_device_name(0)
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            return gpus[0].name
    return "cpu"


def _profiled(backend, folder, run):
    folder = str(folder)
    if backend == "jax":
        import jax

        with jax.profiler.trace(folder):
            run()
    elif backend == "torch":
        import torch

        with torch.profiler.profile(
            on_trace_ready=torch.profiler.tensorboard_trace_handler(folder)
        ):
            run()
    else:
        import tensorflow as tf

        tf.profiler.experimental.start(folder)
        run()
        tf.profiler.experimental.stop()


def child(args):
    import keras

    from keras_ppg_kd import Distiller, _backend
    from keras_ppg_kd.losses import HeartRateCrossEntropy
    from keras_ppg_kd.models import ResNet1D

    backend = _backend.BACKEND
    folder = pathlib.Path(args.child)
    x = np.load(folder / "windows.npy")[: args.windows]
    y = np.load(folder / "labels.npy")[: args.windows]
    rows = {}
    keras.utils.set_random_seed(0)

    def fit(model, batch, data=None):
        def run():
            if data is None:
                model.fit(x, y, batch_size=batch, epochs=1, verbose=0)
            else:
                model.fit(data, epochs=1, verbose=0)

        return run

    for blocks in [int(b) for b in args.blocks.split(",")]:
        model = ResNet1D(blocks, dropout=0.1)
        for batch in SIZES:
            model.compile(
                optimizer=keras.optimizers.Adam(1e-3),
                loss=HeartRateCrossEntropy(sigma=2.0),
            )
            seconds = _median_seconds(fit(model, batch), args.repeats)
            rows[f"train resnet{blocks} b{batch} (windows/s)"] = (
                len(x) / seconds
            )
            if args.trace and batch == SIZES[0]:
                trace = (
                    pathlib.Path(args.out) / "traces" / backend / str(blocks)
                )
                _profiled(backend, trace, fit(model, batch))
        for batch in LATENCY_BATCHES:
            window = x[:batch]
            seconds = _median_seconds(
                lambda w=window: [
                    model.predict_on_batch(w) for _ in range(args.latency_calls)
                ],
                1,
            )
            per_window = seconds / args.latency_calls / batch
            rows[f"latency resnet{blocks} b{batch} (us/window)"] = (
                per_window * 1e6
            )
    teacher = ResNet1D(6, dropout=0.1)
    distiller = Distiller(teacher, ResNet1D(1, dropout=0.1), loss="dkd")
    distiller.compile(optimizer=keras.optimizers.Adam(1e-3))
    seconds = _median_seconds(fit(distiller, 32), args.repeats)
    rows["distil b32, teacher run (windows/s)"] = len(x) / seconds
    cached = distiller.cache_teacher(x, y, batch_size=32)
    seconds = _median_seconds(fit(distiller, 32, cached), args.repeats)
    rows["distil b32, teacher cached (windows/s)"] = len(x) / seconds
    memory, kind = _peak_memory_mb(backend)
    rows[f"peak memory ({kind}, MB)"] = memory
    print(json.dumps({"backend": backend, "device": _device(backend), **rows}))


def _load(path):
    """The per-backend results of a saved ``results.json``; exits with one
    line naming the file when it is not one."""
    path = pathlib.Path(path)
    try:
        results = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        sys.exit(f"bench_backends.py: error: cannot read {path}: {error}")
    if not (
        isinstance(results, list)
        and len(results) >= 2
        and all(_is_result(r) for r in results)
        and all(v > 0 for v in _figures(results[0]).values())
    ):
        sys.exit(
            f"bench_backends.py: error: {path} is not a results.json of "
            "bench_backends.py (a list of two or more backends' results, "
            "each a backend, a device and positive figures)"
        )
    return results


def _figures(result):
    """A backend's measures: ``{measure: figure}``."""
    return {k: v for k, v in result.items() if k not in ("backend", "device")}


def _is_result(result):
    return (
        isinstance(result, dict)
        and {"backend", "device"} <= result.keys()
        and bool(_figures(result))
        and all(
            isinstance(v, (int, float)) and not isinstance(v, bool)
            for v in _figures(result).values()
        )
    )


def _higher_is_better(measure):
    return "windows/s" in measure


def _kind_order(measure):
    """Training, distillation, latency, memory; by batch within each."""
    kinds = ("train", "distil", "latency", "peak memory")
    kind = next((i for i, k in enumerate(kinds) if measure.startswith(k)), 4)
    batch = re.search(r"\bb(\d+)\b", measure)
    return kind, int(batch.group(1)) if batch else 0


def plot(results, path):
    """Horizontal bars of each backend's figure relative to the first's,
    per measure, from a line at 1 on a log axis: right of it is better
    (the ratio of windows/s; of latency and memory, its inverse)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    first, others = results[0], results[1:]
    # sorted() is stable: the table's order within a kind and batch
    measures = sorted(_figures(first), key=_kind_order)
    fig, ax = plt.subplots(figsize=(8.5, 0.42 * len(measures) + 1.6))
    height = 0.8 / len(others)
    colours = ["#3182bd", "#e6550d", "#31a354", "#756bb1"]
    ratios_seen = []
    for i, result in enumerate(others):
        ratios = []
        for measure in measures:
            ratio = result.get(measure, float("nan")) / first[measure]
            ratios.append(ratio if _higher_is_better(measure) else 1 / ratio)
        ratios_seen += ratios
        rows = np.arange(len(measures)) + (i - (len(others) - 1) / 2) * height
        ax.barh(
            rows,
            np.asarray(ratios) - 1,
            height,
            left=1,
            color=colours[i % len(colours)],
            label=f"{result['backend']} ({result['device']})",
        )
        for row, ratio in zip(rows, ratios, strict=True):
            if not np.isfinite(ratio):  # a measure this backend lacks
                continue
            ax.annotate(
                f"{ratio:.2f}",
                (ratio, row),
                xytext=(3 if ratio >= 1 else -3, 0),
                textcoords="offset points",
                ha="left" if ratio >= 1 else "right",
                va="center",
                fontsize=7,
            )
    ax.axvline(1.0, color="k", linewidth=1)
    kinds = [_kind_order(m) for m in measures]
    for row in range(1, len(measures)):
        if kinds[row] != kinds[row - 1]:
            ax.axhline(row - 0.5, color="0.7", linewidth=0.8)
    ax.set_xscale("log")
    finite = [r for r in ratios_seen if np.isfinite(r) and r > 0] or [1.0]
    low, high = min(min(finite), 0.8) / 1.6, max(max(finite), 1.25) * 1.7
    ax.set_xlim(low, high)
    ticks = [0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20]
    ticks = [t for t in ticks if low < t < high]
    ax.set_xticks(ticks, [f"{t:g}x" for t in ticks])
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    labels = [m if _higher_is_better(m) else f"{m}, inverted" for m in measures]
    ax.set_yticks(range(len(measures)), labels, fontsize=8)
    ax.set_ylim(len(measures) - 0.5, -0.5)  # the first measure on top
    reference = f"{first['backend']} ({first['device']})"
    ax.set_xlabel(
        f"backend / {first['backend']} (windows/s), {first['backend']} / "
        "backend (latency, memory)\nlog scale"
    )
    ax.set_title(
        f"Speed per Keras backend against {reference}\n"
        "right of 1: faster (or less memory)",
        fontsize=10,
    )
    ax.grid(axis="x", which="major", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def main():
    args = _args()
    if args.child:
        return child(args)
    if args.plot_only:
        path = pathlib.Path(args.plot_only)
        print(f"wrote {plot(_load(path), path.parent / 'backends.png')}")
        return
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    np.save(
        out / "windows.npy", rng.standard_normal((args.windows, 200, 1), "f4")
    )
    np.save(
        out / "labels.npy", rng.integers(20, 160, args.windows).astype("i4")
    )
    results = []
    for backend in args.backends.split(","):
        env = {**os.environ, "KERAS_BACKEND": backend}
        command = [sys.executable, __file__, "--child", str(out), *sys.argv[1:]]
        print(f"{backend} ...", flush=True)
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"{backend} failed:\n{done.stderr[-3000:]}")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    keys = [k for k in results[0] if k not in ("backend", "device")]
    first = results[0]["backend"]
    head = " | ".join(f"{r['backend']} ({r['device']})" for r in results)
    ratios = " | ".join(f"{r['backend']}/{first}" for r in results[1:])
    lines = [
        f"{args.windows} windows, median of {args.repeats} epochs; "
        f"{platform.platform()}, {os.cpu_count()} CPUs",
        "",
        f"| measure | {head} | {ratios} |",
        "|---" * (1 + 2 * len(results) - 1) + "|",
    ]
    for key in keys:
        values = [r.get(key, float("nan")) for r in results]
        cells = " | ".join(f"{v:,.1f}" for v in values)
        rel = " | ".join(f"{v / values[0]:.2f}" for v in values[1:])
        lines.append(f"| {key} | {cells} | {rel} |")
    table = "\n".join(lines)
    print(table)
    (out / "results.md").write_text(table + "\n")
    (out / "results.json").write_text(json.dumps(results, indent=1))
    if len(results) > 1:
        plot(results, out / "backends.png")


if __name__ == "__main__":
    main()
