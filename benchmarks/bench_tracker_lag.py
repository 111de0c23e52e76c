"""The tracker's delay against its error, and the error of the first 30 s.

Runs a shipped int8 bundle (by default ``synthetic_tcn5``: trained on
synthetic data only, so every real recording here is unseen) on the real
recordings of ``--datasets``, windowed with the bundle's own protocol
(motion cancellation included), and tracks each recording with

* the fixed-lag tracker at each of ``--lags`` (lag 0: the causal filter;
  a lag of ``L`` windows gives each estimate ``L`` strides late), and
* the offline smoother (the whole recording; a delay of the recording),

once with the uniform start and once with the start prior the tracker
carries (``HRTracker.fit`` learns it from the training labels of the
recordings' first 30 s). A participant's recordings are taken apart where
windows jump by more than the tracker's ``max_gap_seconds`` (each starts
afresh). Prints a Markdown table of the mean per-recording MAE (BPM) over
whole recordings and over each recording's first ``--first_seconds``
(windows starting that early), and the raw per-window argmax for scale.

Usage: python benchmarks/bench_tracker_lag.py \
    [--data_root ../shared/data] [--datasets ieee_spc2015,physionet_wrist]
"""

import os
import platform
import time

import numpy as np
from absl import app, flags

from keras_ppg_kd import pretrained
from keras_ppg_kd.data.splits import recording_keys
from keras_ppg_kd.datasets import load_windows
from keras_ppg_kd.deploy import LiteRTModel
from keras_ppg_kd.heart_rate import logits_to_bpm
from keras_ppg_kd.tracking import HRTracker

flags.DEFINE_string("model", "synthetic_tcn5", "A shipped int8 bundle.")
flags.DEFINE_list(
    "datasets", ["ieee_spc2015", "physionet_wrist"], "Real datasets."
)
flags.DEFINE_string(
    "data_root", "../shared/data", "Folder of the raw downloads, one each."
)
flags.DEFINE_list("lags", ["0", "1", "2", "3", "5", "10"], "Lags, windows.")
flags.DEFINE_float("first_seconds", 30.0, "The start scored on its own.")
FLAGS = flags.FLAGS


def builder_config(protocol):
    """The builders' config that windows as ``protocol`` does."""
    if protocol.cancel_motion:
        return (
            "cancel_motion_acc" if protocol.accelerometer else "cancel_motion"
        )
    return "ppg_acc" if protocol.accelerometer else "default"


def scores(bpm, truth, recordings, early):
    """Mean per-recording MAE over whole recordings and their starts."""
    error = np.abs(np.asarray(bpm, "float64") - truth)
    names = np.unique(recordings)
    whole = np.mean([error[recordings == r].mean() for r in names])
    start = np.mean([error[(recordings == r) & early].mean() for r in names])
    return whole, start


def main(_):
    began = time.perf_counter()
    model = LiteRTModel(pretrained.int8_path(FLAGS.model))
    tracker = HRTracker.load(pretrained.tracker_path(FLAGS.model))
    tracker.check_protocol(model.protocol)
    uniform = tracker.replace(prior_mean_bpm=None, prior_std_bpm=None)
    starts = {"uniform start": uniform}
    if tracker.prior_mean_bpm is not None:
        starts[
            f"start prior N({tracker.prior_mean_bpm:.0f}, "
            f"{tracker.prior_std_bpm:.0f})"
        ] = tracker
    lags = [int(lag) for lag in FLAGS.lags]
    columns, results = [], {}
    for name in FLAGS.datasets:
        windows = load_windows(
            name,
            manual_dir=os.path.join(FLAGS.data_root, name),
            config=builder_config(model.protocol),
        )
        logits = model.predict(windows)
        truth = np.asarray(windows.hr_bpm, "float64")
        recordings = recording_keys(windows, tracker.max_gap_seconds)
        times = np.asarray(windows.start_times, "float64")
        early = np.zeros(len(times), bool)
        for key in np.unique(recordings):
            members = recordings == key
            since = times[members] - times[members].min()
            early[members] = since < FLAGS.first_seconds
        columns.append(
            f"{name} ({len(np.unique(recordings))} recordings, "
            f"{len(windows)} windows)"
        )
        results[("raw per-window", "0")] = results.get(
            ("raw per-window", "0"), []
        ) + list(scores(logits_to_bpm(logits), truth, recordings, early))
        for label, candidate in starts.items():
            for lag in lags:
                bpm = candidate.track(logits, recordings, times, lag=lag)
                key = (
                    f"lag {lag}, {label}",
                    f"{lag * tracker.stride_seconds:g}",
                )
                results[key] = results.get(key, []) + list(
                    scores(bpm, truth, recordings, early)
                )
            bpm = candidate.track(logits, recordings, times, method="smooth")
            key = (f"offline (smooth), {label}", "recording")
            results[key] = results.get(key, []) + list(
                scores(bpm, truth, recordings, early)
            )

    first = f"first {FLAGS.first_seconds:g} s"
    header = "| tracker | delay (s) | " + " | ".join(
        f"{column}: MAE | {first}" for column in columns
    )
    lines = [header + " |", "|---|---|" + "---|---|" * len(columns)]
    for (label, delay), values in results.items():
        cells = " | ".join(f"{value:.2f}" for value in values)
        lines.append(f"| {label} | {delay} | {cells} |")
    print("\n".join(lines))
    print(
        f"\nMean per-recording MAE (BPM) of {FLAGS.model} int8 ({tracker!r})"
        f"; delay = lag x {tracker.stride_seconds:g} s stride after the "
        f"window's end. {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores; {time.perf_counter() - began:.0f} s."
    )


if __name__ == "__main__":
    app.run(main)
