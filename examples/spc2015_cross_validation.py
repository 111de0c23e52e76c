r"""Leave-one-participant-out on the real IEEE SPC 2015 recordings.

For each of the twelve participants, the generalizing recipe
(:mod:`keras_ppg_kd.training.generalize`) trains on the other eleven (two of
them held out for model selection and tracker calibration): a ResNet1D
teacher pre-trained on synthetic data, a DKD student (``tcns:5`` by default;
``--set student=resnet:1`` for the study's 1-block ResNet), its int8
LiteRT file and the causal tracker. Prints per-participant MAE (BPM,
against the ECG-derived ``BPM0``) of the spectral peak, teacher, student,
int8 student, int8 + causal tracker and int8 + offline smoothing.

``--set`` changes recipe fields for an ablation, e.g.
``--set label_sigma=0 --set augmentation.stretch_prob=0``; ``--folds``
below 12 groups participants into folds.

Writes the per-participant table to ``--out`` (CSV) and plots it beside
(``.png``: MAE per recording of the spectral peak, the teacher and the int8
student with the causal tracker and offline smoothing);
``--plot_only=<table.csv>`` redraws that plot from a saved table, without
data or training.

Usage: python examples/spc2015_cross_validation.py \
    --spc_dir ../shared/data/ieee_spc2015 [--folds 12] [--out loso.csv]
  python examples/spc2015_cross_validation.py --plot_only=loso.csv
"""

import pathlib
import sys
import tempfile
import time

import numpy as np
from absl import app, flags

flags.DEFINE_string(
    "spc_dir", "../shared/data/ieee_spc2015", "Folder with Training_data/."
)
flags.DEFINE_integer("folds", 12, "Folds by participant (12 = LOSO).")
flags.DEFINE_multi_string("set", [], "Recipe overrides, field=value.")
flags.DEFINE_string("data_dir", None, "tfds data directory.")
flags.DEFINE_string(
    "out",
    "spc2015_loso.csv",
    "Per-participant table (CSV); its plot goes beside it (.png).",
)
flags.DEFINE_string(
    "plot_only",
    None,
    "Redraw the plot beside a saved per-participant table (CSV); no "
    "data or training.",
)
FLAGS = flags.FLAGS
# The plot's columns: the baseline, the teacher, the shipped file tracked.
PLOTTED = {
    "spectral_peak": ("spectral peak", "#bdbdbd"),
    "teacher": ("teacher (fine-tuned)", "#9ecae1"),
    "int8+tracker": ("int8 student + causal tracker", "#3182bd"),
    "int8+offline": ("int8 student + offline smoothing", "#08519c"),
}


def load_table(path):
    """A per-participant table saved by ``--out``; exits with one line
    naming the file when it is not one."""
    import pandas as pd

    try:
        table = pd.read_csv(path)
    except (OSError, ValueError) as error:  # pandas' parser errors too
        sys.exit(
            f"spc2015_cross_validation.py: error: cannot read {path}: {error}"
        )
    columns = [c for c in PLOTTED if c in table]
    if (
        "recording" not in table
        or table.empty
        or not columns
        or not all(pd.api.types.is_numeric_dtype(table[c]) for c in columns)
    ):
        sys.exit(
            f"spc2015_cross_validation.py: error: {path} is not a "
            "per-participant table of this script (a recording column and "
            f"numeric MAE columns among {', '.join(PLOTTED)})"
        )
    return table


