"""The shared tensorflow-datasets builder for windowed PPG datasets.

A dataset's builder only finds its raw sources and reads each into a
:class:`~keras_ppg_kd.data.transforms.Recording`; windowing, labelling and
dropping are the pure transforms'. Windows dropped while preparing are
counted per reason in ``builder.info.metadata["dropped_windows"]``.

Prepared data records what it was made from (``metadata["source"]``: the
manual folder and a digest of its files' paths, sizes and modification
times). Preparing again from a folder that differs (edited files, or
another folder) rebuilds the data and says so, instead of returning the
old windows.
"""

import collections
import dataclasses
import hashlib
import json
import os
import pathlib

import numpy as np
import tensorflow_datasets as tfds
from absl import logging

from keras_ppg_kd import protocol
from keras_ppg_kd.data.transforms import windows_from_recording
from keras_ppg_kd.protocol import WindowConfig

# The real-recording builders' history: their readers and the shared
# windowing changed together.
RECORDING_RELEASE_NOTES = {
    "1.0.0": "Initial release.",
    "1.1.0": "Re-prepared with the current reader and windowing: the raw "
    "accelerometer on the PPG clock (Recording.acc), the ppg_acc config "
    "(200 x 4 windows), the protocol stored with the windows.",
    "1.2.0": "Re-prepared with the current motion cancellation (the "
    "cancel_motion configs): unit-energy accelerometer axes and a "
    "float32-safe ridge, so that a still axis leaves the windows as they "
    "are.",
}

# Reasons a reader flags samples unusable (keys of Recording.invalid).
GAP_FILL = "gap_fill"
INVALID_RANGE = "invalid_range"
STATUS_FLAG = "status_flag"
# Readers that join a participant's recordings put this much flagged pause
# between them, so that no window spans two recordings.
BETWEEN_RECORDINGS = "between_recordings"
PAUSE_SECONDS = 60.0


@dataclasses.dataclass
class PPGBuilderConfig(tfds.core.BuilderConfig):
    """A windowing protocol as a tfds builder config."""

    window: WindowConfig = WindowConfig()

    @classmethod
    def for_window(cls, window, description=None, **fields):
        """The builder config of ``window`` (a :class:`WindowConfig` or a
        preset name): named after its preset (``"cancel_motion"``), or
        ``"window_<digest>"`` for another protocol.

        Args:
            window: The protocol (:func:`keras_ppg_kd.protocol.resolve`).
            description: The config's description (default: its preset's,
                or the protocol itself).
            **fields: Other fields of the config (``name`` overrides the
                derived one).
        """
        window = protocol.resolve(window)
        name = protocol.preset_name(window) or _digest_name(window)
        if description is None:
            description = _DESCRIPTIONS.get(name, repr(window))
        fields.setdefault("name", name)
        return cls(description=description, window=window, **fields)


def _same_source(a, b):
    """Whether two builder configs differ in their protocol alone (their
    own fields beyond tfds's and the window are equal)."""
    shared = {f.name for f in dataclasses.fields(tfds.core.BuilderConfig)}
    own = [
        f.name
        for f in dataclasses.fields(a)
        if f.name not in shared and f.name != "window"
    ]
    return type(a) is type(b) and all(
        getattr(a, name) == getattr(b, name) for name in own
    )


def _digest_name(window):
    """A config name for a protocol that is no preset: its digest."""
    text = json.dumps(window.get_config(), sort_keys=True)
    return "window_" + hashlib.sha256(text.encode()).hexdigest()[:10]


_DESCRIPTIONS = {
    "default": "8 s windows every 2 s at 25 Hz, band-pass 0.5-4 Hz.",
    "ppg_acc": "As default, with the 3-axis accelerometer as channels "
    "1-3 (window shape (200, 4)).",
    "cancel_motion": "As default, with the part of the PPG that the "
    "accelerometer explains removed in each window (WindowConfig."
    "cancel_motion; window shape (200, 1)).",
    "cancel_motion_acc": "As cancel_motion, with the 3-axis accelerometer as "
    "channels 1-3 (window shape (200, 4)).",
}

