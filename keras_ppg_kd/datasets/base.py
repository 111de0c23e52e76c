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
import os
import pathlib

import numpy as np
import tensorflow_datasets as tfds
from absl import logging

from keras_ppg_kd.data.transforms import WindowConfig, windows_from_recording

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


DEFAULT_CONFIGS = [
    PPGBuilderConfig(
        name="default",
        description="8 s windows every 2 s at 25 Hz, band-pass 0.5-4 Hz.",
    ),
    PPGBuilderConfig(
        name="ppg_acc",
        description="As default, with the 3-axis accelerometer as channels "
        "1-3 (window shape (200, 4)).",
        window=WindowConfig(accelerometer=True),
    ),
    PPGBuilderConfig(
        name="cancel_motion",
        description="As default, with the part of the PPG that the "
        "accelerometer explains removed in each window (WindowConfig."
        "cancel_motion; window shape (200, 1)).",
        window=WindowConfig(cancel_motion=True),
    ),
    PPGBuilderConfig(
        name="cancel_motion_acc",
        description="As cancel_motion, with the 3-axis accelerometer as "
        "channels 1-3 (window shape (200, 4)).",
        window=WindowConfig(accelerometer=True, cancel_motion=True),
    ),
]


class WindowedPPGBuilder(
    tfds.core.GeneratorBasedBuilder, skip_registration=True
):
    """Base builder: subclasses define ``_sources`` and ``_read``.

    Not registered with tfds itself; each subclass is, under its ``name``.
    """

    BUILDER_CONFIGS = DEFAULT_CONFIGS
    HOMEPAGE = ""

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
