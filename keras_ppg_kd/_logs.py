"""What native code writes to stderr: captured, and filtered at import.

TensorFlow prints a few INFO lines (oneDNN, CPU features) from C++ before
its logging is initialised, so ``TF_CPP_MIN_LOG_LEVEL`` does not silence
them (TF 2.21). :func:`import_tensorflow` imports it with file descriptor 2
captured and passes on everything except those lines when the level asks
for quiet (the package's default, 2; they are kept in :data:`DROPPED`);
``TF_CPP_MIN_LOG_LEVEL=0`` shows all.
"""

import contextlib
import os
import re
import sys
import tempfile

# glog-style INFO lines ("I0000 00:00:...") and their unprefixed tails.
_PRE_INIT_INFO = re.compile(
    r"^(I\d{4} |WARNING: All log messages before absl::InitializeLog"
    r"|To enable the following instructions:)"
)
# The lines import_tensorflow() held back, for a caller that wants them
# after all (the CLI's --verbosity=0).
DROPPED = []


@contextlib.contextmanager
def captured_stderr():
    """Collect what any code, C++ included, writes to file descriptor 2.

    Yields a list that holds the captured text once the block ends.
    """
    captured = []
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield captured
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            sink.seek(0)
            captured.append(sink.read().decode(errors="replace"))


def import_tensorflow():
    """Import TensorFlow, dropping its pre-init INFO lines unless asked."""
    level = os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0")
    if "tensorflow" in sys.modules or not level.isdigit() or int(level) < 1:
        import tensorflow  # noqa: F401

        return
    log = []
    try:
        with captured_stderr() as log:
            import tensorflow  # noqa: F401
    finally:  # an ImportError's messages pass on too
        kept = []
        for line in "".join(log).splitlines():
            (DROPPED if _PRE_INIT_INFO.match(line) else kept).append(line)
        if kept:
            print("\n".join(kept), file=sys.stderr)


# What the LiteRT converter and interpreter print from C++ on every call.
LITERT_CHATTER = re.compile(
    r"^(fully_quantize: |INFO: Created TensorFlow Lite XNNPACK delegate)"
)


@contextlib.contextmanager
def quiet_native(chatter):
    """Drop the lines native code writes to stderr that match ``chatter``
    (kept in :data:`DROPPED`) unless ``TF_CPP_MIN_LOG_LEVEL`` is 0; every
    other line passes on when the block ends."""
    level = os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0")
    if not level.isdigit() or int(level) < 1:
        yield
        return
    log = []
    try:
        with captured_stderr() as log:
            yield
    finally:
        kept = []
        for line in "".join(log).splitlines():
            (DROPPED if chatter.match(line) else kept).append(line)
        if kept:
            print("\n".join(kept), file=sys.stderr)
