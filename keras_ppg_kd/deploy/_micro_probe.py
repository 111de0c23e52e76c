"""Whether TFLite Micro runs a file with given arenas, in its own process.

Run as a script (it imports only tflite_micro and numpy, not this
package) because the tflite-micro host binding can crash the whole
process on an arena that is too small instead of failing; a crash here
cannot take the caller down. ``python _micro_probe.py MODEL`` reads one
arena size (bytes) per line on stdin and answers each with a line
``PROBE [ran, TFLM's log]`` (JSON); ``python _micro_probe.py MODEL
ARENA_BYTES`` tries one and exits 0 when TFLM allocates and invokes, else
1 with TFLM's log on stderr.
"""

import json
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


ANSWER = "PROBE "  # marks the answers among whatever else reaches stdout


if __name__ == "__main__":
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    if len(sys.argv) > 2:
        interpreter, log = first_invoke(data, int(sys.argv[2]))
        if interpreter is None:
            sys.exit(log or "TFLM failed without a message")
        sys.exit(0)
    for line in sys.stdin:
        interpreter, log = first_invoke(data, int(line))
        print(ANSWER + json.dumps([interpreter is not None, log]), flush=True)
