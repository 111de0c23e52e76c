"""Run one Distiller step per strategy on the backend of ``KERAS_BACKEND``.

Used by ``tests/test_backends.py``, once per installed backend, in its own
process (a process has one Keras backend)::

    KERAS_BACKEND=jax python tests/backend_probe.py step DIR OUT.npz
    KERAS_BACKEND=jax python tests/backend_probe.py train DIR OUT.npz

``step``: ``DIR`` holds ``teacher.keras``, ``student.keras`` and
``batch.npz`` (windows ``x``, labels ``y`` and the feature adapter's
weights). For each strategy the probe loads both models, records the
student's logits, takes one SGD step with learning rate 1 (so the weight
change is minus the gradient) and writes the loss terms and the change of
every trainable student weight.

``train``: a few epochs of DKD from the shipped teacher on synthetic
windows; writes the student's test MAE per seed.
"""

import sys

import keras
import numpy as np

import keras_ppg_kd  # noqa: F401  (registers the model classes)
from keras_ppg_kd import Distiller, pretrained
from keras_ppg_kd.data import (
    SyntheticConfig,
    generate_recording,
    windows_from_recording,
)
from keras_ppg_kd.models import ResNet1D

STRATEGIES = ("hard", "soft", "dkd", "feature")
TRAIN_SEEDS = (0, 1)


def step(folder, out):
    batch = np.load(f"{folder}/batch.npz")
    x, y = batch["x"], batch["y"]
    results = {}
    for strategy in STRATEGIES:
        teacher = keras.saving.load_model(f"{folder}/teacher.keras")
        student = keras.saving.load_model(f"{folder}/student.keras")
        results[f"logits/{strategy}"] = keras.ops.convert_to_numpy(
            student(x, training=False)
        )
        distiller = Distiller(teacher, student, loss=strategy, label_sigma=2.0)
        for adapter in distiller.adapters:
            if adapter is not None:
                count = len(adapter.weights)
                adapter.set_weights(
                    [batch[f"adapter_{i}"] for i in range(count)]
                )
        distiller.compile(optimizer=keras.optimizers.SGD(1.0))
        before = [w.numpy() for w in student.trainable_weights]
        logs = distiller.train_on_batch(x, y, return_dict=True)
        for key in ("loss", "ce_loss", "kd_loss"):
            results[f"{key}/{strategy}"] = np.float64(logs[key])
        for index, weight in enumerate(student.trainable_weights):
            results[f"delta/{strategy}/{index}"] = (
                keras.ops.convert_to_numpy(weight) - before[index]
            )
    np.savez(out, **results)


def _windows(seed, participants):
    config = SyntheticConfig(
        num_participants=participants, minutes=2, seed=seed
    )
    sets = [
        windows_from_recording(generate_recording(p, config))
        for p in range(participants)
    ]
    x = np.concatenate([s.windows for s in sets])
    y = np.concatenate([s.label for s in sets]).astype("int32")
    return x, y


def train(out):
    x, y = _windows(seed=101, participants=6)
    test_x, test_y = _windows(seed=202, participants=3)
    maes = []
    for seed in TRAIN_SEEDS:
        keras.utils.set_random_seed(seed)
        teacher = pretrained.load("synthetic_resnet6")
        student = ResNet1D(1, dropout=0.1)
        distiller = Distiller(teacher, student, loss="dkd", label_sigma=2.0)
        distiller.compile(optimizer=keras.optimizers.Adam(5e-3))
        distiller.fit(x, y, batch_size=32, epochs=3, verbose=0)
        logits = keras.ops.convert_to_numpy(student.predict(test_x, verbose=0))
        maes.append(float(np.mean(np.abs(np.argmax(logits, -1) - test_y))))
    np.savez(out, mae=np.array(maes))


if __name__ == "__main__":
    mode, *paths = sys.argv[1:]
    if mode == "step":
        step(*paths)
    else:
        train(paths[-1])
