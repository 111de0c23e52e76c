"""Train the teacher that ships in the package, on synthetic data only.

Writes ``keras_ppg_kd/pretrained/<name>.keras`` and its model card
(``<name>.json``: data, recipe and the MAE it reaches on the real SPC 2015
recordings, which it never saw). ``GeneralizingRecipe`` starts from it, so
``examples/train_and_deploy.py`` does not spend minutes pre-training.

Usage: python examples/pretrain_synthetic_teacher.py \
    [--spc_dir ../shared/data/ieee_spc2015] [--out keras_ppg_kd/pretrained]
"""

import dataclasses
import json
import pathlib
import time

import keras
import numpy as np
from absl import app, flags

from keras_ppg_kd.data import load_windows
from keras_ppg_kd.data.augment import Augmentation, augmented_dataset
from keras_ppg_kd.data.synthetic import SyntheticConfig
from keras_ppg_kd.heart_rate import logits_to_bpm
from keras_ppg_kd.losses import HeartRateCrossEntropy
from keras_ppg_kd.models import ResNet1D
from keras_ppg_kd.study.generalize import (
    GeneralizingRecipe,
    score,
    synthetic_windows,
)

flags.DEFINE_string(
    "spc_dir", "../shared/data/ieee_spc2015", "SPC 2015 (scored, not trained)."
)
flags.DEFINE_string("out", "keras_ppg_kd/pretrained", "Output folder.")
flags.DEFINE_integer("participants", 24, "Synthetic participants.")
flags.DEFINE_integer("epochs", 30, "Epochs (cosine learning-rate decay).")
flags.DEFINE_integer("blocks", 6, "Teacher ResNet1D blocks.")
FLAGS = flags.FLAGS


def main(_):
    start = time.perf_counter()
    recipe = GeneralizingRecipe(synthetic_participants=FLAGS.participants)
    synthetic = synthetic_windows(recipe)
    keras.utils.set_random_seed(0)
    steps = FLAGS.epochs * int(np.ceil(len(synthetic) / recipe.batch_size))
    teacher = ResNet1D(FLAGS.blocks)
    teacher.compile(
        keras.optimizers.Adam(
            keras.optimizers.schedules.CosineDecay(1e-3, steps)
        ),
        HeartRateCrossEntropy(recipe.label_sigma),
    )
    augmentation = Augmentation()
    teacher.fit(
        augmented_dataset(synthetic, augmentation, recipe.batch_size),
        epochs=FLAGS.epochs,
        verbose=2,
    )
    out = pathlib.Path(FLAGS.out)
    name = f"synthetic_resnet{FLAGS.blocks}"
    shipped = ResNet1D(FLAGS.blocks)  # uncompiled: no optimizer state
    shipped.set_weights(teacher.get_weights())
    shipped.save(out / f"{name}.keras")
    card = {
        "model": f"ResNet1D({FLAGS.blocks})",
        "params": int(teacher.count_params()),
        "data": {
            "generator": "keras_ppg_kd.data.synthetic",
            "config": dataclasses.asdict(
                SyntheticConfig(
                    num_participants=FLAGS.participants,
                    minutes=recipe.synthetic_minutes,
                    seed=recipe.synthetic_seed,
                )
            ),
            "windows": len(synthetic),
        },
        "recipe": {
            "epochs": FLAGS.epochs,
            "batch_size": recipe.batch_size,
            "optimizer": "Adam, cosine decay from 1e-3",
            "label_sigma": recipe.label_sigma,
            "augmentation": dataclasses.asdict(augmentation),
        },
        "train_seconds": round(time.perf_counter() - start),
    }
    spc = pathlib.Path(FLAGS.spc_dir)
    if (spc / "Training_data").is_dir():
        real = load_windows("ieee_spc2015", manual_dir=str(spc))
        logits = teacher.predict(real.windows, batch_size=512, verbose=0)
        table = score(
            real, extra={"teacher": np.asarray(logits_to_bpm(logits))}
        )
        card["unseen_ieee_spc2015_mae"] = {
            "teacher": float(table["teacher"].mean()),
            "spectral_peak": float(table["spectral_peak"].mean()),
            "note": "mean per-recording MAE (BPM) on the 12 real SPC 2015 "
            "training recordings, none of which the teacher saw",
        }
    (out / f"{name}.json").write_text(json.dumps(card, indent=2) + "\n")
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    app.run(main)
