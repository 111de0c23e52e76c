"""One call from dataset names to batched, prefetched tf.data pipelines.

Datasets are found through tfds's registry: any registered builder derived
from :class:`~keras_ppg_kd.datasets.base.WindowedPPGBuilder` works, also
one a user defines in their own code.
"""

import contextlib
import dataclasses
import io
import os
import sys
from collections.abc import Mapping, Sequence

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds
from absl import logging

from keras_ppg_kd import _logs, protocol
from keras_ppg_kd.data.batches import to_dataset  # noqa: F401 (re-exported)
from keras_ppg_kd.data.transforms import WindowSet, windows_from_recording
from keras_ppg_kd.datasets.base import WindowedPPGBuilder
from keras_ppg_kd.protocol import WindowConfig


def parse_manual_dir(text: str | None) -> str | dict[str, str] | None:
    """A ``--manual_dir`` value: one folder, or ``name=path,name=path``.

    Raises:
        ValueError: a ``name=path`` list with an empty name or path.
    """
    if text is None or "=" not in text:
        return text
    pairs = [item.partition("=") for item in text.split(",")]
    if any(not (name and sep and path) for name, sep, path in pairs):
        raise ValueError(
            f"--manual_dir: use PATH or name=path,name=path. Received: {text!r}"
        )
    return {name: path for name, _, path in pairs}


def available() -> list[str]:
    """Names of the registered windowed-PPG datasets."""
    found, stack = set(), [WindowedPPGBuilder]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls is not WindowedPPGBuilder and getattr(cls, "name", ""):
            found.add(cls.name)
    return sorted(found)


def builder(
    name: str, config: WindowConfig | str | None = None, **kwargs
) -> tfds.core.DatasetBuilder:
    """The tfds builder of a windowed-PPG dataset, ``"name[/config]"``.

    Args:
        name: ``"name"``, or ``"name/config"`` naming one of its builder
            configs.
        config: The window protocol: a :class:`WindowConfig` (or a preset
            name, :func:`keras_ppg_kd.protocol.resolve`); the builder's
            config that makes it (:meth:`WindowedPPGBuilder.config_for`,
            from ``name``'s config when it names one). None: ``name``'s
            config, or the builder's default. Another string is the name
            of one of the builder's configs, passed to tfds as it is.
        **kwargs: Passed to ``tfds.builder`` (``data_dir``, ...).

    Raises:
        ValueError: an unknown name (the message lists the known ones), or
            a tfds dataset that is not a windowed-PPG one.
    """
    base, _, given = name.partition("/")
    try:
        cls = tfds.builder_cls(base)
    except tfds.core.registered.DatasetNotFoundError:
        cls = None
    if cls is None or not issubclass(cls, WindowedPPGBuilder):
        raise ValueError(f"Unknown dataset {base!r}. Available: {available()}")
    if config is None:
        return tfds.builder(name, **kwargs)
    if isinstance(config, str) and config not in protocol.PRESETS:
        # One of the builder's own configs by name, as tfds takes it.
        return tfds.builder(base, config=config, **kwargs)
    return tfds.builder(
        base, config=cls.config_for(config, given or None), **kwargs
    )


def load_windows(
    names: str | Sequence[str] = "synthetic_ppg",
    data_dir: str | None = None,
    manual_dir: str | Mapping[str, str] | None = None,
    config: WindowConfig | str | None = None,
) -> WindowSet:
    """Prepare (once) and read one or more datasets into a WindowSet.

    Args:
        names: A dataset name or a list of them (any registered builder;
            :func:`available` lists them). ``"synthetic_ppg/large"`` picks
            a config.
        data_dir: Where tfds keeps prepared data (tfds default if None).
        manual_dir: Raw downloads, a path or ``{name: path}``; by default
            ``$PPG_DATA_DIR/<name>`` when that variable is set.
        config: The window protocol, a :class:`WindowConfig` (a preset
            name such as ``"cancel_motion"`` is accepted too): each
            builder's config that makes it (:func:`builder`). None: the
            config ``name/config`` gives, or the builder's default.

    Returns:
        A :class:`WindowSet` with every window, and the windows each
        builder dropped (per reason) in ``.dropped``.

    Raises:
        FileNotFoundError: a dataset's manual folder is missing or empty
            (one line naming it).
    """
    names = [names] if isinstance(names, str) else list(names)
    parts = []
    for full_name in names:
        name = full_name.partition("/")[0]
        with _one_preparer(builder(full_name, config, data_dir=data_dir)):
            # Built again once no other process prepares these windows, so
            # it sees what that process left.
            found = builder(full_name, config, data_dir=data_dir)
            _prepare(found, name, manual_dir)
        data = tfds.as_numpy(found.as_dataset(split="train", batch_size=-1))
        order = np.lexsort((data["start_time"], data["participant"]))
        windows = WindowSet(
            windows=data["window"][order],
            start_times=data["start_time"][order],
            hr_bpm=data["hr_bpm"][order],
            label=data["label"][order].astype("int32"),
            participant=_text(data["participant"][order]),
            dataset=_text(data["dataset"][order]),
            activity=_text(data["activity"][order]),
            config=found.builder_config.window,
        )
        windows.dropped.update(found.info.metadata.get("dropped_windows", {}))
        parts.append(windows)
    return WindowSet.concatenate(parts)


