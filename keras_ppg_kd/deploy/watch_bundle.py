"""The watch bundle: everything a device needs to track heart rate.

One folder with the student as an int8 LiteRT file, the heart-rate
tracker as JSON and as plain C (with the plain-C motion cancellation when
the protocol cleans windows with the accelerometer), the Keras models it
came from and a ``manifest.json`` that names them.
"""

import dataclasses
import json
import os
import pathlib
from collections.abc import Callable, Mapping

import keras
import numpy as np

from keras_ppg_kd.data.transforms import WindowSet, export_cancel_motion_c
from keras_ppg_kd.deploy.litert import LiteRTModel, export_tflite
from keras_ppg_kd.protocol import WindowConfig
from keras_ppg_kd.tracking import HRTracker

MANIFEST = "manifest.json"
TRACKER_C = "tracker_c"


@dataclasses.dataclass(frozen=True)
class Bundle:
    """What :func:`bundle` wrote.

    Attributes:
        folder: The bundle's folder.
        tflite_path: The int8 LiteRT file.
        tracker_path: The tracker's JSON (``HRTracker.load`` reads it).
        tracker: The tracker as saved (its ``lag`` applied).
        logit_scale: The int8 file's output scale, which the C tracker's
            emission table was built for.
        protocol: The window protocol stored in the LiteRT file.
        c_folder: The plain-C sources' folder (None when not written).
        manifest_path: ``manifest.json`` (None when not written).
        files: Every file written, relative to ``folder``, sorted.
    """

    folder: pathlib.Path
    tflite_path: pathlib.Path
    tracker_path: pathlib.Path
    tracker: HRTracker
    logit_scale: float
    protocol: WindowConfig
    c_folder: pathlib.Path | None = None
    manifest_path: pathlib.Path | None = None
    files: tuple = ()

    def add_to_manifest(self, entries: Mapping) -> None:
        """Add ``entries`` to ``manifest.json`` (e.g. scores measured with
        the bundle's own int8 file), after the keys already there.

        Raises:
            ValueError: the bundle was written without a manifest.
        """
        if self.manifest_path is None:
            raise ValueError(
                f"The bundle in {self.folder} has no {MANIFEST}; write it "
                "with bundle(..., manifest=True)."
            )
        manifest = json.loads(self.manifest_path.read_text())
        manifest.update(entries)
        _write_json(self.manifest_path, manifest)


def _write_json(path, payload):
    path.write_text(json.dumps(payload, indent=2) + "\n")


def bundle(
    student: keras.Model,
    tracker: HRTracker | Callable[[LiteRTModel], HRTracker],
    representative_data: WindowSet | np.ndarray,
    out: str | os.PathLike,
    lag: int | None = None,
    *,
    protocol: WindowConfig | None = None,
    teacher: keras.Model | None = None,
    name: str = "student",
    tracker_file: str = "tracker.json",
    keras_files: bool = True,
    c_sources: bool = True,
    manifest: bool = True,
    extra: Mapping | None = None,
) -> Bundle:
    """Write a student and its heart-rate tracker as a watch bundle.

    Writes into ``out`` (created):

    - ``{name}_int8.tflite``: the student, full int8, calibrated on
      ``representative_data``, with its protocol in the file, ordered for
      TFLite Micro (``tcns:5``: an 18.4 KB arena, not 21.5; ``export_tflite``);
    - ``tracker_file``: the tracker's JSON;
    - ``tracker_c/`` (``c_sources``): the tracker's plain C for the int8
      file's output scale (:meth:`HRTracker.export_c`), and the plain-C
      motion cancellation when the protocol has ``cancel_motion``;
    - ``{name}.keras`` and ``teacher.keras`` (``keras_files``; the teacher
      only when given);
    - ``manifest.json`` (``manifest``): keys ``teacher``, ``student``,
      ``tflite``, ``tracker`` and ``tracker_c`` (the files written,
      relative to ``out``), then the ``extra`` entries.

    Args:
        student: The Keras student (or a Distiller, whose student ships).
        tracker: An :class:`~keras_ppg_kd.tracking.HRTracker`, or a
            function that fits one given the int8 file as a
            :class:`~keras_ppg_kd.deploy.LiteRTModel` (for a tracker
            calibrated on the int8 student's logits).
        representative_data: Windows to calibrate the int8 ranges, a
            :class:`~keras_ppg_kd.data.WindowSet` (whose protocol is the
            default ``protocol``) or ``(n, length, channels)`` floats.
        out: The bundle's folder.
        lag: The tracker's lag in windows (``HRTracker.replace(lag=...)``),
            in the JSON and the C; None keeps the tracker's.
        protocol: The window protocol the student was trained on; by
            default the WindowSet's, else the student's own.
        teacher: The teacher, saved beside the student when given.
        name: The student's file names' stem.
        tracker_file: The tracker JSON's file name.
        keras_files: Save the Keras models.
        c_sources: Write the plain-C sources.
        manifest: Write ``manifest.json``.
        extra: More manifest entries (JSON values), e.g. the recipe.

    Returns:
        A :class:`Bundle` naming what was written.

    Example:

    ```python
    written = bundle(student, tracker, windows, "deploy_out")
    LiteRTModel(written.tflite_path).predict(windows)
    ```
    """
    from keras_ppg_kd.distiller import Distiller

    if isinstance(student, Distiller):
        student = student.student
    if isinstance(representative_data, WindowSet):
        protocol = protocol or representative_data.config
        representative_data = representative_data.windows
    protocol = protocol or WindowConfig.for_model(student)
    folder = pathlib.Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written, entries = [], {}
    if keras_files:
        if teacher is not None:
            teacher.save(folder / "teacher.keras")
            entries["teacher"] = "teacher.keras"
            written.append(folder / "teacher.keras")
        student.save(folder / f"{name}.keras")
        entries["student"] = f"{name}.keras"
        written.append(folder / f"{name}.keras")
    tflite = folder / f"{name}_int8.tflite"
    export_tflite(
        student,
        tflite,
        "int8",
        representative_data=representative_data,
        protocol=protocol,
        order_for_micro=True,
    )
    entries["tflite"] = tflite.name
    written.append(tflite)
    int8 = LiteRTModel(tflite)
    if not isinstance(tracker, HRTracker):
        tracker = tracker(int8)
    if lag is not None:
        tracker = tracker.replace(lag=lag)
    tracker_path = tracker.save(folder / tracker_file)
    entries["tracker"] = tracker_file
    written.append(tracker_path)
    scale = float(int8.output["quantization"][0])
    c_folder = None
    if c_sources:
        c_folder = folder / TRACKER_C
        written += tracker.export_c(c_folder, logit_scale=scale)
        if protocol.cancel_motion:  # the watch cleans its windows too
            written += export_cancel_motion_c(c_folder)
        entries["tracker_c"] = TRACKER_C
    manifest_path = None
    if manifest:
        manifest_path = folder / MANIFEST
        _write_json(manifest_path, {**entries, **(extra or {})})
        written.append(manifest_path)
    return Bundle(
        folder=folder,
        tflite_path=tflite,
        tracker_path=tracker_path,
        tracker=tracker,
        logit_scale=scale,
        protocol=protocol,
        c_folder=c_folder,
        manifest_path=manifest_path,
        files=tuple(
            sorted(str(pathlib.Path(p).relative_to(folder)) for p in written)
        ),
    )
