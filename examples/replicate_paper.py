r"""The reference study's grid, run on this package, beside the paper's claims.

Arora et al. (arXiv 2511.18829) distil 1D ResNets for heart rate and claim:
every distilled student beats scratch, DKD is best, the ranking is
DKD > feature > soft > hard, students saturate near 6 blocks, bigger
teachers help with diminishing returns, ResNets beat MLPs of equal size,
DKD is ~30 % better than hard. This script runs their grid on the built-in
synthetic crowd and writes ``docs/results/replication.md``: one row per
claim (the paper's figure, ours with its spread, a verdict), then Table 2
and Figures 1 and 3 beside the paper's numbers.

The grid, per seed and loss:

- ``grid``: a 12-block ResNet1D teacher; ResNet1D students of 1, 2, 6 and
  10 blocks and MLPs of the same parameter counts; hard, soft (T = 2), DKD
  (alpha = 1, beta = 8, T = 2, CE weight 1) and feature distillation, and
  each student from scratch (Table 2, Figures 2 and 3);
- ``teachers``: 2- and 6-block teachers distilling the 1- and 2-block
  students with DKD (Figure 1, with the 12-block teacher of ``grid``).

Each is run under the paper's one-hot cross-entropy (``onehot``) and under
the package's ordinal targets (``ordinal``, a 2 BPM Gaussian), for seeds
0, 1 and 2. The paper trains for 300 epochs at Adam 5e-4 on 107 h of real
recordings; here every model trains as the package's main job does (8
epochs, teachers 15, batch 32, Adam 1e-2 with cosine decay, dropout 0.1)
on 40 synthetic people and is tested on 60 others.

Every (loss, part, seed) is a resumable sweep in
``<out>/<loss>/<part>/seed<k>/`` run in ``--workers`` processes; seeds run
outermost, so a stopped run has whole seeds of every part. Rerun the same
command to resume; ``--page_only`` rewrites the page from what is there.

Usage:
    python examples/replicate_paper.py                  # the whole grid
    python examples/replicate_paper.py --page_only
"""

import os
import pathlib
import sys

# First, so that TensorFlow loads through the package's quiet import.
import keras_ppg_kd  # noqa: F401

# isort: split
from absl import app, flags

from keras_ppg_kd.study.config import StudyConfig
from keras_ppg_kd.study.plan import load_study_windows
from keras_ppg_kd.study.sweep import run_sweep

# The losses: the paper's one-hot CE and the package's ordinal targets.
LOSSES = {"onehot": 0.0, "ordinal": 2.0}
STRATEGIES = ("hard", "soft:temperature=2", "dkd", "feature")
GRID = StudyConfig(
    name="replication",
    datasets=("synthetic_ppg/crowd",),
    split="holdout",
    test_fraction=0.6,
    teachers=(12,),
    students=(1, 2, 6, 10, "mlp:1", "mlp:2", "mlp:6", "mlp:10"),
    strategies=STRATEGIES,
    scratch=True,
    epochs=8,
    teacher_epochs=15,
    batch_size=32,
    learning_rate=1e-2,
    schedule="cosine",
    dropout=0.1,
)
PARTS = {
    "grid": GRID,
    "teachers": GRID.replace(
        name="replication_teachers",
        teachers=(2, 6),
        students=(1, 2),
        strategies=("dkd",),
        scratch=False,
    ),
}

flags.DEFINE_string(
    "out", "replication_out", "Folder of the sweeps (the page's data)."
)
flags.DEFINE_string(
    "page", None, "Write the page here (default: <out>.md beside <out>)."
)
flags.DEFINE_list("seeds", ["0", "1", "2"], "Seeds.")
flags.DEFINE_list("losses", list(LOSSES), f"Losses, of {list(LOSSES)}.")
flags.DEFINE_list("parts", list(PARTS), f"Parts, of {list(PARTS)}.")
flags.DEFINE_integer("workers", 2, "Worker processes per sweep.")
flags.DEFINE_bool("page_only", False, "Only rewrite the page.")
flags.DEFINE_multi_string(
    "set",
    [],
    "Override a grid field of every part, e.g. --set epochs=2 (a smoke "
    "run; keep one --out per setting).",
)
FLAGS = flags.FLAGS


def configs(seeds, losses, parts, overrides=None):
    """``[(folder, StudyConfig), ...]`` in run order: seed, loss, part."""
    runs = []
    for seed in seeds:
        for loss in losses:
            for part in parts:
                config = PARTS[part].replace(
                    seeds=(seed,), label_sigma=LOSSES[loss]
                )
                if overrides:
                    config = config.override(overrides)
                runs.append((pathlib.Path(loss, part, f"seed{seed}"), config))
    return runs


def _choices(values, accepted, flag):
    bad = [v for v in values if v not in accepted]
    if bad:
        raise app.UsageError(
            f"--{flag} takes items of {list(accepted)}; received {bad}"
        )
    return values


def main(_):
    losses = _choices(FLAGS.losses, LOSSES, "losses")
    parts = _choices(FLAGS.parts, PARTS, "parts")
    try:
        seeds = [int(s) for s in FLAGS.seeds]
    except ValueError:
        raise app.UsageError(
            f"--seeds takes integers; received {FLAGS.seeds}"
        ) from None
    overrides = dict(item.partition("=")[::2] for item in FLAGS.set)
    out = pathlib.Path(FLAGS.out)
    if not FLAGS.page_only:
        runs = configs(seeds, losses, parts, overrides)
        windows = load_study_windows(runs[0][1])
        for i, (folder, config) in enumerate(runs, 1):
            print(f"[{i}/{len(runs)}] {folder}", flush=True)
            run_sweep(
                config, out / folder, windows=windows, workers=FLAGS.workers
            )
    from replication_page import write_page  # noqa: PLC0415

    page = write_page(out, FLAGS.page or f"{out}.md")
    print(f"Wrote {page}")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    app.run(main)
