r"""Leave-one-participant-out on the real IEEE SPC 2015 recordings.

For each of the twelve participants, the generalizing recipe
(:mod:`keras_ppg_kd.training.generalize`) trains on the other eleven (two of
them held out for model selection and tracker calibration): a ResNet1D
teacher pre-trained on synthetic data, a DKD student (TCN(5) by default;
``--set student=resnet:1`` for the study's 1-block ResNet), its int8
LiteRT file and the causal tracker. Prints per-participant MAE (BPM,
against the ECG-derived ``BPM0``) of the spectral peak, teacher, student,
int8 student, int8 + causal tracker and int8 + offline smoothing.

``--set`` changes recipe fields for an ablation, e.g.
``--set label_sigma=0 --set augmentation.stretch_prob=0``; ``--folds``
below 12 groups participants into folds.

Usage: python examples/spc2015_cross_validation.py \
    --spc_dir ../shared/data/ieee_spc2015 [--folds 12] [--out loso.csv]
"""

import pathlib
import sys
import tempfile
import time

# First, so that TensorFlow loads through the package's quiet import.
import keras_ppg_kd  # noqa: F401

# isort: split
import keras
import numpy as np
import pandas as pd
from absl import app, flags

from keras_ppg_kd.data import k_fold
from keras_ppg_kd.datasets import load_windows
from keras_ppg_kd.deploy import LiteRTModel, export_tflite
from keras_ppg_kd.heart_rate import logits_to_bpm
from keras_ppg_kd.training.generalize import (
    GeneralizingRecipe,
    pretrain_teacher,
    score,
    synthetic_windows,
    train_and_distill,
)

flags.DEFINE_string(
    "spc_dir", "../shared/data/ieee_spc2015", "Folder with Training_data/."
)
flags.DEFINE_integer("folds", 12, "Folds by participant (12 = LOSO).")
flags.DEFINE_multi_string("set", [], "Recipe overrides, field=value.")
flags.DEFINE_string("data_dir", None, "tfds data directory.")
flags.DEFINE_string("out", None, "Write the per-participant table (CSV).")
FLAGS = flags.FLAGS


def main(_):
    start = time.perf_counter()
    if not (pathlib.Path(FLAGS.spc_dir) / "Training_data").is_dir():
        sys.exit(
            f"spc2015_cross_validation.py: error: no IEEE SPC 2015 "
            f"recordings in {FLAGS.spc_dir} (Training_data/ missing); "
            "download them (docs/data.md) and pass --spc_dir"
        )
    try:
        recipe = GeneralizingRecipe().override(FLAGS.set)
    except ValueError as error:  # a wrong --set: one line
        sys.exit(f"spc2015_cross_validation.py: error: {error}")
    print(recipe)
    real = load_windows(
        "ieee_spc2015",
        data_dir=FLAGS.data_dir,
        manual_dir=FLAGS.spc_dir,
        config=recipe.window,
    )
    synthetic = synthetic_windows(recipe)
    pretrained = zero_shot = None
    if recipe.pretrained_teacher or synthetic is not None:
        teacher = pretrain_teacher(recipe, synthetic)
        pretrained = teacher.get_weights()
        # The synthetic-only teacher has seen no participant: a zero-shot
        # column beside the fine-tuned models.
        logits = teacher.predict(real.windows, batch_size=512, verbose=0)
        zero_shot = np.asarray(logits_to_bpm(logits))
        print(
            f"pre-trained teacher ready ({time.perf_counter() - start:.0f} s)"
        )
    tables = []
    with tempfile.TemporaryDirectory() as tmp:
        for fold, (train_mask, test_mask) in enumerate(
            k_fold(real, FLAGS.folds, seed=0)
        ):
            train, test = real.subset(train_mask), real.subset(test_mask)
            trained = train_and_distill(
                train, recipe, synthetic, pretrained, seed=fold
            )
            path = export_tflite(
                trained.student,
                f"{tmp}/fold{fold}.tflite",
                "int8",
                representative_data=train.windows,
                protocol=train.config,
            )
            extra = {} if zero_shot is None else {"synthetic_only": zero_shot}
            table = score(
                test,
                trained,
                LiteRTModel(path),
                {k: v[test_mask] for k, v in extra.items()},
            )
            table.insert(0, "fold", fold)
            tables.append(table)
            print(
                table.to_string(
                    index=False, header=fold == 0, float_format="%.2f"
                ),
                f"({time.perf_counter() - start:.0f} s)",
                flush=True,
            )
            keras.backend.clear_session()
    table = pd.concat(tables).sort_values("recording")
    if FLAGS.out:
        table.to_csv(FLAGS.out, index=False)
    columns = [c for c in table.columns if c not in ("fold", "recording")]
    columns.remove("windows")
    means = table[columns].mean()
    print(table.to_string(index=False, float_format="%.2f"))
    print(
        "mean per-participant MAE (BPM): "
        + ", ".join(f"{c} {means[c]:.2f}" for c in columns)
        + f"; median int8+tracker {np.median(table['int8+tracker']):.2f}; "
        f"{time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    app.run(main)
