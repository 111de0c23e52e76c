r"""Train the models that ship in the package, on synthetic data only.

``--model teacher``: a ResNet1D (``--blocks``, 6 as shipped) trained with
cross-entropy on ordinal soft targets. ``--model student``: a student
(``--student tcns:5``, ``tcn:5`` or ``resnet:1``) distilled with DKD from
the shipped teacher. Both see only the built-in synthetic data, augmented
(:mod:`keras_ppg_kd.data.augment`), for a fixed cosine schedule.

Writes ``<out>/synthetic_<family><size>.keras`` and its model card
(``.json``: data, recipe and the MAE on the real SPC 2015 recordings, which
the model never saw, when ``--spc_dir`` holds them). ``GeneralizingRecipe``
starts from the shipped ones, so ``examples/train_and_deploy.py`` spends
its minutes on the user's data; ``--out keras_ppg_kd/pretrained`` replaces
them.

Usage: python examples/pretrain_synthetic.py --model teacher
       python examples/pretrain_synthetic.py --model student --student tcns:5
       python examples/pretrain_synthetic.py --model teacher --blocks 2 \
           --out docs/results/scaling_teachers/teachers
"""

import dataclasses
import json
import pathlib
import sys
import time

import numpy as np
from absl import app, flags

flags.DEFINE_enum("model", "teacher", ["teacher", "student"], "What to train.")
flags.DEFINE_string("student", "resnet:1", "Student, '<family>:<size>'.")
flags.DEFINE_integer(
    "blocks", None, "Teacher: ResNet1D blocks (default: the recipe's, 6)."
)
flags.DEFINE_string(
    "spc_dir", "../shared/data/ieee_spc2015", "SPC 2015 (scored, not trained)."
)
flags.DEFINE_string(
    "out",
    "pretrained_out",
    "Output folder (keras_ppg_kd/pretrained replaces the shipped models).",
)
flags.DEFINE_integer("participants", 24, "Synthetic participants.")
flags.DEFINE_integer("epochs", 30, "Epochs (cosine learning-rate decay).")
FLAGS = flags.FLAGS


def main(_):
    # Imported here, not above, so that --help answers without TensorFlow;
    # the package first, so that TensorFlow loads through its quiet import.
    import keras_ppg_kd  # noqa: F401

    # isort: split
    import keras

    from keras_ppg_kd import Distiller, models, pretrained
    from keras_ppg_kd.data.augment import augmented_dataset
    from keras_ppg_kd.data.synthetic import SyntheticConfig
    from keras_ppg_kd.datasets import load_windows
    from keras_ppg_kd.heart_rate import logits_to_bpm
    from keras_ppg_kd.losses import DKD, HeartRateCrossEntropy
    from keras_ppg_kd.training.generalize import (
        GeneralizingRecipe,
        score,
        synthetic_windows,
    )

    start = time.perf_counter()
    spc = pathlib.Path(FLAGS.spc_dir)
    if not (spc / "Training_data").is_dir():
        print(
            f"pretrain_synthetic.py: no SPC 2015 recordings in {spc} "
            "(Training_data/): the card gets no real-data MAE",
            file=sys.stderr,
        )
    # The shipped models take plain PPG windows (their protocol); the
    # recipe cancels motion when it fine-tunes them.
    recipe = GeneralizingRecipe(
        synthetic_participants=FLAGS.participants, cancel_motion=False
    )
    synthetic = synthetic_windows(recipe)
    keras.utils.set_random_seed(0)
    steps = FLAGS.epochs * int(np.ceil(len(synthetic) / recipe.batch_size))
    optimizer = keras.optimizers.Adam(
        keras.optimizers.schedules.CosineDecay(1e-3, steps)
    )
    identifier = f"resnet:{FLAGS.blocks or recipe.teacher_blocks}"
    if FLAGS.model == "teacher":
        model = trainer = models.get(identifier)
        trainer.compile(optimizer, HeartRateCrossEntropy(recipe.label_sigma))
        how = "cross-entropy on ordinal soft targets"
    else:
        identifier = FLAGS.student
        model = models.get(identifier)
        trainer = Distiller(
            pretrained.load(recipe.pretrained_teacher),
            model,
            loss=DKD(),
            label_sigma=recipe.label_sigma,
        )
        trainer.compile(optimizer)
        how = f"DKD (alpha 1, beta 8, T 2) from {recipe.pretrained_teacher}"
    trainer.fit(
        augmented_dataset(synthetic, recipe.augmentation, recipe.batch_size),
        epochs=FLAGS.epochs,
        verbose=2,
    )
    name = pretrained.student_name(identifier)
    out = pathlib.Path(FLAGS.out)
    out.mkdir(parents=True, exist_ok=True)
    shipped = models.get(identifier)  # uncompiled: no optimizer state
    shipped.set_weights(model.get_weights())
    shipped.save(out / f"{name}.keras")
    card = {
        "model": identifier,
        **pretrained.card_fields(shipped, out / f"{name}.keras"),
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
            "loss": how,
            "epochs": FLAGS.epochs,
            "batch_size": recipe.batch_size,
            "optimizer": "Adam, cosine decay from 1e-3",
            "label_sigma": recipe.label_sigma,
            "augmentation": dataclasses.asdict(recipe.augmentation),
        },
        "train_seconds": round(time.perf_counter() - start),
    }
    if (spc / "Training_data").is_dir():
        real = load_windows("ieee_spc2015", manual_dir=str(spc))
        logits = shipped.predict(real.windows, batch_size=512, verbose=0)
        bpm = np.asarray(logits_to_bpm(logits))
        table = score(real, extra={"model": bpm})
        card["unseen_ieee_spc2015_mae"] = {
            "model": float(table["model"].mean()),
            "spectral_peak": float(table["spectral_peak"].mean()),
            "note": "mean per-recording MAE (BPM) on the 12 real SPC 2015 "
            "training recordings, none of which the model saw",
        }
    (out / f"{name}.json").write_text(json.dumps(card, indent=2) + "\n")
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    app.run(main)