# One config per preset protocol, in the presets' order ("default" first:
# tfds's default config).
DEFAULT_CONFIGS = [
    PPGBuilderConfig.for_window(window) for window in protocol.PRESETS.values()
]


class WindowedPPGBuilder(
    tfds.core.GeneratorBasedBuilder, skip_registration=True
):
    """Base builder: subclasses define ``_sources`` and ``_read``.

    Not registered with tfds itself; each subclass is, under its ``name``.
    """

    BUILDER_CONFIGS = DEFAULT_CONFIGS
    HOMEPAGE = ""

    @classmethod
    def config_for(cls, window, base=None):
        """The builder config that makes ``window``'s windows.

        Args:
            window: A :class:`WindowConfig`, or a preset name
                (:func:`keras_ppg_kd.protocol.resolve`).
            base: The name of one of this builder's configs to start from
                (a dataset config such as ``synthetic_ppg``'s ``"large"``);
                default: the first config of that protocol, else the
                first config.

        Returns:
            One of ``BUILDER_CONFIGS`` when one makes these windows (the
            data prepared for it is reused); otherwise a config derived
            from ``base`` with this protocol, named after it.

        Raises:
            ValueError: an unknown ``base``, or a ``window`` that is
                neither a WindowConfig nor a preset name.
        """
        window = protocol.resolve(window)
        configs = {config.name: config for config in cls.BUILDER_CONFIGS}
        if base is not None and base not in configs:
            raise ValueError(
                f"{cls.name}: no builder config {base!r}. Available: "
                f"{sorted(configs)}"
            )
        start = configs[base] if base else cls.BUILDER_CONFIGS[0]
        for config in cls.BUILDER_CONFIGS:
            if config.window == window and (
                base is None or _same_source(config, start)
            ):
                return config
        derived = type(start).for_window(window)
        name = derived.name
        if start.name != protocol.preset_name(start.window):
            name = f"{start.name}_{name}"  # e.g. large_cancel_motion
        return dataclasses.replace(
            start, name=name, description=derived.description, window=window
        )

    def _info(self):
        length = self.builder_config.window.window_length
        classes = self.builder_config.window.classes
        return self.dataset_info_from_configs(
            features=tfds.features.FeaturesDict(
                {
                    "window": tfds.features.Tensor(
                        shape=(length, self.builder_config.window.channels),
                        dtype=np.float32,
                    ),
                    "label": tfds.features.ClassLabel(
                        num_classes=classes.num_classes
                    ),
                    "hr_bpm": np.float32,
                    "participant": tfds.features.Text(),
                    "dataset": tfds.features.Text(),
                    "start_time": np.float32,
                    "activity": tfds.features.Text(),
                }
            ),
            supervised_keys=("window", "label"),
            homepage=self.HOMEPAGE,
            metadata=tfds.core.MetadataDict(),
        )

    def download_and_prepare(self, *, download_config=None, **kwargs):
        """As tfds's; rebuilds data prepared from other manual files."""
        download_config = download_config or tfds.download.DownloadConfig()
        manual = download_config.manual_dir
        if manual and self.MANUAL_DOWNLOAD_INSTRUCTIONS and self.is_prepared():
            before = self.info.metadata.get("source") or {}
            now = source_fingerprint(manual)
            if not now["files"]:
                # Before tfds clears the prepared data to make it again.
                raise AssertionError(  # tfds's word for a missing folder
                    f"Manual directory {manual} does not exist or is empty"
                )
            if before.get("digest") != now["digest"]:
                logging.warning(
                    "%s: the prepared data (%s) was made from %s (%s files); "
                    "%s now holds %s files that differ: preparing again.",
                    self.name,
                    self.data_dir,
                    before.get("folder", "an unrecorded folder"),
                    before.get("files", "?"),
                    now["folder"],
                    now["files"],
                )
                download_config = dataclasses.replace(
                    download_config,
                    download_mode=tfds.download.GenerateMode.REUSE_CACHE_IF_EXISTS,
                )
        super().download_and_prepare(download_config=download_config, **kwargs)

    def _split_generators(self, dl_manager):
        if self.MANUAL_DOWNLOAD_INSTRUCTIONS:
            self.info.metadata["source"] = source_fingerprint(
                dl_manager.manual_dir
            )
        return {"train": self._generate_examples(self._sources(dl_manager))}

    def _sources(self, dl_manager):
        """The raw sources (files or folders) to read, in a fixed order."""
        raise NotImplementedError

    def _read(self, source):
        """Read one source into a Recording."""
        raise NotImplementedError

    def read_unlabelled(self, source):
        """One source as a Recording without its reference.

        The reference (window HR, beats) is dropped before anything else
        sees it; a dataset whose files can be read without their reference
        (``ppg_folder``) overrides this so that it is never read.
        """
        return dataclasses.replace(
            self._read(source), window_hr=None, beat_times=None
        )

    def _generate_examples(self, sources):
        dropped = collections.Counter()
        for source in sources:
            recording = self._read(source)
            found = windows_from_recording(
                recording, self.builder_config.window
            )
            dropped.update(found.dropped)
            if found.dropped:
                logging.info(
                    "%s: dropped %s", recording.source, dict(found.dropped)
                )
            for i in range(len(found)):
                key = f"{found.participant[i]}_{found.start_times[i]:09.2f}"
                yield (
                    key,
                    {
                        "window": found.windows[i],
                        "label": int(found.label[i]),
                        "hr_bpm": float(found.hr_bpm[i]),
                        "participant": found.participant[i],
                        "dataset": found.dataset[i],
                        "start_time": float(found.start_times[i]),
                        "activity": found.activity[i],
                    },
                )
        self.info.metadata["dropped_windows"] = dict(dropped)


