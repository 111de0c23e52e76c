"""LiteRT (TFLite) export, the LiteRT interpreter, and file reports.

Export goes through Keras's own ``model.export(path, format="litert")``
(ExportArchive -> SavedModel -> ``TFLiteConverter``), with converter options
for each quantization. Verification and benchmarks use the LiteRT
interpreter from ``ai-edge-litert`` (not the deprecated
``tf.lite.Interpreter``).
"""

import contextlib
import dataclasses
import io
import json
import os
import statistics
import time

import keras
import numpy as np
import tensorflow as tf

from keras_ppg_kd import _logs
from keras_ppg_kd.data.transforms import WindowSet
from keras_ppg_kd.deploy import micro
from keras_ppg_kd.deploy.arena import (
    estimate_arena_bytes,
    interpreter_class,
    lifetime_peak,
    op_interpreter,
    order_for_micro_planner,
)
from keras_ppg_kd.deploy.target import Target, register_target
from keras_ppg_kd.protocol import WindowConfig
from keras_ppg_kd.version import __version__

QUANTIZATIONS = ("float32", "float16", "dynamic", "int8")
# Constant tensors (weights, biases) and index tensors allowed beside int8
# activations in a microcontroller-ready model.
_INT8_READY_TYPES = {np.int8, np.int32}


def _check_writable(path):
    path = os.fspath(path)
    if not path.endswith(".tflite"):
        raise ValueError(f"The path must end with '.tflite'. Received: {path}")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
        raise ValueError(
            f"Cannot write {path}: {folder} does not exist or is not "
            "writable. Create the folder or choose a writable path."
        )
    return path


