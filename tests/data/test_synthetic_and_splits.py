import numpy as np
import pytest

from keras_ppg_kd.baselines import spectral_peak_bpm
from keras_ppg_kd.data import (
    SyntheticConfig,
    WindowSet,
    generate_recording,
    k_fold,
    leave_one_dataset_out,
    leave_one_participant_out,
    train_test_split,
    windows_from_recording,
)
from keras_ppg_kd.data.splits import participant_keys, recording_keys
from keras_ppg_kd.datasets import to_dataset

CONFIG = SyntheticConfig(num_participants=6, minutes=6, seed=3)


@pytest.fixture(scope="module")
def synthetic():
    return WindowSet.concatenate(
        windows_from_recording(generate_recording(i, CONFIG))
        for i in range(CONFIG.num_participants)
    )


def test_reproducible_and_independent_of_count():
    a = generate_recording(2, CONFIG)
    b = generate_recording(
        2, SyntheticConfig(num_participants=50, minutes=6, seed=3)
    )
    np.testing.assert_array_equal(a.ppg, b.ppg)
    c = generate_recording(2, SyntheticConfig(minutes=6, seed=4))
    assert not np.allclose(a.ppg, c.ppg)
    assert a.acc.shape == (len(a.ppg), 3)


def test_labels_are_exact_mean_beat_rate(synthetic):
    rec = generate_recording(0, CONFIG)
    found = windows_from_recording(rec)
    for i in [0, len(found) // 2, len(found) - 1]:
        t0 = found.start_times[i]
        inside = rec.beat_times[
            (rec.beat_times >= t0) & (rec.beat_times < t0 + 8)
        ]
        expected = 60.0 / np.diff(inside).mean()
        assert found.hr_bpm[i] == pytest.approx(expected, rel=1e-5)


def test_motion_defeats_spectral_peak_like_real_data(synthetic):
    error = np.abs(spectral_peak_bpm(synthetic.windows) - synthetic.hr_bpm)
    rest = synthetic.activity == "rest"
    assert rest.any() and (~rest).any()
    assert error[rest].mean() < 4.0
    assert error[~rest].mean() > 10.0
    assert 30 < synthetic.hr_bpm.min() and synthetic.hr_bpm.max() < 210
    assert synthetic.hr_bpm.max() - synthetic.hr_bpm.min() > 60


def test_splits_are_participant_independent(synthetic):
    keys = participant_keys(synthetic)
    train, test = train_test_split(synthetic, 0.2, seed=1)
    assert not set(keys[train]) & set(keys[test])
    assert (train | test).all()
    again = train_test_split(synthetic, 0.2, seed=1)
    np.testing.assert_array_equal(again[0], train)
    folds = k_fold(synthetic, k=2, seed=0)
    covered = np.zeros(len(keys), int)
    for train, test in folds:
        assert not set(keys[train]) & set(keys[test])
        covered += test
    np.testing.assert_array_equal(covered, 1)
    loso = leave_one_participant_out(synthetic)
    assert len(loso) == CONFIG.num_participants
    with pytest.raises(ValueError, match="k=7"):
        k_fold(synthetic, k=7)


def test_leave_one_dataset_out(synthetic):
    other = synthetic.subset(np.arange(len(synthetic)) < 100)
    other.dataset[:] = "ppg_dalia"
    both = WindowSet.concatenate([synthetic, other])
    train, test = leave_one_dataset_out(both, "ppg_dalia")
    assert test.sum() == 100 and set(both.dataset[train]) == {"synthetic_ppg"}
    with pytest.raises(ValueError, match="wildppg"):
        leave_one_dataset_out(both, "wildppg")


def test_to_dataset_batches(synthetic):
    ds = to_dataset(synthetic, batch_size=32, seed=0)
    x, y = next(iter(ds))
    assert x.shape == (32, 200, 1) and y.dtype.name == "int32"


def test_to_dataset_can_leave_out_the_partial_batch(synthetic):
    batch = 48
    assert len(synthetic) % batch
    ds = to_dataset(synthetic, batch_size=batch, seed=0, drop_remainder=True)
    epochs = [np.concatenate([x[:, 0, 0] for x, _ in ds]) for _ in range(2)]
    assert all(len(seen) == len(synthetic) // batch * batch for seen in epochs)
    # Reshuffled each epoch: not always the same windows sit out.
    assert not np.array_equal(np.sort(epochs[0]), np.sort(epochs[1]))


def test_recording_keys_split_a_participant_at_long_gaps(synthetic):
    """One recording per participant keeps the participant key; joined
    recordings (a gap over 30 s) are named by their activity, or numbered
    when their activity changes."""
    keys = recording_keys(synthetic)
    assert np.array_equal(keys, participant_keys(synthetic))
    one = synthetic.subset(synthetic.participant == synthetic.participant[0])
    n = len(one)
    joined = WindowSet.concatenate([one, one])
    joined.start_times[n:] += one.start_times[-1] + 68.0
    joined.activity[:n] = "walk"
    keys = recording_keys(joined)
    base = participant_keys(joined)[0]
    assert set(keys[:n]) == {f"{base}/walk"}
    assert len(set(one.activity)) > 1  # the synthetic schedule changes
    assert set(keys[n:]) == {f"{base}#1"}
