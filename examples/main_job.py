"""The study in miniature, on the built-in synthetic data (no download).

1. Runs the ``quick`` study preset as a resumable sweep: a 6-block teacher,
   scratch baselines and students of three sizes distilled with all four
   strategies (hard, soft, DKD, feature), plus a size-matched MLP.
2. Prints the Table-2-style MAE table, fits and prints the scaling laws,
   writes Figures 1-3 (PNG + PDF).
3. Exports the best 1-block student to full-integer int8 LiteRT, checks its
   heart-rate parity against Keras on the held-out participants and prints
   its size, tensor arena and latency.

Everything lands in one folder, named at the end. Rerunning the command
resumes the sweep (finished cells are not redone).

Usage: python examples/main_job.py [--out main_job_output]
"""

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads

import keras
import numpy as np
import tensorflow as tf
from absl import app, flags, logging

from keras_ppg_kd.deploy import LiteRTModel, export_tflite, inspect_tflite
from keras_ppg_kd.heart_rate import logits_to_bpm
from keras_ppg_kd.study import PRESETS, report, run_sweep
from keras_ppg_kd.study.plan import fold_masks, load_study_windows

flags.DEFINE_string("out", "main_job_output", "Output folder.")
flags.DEFINE_string("data_dir", None, "tfds data directory (tfds default).")
FLAGS = flags.FLAGS


def main(_):
    logging.set_verbosity(logging.WARNING)  # tfds progress stays, INFO goes
    tf.get_logger().setLevel("ERROR")  # retracing notes across many models
    start = time.perf_counter()
    out = os.path.abspath(FLAGS.out)
    config = PRESETS["quick"]
    print(f"== 1. sweep: the '{config.name}' preset -> {out}/sweep")
    windows = load_study_windows(config, data_dir=FLAGS.data_dir)
    table = run_sweep(config, os.path.join(out, "sweep"), windows=windows)

    print("\n== 2. Table 2, scaling laws, figures")
    text, paths = report.report(table, os.path.join(out, "report"))
    print(text)
    teacher = table[table["role"] == "teacher"].iloc[0]
    print(
        f"teacher: {teacher['size']}-block ResNet1D, MAE "
        f"{teacher['mae']:.2f} BPM"
    )

    print("\n== 3. best 1-block student -> int8 LiteRT")
    small = table[(table["role"] == "student") & (table["model"] == "resnet")]
    small = small[small["size"] == small["size"].min()]
    best = small.loc[small["mae"].idxmin()]
    student = keras.saving.load_model(
        os.path.join(out, "sweep", "models", best["cell"] + ".keras")
    )
    train_mask, test_mask = fold_masks(config, windows)[0]
    train, test = windows.subset(train_mask), windows.subset(test_mask)
    path = export_tflite(
        student,
        os.path.join(out, "student_int8.tflite"),
        "int8",
        representative_data=train.windows,
    )
    runner = LiteRTModel(path)
    keras_bpm = logits_to_bpm(student.predict(test.windows, verbose=0))
    lite_bpm = logits_to_bpm(runner.predict(test.windows))
    keras_mae = float(np.mean(np.abs(keras_bpm - test.hr_bpm)))
    lite_mae = float(np.mean(np.abs(lite_bpm - test.hr_bpm)))
    print(f"student {best['cell']} ({best['strategy']})")
    print(inspect_tflite(path).summary())
    print(
        f"HR MAE on {len(test)} held-out windows: Keras float {keras_mae:.2f}"
        f" BPM, LiteRT int8 {lite_mae:.2f} BPM (difference "
        f"{abs(lite_mae - keras_mae):.2f}, target <= 0.5); latency "
        f"{runner.latency_us():.0f} us per window (1 thread)"
    )
    minutes = (time.perf_counter() - start) / 60
    print(f"\nmain job finished in {minutes:.1f} min; everything is in {out}")


if __name__ == "__main__":
    app.run(main)
