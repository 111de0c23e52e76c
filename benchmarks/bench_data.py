"""Data benchmark: generation, raw-file and tf.data throughput, transfer.

Prints (median of several runs where timed):
  * synthetic windows/s (generation + windowing);
  * IEEE SPC 2015 raw .mat -> windows/s;
  * the prepared tf.data pipeline's batched windows/s next to the training
    step rate of a 1-block ResNet student, measured in the same run;
  * spectral-peak MAE on synthetic rest vs motion windows and on SPC;
  * MAE on the real SPC recordings of a ResNet trained on synthetic only.

Usage: python benchmarks/bench_data.py [--spc_dir ../shared/data/ieee_spc2015]
"""

import pathlib
import statistics
import time

import keras
import numpy as np
from absl import app, flags

from keras_ppg_kd import HeartRateMAE, ResNet1D
from keras_ppg_kd.baselines import spectral_peak_bpm
from keras_ppg_kd.data import (
    SyntheticConfig,
    WindowSet,
    generate_recording,
    windows_from_recording,
)
from keras_ppg_kd.datasets import to_dataset
from keras_ppg_kd.datasets.ieee_spc2015 import read_spc2015

flags.DEFINE_string(
    "spc_dir",
    str(
        pathlib.Path(__file__).resolve().parents[1]
        / "../shared/data/ieee_spc2015"
    ),
    "IEEE SPC 2015 folder (with Training_data/).",
)
flags.DEFINE_integer("repeats", 5, "Timed repetitions (median reported).")
flags.DEFINE_integer("transfer_epochs", 15, "Epochs for the transfer model.")
flags.DEFINE_integer("transfer_blocks", 6, "ResNet blocks for transfer.")
flags.DEFINE_integer("participants", 48, "Synthetic participants (transfer).")
FLAGS = flags.FLAGS


def _median_time(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def synthetic_windows(config):
    return WindowSet.concatenate(
        windows_from_recording(generate_recording(i, config))
        for i in range(config.num_participants)
    )


def main(_):
    small = SyntheticConfig(num_participants=8, minutes=10)
    seconds, syn = _median_time(lambda: synthetic_windows(small), FLAGS.repeats)
    print(
        f"synthetic: {len(syn)} windows in {seconds:.2f} s -> "
        f"{len(syn) / seconds:,.0f} windows/s (dropped {dict(syn.dropped)})"
    )

    files = sorted(
        pathlib.Path(FLAGS.spc_dir).glob("Training_data/DATA_??_TYPE??.mat")
    )
    seconds, spc = _median_time(
        lambda: WindowSet.concatenate(
            windows_from_recording(read_spc2015(p)) for p in files
        ),
        FLAGS.repeats,
    )
    print(
        f"SPC 2015 raw .mat -> windows: {len(spc)} windows in {seconds:.2f} s"
        f" -> {len(spc) / seconds:,.0f} windows/s"
    )

    # tf.data pipeline vs training step, same run, same batch size.
    batch = 128
    ds = to_dataset(syn, batch_size=batch, repeat=True)
    iterator = iter(ds)
    next(iterator)
    steps = 200
    pipe, _ = _median_time(
        lambda: [next(iterator) for _ in range(steps)], FLAGS.repeats
    )
    student = ResNet1D(1)
    student.compile(
        keras.optimizers.Adam(5e-4),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    fit_steps = 50
    student.fit(ds, steps_per_epoch=5, epochs=1, verbose=0)  # warm up
    train, _ = _median_time(
        lambda: student.fit(ds, steps_per_epoch=fit_steps, epochs=1, verbose=0),
        3,
    )
    pipe_rate = steps * batch / pipe
    train_rate = fit_steps * batch / train
    print(
        f"tf.data pipeline: {pipe_rate:,.0f} windows/s; 1-block ResNet "
        f"training: {train_rate:,.0f} windows/s; ratio "
        f"{pipe_rate / train_rate:.1f}x (target >= 5x)"
    )

    err = np.abs(spectral_peak_bpm(syn.windows) - syn.hr_bpm)
    rest = syn.activity == "rest"
    print(
        f"spectral peak MAE, synthetic: rest {err[rest].mean():.2f} BPM, "
        f"motion {err[~rest].mean():.2f} BPM, all {err.mean():.2f} BPM"
    )
    err = np.abs(spectral_peak_bpm(spc.windows) - spc.hr_bpm)
    per = [err[spc.participant == p].mean() for p in np.unique(spc.participant)]
    print(
        f"spectral peak MAE, SPC 2015: {np.mean(per):.2f} BPM "
        "(mean per recording)"
    )

    # Synthetic-only training, evaluated on the real recordings.
    big = synthetic_windows(
        SyntheticConfig(num_participants=FLAGS.participants, minutes=10, seed=7)
    )
    model = ResNet1D(FLAGS.transfer_blocks)
    model.compile(
        keras.optimizers.Adam(5e-4),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[HeartRateMAE()],
    )
    start = time.perf_counter()
    model.fit(to_dataset(big, 128), epochs=FLAGS.transfer_epochs, verbose=0)
    fit_seconds = time.perf_counter() - start
    syn_test = synthetic_windows(
        SyntheticConfig(num_participants=8, minutes=10, seed=99)
    )
    test_mae = model.evaluate(
        to_dataset(syn_test, 256, shuffle=False), verbose=0, return_dict=True
    )["hr_mae"]
    logits = model.predict(spc.windows, batch_size=256, verbose=0)
    pred = 30.0 + logits.argmax(axis=1)
    err = np.abs(pred - spc.hr_bpm)
    per = [err[spc.participant == p].mean() for p in np.unique(spc.participant)]
    print(
        f"ResNet1D({FLAGS.transfer_blocks}) trained on {len(big)} synthetic "
        f"windows, {FLAGS.transfer_epochs} epochs ({fit_seconds:.0f} s): "
        f"synthetic held-out MAE {test_mae:.2f} BPM; real SPC 2015 MAE "
        f"{np.mean(per):.2f} BPM (mean per recording; per recording "
        f"{[round(float(e), 1) for e in per]})"
    )


if __name__ == "__main__":
    app.run(main)