def source_fingerprint(folder):
    """``{"folder", "files", "digest"}`` of every file under ``folder``.

    The digest covers each file's path relative to ``folder``, its size and
    its modification time (not the contents: cheap for gigabytes), and
    the folder's absolute path.
    """
    root = pathlib.Path(folder).resolve()
    digest = hashlib.sha256(os.fsencode(root))
    count = 0
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        stat = path.stat()
        digest.update(os.fsencode(path.relative_to(root)))
        digest.update(f"\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
        count += 1
    return {"folder": str(root), "files": count, "digest": digest.hexdigest()}


def require_files(root, pattern, layout, homepage):
    """Sorted matches of ``pattern`` under ``root``, or a clear error."""
    found = sorted(root.glob(pattern))
    if not found:
        raise FileNotFoundError(
            f"No files matching {pattern!r} under {root}. Download the data "
            f"from {homepage} and lay it out as:\n{layout}"
        )
    return found


def fail(path, what, error=None):
    detail = f" ({type(error).__name__}: {error})" if error else ""
    return ValueError(f"{path}: {what}{detail}")


def on_clock(values, fs, length, target_fs, times=None):
    """Resample ``(m, k)`` samples onto ``length`` samples at ``target_fs``.

    ``times`` (seconds from the target's first sample) gives irregular
    sample times; otherwise sample i is at ``i / fs``. Used to put an
    accelerometer on the PPG's clock.
    """
    values = np.asarray(values, dtype="float64").reshape(len(values), -1)
    source = np.arange(len(values)) / fs if times is None else times
    target = np.arange(length) / target_fs
    return np.stack(
        [np.interp(target, source, column) for column in values.T], axis=1
    )


def constant_runs(x, min_samples):
    """Mask of samples in runs of >= ``min_samples`` identical values."""
    x = np.asarray(x)
    change = np.concatenate([[True], x[1:] != x[:-1]])
    run_id = np.cumsum(change)
    run_length = np.bincount(run_id)[run_id]
    return run_length >= min_samples
