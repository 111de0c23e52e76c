"""replicate_main_job.py scores a finished sweep's models on new people."""

import pathlib
import re
import sys

import keras
import numpy as np
import pytest

from keras_ppg_kd.data import (
    SyntheticConfig,
    WindowSet,
    generate_recording,
    windows_from_recording,
)
from keras_ppg_kd.heart_rate import logits_to_bpm
from keras_ppg_kd.study import StudyConfig, report, run_sweep
from tests import zygote

SCRIPT = (
    pathlib.Path(__file__).resolve().parents[2]
    / "examples"
    / "replicate_main_job.py"
)


def people(count, seed, minutes=2):
    config = SyntheticConfig(num_participants=count, minutes=minutes, seed=seed)
    return WindowSet.concatenate(
        windows_from_recording(generate_recording(i, config))
        for i in range(count)
    )


@pytest.mark.slow
def test_replicate_prints_the_job_table_and_each_population(tmp_path):
    config = StudyConfig(
        name="tiny",
        datasets=("synthetic_ppg/small",),
        split="holdout",
        teachers=(2,),
        students=(1,),
        strategies=("soft",),
        epochs=1,
        teacher_epochs=1,
        batch_size=64,
    )
    run = tmp_path / "run"
    table = run_sweep(config, run / "sweep", windows=people(4, seed=3))
    done = zygote.run(
        [sys.executable, str(SCRIPT), f"--run={run}", "--populations=5"]
        + ["--participants=2"],
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    own, new = done.stdout.split("2 new people (generator seed 5")
    assert report.to_markdown(report.table2(table)[0]) in own
    # The teacher's MAE on the new people, computed here independently
    # (small's people are 10 min long; the generator's seed 5 is new).
    teacher = keras.saving.load_model(
        run / "sweep" / "models" / "f0-s0-teacher2.keras"
    )
    new_people = people(2, seed=5, minutes=10)
    bpm = logits_to_bpm(teacher.predict(new_people.windows, verbose=0))
    expected = float(np.mean(np.abs(bpm - new_people.hr_bpm)))
    printed = float(re.search(r"teacher (\d+\.\d+)", new).group(1))
    assert printed == pytest.approx(expected, abs=0.006)
    assert f"{len(new_people)} windows)" in new
