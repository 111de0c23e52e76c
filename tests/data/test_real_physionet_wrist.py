"""The physionet_wrist builder and reader on the real shared recordings."""

import numpy as np
import pytest

from keras_ppg_kd.data.ecg import detect_r_peaks
from keras_ppg_kd.data.transforms import (
    cancel_motion,
    hr_from_beats,
    standardize,
)
from keras_ppg_kd.datasets import load_windows
from keras_ppg_kd.datasets.physionet_wrist import reader

pytestmark = pytest.mark.slow

# The shared README's table: recording -> (duration s, HR range BPM).
_RECORDINGS = {
    "s2_high_resistance_bike": (415, 94, 127),
    "s2_low_resistance_bike": (342, 92, 117),
    "s2_walk": (400, 77, 93),
    "s3_high_resistance_bike": (282, 112, 134),
    "s3_low_resistance_bike": (295, 100, 114),
    "s3_run": (308, 99, 116),
    "s3_walk": (288, 90, 103),
}


def test_beats_agree_with_an_independent_r_peak_detector(wrist_dir):
    """The annotated beats and our detector on chest_ecg agree.

    On the two recordings with a clean ECG (s3 running and walking) they
    agree to 0.2 BPM on average; on the cycling ones the detector misses
    beats in motion noise, which is why the builder reads the annotations.
    """
    import edfio

    for name in ("s3_run", "s3_walk"):
        edf = edfio.read_edf(wrist_dir / "edf" / f"{name}.edf")
        ecg = next(s for s in edf.signals if s.label.strip() == "chest_ecg")
        fs = ecg.sampling_frequency
        annotated = reader.read_beats(wrist_dir / "beats" / f"{name}.txt", fs)
        starts = np.arange(0.0, len(ecg.data) / fs - 8, 2.0)
        reference = hr_from_beats(annotated, starts, 8.0)
        detected = hr_from_beats(
            detect_r_peaks(ecg.data, fs), starts, 8.0, correct=True
        )
        assert np.nanmean(np.abs(reference - detected)) < 0.5, name


def test_builder_windows_every_recording_in_its_hr_range(wrist_dir, tmp_path):
    for config in (None, "ppg_acc"):
        windows = load_windows(
            "physionet_wrist",
            data_dir=tmp_path,
            manual_dir=str(wrist_dir),
            config=config,
        )
        assert windows.windows.shape[1:] == (200, 4 if config else 1)
        # the two flagged minutes between recordings: 5 pauses x ~34 windows
        assert 150 < windows.dropped["between_recordings"] < 190
        assert (
            sum(windows.dropped.values())
            - windows.dropped["between_recordings"]
            <= 5
        )
        for name, (seconds, low, high) in _RECORDINGS.items():
            participant, _, activity = name.partition("_")
            mask = (windows.participant == participant) & (
                windows.activity == activity
            )
            expected = (seconds - 8) // 2 + 1
            assert expected - 5 <= mask.sum() <= expected, name
            hr = windows.hr_bpm[mask]
            # the README's ranges are rounded from the windows' HR
            assert low - 3 <= np.median(hr) <= high + 3, name
            assert np.percentile(hr, 5) >= low - 10, name
            assert np.percentile(hr, 95) <= high + 10, name


def test_motion_cancellation_on_the_real_recordings(wrist_dir, tmp_path):
    """The cancel_motion config is the ppg_acc windows cleaned, and it
    takes out the accelerometer's cadence where the motion reaches the PPG
    in phase with the axes (cycling)."""
    found = {
        config: load_windows(
            "physionet_wrist",
            data_dir=tmp_path,
            manual_dir=str(wrist_dir),
            config=config,
        )
        for config in ("ppg_acc", "cancel_motion")
    }
    both, cleaned = found["ppg_acc"], found["cancel_motion"]
    np.testing.assert_array_equal(both.hr_bpm, cleaned.hr_bpm)
    expected = standardize(
        cancel_motion(both.windows[..., 0], both.windows[..., 1:])[..., None],
        axis=1,
    )
    np.testing.assert_allclose(cleaned.windows, expected, atol=1e-4)

    def share_at_cadence(ppg, acc):
        """Share of each window's PPG power within one bin of the
        accelerometer's strongest frequency."""
        power = np.abs(np.fft.rfft(ppg, 512, axis=1)) ** 2
        motion = np.abs(np.fft.rfft(acc, 512, axis=1)) ** 2
        peak = motion.sum(-1).argmax(1)
        near = np.abs(np.arange(power.shape[1]) - peak[:, None]) <= 1
        return np.median((power * near).sum(1) / power.sum(1))

    bike = np.char.endswith(both.activity.astype(str), "bike")
    acc = both.windows[bike, :, 1:]
    plain = share_at_cadence(both.windows[bike, :, 0], acc)
    after = share_at_cadence(cleaned.windows[bike, :, 0], acc)
    assert after < 0.6 * plain, (plain, after)
