"""The command line's flags, and the groups of them commands share.

Every flag is defined here, once; a command names those it reads where it
registers (``_common._command``) and the dispatcher refuses the others.
"""

from absl import flags

# --helpfull lists flags under the module that defines them: the package's
# name, as when the command line was one module.
_CLI = "keras_ppg_kd.cli"


FLAGS = flags.FLAGS
flags.DEFINE_list(
    "blocks",
    ["1", "2", "6", "8", "10", "12"],
    "models: ResNet1D block counts to list.",
    module_name=_CLI,
)

# --- data and training (train, distill) ---
flags.DEFINE_list(
    "datasets",
    ["synthetic_ppg/small"],
    "train/distill: dataset names[/config], e.g. synthetic_ppg/small, "
    "ppg_folder/ppg_acc, ppg_folder/cancel_motion; any registered builder "
    "(an unknown name lists them). export: the data to calibrate and check "
    "on (by default the model's record names it).",
    module_name=_CLI,
)
flags.DEFINE_string(
    "data_dir", None, "tfds data directory (tfds default).", module_name=_CLI
)
flags.DEFINE_string(
    "manual_dir",
    None,
    "Raw downloads: one folder for every dataset, or name=path,... per "
    "dataset (default $PPG_DATA_DIR/<name>).",
    module_name=_CLI,
)
flags.DEFINE_string(
    "model_id",
    "resnet:1",
    "train/distill: the model to build, '<family>:<size>' (resnet, resnetw, "
    "tcn, tcns, tcnw, mlp).",
    module_name=_CLI,
)
flags.DEFINE_integer(
    "epochs",
    None,
    "train/distill: epochs (1 or more); by default at most 12 (train) or "
    "15 (distill), 300 with --from_scratch, stopping early on held-out "
    "training participants (--patience). sweep: overrides.",
    lower_bound=1,
    module_name=_CLI,
)
flags.DEFINE_integer(
    "patience",
    10,
    "train/distill without --epochs: stop after this many epochs without a "
    "better held-out MAE (the best epoch's weights are kept).",
    module_name=_CLI,
)
flags.DEFINE_integer(
    "seed",
    0,
    "train/distill: seed of weights and split (export: of the split).",
    module_name=_CLI,
)
flags.DEFINE_float(
    "test_fraction",
    0.2,
    "train/distill/export: held-out share of participants.",
    module_name=_CLI,
)
flags.DEFINE_string(
    "teacher", None, "distill: path of the teacher .keras.", module_name=_CLI
)
flags.DEFINE_string(
    "strategy",
    "dkd",
    "distill: a registered strategy, e.g. dkd or 'dkd:temperature=4' (an "
    "unknown name lists them).",
    module_name=_CLI,
)
flags.DEFINE_bool(
    "from_scratch",
    False,
    "train/distill: start from fresh weights with the study's settings "
    "(Adam 5e-4, one-hot labels, the windows as --datasets names them), "
    "instead of the shipped synthetic-pre-trained model of --model_id "
    "(resnet:6, resnet:1; distill also tcns:5, tcn:5, tcnw:8, tcnw:12) "
    "fine-tuned gently on motion-cancelled windows.",
    module_name=_CLI,
)
flags.DEFINE_bool(
    "baseline",
    True,
    "distill: also train the student on the labels alone (same start, data "
    "and epochs) and report its MAE beside the distilled one's "
    "(--nobaseline skips it).",
    module_name=_CLI,
)
flags.DEFINE_string(
    "out",
    None,
    "Output directory (train, distill, export, sweep, report).",
    module_name=_CLI,
)
flags.DEFINE_bool(
    "epoch_progress",
    True,
    "train/distill/sweep: epoch lines with the run's ETA (at most one per "
    "10 s per run; --noepoch_progress for none).",
    module_name=_CLI,
)
flags.DEFINE_string(
    "tensorboard",
    None,
    "train/distill/sweep: write TensorBoard logs under this folder (one "
    "sub-folder per run); view with `tensorboard --logdir DIR`.",
    module_name=_CLI,
)
# --- sweep ---
flags.DEFINE_string(
    "config",
    "quick",
    "sweep: a preset (quick, paper, scaling, scaling_pretrained, "
    "scaling_width) or a StudyConfig JSON file.",
    module_name=_CLI,
)
flags.DEFINE_enum(
    "engine",
    "local",
    ["local", "ray"],
    "sweep: run cells in this process or as Ray tasks.",
    module_name=_CLI,
)
flags.DEFINE_string(
    "ray_address",
    None,
    "sweep: existing Ray cluster (local one if unset).",
    module_name=_CLI,
)
flags.DEFINE_integer(
    "workers",
    1,
    "sweep, local: run cells in this many processes (cpu_count / workers "
    "TensorFlow threads each; on small CPUs faster than one process).",
    module_name=_CLI,
)
flags.DEFINE_float(
    "gpus_per_cell",
    None,
    "sweep, Ray: share of a GPU per cell (default 0.25 on a cluster with "
    "GPUs, 0 without).",
    module_name=_CLI,
)
flags.DEFINE_string(
    "shard",
    None,
    "sweep: 'i/n' runs every n-th cell from i (job arrays).",
    module_name=_CLI,
)
flags.DEFINE_bool(
    "dry_run",
    False,
    "sweep: print cells and estimated time, train nothing.",
    module_name=_CLI,
)
# --- fit / report ---
flags.DEFINE_string(
    "results",
    None,
    "fit/report: results.csv of a sweep (or its directory); report: "
    "several, comma-separated, to combine studies (one per teacher).",
    module_name=_CLI,
)
flags.DEFINE_integer(
    "teacher_blocks",
    None,
    "fit/report: teacher to analyse (largest default).",
    module_name=_CLI,
)
flags.DEFINE_float(
    "target_mae",
    None,
    "fit: smallest student that reaches this MAE (BPM).",
    module_name=_CLI,
)
flags.DEFINE_integer(
    "predict_params",
    None,
    "fit: predicted MAE at this parameter count.",
    module_name=_CLI,
)
# --- export / plan ---
flags.DEFINE_string(
    "model",
    None,
    "export: the student .keras file, or a shipped model's name "
    "(e.g. synthetic_tcn5).",
    module_name=_CLI,
)
flags.DEFINE_enum(
    "quantization",
    "int8",
    ["float32", "float16", "dynamic", "int8"],
    "export: float32, float16 weights, dynamic-range int8 weights, or full "
    "int8 (calibrated on --datasets windows).",
    module_name=_CLI,
)
flags.DEFINE_string(
    "fits",
    None,
    "plan: fits.json written by `report` (default: the shipped laws, "
    "keras_ppg_kd/pretrained/laws).",
    module_name=_CLI,
)
flags.DEFINE_float(
    "flash_kb", None, "plan: flash budget in KB.", module_name=_CLI
)
flags.DEFINE_float(
    "ram_kb", None, "plan: RAM (tensor arena) budget in KB.", module_name=_CLI
)
flags.DEFINE_float(
    "latency_ms", None, "plan: latency budget per window, ms.", module_name=_CLI
)
flags.DEFINE_list(
    "sizes",
    None,
    "plan: students to measure, 'family:size' or a size of the laws' family "
    "(default: the sizes the laws' study measured).",
    module_name=_CLI,
)

# The flags of _holdout() (data and split), and of training on them.
_DATA_FLAGS = ("datasets", "data_dir", "manual_dir", "seed", "test_fraction")
_PROGRESS_FLAGS = ("epoch_progress", "tensorboard")
_TRAIN_FLAGS = (
    *_DATA_FLAGS,
    "model_id",
    "from_scratch",
    "epochs",
    "patience",
    "out",
    *_PROGRESS_FLAGS,
)
