"""``keras-ppg-kd models``: the parameter table of the study's sizes."""

from keras_ppg_kd.cli._common import _command
from keras_ppg_kd.cli._flags import FLAGS


@_command("blocks")
def cmd_models():
    """Parameter table: our ResNet1D, the study's count, an equal MLP."""
    from keras_ppg_kd.models import (
        STUDY_PARAMETER_COUNTS,
        ResNet1D,
        mlp_for_budget,
        trainable_parameters,
    )

    print(
        f"{'blocks':>6} {'params':>9} {'as-study':>9} {'study':>8} "
        f"{'MLP same size':>16}"
    )
    for blocks in map(int, FLAGS.blocks):
        model = ResNet1D(blocks)
        trainable = trainable_parameters(model)
        study = STUDY_PARAMETER_COUNTS.get(blocks)
        mlp = mlp_for_budget(trainable)
        print(
            f"{blocks:>6} {trainable:>9,} "
            f"{model.reference_parameter_count():>9,} "
            f"{(f'{study:,}' if study else '-'):>8} "
            f"{'x'.join(map(str, mlp.hidden_units)):>9} "
            f"{trainable_parameters(mlp):>6,}"
        )