def plot(table, path):
    """Grouped bars of MAE per held-out recording, one bar per method in
    ``PLOTTED``, each method's mean and median over recordings in the
    legend."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    table = table.sort_values("recording")
    columns = [c for c in PLOTTED if c in table]
    names = [str(r).rsplit("/", 1)[-1] for r in table.recording]
    fig, ax = plt.subplots(figsize=(11, 4.6))
    width = 0.8 / len(columns)
    for i, column in enumerate(columns):
        label, colour = PLOTTED[column]
        ax.bar(
            np.arange(len(table)) + (i - (len(columns) - 1) / 2) * width,
            table[column],
            width,
            color=colour,
            edgecolor="k",
            linewidth=0.4,
            label=f"{label} (mean {table[column].mean():.2f}, "
            f"median {table[column].median():.2f})",
        )
    ax.set_xticks(range(len(table)), names)
    ax.set_xlim(-0.6, len(table) - 0.4)
    ax.set_xlabel("held-out recording")
    ax.set_ylabel("MAE against the ECG (BPM)")
    ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    folds = table["fold"].nunique() if "fold" in table else None
    split = (
        "leave-one-participant-out"
        if folds in (None, len(table))
        else f"{folds} folds by participant"
    )
    ax.set_title(
        f"IEEE SPC 2015, {split}: MAE per held-out recording "
        f"({len(table)} recordings)",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main(_):
    if FLAGS.plot_only:
        saved = pathlib.Path(FLAGS.plot_only)
        print(f"wrote {plot(load_table(saved), saved.with_suffix('.png'))}")
        return
    if not (pathlib.Path(FLAGS.spc_dir) / "Training_data").is_dir():
        sys.exit(
            f"spc2015_cross_validation.py: error: no IEEE SPC 2015 "
            f"recordings in {FLAGS.spc_dir} (Training_data/ missing); "
            "download them (docs/data.md) and pass --spc_dir"
        )
    # Imported here, not above, so that --help, --plot_only and missing
    # data answer without TensorFlow; the package first, so that
    # TensorFlow loads through its quiet import.
    import keras_ppg_kd  # noqa: F401

    # isort: split
    import keras
    import pandas as pd

    from keras_ppg_kd.data import k_fold
    from keras_ppg_kd.datasets import load_windows
    from keras_ppg_kd.deploy import LiteRTModel, export_tflite
    from keras_ppg_kd.heart_rate import logits_to_bpm
    from keras_ppg_kd.training.generalize import (
        GeneralizingRecipe,
        pretrain_teacher,
        score,
        synthetic_windows,
        train_and_distill,
    )

    start = time.perf_counter()
    try:
        recipe = GeneralizingRecipe().override(FLAGS.set)
    except ValueError as error:  # a wrong --set: one line
        sys.exit(f"spc2015_cross_validation.py: error: {error}")
    print(recipe)
    real = load_windows(
        "ieee_spc2015",
        data_dir=FLAGS.data_dir,
        manual_dir=FLAGS.spc_dir,
        config=recipe.window,
    )
    synthetic = synthetic_windows(recipe)
    pretrained = zero_shot = None
    if recipe.pretrained_teacher or synthetic is not None:
        teacher = pretrain_teacher(recipe, synthetic)
        pretrained = teacher.get_weights()
        # The synthetic-only teacher has seen no participant: a zero-shot
        # column beside the fine-tuned models.
        logits = teacher.predict(real.windows, batch_size=512, verbose=0)
        zero_shot = np.asarray(logits_to_bpm(logits))
        print(
            f"pre-trained teacher ready ({time.perf_counter() - start:.0f} s)"
        )
    tables = []
    with tempfile.TemporaryDirectory() as tmp:
        for fold, (train_mask, test_mask) in enumerate(
            k_fold(real, FLAGS.folds, seed=0)
        ):
            train, test = real.subset(train_mask), real.subset(test_mask)
            trained = train_and_distill(
                train, recipe, synthetic, pretrained, seed=fold
            )
            path = export_tflite(
                trained.student,
                f"{tmp}/fold{fold}.tflite",
                "int8",
                representative_data=train.windows,
                protocol=train.config,
            )
            extra = {} if zero_shot is None else {"synthetic_only": zero_shot}
            table = score(
                test,
                trained,
                LiteRTModel(path),
                {k: v[test_mask] for k, v in extra.items()},
            )
            table.insert(0, "fold", fold)
            tables.append(table)
            print(
                table.to_string(
                    index=False, header=fold == 0, float_format="%.2f"
                ),
                f"({time.perf_counter() - start:.0f} s)",
                flush=True,
            )
            keras.backend.clear_session()
    table = pd.concat(tables).sort_values("recording")
    if FLAGS.out:
        table.to_csv(FLAGS.out, index=False)
        plot(table, pathlib.Path(FLAGS.out).with_suffix(".png"))
    columns = [c for c in table.columns if c not in ("fold", "recording")]
    columns.remove("windows")
    means = table[columns].mean()
    print(table.to_string(index=False, float_format="%.2f"))
    print(
        "mean per-participant MAE (BPM): "
        + ", ".join(f"{c} {means[c]:.2f}" for c in columns)
        + f"; median int8+tracker {np.median(table['int8+tracker']):.2f}; "
        f"{time.perf_counter() - start:.0f} s"
    )


if __name__ == "__main__":
    app.run(main)
