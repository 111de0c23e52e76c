"""``keras-ppg-kd sweep``: run, resume or dry-run a study."""

from absl import app

from keras_ppg_kd.cli._common import _OVERRIDES, _command, _manual_dir
from keras_ppg_kd.cli._flags import _PROGRESS_FLAGS, FLAGS


@_command(
    "config",
    "engine",
    "workers",
    "ray_address",
    "gpus_per_cell",
    "shard",
    "dry_run",
    "epochs",
    "data_dir",
    "manual_dir",
    "out",
    *_PROGRESS_FLAGS,
)
def cmd_sweep():
    """Run or resume a study (or --dry_run it).

    Any StudyConfig field can be set with --config.<field>=value, e.g.
    --config.epochs=3 --config.students=resnet:1,resnet:2,mlp:1
    --config.strategies=soft,dkd:temperature=4 --config.scratch=false.
    """
    from keras_ppg_kd.study import get_config, run_sweep
    from keras_ppg_kd.study.cost import dry_run
    from keras_ppg_kd.study.plan import parse_shard

    config = get_config(FLAGS.config).override(_OVERRIDES)
    if FLAGS.epochs:
        config = config.replace(epochs=FLAGS.epochs)
    shard = parse_shard(FLAGS.shard) if FLAGS.shard else None
    if FLAGS.dry_run:
        dry_run(config, FLAGS.data_dir, _manual_dir())
        return
    out = FLAGS.out
    if out is None:
        raise app.UsageError("--out is required (except with --dry_run)")
    table = run_sweep(
        config,
        out,
        data_dir=FLAGS.data_dir,
        manual_dir=_manual_dir(),
        engine=FLAGS.engine,
        ray_address=FLAGS.ray_address,
        gpus_per_cell=FLAGS.gpus_per_cell,
        workers=FLAGS.workers,
        shard=shard,
        epoch_lines=FLAGS.epoch_progress,
        tensorboard=FLAGS.tensorboard,
    )
    print(f"{len(table)} finished cells -> {out}/results.csv")
