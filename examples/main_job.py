"""The study in miniature, on the built-in synthetic data (no download).

1. Runs the ``quick`` study preset as a resumable sweep: the shipped
   6-block teacher (trained on other synthetic participants;
   ``--retrain_teacher`` trains one here instead), scratch baselines and
   students of three widths distilled with soft and DKD, plus a
   size-matched MLP, over two seeds.
2. Prints the Table-2-style MAE table (mean ± std over seeds), fits the
   scaling laws (reported as points only when the data do not identify
   them), writes Figures 2 and 3 (PNG + PDF; Figure 1 needs several
   teachers), and puts each measured MAE beside the shipped law's
   prediction and 95 % interval.
3. Exports the best smallest student to full-integer int8 LiteRT, checks its
   heart-rate parity against Keras on the held-out participants, prints
   its size, tensor arena and latency, and the MAE with the causal
   heart-rate tracker.
4. Writes ``summary.json``: wall time, table, fits, teacher and int8
   figures, machine-readable.

Everything lands in one folder, named at the end. Rerunning the command
resumes the sweep (finished cells are not redone).

Usage: python examples/main_job.py [--out main_job_output] [--retrain_teacher]
"""

import json
import os
import time

import numpy as np
from absl import app, flags, logging

flags.DEFINE_string("out", "main_job_output", "Output folder.")
flags.DEFINE_string("data_dir", None, "tfds data directory (tfds default).")
flags.DEFINE_bool(
    "retrain_teacher",
    False,
    "Train the teacher here (20 epochs) instead of loading the shipped one.",
)
FLAGS = flags.FLAGS


def check_shipped_laws(table, numbers, family, out):
    """Each measured (strategy, size) beside the shipped law's prediction,
    and Figure 2 with this run's points on the shipped laws' curves.

    The shipped laws come from the reference width study with the shipped
    teacher (docs/results/scaling_width); where a strategy has no
    identified law, the study's measured mean at that size (and its 95 %
    interval) stands in.
    """
    from keras_ppg_kd.deploy import load_fits
    from keras_ppg_kd.deploy.planner import measured_interval
    from keras_ppg_kd.study import report

    laws = load_fits()
    print(f"\n== 2b. this run beside the shipped laws ({laws.source})")
    if laws.family != family:
        print(f"  they hold for {laws.family} students, not {family}")
        return
    _, written = report.figure_scaling(
        table,
        {s: (fit,) for s, fit in laws.fits.items()},
        os.path.join(out, "report", "fig2_vs_shipped_laws"),
        family=family,
        title="this run (points) and the shipped laws (curves, 95 % bands)",
        bands=True,
    )
    print(f"  drawn in {written[0]}")
    measured = {(r["strategy"], int(r["params"])): r for r in laws.measured}
    for row in numbers.itertuples():
        fit = laws.fits.get(row.strategy)
        if fit is not None:
            expected, (low, high) = (
                fit.predict(row.params),
                (fit.predict_interval(row.params)),
            )
            how = "law"
        elif (row.strategy, row.params) in measured:
            study = measured[row.strategy, row.params]
            expected, (low, high) = study["mean"], measured_interval(study)
            how = "study's mean"
        else:
            continue
        inside = "inside" if low <= row.mean <= high else "OUTSIDE"
        print(
            f"  {row.strategy:8s} {family}:{row.size:<3d} measured "
            f"{row.mean:5.2f}, {how} {expected:5.2f} (95 % {low:.2f}-"
            f"{high:.2f}) {inside}"
        )