def _converter_options(
    quantization,
    representative_data,
    calibration_steps,
    input_shape,
    per_channel=True,
):
    builtins = [tf.lite.OpsSet.TFLITE_BUILTINS]  # no Flex (select TF) ops
    if quantization == "float32":
        return {"target_spec": {"supported_ops": builtins}}
    if quantization == "float16":
        return {
            "optimizations": [tf.lite.Optimize.DEFAULT],
            "target_spec": {
                "supported_ops": builtins,
                "supported_types": [tf.float16],
            },
        }
    if quantization == "dynamic":
        return {
            "optimizations": [tf.lite.Optimize.DEFAULT],
            "target_spec": {"supported_ops": builtins},
        }
    if representative_data is None:
        raise ValueError(
            "quantization='int8' needs representative_data: a few hundred "
            "(n, 200, 1) float windows like those the model will see (e.g. "
            "training windows, or keras_ppg_kd.data synthetic windows) to "
            "calibrate the int8 ranges."
        )
    data = np.asarray(representative_data, "float32")
    if data.ndim != 3 or len(data) == 0 or data.shape[1:] != input_shape:
        raise ValueError(
            f"representative_data must be (n, {input_shape[0]}, "
            f"{input_shape[1]}) windows (n > 0), the model's input. "
            f"Received shape {data.shape}"
        )
    if len(data) > calibration_steps:
        # Evenly spaced, not the first ones: windows come grouped by
        # participant and activity, and the ranges must cover them all.
        data = data[
            np.linspace(0, len(data) - 1, calibration_steps).round().astype(int)
        ]
    _check_calibration(data)

    def representative_dataset():
        for window in data:
            yield [window[None]]

    return {
        "optimizations": [tf.lite.Optimize.DEFAULT],
        "representative_dataset": representative_dataset,
        "target_spec": {"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]},
        "inference_input_type": tf.int8,
        "inference_output_type": tf.int8,
        "_experimental_disable_per_channel": not per_channel,
    }


MIN_CALIBRATION_WINDOWS = 32


def _check_calibration(data):
    """Refuse calibration windows that would give a wrong int8 file.

    Non-finite values crash or silently disable the converter's
    quantization; windows that are not z-scored (all-zero, raw counts)
    calibrate ranges the model never sees; a handful of windows gives
    ranges that clip real ones.
    """
    finite = np.isfinite(data)
    if not finite.all():
        raise ValueError(
            f"representative_data has {int((~finite).sum())} NaN/Inf "
            "values; calibrate on finite windows (drop the bad ones)."
        )
    if len(data) < MIN_CALIBRATION_WINDOWS:
        raise ValueError(
            f"representative_data has {len(data)} windows; int8 calibration "
            f"needs at least {MIN_CALIBRATION_WINDOWS} (a few hundred is "
            "better) to see the ranges real windows reach."
        )
    std = data.std(axis=1).ravel()
    mean = np.abs(data.mean(axis=1)).ravel()
    if np.median(std) < 0.5 or np.median(std) > 2.0 or np.median(mean) > 0.5:
        raise ValueError(
            "representative_data does not look like the model's input "
            "(z-scored windows: mean 0, std 1 per window); received median "
            f"window std {np.median(std):.3g}, |mean| {np.median(mean):.3g}. "
            "Pass windows from windows_from_recording/windows_from_signal or "
            "load_windows."
        )


def export_tflite(
    model: keras.Model,
    path: str | os.PathLike,
    quantization: str = "float32",
    representative_data: np.ndarray | None = None,
    calibration_steps: int = 500,
    batch_size: int | None = 1,
    strip_names: bool | None = None,
    protocol: WindowConfig | None = None,
    order_for_micro: bool = False,
    per_channel: bool | None = None,
) -> str:
    """Export a Keras model (or a Distiller's student) to a LiteRT file.

    The window protocol travels in the file's metadata (see
    :func:`read_protocol`), so code that feeds the file can make windows
    of the right rate, length and channels and read its classes back.

    Args:
        model: A Keras model; for a :class:`~keras_ppg_kd.Distiller` its
            ``student`` is exported (never the teacher or the adapters).
        path: Output ``.tflite`` path (its folder must exist).
        quantization: ``"float32"``, ``"float16"`` (weights), ``"dynamic"``
            (int8 weights, float activations) or ``"int8"`` (full integer,
            int8 input and output; needs ``representative_data``).
        representative_data: ``(n, length, channels)`` float windows for
            int8 calibration.
        calibration_steps: At most this many windows are used.
        batch_size: Static batch size of the file (1 for on-device
            streaming; None for a dynamic batch).
        strip_names: Drop tensor and signature names from the file (about
            5 KB for a 1-block student; inputs and outputs stay reachable
            by index). Default: True for ``"int8"`` (microcontroller
            flash is tight), False otherwise.
        protocol: The :class:`~keras_ppg_kd.protocol.WindowConfig` the model
            was trained on (pass the training ``WindowSet.config``); by
            default the standard protocol at the model's own window length,
            sampling rate and channels. Checked against the model.
        order_for_micro: Renumber the activation tensors so that TFLite
            Micro's memory planner packs them tighter (same ops, weights
            and outputs; a TCN(5) int8 arena goes from 34.0 to 27.7 KB,
            one 200 x 32 tensor fewer): see
            :func:`~keras_ppg_kd.deploy.arena.order_for_micro_planner`.
        per_channel: ``"int8"`` only: a scale and zero point per output
            channel of each weight tensor (the converter's default) or
            one per tensor (False: ~12 bytes less per channel of every
            weight and bias tensor, at some cost in accuracy where
            channels differ in range). Default: the model's
            ``PER_CHANNEL`` (True unless its family says otherwise, as
            :class:`~keras_ppg_kd.models.tcn_micro.MicroTCN` does).

    Returns:
        The path written.

    Raises:
        ValueError: the protocol does not match the model (names both).
    """
    from keras_ppg_kd.distiller import Distiller

    if isinstance(model, Distiller):
        model = model.student
    if quantization not in QUANTIZATIONS:
        raise ValueError(
            f"quantization must be one of {QUANTIZATIONS}. Received: "
            f"{quantization!r}"
        )
    protocol = protocol or WindowConfig.for_model(model)
    protocol.check_model(model)
    path = _check_writable(path)
    options = _converter_options(
        quantization,
        representative_data,
        calibration_steps,
        tuple(model.input.shape[1:]),
        getattr(model, "PER_CHANNEL", True)
        if per_channel is None
        else per_channel,
    )
    spec = tf.TensorSpec(
        (batch_size, *model.input.shape[1:]), tf.float32, name="ppg"
    )
    try:
        with (
            contextlib.redirect_stdout(io.StringIO()),
            _logs.quiet_native(_logs.LITERT_CHATTER),
        ):
            model.export(
                path, format="litert", input_signature=[spec], **options
            )
    except Exception as error:
        if type(error).__name__ != "ConverterError":
            raise
        raise ValueError(
            f"LiteRT conversion of {model.name!r} ({quantization}) failed, "
            "most likely on an op with no LiteRT builtin kernel. Replace "
            "that layer with a supported one (Conv1D, Dense, BatchNorm, "
            "ReLU, pooling, Add, Pad), or convert float32 yourself with "
            f"SELECT_TF_OPS (Flex ops; not for microcontrollers). Converter "
            f"said: {error}"
        ) from error
    from tensorflow.lite.tools import flatbuffer_utils

    flat = flatbuffer_utils.read_model(path)
    if strip_names if strip_names is not None else quantization == "int8":
        flatbuffer_utils.strip_strings(flat)
    if order_for_micro:
        order_for_micro_planner(flat)
    _share_empty_buffer(flat)
    _write_protocol(flat, protocol)
    flatbuffer_utils.write_model(flat, path)
    if quantization == "int8" and not inspect_tflite(path).int8_ready:
        os.remove(path)
        raise ValueError(
            f"int8 export of {model.name!r} did not produce an int8-only "
            "file (the converter fell back to float for some ops); the "
            "file was removed. Check the calibration data and the model's "
            "layers."
        )
    return path


PROTOCOL_METADATA = "keras_ppg_kd.protocol"


def _share_empty_buffer(flat):
    """Point every tensor without data at buffer 0 and drop the buffers
    left unused.

    The schema reserves buffer 0 as the empty buffer that tensors without
    data may share; the converter gives each activation one of its own
    (~16 bytes apiece: 256 bytes of MicroTCN's 7.7 KB file)."""
    if _has_data(flat.buffers[0]):
        return  # not the schema's sentinel: leave the file as it is
    for graph in flat.subgraphs:
        for tensor in graph.tensors:
            if not _has_data(flat.buffers[tensor.buffer]):
                tensor.buffer = 0
    holders = [t for g in flat.subgraphs for t in g.tensors]
    holders += list(flat.metadata or ())
    used = sorted({0} | {holder.buffer for holder in holders})
    index = {old: new for new, old in enumerate(used)}
    flat.buffers = [flat.buffers[old] for old in used]
    for holder in holders:
        holder.buffer = index[holder.buffer]


def _has_data(buffer):
    """Whether a ``BufferT`` holds bytes, inline or (large models) at an
    offset past the flatbuffer."""
    inline = buffer.data is not None and len(buffer.data) > 0
    return inline or bool(getattr(buffer, "offset", 0))


def _write_protocol(flat, protocol):
    """Add the protocol as a JSON metadata entry of a flatbuffer model."""
    from tensorflow.lite.python import schema_py_generated as schema

    text = json.dumps({"window": protocol.get_config(), "version": __version__})
    buffer = schema.BufferT()
    buffer.data = np.frombuffer(text.encode(), np.uint8)
    flat.buffers.append(buffer)
    entry = schema.MetadataT()
    entry.name = PROTOCOL_METADATA
    entry.buffer = len(flat.buffers) - 1
    flat.metadata = [
        m for m in (flat.metadata or []) if m.name != PROTOCOL_METADATA.encode()
    ] + [entry]


def read_protocol(path: str | os.PathLike) -> WindowConfig | None:
    """The :class:`~keras_ppg_kd.protocol.WindowConfig` stored in a LiteRT file.

    Returns:
        The protocol, or None for a file exported without one (by another
        tool or an older version of this package).

    Raises:
        ValueError: a damaged or truncated file (names it).
    """
    from tensorflow.lite.python import schema_py_generated as schema

    with open(path, "rb") as f:
        content = f.read()
    try:
        if content[4:8] != b"TFL3":
            raise ValueError(
                f"no TFL3 identifier at bytes 4-8 (found {content[4:8]!r})"
            )
        model = schema.Model.GetRootAs(content, 0)
        _check_within(model, len(content))
        for i in range(model.MetadataLength()):
            entry = model.Metadata(i)
            if entry.Name() == PROTOCOL_METADATA.encode():
                data = model.Buffers(entry.Buffer()).DataAsNumpy().tobytes()
                return WindowConfig.from_config(json.loads(data)["window"])
    except Exception as error:  # flatbuffers raises struct/index errors
        raise ValueError(
            f"{path}: not a readable LiteRT file ({len(content)} bytes; "
            f"{type(error).__name__}: {error})"
        ) from error
    return None


def _check_within(model, size):
    """Read every buffer and tensor of a flatbuffer ``model``: a file cut
    short fails here (reads past its end) rather than look whole."""
    for i in range(model.BuffersLength()):
        buffer = model.Buffers(i)
        if buffer.DataLength() and len(buffer.DataAsNumpy()) != (
            buffer.DataLength()
        ):
            raise ValueError(f"buffer {i} runs past the end")
        if buffer.Offset() + buffer.Size() > size:
            raise ValueError(f"buffer {i} lies past the end")
    for g in range(model.SubgraphsLength()):
        graph = model.Subgraphs(g)
        for t in range(graph.TensorsLength()):
            graph.Tensors(t).Buffer()
        for o in range(graph.OperatorsLength()):
            graph.Operators(o).OpcodeIndex()


class LiteRTModel:
    """A LiteRT file behind a ``predict`` that speaks float windows.

    For int8 files ``predict`` quantizes inputs with the file's scale and
    zero point and dequantizes the logits; :meth:`invoke` is the raw call
    and insists on the file's own input dtype.

    Args:
        path: A ``.tflite`` file.
        num_threads: Interpreter threads (1 = a wearable's single core).
    """

    def __init__(self, path: str | os.PathLike, num_threads: int = 1) -> None:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"No LiteRT file at {path}")
        with open(path, "rb") as f:
            if f.read(8)[4:] != b"TFL3":  # the flatbuffer's file identifier
                raise ValueError(
                    f"{path} is not a LiteRT (.tflite) file; a .keras model "
                    "becomes one with `keras-ppg-kd export`"
                )
        self.path = path
        with _logs.quiet_native(_logs.LITERT_CHATTER):
            self.interpreter = interpreter_class()(
                model_path=path, num_threads=num_threads
            )
            self.interpreter.allocate_tensors()
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]
        self.protocol = read_protocol(path)

    @property
    def input_dtype(self):
        return np.dtype(self.input["dtype"])

    @property
    def input_shape(self):
        """One window's shape, ``(length, channels)``."""
        return tuple(int(n) for n in self.input["shape"][1:])

    def invoke(self, x: np.ndarray) -> np.ndarray:
        """Run one batch in the file's own dtypes (no conversion)."""
        x = np.asarray(x)
        expected = self.input_shape
        if tuple(x.shape[1:]) != expected:
            raise ValueError(
                f"{os.path.basename(self.path)} takes windows of shape "
                f"{expected}; received {tuple(x.shape[1:])}. Make windows "
                "with the model's protocol (8 s at 25 Hz = 200 samples)."
            )
        if x.dtype != self.input_dtype:
            fix = ""
            if self.input_dtype == np.int8:
                scale, zero = self.input["quantization"]
                fix = (
                    f" Quantize first: q = round(x / {scale:.6g}) + {zero}, "
                    "or call predict(), which does it for you."
                )
            raise TypeError(
                f"{os.path.basename(self.path)} takes {self.input_dtype} "
                f"input; received {x.dtype}.{fix}"
            )
        if tuple(x.shape) != tuple(self.input["shape"]):
            self.interpreter.resize_tensor_input(self.input["index"], x.shape)
            self.interpreter.allocate_tensors()
            self.input = self.interpreter.get_input_details()[0]
            self.output = self.interpreter.get_output_details()[0]
        self.interpreter.set_tensor(self.input["index"], x)
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output["index"])

    def _quantize(self, x):
        scale, zero = self.input["quantization"]
        q = np.round(x / scale) + zero
        return np.clip(q, -128, 127).astype(np.int8)

    def predict(
        self, windows: np.ndarray | WindowSet, batch_size: int | None = None
    ) -> np.ndarray:
        """Float logits for ``(n, length, channels)`` float windows.

        Args:
            windows: Float windows, or a
                :class:`~keras_ppg_kd.data.WindowSet` (whose protocol must
                be the file's).
            batch_size: Windows per invoke; the file's batch size by default
                (1 for files exported with ``batch_size=1``).
        """
        if isinstance(windows, WindowSet):
            if self.protocol is not None and windows.config != self.protocol:
                raise ValueError(
                    f"{os.path.basename(self.path)} was exported for windows "
                    f"made with {self.protocol}; these were made with "
                    f"{windows.config}."
                )
            windows = windows.windows
        windows = np.asarray(windows, "float32")
        fixed = int(self.input["shape"][0])
        if batch_size and fixed and batch_size != fixed:
            raise ValueError(
                f"{os.path.basename(self.path)} was exported with a fixed "
                f"batch of {fixed}; received batch_size={batch_size}. Leave "
                "batch_size unset, or export with batch_size=None."
            )
        batch = batch_size or fixed or 1
        outputs = []
        for start in range(0, len(windows), batch):
            x = windows[start : start + batch]
            if self.input_dtype == np.int8:
                x = self._quantize(x)
            y = self.invoke(x)
            if np.dtype(self.output["dtype"]) == np.int8:
                scale, zero = self.output["quantization"]
                y = (y.astype("float32") - zero) * scale
            outputs.append(np.asarray(y, "float32").copy())
        return np.concatenate(outputs)

    def latency_us(self, runs: int = 300, warmup: int = 30) -> float:
        """Median microseconds per invoke at the file's input shape."""
        x = np.zeros(self.input["shape"], self.input_dtype)
        for _ in range(warmup):
            self.invoke(x)
        times = []
        for _ in range(runs):
            start = time.perf_counter_ns()
            self.interpreter.invoke()
            times.append((time.perf_counter_ns() - start) / 1e3)
        return statistics.median(times)