@contextlib.contextmanager
def _one_preparer(found):
    """Hold the lock of ``found``'s prepared windows while in the block.

    Two processes that prepare one dataset config at once (two workers of
    a study, two terminals) would both write it, and the second to finish
    would fail renaming its copy over the first. The lock (``flock``, on
    a ``.lock`` file beside the version folders) makes the later one wait
    and then reuse the windows; the system releases it when its holder
    exits, killed or not.
    """
    try:
        import fcntl
    except ImportError:  # no flock (Windows): no lock; prepare in one process
        yield
        return
    folder = os.path.dirname(os.fspath(found.data_dir))
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, ".lock"), "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(
                f"{found.name}: another process is preparing {folder}; "
                "waiting for it",
                file=sys.stderr,
            )
            fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _prepare(found, name, manual_dir):
    """Prepare ``found`` (once) from its manual folder, or say what is
    missing in one line."""
    manual = (
        manual_dir.get(name) if isinstance(manual_dir, dict) else manual_dir
    )
    if manual is None and os.environ.get("PPG_DATA_DIR"):
        manual = os.path.join(os.environ["PPG_DATA_DIR"], name)
    try:
        # tfds prints "Downloading and preparing dataset Unknown size"
        # for local files; one line of ours says what happened instead.
        # tfds's bars only on a terminal (in a log: ESC[A escapes).
        with (
            contextlib.redirect_stdout(io.StringIO()) as said,
            _logs.tfds_progress_on_terminal(),
        ):
            found.download_and_prepare(
                download_config=tfds.download.DownloadConfig(manual_dir=manual)
            )
        if "prepared" in said.getvalue():
            print(
                f"{name}: windows prepared once in {found.data_dir} "
                "(later runs reuse them)",
                file=sys.stderr,
            )
    except AssertionError as error:  # tfds's word for a missing folder
        if "Manual directory" not in str(error):
            raise
        where = manual or "the default manual folder"
        raise FileNotFoundError(
            f"{name}: no raw files in {where} (missing or empty); pass "
            f"the folder with the downloaded data as manual_dir (CLI: "
            f"--manual_dir={name}=PATH). Layout and source: "
            f"{found.HOMEPAGE or 'the builder README'}"
        ) from None


def _text(values):
    """tfds string features (UTF-8 bytes) as an object array of str
    (``astype(str)`` decodes as ASCII and fails on "José")."""
    return np.array(
        [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in values],
        dtype=object,
    )


def load_unlabelled(
    manual_dir: str,
    name: str = "ppg_folder",
    config: WindowConfig | str | None = None,
    participants: Sequence[str] | None = None,
) -> WindowSet:
    """Windows of recordings without a reference (e.g. a new device's).

    The recordings are read as ``name``'s builder reads them, without their
    reference: a ``ppg_folder`` file needs only ``time_s`` and ``ppg``
    (``acc_x``, ``acc_y``, ``acc_z`` optional) and an ``hr_bpm`` or ``ecg``
    column in it is never read; other datasets drop theirs as soon as a
    recording is read. Nothing is prepared or cached. A recording without
    an accelerometer, under a protocol that cleans the PPG with one, is
    read as a still wrist (a zero accelerometer leaves its windows as they
    are), and each such recording is logged.

    Args:
        manual_dir: The folder of raw files (``ppg_folder``: one folder per
            participant).
        name: The layout: any registered builder (:func:`available`).
        config: The window protocol, a :class:`WindowConfig` (or a preset
            name); the builder's default when None.
        participants: Keep only these participants (None: all).

    Returns:
        A :class:`WindowSet` whose ``hr_bpm`` is NaN and ``label`` -1, with
        the windows dropped per reason (flat, clipped, gaps) in
        ``.dropped``.

    Raises:
        FileNotFoundError: no recording in ``manual_dir``.
        ValueError: an unknown ``name`` or ``config``, or a bad file (the
            message names it).
    """
    found = builder(name, config)
    window = found.builder_config.window
    if not os.path.isdir(manual_dir):
        raise FileNotFoundError(
            f"Unlabelled recordings: {manual_dir!r} is not a folder; give "
            f"the folder of {name} recordings."
        )
    sources = found._sources(_Manual(manual_dir))
    parts, still = [], []
    for source in sources:
        recording = found.read_unlabelled(source)
        if participants is not None and (
            recording.participant not in participants
        ):
            continue
        if recording.acc is None and window.needs_accelerometer:
            still.append(recording.source or recording.participant)
            recording = dataclasses.replace(
                recording, acc=np.zeros((len(recording.ppg), 3))
            )
        parts.append(windows_from_recording(recording, window, False))
    if not parts:
        raise FileNotFoundError(
            f"No unlabelled recording of participants {participants} in "
            f"{manual_dir} ({len(sources)} sources found)."
        )
    if still:
        logging.warning(
            "%d unlabelled recording(s) have no accelerometer and are read "
            "as a still wrist: %s",
            len(still),
            ", ".join(map(str, still)),
        )
    return WindowSet.concatenate(parts)


@dataclasses.dataclass(frozen=True)
class _Manual:
    """What a builder's ``_sources`` reads of tfds's download manager."""

    manual_dir: str


def load(
    names: str | Sequence[str] = "synthetic_ppg",
    mask: np.ndarray | None = None,
    batch_size: int = 128,
    shuffle: bool = True,
    seed: int = 0,
    **kwargs,
) -> tf.data.Dataset:
    """Datasets by name -> batched, prefetched ``(window, class)`` pipeline.

    Args:
        names: Dataset name(s), see :func:`load_windows`.
        mask: Optional boolean mask selecting windows (e.g. a split from
            :mod:`keras_ppg_kd.data.splits`, computed on the same names).
        batch_size: Batch size.
        shuffle: Shuffle each epoch.
        seed: Shuffle seed.
        **kwargs: Passed to :func:`load_windows`.

    Example:
    >>> ds = load("synthetic_ppg", batch_size=128)
    """
    windows = load_windows(names, **kwargs)
    if mask is not None:
        windows = windows.subset(mask)
    return to_dataset(
        windows, batch_size=batch_size, shuffle=shuffle, seed=seed
    )
