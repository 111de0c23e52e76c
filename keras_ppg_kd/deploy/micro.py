"""The real TensorFlow Lite for Microcontrollers interpreter, on the host.

:func:`inspect_tflite`'s arena is an estimate from tensor lifetimes; it
leaves out kernel scratch buffers and the interpreter's own structures.
Here the ``tflite-micro`` package (the TFLM C++ runtime behind a Python
binding) runs the file: :func:`micro_arena_bytes` finds the smallest tensor
arena with which TFLM allocates and invokes it, and :class:`MicroModel`
predicts with it, for parity checks against LiteRT.
"""

import json
import os
import subprocess
import sys

import numpy as np

from keras_ppg_kd.data.transforms import WindowSet
from keras_ppg_kd.deploy.arena import estimate_arena_bytes
from keras_ppg_kd.deploy.target import Target, get_target, register_target

_ALIGNMENT = 16  # TFLM aligns arena allocations to 16 bytes
# The tflite-micro host binding crashes (SIGSEGV) on some too-small arenas
# instead of failing: searches run in a child process, and nothing under
# this is ever tried.
_MIN_ARENA = 1024
_MAX_ARENA = 64 * 2**20
_PROBE = os.path.join(os.path.dirname(__file__), "_micro_probe.py")
ANSWER = "PROBE "  # as _micro_probe.py marks its answers


def available() -> bool:
    """Whether the ``tflite-micro`` package is installed."""
    try:
        import tflite_micro  # noqa: F401
    except ImportError:
        return False
    return True


def _check_installed():
    if not available():
        raise ImportError(
            "Running files in TensorFlow Lite for Microcontrollers needs the "
            "tflite-micro package: pip install tflite-micro (or, in the "
            "source checkout, pip install -e '.[micro]')."
        )


