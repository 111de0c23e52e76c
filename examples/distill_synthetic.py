"""Distil a ResNet1D teacher into a 1-block student on the built-in data.

The smallest end-to-end run of the package (a few minutes on a laptop CPU):
synthetic PPG -> participant-independent split -> teacher -> DKD student
(with cached teacher outputs) -> MAE in BPM -> student saved as .keras.
Swap ``load_windows("synthetic_ppg")`` for your own WindowSet (see
``keras_ppg_kd.data.windows_from_signal``) to distil on your data.

Usage: python examples/distill_synthetic.py [--teacher_blocks 6 --epochs 10]
           [--out outputs/distill_synthetic]
"""

import pathlib

from absl import app, flags

flags.DEFINE_integer("teacher_blocks", 6, "Teacher ResNet1D blocks.")
flags.DEFINE_integer("student_blocks", 1, "Student ResNet1D blocks.")
flags.DEFINE_integer("teacher_epochs", 15, "Teacher epochs.")
flags.DEFINE_integer("epochs", 10, "Student epochs.")
flags.DEFINE_integer(
    "batch_size", 32, "Batch size (small batches: more updates per epoch)."
)
flags.DEFINE_string("out", "outputs/distill_synthetic", "Output folder.")
FLAGS = flags.FLAGS


def main(_):
    # Imported here, not above, so that --help answers without TensorFlow;
    # the package first, so that TensorFlow loads through its quiet import.
    import keras_ppg_kd  # noqa: F401

    # isort: split
    import keras

    from keras_ppg_kd import Distiller, HeartRateMAE, ResNet1D
    from keras_ppg_kd.data import train_test_split
    from keras_ppg_kd.datasets import load_windows, to_dataset
    from keras_ppg_kd.losses import DKD
    from keras_ppg_kd.models import trainable_parameters

    keras.utils.set_random_seed(0)
    windows = load_windows("synthetic_ppg")
    print(f"{len(windows)} windows; dropped: {dict(windows.dropped)}")
    train_mask, test_mask = train_test_split(windows, test_fraction=0.2)
    train, test = windows.subset(train_mask), windows.subset(test_mask)
    train_ds = to_dataset(train, FLAGS.batch_size)
    test_ds = to_dataset(test, shuffle=False)
    ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    teacher = ResNet1D(FLAGS.teacher_blocks)
    teacher.compile(keras.optimizers.Adam(5e-4), ce, metrics=[HeartRateMAE()])
    teacher.fit(train_ds, epochs=FLAGS.teacher_epochs, verbose=2)

    scratch = ResNet1D(FLAGS.student_blocks, name="scratch")
    scratch.compile(keras.optimizers.Adam(5e-4), ce, metrics=[HeartRateMAE()])
    scratch.fit(train_ds, epochs=FLAGS.epochs, verbose=0)

    student = ResNet1D(FLAGS.student_blocks, name="student")
    distiller = Distiller(teacher, student, loss=DKD())
    distiller.compile(optimizer=keras.optimizers.Adam(5e-4))
    cached = distiller.cache_teacher(
        train.windows, train.label, batch_size=FLAGS.batch_size
    )
    distiller.fit(
        cached, validation_data=test_ds, epochs=FLAGS.epochs, verbose=2
    )

    for name, model in [("teacher", teacher), ("scratch", scratch)]:
        mae = model.evaluate(test_ds, verbose=0, return_dict=True)["hr_mae"]
        size = trainable_parameters(model)
        print(f"{name:8s} MAE {mae:6.2f} BPM  ({size:,} trainable parameters)")
    mae = distiller.evaluate(test_ds, verbose=0, return_dict=True)["hr_mae"]
    size = trainable_parameters(student)
    print(f"{'DKD':8s} MAE {mae:6.2f} BPM  ({size:,} trainable parameters)")
    out = pathlib.Path(FLAGS.out)
    out.mkdir(parents=True, exist_ok=True)
    student.save(out / "student.keras")
    print(f"student saved to {out / 'student.keras'}")


if __name__ == "__main__":
    app.run(main)
