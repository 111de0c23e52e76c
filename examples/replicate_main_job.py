"""The main job's models on people none of its splits had.

The main job tests on ~60 held-out synthetic participants, and a few
people's hard windows (running read at the arm's cadence) still move the
mean. This scores every model of a finished main job (teacher, scratch
and distilled ResNet students) on further populations of 100 synthetic
participants each, from other generator seeds (the job's data are seed 0,
the shipped teacher's seed 21), and prints the main job's table per
population: what carries over to new people, and what was its test split.

Usage: python examples/replicate_main_job.py [--run main_job_output]
    [--populations 1,2,777]
"""

import dataclasses
import os
import sys

import numpy as np
from absl import app, flags, logging

flags.DEFINE_string("run", "main_job_output", "A finished main job's folder.")
flags.DEFINE_list("populations", ["1", "2", "777"], "Generator seeds.")
flags.DEFINE_integer("participants", 100, "Participants per population.")
FLAGS = flags.FLAGS


def population(seed, config):
    """``participants`` synthetic people like ``config``'s, from ``seed``."""
    from keras_ppg_kd.data import (
        WindowSet,
        generate_recording,
        windows_from_recording,
    )

    synthetic = dataclasses.replace(
        config.synthetic, num_participants=FLAGS.participants, seed=seed
    )
    return WindowSet.concatenate(
        [
            windows_from_recording(
                generate_recording(i, synthetic), config.window
            )
            for i in range(FLAGS.participants)
        ]
    )


def mae(model, windows):
    """HR MAE (BPM) of ``model`` on ``windows``."""
    from keras_ppg_kd.heart_rate import logits_to_bpm

    logits = model.predict(windows.windows, batch_size=512, verbose=0)
    return float(np.mean(np.abs(logits_to_bpm(logits) - windows.hr_bpm)))


def show(table, family):
    """The main job's table of ``table`` and its teacher's MAE."""
    from keras_ppg_kd.study import report

    print(report.to_markdown(report.table2(table, family=family)[0]))
    teacher = table[table["role"] == "teacher"]["mae"].iloc[0]
    print(f"teacher {teacher:.2f}")


def main(_):
    sweep = os.path.join(FLAGS.run, "sweep")
    if not os.path.isfile(os.path.join(sweep, "study.json")):
        sys.exit(
            f"replicate_main_job.py: error: no finished main job in "
            f"{FLAGS.run} ({sweep}/study.json missing); run "
            "python examples/main_job.py first, or pass --run"
        )
    # Imported here, not above, so that --help and a missing run answer
    # without TensorFlow; the package first, so that TensorFlow loads
    # through its quiet import.
    import keras_ppg_kd  # noqa: F401

    # isort: split
    import keras

    from keras_ppg_kd.datasets import builder
    from keras_ppg_kd.study import report
    from keras_ppg_kd.study.config import StudyConfig

    logging.set_verbosity(logging.WARNING)  # tfds's INFO lines go
    with open(os.path.join(sweep, "study.json")) as f:
        study = StudyConfig.from_json(f.read())
    dataset = study.datasets[0]
    name, _, config_name = dataset.partition("/")
    if study.datasets != (dataset,) or name != "synthetic_ppg":
        raise ValueError(
            "replicate_main_job needs a run on one synthetic_ppg config; "
            f"{FLAGS.run} ran on {list(study.datasets)}"
        )
    config = builder(name, config=config_name or None).builder_config
    table = report.read_results(os.path.join(sweep, "results.csv"))
    family = study.students[0].partition(":")[0]  # canonical family:size
    table = table[(table["role"] == "teacher") | (table["model"] == family)]
    models = {
        cell: keras.saving.load_model(
            os.path.join(sweep, "models", cell + ".keras")
        )
        for cell in table["cell"]
    }
    print(f"{FLAGS.run}: the job's own test split ({dataset})")
    show(table, family)
    for seed in map(int, FLAGS.populations):
        people = population(seed, config)
        scored = table.copy()
        scored["mae"] = [mae(models[cell], people) for cell in table["cell"]]
        print(
            f"\n{FLAGS.participants} new people (generator seed {seed}, "
            f"{len(people)} windows)"
        )
        show(scored, family)


if __name__ == "__main__":
    app.run(main)
