"""The ``keras-ppg-kd`` command line (absl flags).

Usage: ``keras-ppg-kd COMMAND [--flags]``; ``keras-ppg-kd COMMAND --help``
lists that command's flags (a flag another command reads is refused).
Commands:

  models   Print the ResNet1D / MLP parameter table next to the study's.
  train    Train a teacher or scratch model on named datasets.
  distill  Distil a student from a saved teacher with one strategy.
  sweep    Run (or resume) a teacher x student x strategy study; --dry_run
           prints its cells and estimated time instead.
  fit      Fit the scaling laws to a sweep's results table.
  report   Table 2, scaling-law fits and Figures 1-3 from a results table.
  export   Export a saved student to LiteRT (float32/float16/dynamic/int8),
           check it against Keras and print its size, ops and latency.
  plan     Recommend a student size and strategy for a device budget.
"""

import sys

from absl import app, logging

# Each command module registers its command on import.
from keras_ppg_kd.cli import (  # noqa: F401
    distill,
    export,
    fit,
    models,
    plan,
    report,
    sweep,
    train,
)
from keras_ppg_kd.cli._common import (
    _COMMANDS,
    _OVERRIDE_PREFIX,
    _OVERRIDES,
    _REQUIRED,
    _fail,
)
from keras_ppg_kd.cli._flags import FLAGS


def _main(argv):
    """Check the command and its flags, then run it; errors exit with 2."""
    if len(argv) < 2 or argv[1] not in _COMMANDS:
        received = argv[1] if len(argv) > 1 else None
        _fail(
            None,
            f"expected a command, one of {sorted(_COMMANDS)}. Received: "
            f"{received!r}",
        )
    command = argv[1]
    if len(argv) > 2:
        _fail(command, f"unexpected arguments: {argv[2:]}")
    if _OVERRIDES and command != "sweep":
        _fail(
            command,
            f"--config.<field> overrides apply to `sweep` only. Received: "
            f"{', '.join(_OVERRIDE_PREFIX + k for k in _OVERRIDES)}",
        )
    function, accepted = _COMMANDS[command]
    ours = {name for _, names in _COMMANDS.values() for name in names}
    stray = sorted(n for n in ours - set(accepted) if FLAGS[n].present)
    if stray:
        _fail(
            command,
            f"{', '.join('--' + n for n in stray)} does not apply to "
            f"`{command}`; its flags: {', '.join('--' + n for n in accepted)}",
        )
    missing = [n for n in _REQUIRED[command] if getattr(FLAGS, n) in (None, "")]
    if missing:
        _fail(command, f"{', '.join('--' + n for n in missing)} is required")
    import keras_ppg_kd

    keras_ppg_kd._load()  # Keras and TensorFlow: only now a command runs
    if FLAGS["verbosity"].present and FLAGS.verbosity >= 0:
        from keras_ppg_kd import _logs

        # TensorFlow's INFO lines from its import, held back until now.
        print("\n".join(_logs.DROPPED), file=sys.stderr)
    else:
        logging.set_verbosity(logging.WARNING)
    try:
        function()
    except (ValueError, FileNotFoundError, app.UsageError) as error:
        # bad input or a missing folder: one line, no traceback
        _fail(command, str(error))


def _help(argv):
    """The help text: the command's own flags, or the list of commands."""
    command = next((a for a in argv[1:] if a in _COMMANDS), None)
    if command is None:
        return (
            __doc__.replace("``", "`")
            + "\nRun `keras-ppg-kd COMMAND --help` for a command's flags; "
            "--version prints the version; --helpfull lists every flag."
        )
    function, accepted = _COMMANDS[command]
    lines = [
        f"usage: keras-ppg-kd {command} [--flag=value ...]",
        "",
        function.__doc__.strip(),
        "",
        "flags:",
    ]
    for name in accepted:
        flag = FLAGS[name]
        if name in _REQUIRED[command]:
            default = "required"
        elif flag.default is None:
            default = "optional"
        else:
            default = f"default: {flag.default!r}"
        lines.append(f"  --{name}: {flag.help} ({default})")
    lines.append(
        "  --verbosity: 0 shows INFO logs, TensorFlow's included "
        "(default: warnings and errors only)"
    )
    return "\n".join(lines)


def _take_override(arg):
    """Record ``--config.<field>=value`` in _OVERRIDES; False for others."""
    if not arg.startswith(_OVERRIDE_PREFIX):
        return False
    name, sep, value = arg[len(_OVERRIDE_PREFIX) :].partition("=")
    if not (name and sep):
        _fail(
            "sweep",
            f"write overrides as --config.<field>=value. Received: {arg!r}",
        )
    _OVERRIDES[name] = value
    return True


def run():
    """Console-script entry point."""
    argv = sys.argv
    if "--version" in argv[1:]:
        from keras_ppg_kd.version import __version__

        print(f"keras-ppg-kd {__version__}")
        return
    if {"--help", "-h", "--helpshort", "help"} & set(argv[1:]):
        print(_help(argv))
        return
    argv = [a for a in argv if not _take_override(a)]
    # absl's --helpfull prints the __main__ docstring and the flags of the
    # program file; for an installed console script neither is this module.
    sys.modules["__main__"].__doc__ = __doc__
    for flag in FLAGS.flags_by_module_dict().get(__name__, []):
        FLAGS.register_key_flag_for_module(sys.argv[0], flag)
    app.run(_main, argv=argv)
