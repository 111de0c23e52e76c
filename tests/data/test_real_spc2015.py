"""Tests on the twelve real IEEE SPC 2015 recordings (../shared/data)."""

import numpy as np
import pytest
import scipy.io as sio

from keras_ppg_kd.baselines import spectral_peak_bpm
from keras_ppg_kd.data import WindowSet, hr_from_ecg
from keras_ppg_kd.data.transforms import windows_from_recording
from keras_ppg_kd.datasets import load_windows
from keras_ppg_kd.datasets.ieee_spc2015 import read_spc2015

pytestmark = pytest.mark.slow


def _files(spc_dir):
    return sorted((spc_dir / "Training_data").glob("DATA_??_TYPE??.mat"))


def test_ecg_derived_hr_matches_published_reference(spc_dir):
    errors = []
    for path in _files(spc_dir):
        ecg = sio.loadmat(path)["sig"][0]
        bpm0 = sio.loadmat(path.with_name(path.stem + "_BPMtrace.mat"))["BPM0"]
        bpm0 = bpm0.reshape(-1)
        hr = hr_from_ecg(ecg, 125.0, np.arange(len(bpm0)) * 2.0)
        assert np.isfinite(hr).all()
        errors.append(np.abs(hr - bpm0))
    assert len(errors) == 12
    pooled = np.concatenate(errors).mean()
    assert pooled < 2.0, pooled
    assert np.median([e.mean() for e in errors]) < 1.0


def test_spc_windows_and_spectral_baseline(spc_dir):
    found = WindowSet.concatenate(
        windows_from_recording(read_spc2015(p)) for p in _files(spc_dir)
    )
    assert len(found) == 1768 and not found.dropped
    assert found.windows.shape[1:] == (200, 1)
    assert set(np.unique(found.participant)) == {
        f"spc{i:02d}" for i in range(1, 13)
    }
    error = np.abs(spectral_peak_bpm(found.windows) - found.hr_bpm)
    per_participant = [
        error[found.participant == p].mean()
        for p in np.unique(found.participant)
    ]
    # The shared README's sanity floor: about 15 BPM.
    assert 12.0 < np.mean(per_participant) < 18.0
    at_rest = found.activity == "rest"
    assert error[at_rest].mean() < error[~at_rest].mean()


def test_spc_builder_on_real_files(spc_dir, tmp_path):
    windows = load_windows(
        "ieee_spc2015", data_dir=tmp_path, manual_dir=str(spc_dir)
    )
    assert len(windows) == 1768
    assert windows.label.min() >= 0 and windows.label.max() < 180
    np.testing.assert_allclose(
        windows.label, np.floor(windows.hr_bpm - 30 + 0.5), atol=0
    )
