"""Heart rate every 2 s from a raw PPG recording, with a LiteRT student.

Input: a PPG array (``.npy``, or a one-column ``.csv``) and its sampling
rate; output: one heart rate per 2 s step (8 s windows), from a ``.tflite``
student such as the one ``examples/main_job.py`` exports. Without
``--ppg`` a synthetic 3-minute recording (64 Hz) is used and its true heart
rate is printed beside the estimate.

Usage: python examples/hr_from_recording.py \
    --model main_job_output/student_int8.tflite --ppg my_ppg.npy --fs 64
"""

import numpy as np
from absl import app, flags

from keras_ppg_kd.data import (
    SyntheticConfig,
    generate_recording,
    windows_from_recording,
    windows_from_signal,
)
from keras_ppg_kd.deploy import LiteRTModel
from keras_ppg_kd.heart_rate import logits_to_bpm

flags.DEFINE_string("model", "main_job_output/student_int8.tflite", "LiteRT.")
flags.DEFINE_string("ppg", None, "PPG samples (.npy or one-column .csv).")
flags.DEFINE_float("fs", None, "Sampling rate of --ppg in Hz.")
FLAGS = flags.FLAGS


def main(_):
    truth = None
    if FLAGS.ppg:
        if FLAGS.fs is None:
            raise app.UsageError("--fs (Hz) is required with --ppg.")
        if FLAGS.ppg.endswith(".npy"):
            ppg = np.load(FLAGS.ppg)
        else:
            ppg = np.loadtxt(FLAGS.ppg, delimiter=",")
        fs = FLAGS.fs
    else:
        recording, _ = generate_recording(0, SyntheticConfig(minutes=3))
        ppg, fs = recording.ppg, recording.fs
        labelled = windows_from_recording(recording)
        truth = dict(zip(labelled.start_times.round(1), labelled.hr_bpm))
    windows, starts = windows_from_signal(np.ravel(ppg), fs)
    bpm = np.asarray(logits_to_bpm(LiteRTModel(FLAGS.model).predict(windows)))
    errors = []
    for start, value in zip(starts, bpm):
        line = f"{start:7.1f} s  {value:6.1f} BPM"
        true = truth.get(round(float(start), 1)) if truth else None
        if true is not None:
            line += f"   (true {true:6.1f})"
            errors.append(abs(value - true))
        print(line)
    print(f"{len(bpm)} heart rates from {len(ppg) / fs:.0f} s of PPG ({fs} Hz)")
    if errors:
        print(f"MAE vs the synthetic truth: {np.mean(errors):.2f} BPM")


if __name__ == "__main__":
    app.run(main)
