"""The ``keras-ppg-kd`` command line (absl flags).

Usage: ``keras-ppg-kd COMMAND [--flags]``; ``keras-ppg-kd --help`` lists
every flag. Commands:

  models   Print the ResNet1D / MLP parameter table next to the study's.
"""

import sys

from absl import app, flags

FLAGS = flags.FLAGS
flags.DEFINE_list(
    "blocks",
    ["1", "2", "6", "8", "10", "12"],
    "models: ResNet1D block counts to list.",
)

_COMMANDS = {}


def _command(function):
    _COMMANDS[function.__name__.removeprefix("cmd_")] = function
    return function


@_command
def cmd_models():
    """Parameter table: our ResNet1D, the study's count, an equal MLP."""
    from keras_ppg_kd.models import (
        STUDY_PARAMETER_COUNTS,
        ResNet1D,
        mlp_for_budget,
    )

    print(
        f"{'blocks':>6} {'params':>9} {'as-study':>9} {'study':>8} "
        f"{'MLP same size':>16}"
    )
    for blocks in map(int, FLAGS.blocks):
        model = ResNet1D(blocks)
        trainable = sum(int(w.numpy().size) for w in model.trainable_weights)
        study = STUDY_PARAMETER_COUNTS.get(blocks)
        mlp = mlp_for_budget(trainable)
        print(
            f"{blocks:>6} {trainable:>9,} "
            f"{model.reference_parameter_count():>9,} "
            f"{(f'{study:,}' if study else '-'):>8} "
            f"{'x'.join(map(str, mlp.hidden_units)):>9} "
            f"{mlp.count_params():>6,}"
        )


def _main(argv):
    if len(argv) < 2 or argv[1] not in _COMMANDS:
        received = argv[1] if len(argv) > 1 else None
        raise app.UsageError(
            f"Expected a command, one of {sorted(_COMMANDS)}. "
            f"Received: {received!r}"
        )
    if len(argv) > 2:
        raise app.UsageError(f"Unexpected arguments: {argv[2:]}")
    _COMMANDS[argv[1]]()


def run():
    """Console-script entry point."""
    app.run(_main, argv=sys.argv)


if __name__ == "__main__":
    run()
