"""Distillation on unlabelled recordings of the target device."""

import logging

import numpy as np
import pandas as pd
import pytest

from keras_ppg_kd.data import (
    SyntheticConfig,
    WindowSet,
    generate_recording,
    windows_from_recording,
)
from keras_ppg_kd.data.splits import participant_keys
from keras_ppg_kd.datasets import load_unlabelled
from keras_ppg_kd.heart_rate import bpm_to_class
from keras_ppg_kd.tracking import HRTracker
from keras_ppg_kd.training.generalize import (
    GeneralizingRecipe,
    pseudo_label,
    train_and_distill,
)

TINY = GeneralizingRecipe(
    pretrained_teacher="",
    pretrained_student=False,
    teacher_blocks=1,
    student="tcn:1",
    pretrain_epochs=1,
    teacher_epochs=1,
    student_epochs=1,
    synthetic_participants=1,
    synthetic_minutes=1,
    calibration_participants=1,
    validation_participants=1,
    augmentation=None,
    temperature_factors=(1.0,),
)


def _write_device(folder, references=None, acc=True, people=2, seconds=60):
    """A ppg_folder of synthetic people, with extra columns if asked."""
    config = SyntheticConfig(minutes=seconds / 60, seed=11)
    for i in range(people):
        recording = generate_recording(i, config)
        fs = recording.fs
        table = {
            "time_s": np.arange(len(recording.ppg)) / fs,
            "ppg": recording.ppg,
        }
        if acc:
            for k, axis in enumerate("xyz"):
                table[f"acc_{axis}"] = recording.acc[:, k]
        for name, make in (references or {}).items():
            table[name] = make(len(recording.ppg))
        person = folder / f"P{i:02d}"
        person.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(table).to_csv(person / "walk.csv", index=False)
    return folder


def _wrong(rng):
    return {
        "hr_bpm": lambda n: rng.uniform(40, 200, n),
        "ecg": lambda n: rng.normal(size=n),
    }


def test_references_in_the_files_are_never_read(tmp_path):
    rng = np.random.default_rng(0)
    plain = _write_device(tmp_path / "plain")
    wrong = _write_device(tmp_path / "wrong", _wrong(rng))
    config = TINY.window
    a = load_unlabelled(str(plain), config=config)
    b = load_unlabelled(str(wrong), config=config)
    np.testing.assert_array_equal(a.windows, b.windows)
    assert np.isnan(b.hr_bpm).all() and (b.label == -1).all()
    assert sorted(set(b.participant)) == ["P00", "P01"]
    one = load_unlabelled(str(wrong), config=config, participants=["P01"])
    assert set(one.participant) == {"P01"}
    with pytest.raises(FileNotFoundError, match="not a folder"):
        load_unlabelled(str(tmp_path / "absent"))


def test_a_device_without_an_accelerometer_reads_as_a_still_wrist(
    tmp_path, caplog
):
    folder = _write_device(tmp_path / "no_acc", acc=False, people=1)
    config = TINY.window
    assert TINY.window.cancel_motion
    with caplog.at_level(logging.WARNING):
        cleaned = load_unlabelled(str(folder), config=config)
    assert "still wrist" in caplog.text
    plain = load_unlabelled(str(folder), config="default")
    # A zero accelerometer explains nothing: the windows are the plain ones.
    np.testing.assert_allclose(cleaned.windows, plain.windows, atol=1e-5)


def test_pseudo_labels_are_the_teachers_smoothed_heart_rate():
    config = SyntheticConfig(minutes=1, seed=3)
    windows = WindowSet.concatenate(
        windows_from_recording(generate_recording(i, config)) for i in range(2)
    )
    rng = np.random.default_rng(1)

    class Teacher:
        """Logits peaked near each window's true class, noisy."""

        def predict(self, x, batch_size=None, verbose=0):
            index = np.array([hashes[w.tobytes()] for w in x])
            logits = rng.normal(0, 1, (len(x), 180))
            logits[np.arange(len(x)), windows.label[index]] += 4.0
            return logits

    hashes = {w.tobytes(): i for i, w in enumerate(windows.windows)}
    tracker = HRTracker.fit(
        windows.hr_bpm, participant_keys(windows), windows.start_times
    )
    hidden = windows.subset(np.ones(len(windows), bool))
    hidden.hr_bpm[:] = 100.0  # what pseudo_label must not read
    labelled = pseudo_label(Teacher(), tracker, hidden)
    assert labelled.windows is hidden.windows
    np.testing.assert_array_equal(
        labelled.label, bpm_to_class(labelled.hr_bpm, windows.config.classes)
    )
    # Smoothed over each recording, the labels beat the teacher's argmax.
    error = np.mean(np.abs(labelled.hr_bpm - windows.hr_bpm))
    raw = Teacher().predict(windows.windows).argmax(-1) + 30
    assert error < np.mean(np.abs(raw - windows.hr_bpm)) / 2


@pytest.mark.slow
def test_the_student_is_bit_identical_whatever_references_the_files_hold(
    tmp_path,
):
    config = SyntheticConfig(minutes=1.5, seed=5)
    train = WindowSet.concatenate(
        windows_from_recording(generate_recording(i, config), TINY.window)
        for i in range(3)
    )
    rng = np.random.default_rng(2)
    weights, logs = [], []
    for name, references in (("plain", None), ("wrong", _wrong(rng))):
        folder = _write_device(tmp_path / name, references, people=1)
        unlabelled = load_unlabelled(str(folder), config=TINY.window)
        trained = train_and_distill(train, TINY, unlabelled=unlabelled)
        weights.append(trained.student.get_weights())
        logs.append(trained.log)
    for a, b in zip(*weights, strict=True):
        np.testing.assert_array_equal(a, b)
    fit_windows = logs[0]["pseudo_labelled_windows"]
    assert fit_windows == len(train) - len(trained.validation)
    # Without the unlabelled windows the student is another one.
    other = train_and_distill(train, TINY).student.get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(other, weights[0]))
    with pytest.raises(ValueError, match="strategy='none'"):
        train_and_distill(
            train, TINY.replace(strategy="none"), unlabelled=unlabelled
        )
    plain = windows_from_recording(generate_recording(0, config))
    with pytest.raises(ValueError, match="unlabelled windows were made"):
        train_and_distill(train, TINY, unlabelled=plain)