@dataclasses.dataclass(frozen=True)
class TFLiteReport:
    """What a LiteRT file needs on a device.

    Attributes:
        path: The file.
        size_kb: File size (flash), KB (1 KB = 1024 bytes).
        ops: Op names in execution order.
        builtin_only: No custom or Flex (select TF) ops.
        int8_ready: Builtin-only and every tensor int8 (int32 for biases):
            runs on integer-only microcontrollers (TFLite Micro).
        arena_kb: Tensor-arena estimate, KB: the peak total size of the
            activation tensors alive at once during one invoke (greedy
            planners such as TFLite Micro's get close to it).
        input_dtype: Input dtype.
        protocol: The :class:`~keras_ppg_kd.protocol.WindowConfig` stored in
            the file (None when it has none).
        micro_arena_kb: The arena TensorFlow Lite for Microcontrollers
            actually needs, KB (:func:`~keras_ppg_kd.deploy.micro.
            micro_arena_bytes`: kernel scratch and interpreter structures
            included); None when ``tflite-micro`` is not installed or
            cannot run the file (``micro_note`` says which).
        micro_note: Why ``micro_arena_kb`` is None (empty otherwise).
    """

    path: str
    size_kb: float
    ops: tuple
    builtin_only: bool
    int8_ready: bool
    arena_kb: float
    input_dtype: str
    protocol: WindowConfig | None = None
    micro_arena_kb: float | None = None
    micro_note: str = ""

    def summary(self):
        counts = {}
        for op in self.ops:
            counts[op] = counts.get(op, 0) + 1
        ops = ", ".join(f"{k} x{v}" for k, v in counts.items())
        ready = "int8-only" if self.int8_ready else "not int8-only"
        window = "no protocol stored"
        if self.protocol is not None:
            p = self.protocol
            window = (
                f"{p.window_seconds:g} s windows every {p.stride_seconds:g} s "
                f"at {p.target_rate:g} Hz, {p.channels} channel(s), "
                f"{p.classes.num_classes} classes from {p.classes.min_bpm:g} "
                "BPM"
                + (
                    ", PPG motion-cancelled with the accelerometer"
                    if p.cancel_motion
                    else ""
                )
            )
        arena = (
            f"TFLite Micro arena {self.micro_arena_kb:.1f} KB"
            if self.micro_arena_kb is not None
            else f"arena ~{self.arena_kb:.1f} KB (an estimate: TFLite Micro "
            f"arena unknown, {self.micro_note})"
        )
        return (
            f"{os.path.basename(self.path)}: {self.size_kb:.1f} KB, {arena}, "
            f"input {self.input_dtype}, {ready}; {window}; ops: {ops}"
        )