def micro_arena_bytes(path: str | os.PathLike, start: int | None = None) -> int:
    """The smallest tensor arena, in bytes, with which TFLM runs the file.

    Doubles from ``start`` until the interpreter allocates and invokes,
    then bisects to TFLM's 16-byte alignment. The tries run in a child
    process (``_micro_probe.py``): the tflite-micro host binding can crash
    on a too-small arena instead of failing, and a crash starts another.
    The answer is checked in a fresh process (the alignment below it
    fails). This is the number to give ``tflite::MicroInterpreter`` on a
    device (plus a margin for another TFLM build or kernel set).

    Args:
        path: A ``.tflite`` file.
        start: Where the search starts, bytes; by default the lifetime
            estimate of :func:`~keras_ppg_kd.deploy.inspect_tflite` (a
            lower bound: TFLM keeps every live activation in the arena).

    Raises:
        ImportError: ``tflite-micro`` is not installed.
        ValueError: TFLM cannot run the file with any arena up to 64 MB
            (e.g. an op without a TFLM kernel); its log is in the message.
    """
    _check_installed()  # a clear ImportError first
    if start is None:
        start = estimate_arena_bytes(path)
    start = max(_MIN_ARENA, int(start) // _ALIGNMENT * _ALIGNMENT)
    with _Probe(path) as probe:
        high = _search(path, start, probe)
    if high - _ALIGNMENT >= start and _runs(path, high - _ALIGNMENT)[0]:
        # A try failed in the shared child that runs in a fresh one: search
        # again with a fresh process per try.
        high = _search(path, start, _runs)
    return high


def _search(path, start, runs):
    """Double from ``start`` until ``runs(path, arena)`` says TFLM runs
    the file, then bisect to the alignment."""
    high = start
    while True:
        ok, log = runs(path, high)
        if ok:
            break
        if high >= _MAX_ARENA:
            raise ValueError(
                f"TFLite Micro cannot run {os.path.basename(path)} with "
                f"arenas up to {_MAX_ARENA // 2**20} MB. TFLM says: {log}"
            )
        high *= 2
    low = high // 2 if high > start else start - _ALIGNMENT
    while high - low > _ALIGNMENT:
        middle = (low + high) // 2 // _ALIGNMENT * _ALIGNMENT
        if runs(path, middle)[0]:
            high = middle
        else:
            low = middle
    return high


def _runs(path, arena):
    """Whether TFLM runs the file with ``arena`` bytes (a fresh child)."""
    done = subprocess.run(
        [sys.executable, _PROBE, os.fspath(path), str(arena)],
        capture_output=True,
        text=True,
    )
    log = _crash(done.returncode) + done.stderr.strip()
    return done.returncode == 0, log[-1500:]


def _crash(returncode):
    return f"(crashed, signal {-returncode}) " if returncode < 0 else ""


class _Probe:
    """One child process (``_micro_probe.py``) that tries arenas in turn;
    where a try crashes it, the next try starts another."""

    def __init__(self, path):
        self.process = None
        self.path = os.fspath(path)

    def __call__(self, path, arena):
        """``(ran, TFLM's log)`` for ``arena`` bytes."""
        if self.process is None:
            self.process = subprocess.Popen(
                [sys.executable, _PROBE, self.path],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        try:
            self.process.stdin.write(f"{arena}\n")
            self.process.stdin.flush()
            for line in self.process.stdout:
                if line.startswith(ANSWER):
                    ran, log = json.loads(line[len(ANSWER) :])
                    return ran, log[-1500:]
        except BrokenPipeError:
            pass
        _, err = self.process.communicate()  # it died on this arena
        crash = _crash(self.process.returncode)
        self.process = None
        return False, (crash + err.strip())[-1500:]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.process is not None:
            self.process.communicate()  # closes its stdin: the child ends


class MicroModel:
    """A ``.tflite`` file run by TFLM, behind a ``predict`` on float windows.

    Args:
        path: A ``.tflite`` file with a fixed batch of 1 (as
            ``export_tflite(..., batch_size=1)`` writes; TFLM does not
            resize inputs).
        arena_size: Tensor arena, bytes (at least 1024);
            :func:`micro_arena_bytes` when None.
    """

    def __init__(
        self, path: str | os.PathLike, arena_size: int | None = None
    ) -> None:
        if not os.path.isfile(path):
            raise FileNotFoundError(f"No LiteRT file at {path}")
        if arena_size is not None and arena_size < _MIN_ARENA:
            raise ValueError(
                f"arena_size must be at least {_MIN_ARENA} bytes (smaller "
                "arenas crash the tflite-micro host binding). Received: "
                f"{arena_size}"
            )
        self.path = path
        needed = micro_arena_bytes(path, start=arena_size)
        if arena_size is not None and needed > arena_size:
            raise ValueError(
                f"TFLite Micro cannot run {os.path.basename(path)} with a "
                f"{arena_size}-byte arena; it needs {needed} bytes."
            )
        self.arena_size = arena_size or needed
        from keras_ppg_kd.deploy._micro_probe import first_invoke

        with open(path, "rb") as f:
            data = f.read()
        self.interpreter, log = first_invoke(data, self.arena_size)
        if self.interpreter is None:
            raise ValueError(
                f"TFLite Micro cannot run {os.path.basename(path)} with a "
                f"{self.arena_size}-byte arena. TFLM says: {log}"
            )
        self.input = self.interpreter.get_input_details(0)
        self.output = self.interpreter.get_output_details(0)
        if int(self.input["shape"][0]) != 1:
            raise ValueError(
                f"{os.path.basename(path)} has input shape "
                f"{tuple(self.input['shape'])}; TFLite Micro runs one window "
                "at a time. Export with batch_size=1."
            )

    def predict(self, windows: np.ndarray | WindowSet) -> np.ndarray:
        """Float logits for ``(n, length, channels)`` float windows.

        Int8 files get their inputs quantized and their logits dequantized
        with the file's own scales, as on a device.
        """
        if isinstance(windows, WindowSet):
            windows = windows.windows
        windows = np.asarray(windows, "float32")
        expected = tuple(int(n) for n in self.input["shape"][1:])
        if windows.shape[1:] != expected:
            raise ValueError(
                f"{os.path.basename(self.path)} takes windows of shape "
                f"{expected}; received {windows.shape[1:]}."
            )
        outputs = []
        for window in windows:
            x = window[None]
            if self.input["dtype"] == np.int8:
                q = self.input["quantization_parameters"]
                x = np.round(x / q["scales"][0]) + q["zero_points"][0]
                x = np.clip(x, -128, 127).astype(np.int8)
            self.interpreter.set_input(x, 0)
            self.interpreter.invoke()
            y = self.interpreter.get_output(0)
            if self.output["dtype"] == np.int8:
                q = self.output["quantization_parameters"]
                y = (y.astype("float32") - q["zero_points"][0]) * q["scales"][0]
            outputs.append(np.asarray(y, "float32").copy())
        return np.concatenate(outputs)


@register_target("tflite_micro")
class TFLiteMicro(Target):
    """TensorFlow Lite for Microcontrollers: :class:`MicroModel`.

    TFLM runs LiteRT files, so :meth:`export` is the ``"litert"`` target's
    export (found through the registry, not imported), by default as a
    microcontroller wants it: full int8, a batch of one window, activation
    tensors ordered for TFLM's memory planner. Its memory is the arena
    TFLM really needs (:func:`micro_arena_bytes`).

    Example:

    ```python
    target = get_target("tflite_micro")
    path = target.export(student, "student.tflite", windows)
    arena = target.memory_bytes(path)
    logits = target.load(path, arena_size=arena).predict(windows)
    ```
    """

    suffix = ".tflite"

    def available(self) -> bool:
        return available()

    def export(
        self,
        model,
        path: str | os.PathLike,
        representative_data: np.ndarray | None = None,
        protocol=None,
        **options,
    ) -> str:
        """The ``"litert"`` export; ``options`` override its micro
        defaults (``quantization="int8"``, ``batch_size=1``,
        ``order_for_micro=True``)."""
        options = {
            "quantization": "int8",
            "batch_size": 1,
            "order_for_micro": True,
            **options,
        }
        return get_target("litert").export(
            model,
            path,
            representative_data=representative_data,
            protocol=protocol,
            **options,
        )

    def load(self, path: str | os.PathLike, **options) -> MicroModel:
        """:class:`MicroModel` (``options``: ``arena_size``)."""
        return MicroModel(path, **options)

    def memory_bytes(self, path: str | os.PathLike) -> int:
        return micro_arena_bytes(path)
