"""Batches for ``fit`` on every Keras backend.

On TensorFlow the batches are a prefetched ``tf.data.Dataset``; on JAX and
PyTorch a :class:`ArrayBatches` (a ``keras.utils.PyDataset`` over NumPy
arrays), so training needs no TensorFlow there. Both shuffle every epoch,
deterministically from the seed.
"""

import math
from collections.abc import Mapping

import keras
import numpy as np

from keras_ppg_kd import _backend
from keras_ppg_kd.data.transforms import WindowSet


def check_windows(windows, where="windows"):
    """Raise unless ``windows`` hold at least one window, all finite.

    One NaN in a training window makes every weight NaN after the first
    step, with no other sign; :func:`~keras_ppg_kd.data.
    windows_from_recording` drops such windows, counted.

    Args:
        windows: ``(n, length, channels)`` windows.
        where: How to name them in the error.

    Raises:
        ValueError: no window, or windows with NaN/Inf (how many, and the
            first).
    """
    windows = np.asarray(windows)
    if len(windows) == 0:
        raise ValueError(
            f"{where}: no windows to train or evaluate on. Received: "
            f"shape={windows.shape}."
        )
    bad = ~np.isfinite(windows.reshape(len(windows), -1)).all(axis=1)
    if bad.any():
        raise ValueError(
            f"{where}: {int(bad.sum())} of {len(windows)} windows hold NaN "
            f"or Inf (first: window {int(np.argmax(bad))}); drop them first "
            "(windows_from_recording drops and counts such windows)."
        )


class ArrayBatches(keras.utils.PyDataset):
    """Shuffled batches of NumPy arrays (features may be a dict of arrays).

    Args:
        features: An array or a ``{name: array}`` dict, one row per example.
        labels: ``(n,)`` labels.
        batch_size: Batch size.
        shuffle: A new order every epoch (epoch ``e`` uses the generator
            seeded by ``(seed, e)``).
        seed: Shuffle seed.
        drop_remainder: Leave out the last partial batch.
    """

    def __init__(
        self,
        features,
        labels,
        batch_size=128,
        shuffle=True,
        seed=0,
        drop_remainder=False,
    ):
        super().__init__()
        self.features = features
        self.labels = np.asarray(labels)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.seed = seed
        self.drop_remainder = drop_remainder
        self.epoch = 0
        self.order = self._order()

    def _order(self):
        if not self.shuffle:
            return np.arange(len(self.labels))
        rng = np.random.default_rng((self.seed, self.epoch))
        return rng.permutation(len(self.labels))

    def __len__(self):
        rounding = math.floor if self.drop_remainder else math.ceil
        return rounding(len(self.labels) / self.batch_size)

    def __getitem__(self, index):
        rows = self.order[
            index * self.batch_size : (index + 1) * self.batch_size
        ]
        if isinstance(self.features, Mapping):
            x = {key: value[rows] for key, value in self.features.items()}
        else:
            x = self.features[rows]
        return x, self.labels[rows]

    def __iter__(self):  # one epoch; the next iteration reshuffles
        for index in range(len(self)):
            yield self[index]
        self.on_epoch_end()

    def on_epoch_end(self):
        self.epoch += 1
        self.order = self._order()


def batches(
    features,
    labels,
    batch_size=128,
    shuffle=True,
    seed=0,
    drop_remainder=False,
    repeat=False,
) -> "tf.data.Dataset | ArrayBatches":  # noqa: F821 (tf: only named)
    """``(features, labels)`` batches for ``fit``: ``tf.data`` on
    TensorFlow, :class:`ArrayBatches` on other backends (where ``repeat``
    is refused: pass ``steps_per_epoch`` to ``fit`` instead)."""
    if len(labels) == 0:
        raise ValueError("Cannot build a dataset from 0 windows.")
    if not _backend.is_tensorflow():
        if repeat:
            raise ValueError(
                "repeat=True needs tf.data (the TensorFlow backend); on "
                f"{_backend.BACKEND!r} the batches restart every epoch."
            )
        return ArrayBatches(
            features, labels, batch_size, shuffle, seed, drop_remainder
        )
    tf = _backend.require_tensorflow("tf.data pipelines")
    ds = tf.data.Dataset.from_tensor_slices((features, labels))
    if shuffle:
        ds = ds.shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    return ds.batch(batch_size, drop_remainder).prefetch(tf.data.AUTOTUNE)


def to_dataset(
    windows: WindowSet,
    batch_size: int = 128,
    shuffle: bool = True,
    seed: int = 0,
    repeat: bool = False,
    drop_remainder: bool = False,
) -> "tf.data.Dataset | ArrayBatches":  # noqa: F821 (tf: only named)
    """Shuffled, batched ``(window, class)`` pairs of a :class:`WindowSet`.

    Args:
        windows: A :class:`WindowSet` (or a subset of one).
        batch_size: Batch size.
        shuffle: Shuffle every epoch (deterministic from ``seed``).
        seed: Shuffle seed.
        repeat: Repeat indefinitely (TensorFlow backend only).
        drop_remainder: Leave out the last partial batch, so that every
            batch has one shape and the training step is traced once, not
            twice. With shuffling, different windows sit out each epoch.

    Returns:
        A ``tf.data.Dataset`` on the TensorFlow backend, else an
        :class:`ArrayBatches`.
    """
    return batches(
        windows.windows,
        windows.label.astype("int32"),
        batch_size,
        shuffle,
        seed,
        drop_remainder,
        repeat,
    )