def inspect_tflite(path: str | os.PathLike) -> TFLiteReport:
    """Size, op list, int8 readiness and tensor arena of a file.

    The arena is estimated from tensor lifetimes, and measured in the real
    TensorFlow Lite for Microcontrollers interpreter when ``tflite-micro``
    is installed.
    """
    interpreter = op_interpreter(path)
    ops = interpreter._get_ops_details()
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    peak = lifetime_peak(interpreter)
    names = tuple(op["op_name"] for op in ops)
    builtin_only = not any(
        n.startswith("Flex") or n in ("CUSTOM", "DELEGATE") for n in names
    )
    types = {
        np.dtype(tensors[i]["dtype"]).type
        for op in ops
        for i in [*op["inputs"], *op["outputs"]]
        if i >= 0
    }
    micro_kb, micro_note = None, "pip install tflite-micro to measure it"
    if micro.available():
        try:
            arena = micro.micro_arena_bytes(path, start=peak)
            micro_kb, micro_note = arena / 1024, ""
        except ValueError as error:
            micro_note = str(error)
    return TFLiteReport(
        path=path,
        size_kb=os.path.getsize(path) / 1024,
        ops=names,
        builtin_only=builtin_only,
        int8_ready=builtin_only and types <= _INT8_READY_TYPES,
        arena_kb=peak / 1024,
        input_dtype=str(np.dtype(interpreter.get_input_details()[0]["dtype"])),
        protocol=read_protocol(path),
        micro_arena_kb=micro_kb,
        micro_note=micro_note,
    )


