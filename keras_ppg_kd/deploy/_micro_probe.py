"""Whether TFLite Micro runs a file with a given arena, in its own process.

Run as a script (``python _micro_probe.py MODEL ARENA_BYTES``; it imports
only tflite_micro and numpy, not this package) because the tflite-micro
host binding can crash the whole process on an arena that is too small
instead of failing; a crash here cannot take the caller down. Exits 0 when
TFLM allocates and invokes, else 1 with TFLM's log on stderr.
"""

import os
import sys
import tempfile

import numpy as np
from tflite_micro import runtime


def first_invoke(data, arena):
    """A TFLM interpreter that allocated and invoked once, or None.

    Returns ``(interpreter or None, TFLM's log)``. File descriptor 2 is
    captured here rather than with the package's ``_logs`` helper: this
    script must not import the package (and TensorFlow with it).
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            interpreter = runtime.Interpreter.from_bytes(data, arena_size=arena)
            details = interpreter.get_input_details(0)
            interpreter.set_input(
                np.zeros(details["shape"], details["dtype"]), 0
            )
            interpreter.invoke()
        except (RuntimeError, ValueError):
            interpreter = None
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        sink.seek(0)
        return interpreter, sink.read().decode(errors="replace").strip()


if __name__ == "__main__":
    with open(sys.argv[1], "rb") as f:
        interpreter, log = first_invoke(f.read(), int(sys.argv[2]))
    if interpreter is None:
        sys.exit(log or "TFLM failed without a message")
