r"""Train on your data with the generalizing recipe and ship it to a watch.

Trains a ResNet1D teacher (pre-trained on the built-in synthetic data,
then on every labelled window of ``--datasets`` with synthetic windows mixed
in, augmented, ordinal soft targets), distils the recipe's student (the
shipped synthetic-pretrained ``tcns:5`` by default, ``--set
student=tcn:5`` without its stride-2 stem, ``--set student=resnet:1``
for the study's 1-block ResNet) with DKD,
exports it to int8 LiteRT, fits and calibrates the heart-rate tracker and
exports its plain-C step (and, since the recipe cancels motion with the
accelerometer, the plain-C cancellation step); ``--lag N`` gives each
estimate N windows (2N s) late, from the N windows after it too (0, the
default, is causal). Two participants are
held out of training to choose the epoch and calibrate the tracker; their
scores are printed.

Writes into ``--out``: ``teacher.keras``, ``student.keras``,
``student_int8.tflite``, ``tracker.json``, ``tracker_c/`` (the tracker's
and the motion cancellation's C) and
``manifest.json`` (keys ``teacher``, ``student``, ``tflite``, ``tracker``:
paths relative to ``--out``; plus the recipe and validation scores).

With ``--unlabelled DIR`` (recordings of the device you deploy to,
without a reference), the teacher labels those recordings, smoothed over
each one, and the student distils on them beside the labelled windows: the
teacher's knowledge of the new device, which labels alone cannot give.

Usage: python examples/train_and_deploy.py --datasets ieee_spc2015 \
    --manual_dir ../shared/data/ieee_spc2015 --out deploy_out \
    [--unlabelled my_device_recordings]
Then: python examples/hr_from_recording.py \
    --model deploy_out/student_int8.tflite --tracker deploy_out/tracker.json \
    --ppg rec.npy --acc acc.npy --fs 125 --out_csv hr.csv
"""

import dataclasses
import json
import pathlib
import sys
import time

from absl import app, flags

flags.DEFINE_list("datasets", ["ieee_spc2015"], "Datasets to train on.")
flags.DEFINE_string(
    "manual_dir",
    None,
    "Raw downloads: one folder, or name=path,... per dataset (as the CLI).",
)
flags.DEFINE_string("data_dir", None, "tfds data directory.")
flags.DEFINE_string("out", "deploy_out", "Output folder.")
flags.DEFINE_integer("seed", 0, "Seed.")
flags.DEFINE_integer(
    "lag",
    0,
    "The tracker's lag in windows (HRTracker lag), in tracker.json, the C "
    "export and the validation scores; 0: causal.",
)
flags.DEFINE_string(
    "unlabelled",
    None,
    "Recordings of the device you deploy to, without a reference: a "
    "ppg_folder (one folder per participant; time_s, ppg and optionally "
    "acc_x, acc_y, acc_z), or name=path for another dataset's layout. The "
    "student also distils on them, labelled by the teacher smoothed over "
    "each recording.",
)
flags.DEFINE_multi_string(
    "set", [], "Recipe overrides, field=value (e.g. teacher_epochs=20)."
)
FLAGS = flags.FLAGS


def _main():
    # Imported here, not above, so that --help answers without TensorFlow.
    from keras_ppg_kd.datasets import (
        load_unlabelled,
        load_windows,
        parse_manual_dir,
    )
    from keras_ppg_kd.deploy import LiteRTModel, bundle, inspect_tflite
    from keras_ppg_kd.tracking.hmm import MAX_LAG
    from keras_ppg_kd.training.generalize import (
        GeneralizingRecipe,
        score,
        train_and_distill,
    )

    start = time.perf_counter()
    out = pathlib.Path(FLAGS.out)
    out.mkdir(parents=True, exist_ok=True)
    recipe = GeneralizingRecipe().override(FLAGS.set)
    if not 0 <= FLAGS.lag <= MAX_LAG:  # before hours of training
        raise app.UsageError(
            f"--lag must be in [0, {MAX_LAG}] windows. Received: {FLAGS.lag}"
        )
    if recipe.spectral_fusion:
        raise app.UsageError(
            "spectral_fusion is not exported to the watch bundle yet (the "
            "plain-C tracker takes the student's logits); evaluate it with "
            "examples/cross_dataset.py."
        )
    windows = load_windows(
        FLAGS.datasets,
        data_dir=FLAGS.data_dir,
        manual_dir=parse_manual_dir(FLAGS.manual_dir),
        config=recipe.window,
    )
    print(
        f"{len(windows)} windows from {len(set(windows.participant))} "
        f"participants of {FLAGS.datasets}; dropped {dict(windows.dropped)}"
    )
    unlabelled = None
    if FLAGS.unlabelled:
        name, _, folder = FLAGS.unlabelled.rpartition("=")
        unlabelled = load_unlabelled(
            folder, name or "ppg_folder", recipe.window
        )
        print(
            f"{len(unlabelled)} unlabelled windows from "
            f"{len(set(unlabelled.participant))} participants of {folder}; "
            f"dropped {dict(unlabelled.dropped)}"
        )
    print("training the teacher, then distilling the student (epoch lines):")
    trained = train_and_distill(
        windows, recipe, seed=FLAGS.seed, verbose=2, unlabelled=unlabelled
    )

    def chosen(who):  # the log counts epochs from 0
        epoch = trained.log.get(f"{who}_epoch")
        return "no epoch chosen" if epoch is None else f"epoch {epoch + 1}"

    print(
        f"trained in {trained.log['wall_s']:.0f} s (teacher: "
        f"{chosen('teacher')}, student: {chosen('student')}); "
        f"{trained.tracker!r}"
    )
    written = bundle(
        trained.student,
        trained.tracker,
        windows,
        out,
        lag=FLAGS.lag,
        teacher=trained.teacher,
        extra={
            "datasets": FLAGS.datasets,
            "windows": len(windows),
            "unlabelled": FLAGS.unlabelled,
            "unlabelled_windows": len(unlabelled) if unlabelled else 0,
            "recipe": json.loads(json.dumps(dataclasses.asdict(recipe))),
            "log": trained.log,
        },
    )
    trained = dataclasses.replace(trained, tracker=written.tracker)
    print(inspect_tflite(written.tflite_path).summary())
    if len(trained.validation):
        int8 = LiteRTModel(written.tflite_path)
        table = score(trained.validation, trained, int8)
        print("held-out validation participants (MAE, BPM):")
        print(table.to_string(index=False, float_format="%.2f"))
        written.add_to_manifest(
            {
                "validation_mae": {
                    column: float(table[column].mean())
                    for column in table.columns
                    if column not in ("recording", "windows")
                }
            }
        )
    print(
        f"wrote {out}/manifest.json; {time.perf_counter() - start:.0f} s in all"
    )


def main(_):
    try:
        _main()
    except (FileNotFoundError, ValueError, app.UsageError) as error:
        sys.exit(f"train_and_deploy.py: error: {error}")


if __name__ == "__main__":
    app.run(main)