@register_target("litert")
class LiteRT(Target):
    """The LiteRT runtime: :func:`export_tflite`, :class:`LiteRTModel`.

    Its memory is the lifetime estimate of the tensor arena
    (:func:`~keras_ppg_kd.deploy.arena.estimate_arena_bytes`, what
    :func:`inspect_tflite` reports as ``arena_kb``).

    Example:

    ```python
    target = get_target("litert")
    path = target.export(student, "student.tflite")
    logits = target.load(path).predict(windows)
    ```
    """

    suffix = ".tflite"

    def available(self) -> bool:
        try:
            interpreter_class()
        except ImportError:
            return False
        return True

    def export(
        self,
        model: keras.Model,
        path: str | os.PathLike,
        representative_data: np.ndarray | None = None,
        protocol: WindowConfig | None = None,
        **options,
    ) -> str:
        """:func:`export_tflite` (``options``: its ``quantization``,
        ``batch_size``, ``strip_names``, ``order_for_micro``, ...)."""
        return export_tflite(
            model,
            path,
            representative_data=representative_data,
            protocol=protocol,
            **options,
        )

    def load(self, path: str | os.PathLike, **options) -> LiteRTModel:
        """:class:`LiteRTModel` (``options``: ``num_threads``)."""
        return LiteRTModel(path, **options)

    def memory_bytes(self, path: str | os.PathLike) -> int:
        return estimate_arena_bytes(path)
