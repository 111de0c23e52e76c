r"""Leave-one-activity-out on synthetic data: can the models meet a new motion?

Trains the generalizing recipe (:mod:`keras_ppg_kd.training.generalize`),
from scratch (the shipped models saw every activity), on synthetic
participants whose sessions never contain the held-out activities (they
are removed from the generator's schedule), then scores
other synthetic participants on windows of those activities only: the
spectral peak, teacher, student, int8 student and int8 + causal tracker.

Usage: python examples/leave_one_activity_out.py \
    [--hold_out arm_motion,boxing] [--participants 16]
"""

import tempfile
import time

import numpy as np
from absl import app, flags

flags.DEFINE_list(
    "hold_out", ["arm_motion", "boxing"], "Activities never seen in training."
)
flags.DEFINE_integer("participants", 16, "Training participants.")
flags.DEFINE_integer("test_participants", 6, "Test participants.")
FLAGS = flags.FLAGS


def main(_):
    # Imported here, not above, so that --help answers without TensorFlow.
    from keras_ppg_kd.data import SyntheticConfig
    from keras_ppg_kd.deploy import LiteRTModel, export_tflite
    from keras_ppg_kd.training.generalize import (
        GeneralizingRecipe,
        score,
        synthetic_windows,
        train_and_distill,
    )

    start = time.perf_counter()
    known = {name for name, _ in SyntheticConfig.activity_weights}
    unknown = set(FLAGS.hold_out) - known
    if unknown:
        raise app.UsageError(
            f"Unknown activities {sorted(unknown)}; choose from {sorted(known)}"
        )
    recipe = GeneralizingRecipe(
        synthetic_participants=FLAGS.participants, mix_fraction=0.0
    )
    train = synthetic_windows(recipe, exclude_activities=FLAGS.hold_out)
    test_recipe = recipe.replace(
        synthetic_participants=FLAGS.test_participants, synthetic_seed=99
    )
    test = synthetic_windows(test_recipe)
    test = test.subset(np.isin(test.activity, FLAGS.hold_out))
    print(
        f"train: {len(train)} windows without {FLAGS.hold_out}; test: "
        f"{len(test)} windows of them from {FLAGS.test_participants} other "
        "participants"
    )
    # The training windows are synthetic already: no separate pre-training.
    trained = train_and_distill(train, recipe.replace(synthetic_participants=0))
    with tempfile.TemporaryDirectory() as tmp:
        path = export_tflite(
            trained.student,
            f"{tmp}/student.tflite",
            "int8",
            representative_data=train.windows,
            protocol=train.config,
        )
        table = score(test, trained, LiteRTModel(path))
    columns = [c for c in table.columns if c not in ("recording", "windows")]
    print(table.to_string(index=False, float_format="%.2f"))
    print(
        f"held-out activities {FLAGS.hold_out}, mean per-participant MAE "
        "(BPM): "
        + ", ".join(f"{c} {table[c].mean():.2f}" for c in columns)
        + f"; {time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    app.run(main)