def main(_):
    # Imported here, not above, so that --help answers without TensorFlow;
    # the package first, so that TensorFlow loads through its quiet import.
    import keras_ppg_kd  # noqa: F401

    # isort: split
    import keras
    import tensorflow as tf

    from keras_ppg_kd import models
    from keras_ppg_kd.data.splits import participant_keys
    from keras_ppg_kd.deploy import LiteRTModel, export_tflite, inspect_tflite
    from keras_ppg_kd.heart_rate import logits_to_bpm
    from keras_ppg_kd.study import PRESETS, report, run_sweep
    from keras_ppg_kd.study.plan import fold_masks, load_study_windows
    from keras_ppg_kd.tracking import HRTracker

    logging.set_verbosity(logging.WARNING)  # tfds progress stays, INFO goes
    tf.get_logger().setLevel("ERROR")  # retracing notes across many models
    start = time.perf_counter()
    out = os.path.abspath(FLAGS.out)
    config = PRESETS["quick"]
    if FLAGS.retrain_teacher:
        config = config.replace(pretrained_teacher="")
    source = (
        f"the shipped teacher {config.pretrained_teacher!r} (trained on other "
        "synthetic participants; --retrain_teacher trains one here)"
        if config.pretrained_teacher
        else f"a teacher trained here for {config.teacher_epochs} epochs"
    )
    print(f"== 1. sweep: the '{config.name}' preset -> {out}/sweep")
    print(f"   teacher: {source}")
    windows = load_study_windows(config, data_dir=FLAGS.data_dir)
    # One single-threaded worker per core: on small CPUs much faster than
    # one process on every core (benchmarks/bench_train_step.py).
    table = run_sweep(
        config,
        os.path.join(out, "sweep"),
        windows=windows,
        workers=os.cpu_count() or 1,
    )

    print("\n== 2. Table 2, scaling laws, figures")
    text, paths = report.report(table, os.path.join(out, "report"))
    print(text)
    family = models.parse(config.students[0])[0]
    _, numbers = report.table2(table, family=family)
    fits_file = f"fits{report.family_suffix(family)}.json"
    with open(os.path.join(out, "report", fits_file)) as f:
        fits = {s: per[per["best"]] for s, per in json.load(f).items()}
    teacher = table[table["role"] == "teacher"].iloc[0]
    print(
        f"teacher: {teacher['size']}-block ResNet1D, MAE "
        f"{teacher['mae']:.2f} BPM"
    )
    check_shipped_laws(table, numbers, family, out)

    print("\n== 3. best smallest student -> int8 LiteRT")
    small = table[(table["role"] == "student") & (table["model"] == family)]
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
        protocol=train.config,
    )
    runner = LiteRTModel(path)
    keras_bpm = logits_to_bpm(student.predict(test.windows, verbose=0))
    lite_bpm = logits_to_bpm(runner.predict(test.windows))
    keras_mae = float(np.mean(np.abs(keras_bpm - test.hr_bpm)))
    lite_mae = float(np.mean(np.abs(lite_bpm - test.hr_bpm)))
    print(f"student {best['cell']} ({best['strategy']})")
    file = inspect_tflite(path)
    print(file.summary())
    latency = runner.latency_us()
    print(
        f"HR MAE on {len(test)} held-out windows: Keras float {keras_mae:.2f}"
        f" BPM, LiteRT int8 {lite_mae:.2f} BPM (difference "
        f"{abs(lite_mae - keras_mae):.2f}, target <= 0.5); latency "
        f"{latency:.0f} us per window (1 thread)"
    )
    # The causal tracker, its transition learned from the training labels.
    keys = participant_keys(train)
    tracker = HRTracker.fit(train.hr_bpm, keys, train.start_times)
    logits = runner.predict(test.windows)
    tracked = tracker.track(logits, participant_keys(test), test.start_times)
    tracked_mae = float(np.mean(np.abs(tracked - test.hr_bpm)))
    print(f"int8 + causal tracker: {tracked_mae:.2f} BPM")

    wall = time.perf_counter() - start
    summary = {
        "wall_s": round(wall, 1),
        "config": json.loads(config.to_json()),
        "teacher_mae": float(teacher["mae"]),
        "table": {
            strategy: {
                str(int(row.params)): {
                    "mean": float(row["mean"]),
                    "std": float(row["std"]) if row["count"] > 1 else None,
                    "n": int(row["count"]),
                }
                for _, row in group.iterrows()
            }
            for strategy, group in numbers.groupby("strategy")
        },
        # A law the data do not identify has no numbers worth reading:
        # its parameters and intervals are null, and why_not says why.
        "fits": {
            strategy: {
                "law": best["law"] if best["identifiable"] else None,
                "params": best["params"] if best["identifiable"] else None,
                "r2": best["r2"],
                "ci95": best["ci95"] if best["identifiable"] else None,
                "identifiable": best["identifiable"],
                "why_not": best["why_not"],
            }
            for strategy, best in fits.items()
        },
        "int8": {
            "kb": round(file.size_kb, 1),
            "mae_keras": keras_mae,
            "mae_litert": lite_mae,
            "latency_us": latency,
        },
        "int8_tracked_mae": tracked_mae,
    }
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(
        f"\nmain job finished in {wall / 60:.1f} min; everything is in {out}"
        " (summary.json: the figures above, machine-readable)"
    )


if __name__ == "__main__":
    app.run(main)
