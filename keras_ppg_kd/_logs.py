"""What native code writes to stderr: captured, and filtered at import.

TensorFlow prints a few INFO lines (oneDNN, CPU features) from C++ before
its logging is initialised, so ``TF_CPP_MIN_LOG_LEVEL`` does not silence
them (TF 2.21). :func:`import_tensorflow` imports it with file descriptor 2
captured and passes on everything except those lines when the level asks
for quiet (the package's default, 2; they are kept in :data:`DROPPED`);
``TF_CPP_MIN_LOG_LEVEL=0`` shows all.

:func:`quiet_libraries` does the same for what the libraries under the
package log in Python: tensorflow-datasets' and TensorFlow's INFO lines
(absl logging shows INFO under ``absl.app.run``) and Keras's notes that
its step functions retraced (a sweep builds many models in one process).
Warnings and errors pass, as does everything with ``--verbosity=0`` or
``TF_CPP_MIN_LOG_LEVEL=0``; tfds's progress bars draw only on a
terminal (:func:`tfds_progress_on_terminal`).
"""

import contextlib
import logging
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


# A glog-style line of TensorFlow's C++ ("I0000 00:00:... file.cc:12] ...")
# and its severity.
_NATIVE_LOG = re.compile(r"^([IWEF])\d{4} \d\d:\d\d:\d\d")


@contextlib.contextmanager
def quiet_native(chatter):
    """Drop the lines native code writes to stderr that match ``chatter``,
    and its log lines below ``TF_CPP_MIN_LOG_LEVEL`` (which TensorFlow
    ignores where it was imported before this package set it), keeping
    them in :data:`DROPPED`; nothing is dropped at level 0, and every
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
            native = _NATIVE_LOG.match(line)
            below = native and "IWEF".index(native.group(1)) < int(level)
            (DROPPED if below or chatter.match(line) else kept).append(line)
        if kept:
            print("\n".join(kept), file=sys.stderr)


def _show_everything():
    """Whether the user asked for every line: ``TF_CPP_MIN_LOG_LEVEL=0``,
    or absl's ``--verbosity`` (``-v``) given as 0 or more."""
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2") == "0":
        return True
    flags = sys.modules.get("absl.flags")
    try:
        verbosity = flags.FLAGS["verbosity"]
        return verbosity.present and verbosity.value >= 0
    except (AttributeError, KeyError):  # absl absent or the flag unparsed
        return False


_LIBRARY_PATH = re.compile(r"[/\\](tensorflow|tensorflow_datasets)[/\\]")


class _LibraryChatter(logging.Filter):
    """Drops tfds's and TensorFlow's INFO records, tfds's notes on the
    version folder it prepares and Keras's retracing notes."""

    def filter(self, record):
        if _show_everything():
            return True
        if record.levelno < logging.WARNING:
            # tfds's, and TensorFlow's own (the SavedModel a LiteRT export
            # writes: "Sharding callback duration", "Assets written to")
            return not _LIBRARY_PATH.search(record.pathname)
        message = record.getMessage()
        if message.startswith("Variant folder") and _LIBRARY_PATH.search(
            record.pathname
        ):
            # tfds scanning a version folder it is still writing, on every
            # first preparation ("Variant folder .../1.1.0 has no
            # dataset_info.json"): nothing a user can act on.
            return False
        # "5 out of the last 5 calls to <function TensorFlowTrainer.
        # make_train_function...> triggered tf.function retracing": Keras's
        # own step functions, once per model; a user's function still warns.
        return not (
            "triggered tf.function retracing" in message
            and "TensorFlowTrainer" in message
        )


_FILTER = _LibraryChatter()
_OWN_PATH = re.compile(r"[/\\]keras_ppg_kd[/\\]")


class _PlainOwnLines(logging.Formatter):
    """The package's own records as plain lines (``warning: ...`` for a
    warning), as the commands print theirs; others as absl formats them
    (``W1207 08:40:05.064572 ... file.py:204] ...``)."""

    def __init__(self, absl_format):
        super().__init__()
        self.absl_format = absl_format

    def format(self, record):
        if not _OWN_PATH.search(record.pathname):
            return self.absl_format.format(record)
        text = record.getMessage()
        if record.levelno >= logging.WARNING:
            text = f"{record.levelname.lower()}: {text}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def quiet_libraries():
    """Filter tfds's INFO lines and Keras's retracing notes out of the
    ``absl`` and ``tensorflow`` loggers, and write the package's own
    records as plain lines where absl writes them (once; idempotent)."""
    # absl's own logger class, which names the caller (the logging call
    # in tfds); a plain logger made here first would stand in its place.
    from absl import logging as absl_logging

    for logger in (
        absl_logging.get_absl_logger(),
        logging.getLogger("tensorflow"),
    ):
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    handler = absl_logging.get_absl_handler().python_handler
    if not isinstance(handler.formatter, _PlainOwnLines):
        handler.setFormatter(_PlainOwnLines(handler.formatter))


@contextlib.contextmanager
def tfds_progress_on_terminal():
    """tfds's progress bars only where they draw: on a terminal. Piped to
    a file or a log they are cursor escapes (``ESC[A``) on every update;
    the previous setting comes back when the block ends."""
    from tensorflow_datasets.core.utils import tqdm_utils

    before = getattr(tqdm_utils, "_active", True)  # tfds's own switch
    tqdm_utils.display_progress_bar(before and sys.stderr.isatty())
    try:
        yield
    finally:
        tqdm_utils.display_progress_bar(before)
