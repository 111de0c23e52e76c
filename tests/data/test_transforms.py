import ctypes
import json
import shutil
import subprocess

import numpy as np
import pytest

from keras_ppg_kd.data import (
    Recording,
    WindowSet,
    hr_from_beats,
    windows_from_recording,
    windows_from_signal,
)
from keras_ppg_kd.data.transforms import (
    bandpass,
    cancel_motion,
    export_cancel_motion_c,
    resample,
    standardize,
)
from keras_ppg_kd.protocol import WindowConfig


def _sine(fs, seconds, hz=1.5, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(fs * seconds)) / fs
    return np.sin(2 * np.pi * hz * t) + 0.05 * rng.standard_normal(len(t))


def _recording(ppg, fs, hr=None, **kwargs):
    beats = np.arange(0, len(ppg) / fs + 1, 60.0 / (hr or 90.0))
    return Recording("test", "p1", ppg, fs, beat_times=beats, **kwargs)


@pytest.mark.parametrize("fs", [64.0, 125.0, 128.0, 700.0, 32.5])
def test_resample_keeps_frequency_and_length(fs):
    x = _sine(fs, 40)
    y = resample(x, fs, 25.0)
    assert len(y) == pytest.approx(40 * 25, abs=2)
    spectrum = np.abs(np.fft.rfft(y[100:-100] * np.hanning(len(y) - 200)))
    peak = np.fft.rfftfreq(len(y) - 200, 1 / 25)[np.argmax(spectrum)]
    assert peak == pytest.approx(1.5, abs=0.05)


def test_bandpass_removes_out_of_band():
    t = np.arange(25 * 60) / 25
    x = (
        np.sin(2 * np.pi * 1.5 * t)
        + np.sin(2 * np.pi * 0.1 * t)
        + np.sin(2 * np.pi * 8 * t)
    )
    y = bandpass(x, 25)
    expected = np.sin(2 * np.pi * 1.5 * t)
    assert np.abs(y - expected)[200:-200].max() < 0.1


def test_windows_from_signal_shapes_and_starts():
    x, starts = windows_from_signal(_sine(64, 60), fs=64)
    assert x.shape == (27, 200, 1) and x.dtype == np.float32
    np.testing.assert_allclose(starts[:3], [0, 2, 4])
    np.testing.assert_allclose(x.mean(axis=1), 0, atol=1e-5)
    np.testing.assert_allclose(x.std(axis=1), 1, atol=1e-3)


def test_other_protocol_non_overlapping():
    config = WindowConfig(window_seconds=8, stride_seconds=8, target_rate=32)
    x, starts = windows_from_signal(_sine(128, 80), fs=128, config=config)
    assert x.shape == (10, 256, 1)
    np.testing.assert_allclose(starts, np.arange(10) * 8)


def test_hr_from_beats_by_hand():
    beats = np.array([0.5, 1.5, 2.5, 3.0, 3.5])
    # window [0, 4): 5 beats, span 3 s, 4 intervals -> 80 BPM
    # window [2, 6): beats 2.5, 3.0, 3.5 -> 2 intervals over 1 s -> 120 BPM
    # window [4, 8): no beats -> NaN
    hr = hr_from_beats(beats, [0.0, 2.0, 4.0], 4.0)
    np.testing.assert_allclose(hr[:2], [80.0, 120.0])
    assert np.isnan(hr[2])


def test_hr_from_beats_corrects_missed_and_extra_beats():
    beats = np.arange(0, 60, 0.75)  # 80 BPM
    missed = np.delete(beats, [20, 40])
    extra = np.sort(np.append(beats, [10.1, 30.2]))
    starts = np.arange(0, 50, 2.0)
    truth = hr_from_beats(beats, starts, 8)
    np.testing.assert_allclose(truth, 80.0)
    assert np.abs(hr_from_beats(missed, starts, 8) - 80).max() > 5
    np.testing.assert_allclose(
        hr_from_beats(missed, starts, 8, correct=True), 80.0, atol=1e-6
    )
    np.testing.assert_allclose(
        hr_from_beats(extra, starts, 8, correct=True), 80.0, atol=1e-6
    )


def test_nan_flat_and_clipped_windows_are_counted():
    fs = 64
    ppg = _sine(fs, 60)
    ppg[10 * fs : 11 * fs] = np.nan  # touches windows starting 4..10 s
    ppg[30 * fs : 50 * fs] = 0.25  # flat: windows fully inside 30-50 s
    clean = windows_from_recording(_recording(_sine(fs, 60), fs))
    found = windows_from_recording(_recording(ppg, fs))
    assert found.dropped["non_finite"] == 4
    assert found.dropped["flat"] == 7
    assert len(found) + sum(found.dropped.values()) == len(clean)
    assert np.isfinite(found.windows).all()

    clipped = _sine(fs, 60) * 3
    clipped[20 * fs : 30 * fs] = np.clip(clipped[20 * fs : 30 * fs], -1, 1)
    clipped[0] = 1.0  # the recording's extremes are the clip levels
    clipped = np.clip(clipped, -1, 1)
    found = windows_from_recording(_recording(clipped, fs))
    assert found.dropped["clipped"] == len(clean)


def test_labels_out_of_range_and_missing_are_counted():
    fs = 64
    ppg = _sine(fs, 40)
    n = 17
    hr = np.full(n, 80.0)
    hr[[1, 2]] = [220.0, 20.0]
    hr[5] = np.nan
    rec = Recording("test", "p1", ppg, fs, window_hr=hr)
    found = windows_from_recording(rec)
    assert found.dropped == {"hr_out_of_range": 2, "missing_label": 1}
    assert len(found) == n - 3
    np.testing.assert_array_equal(found.label, 50)


def test_dataset_flags_drop_windows():
    fs = 64
    ppg = _sine(fs, 40)
    flags = np.zeros(len(ppg), bool)
    flags[: 5 * fs] = True  # windows starting at 0, 2, 4
    found = windows_from_recording(
        _recording(ppg, fs, invalid={"status_flag": flags})
    )
    assert found.dropped == {"status_flag": 3}
    assert found.start_times[0] == 6.0


def test_short_recording_and_bad_rates_raise_with_source():
    with pytest.raises(ValueError, match=r"my\.mat: recording is 5\.00 s"):
        windows_from_recording(_recording(_sine(64, 5), 64, source="my.mat"))
    with pytest.raises(ValueError, match="fs=0"):
        windows_from_recording(
            Recording("t", "p", _sine(64, 20), 0.0, beat_times=[1.0, 2.0])
        )
    # labels for 40 s of data but the signal claimed at the wrong rate
    rec = Recording(
        "t",
        "p",
        _sine(64, 40),
        128.0,
        window_hr=np.full(17, 70.0),
        source="wrong.pkl",
    )
    with pytest.raises(ValueError, match=r"wrong\.pkl.*about 64\.0 Hz"):
        windows_from_recording(rec)
    with pytest.raises(ValueError, match="every PPG sample is NaN"):
        windows_from_recording(_recording(np.full(64 * 20, np.nan), 64))
    with pytest.raises(ValueError, match="neither per-window HR"):
        windows_from_recording(Recording("t", "p", _sine(64, 20), 64.0))


def test_labels_on_another_grid_raise():
    rec = Recording("t", "p", _sine(64, 40), 64.0, window_hr=np.full(17, 70.0))
    with pytest.raises(ValueError, match="Use the dataset's grid"):
        windows_from_recording(rec, WindowConfig(stride_seconds=8))


def test_config_validation():
    with pytest.raises(ValueError, match="band=\\(0.5, 20\\)"):
        WindowConfig(band=(0.5, 20))
    with pytest.raises(ValueError, match="stride_seconds=0"):
        WindowConfig(stride_seconds=0)


def test_window_statistics_match_materialised_windows():
    # A large DC offset and a drift: the running sums must not lose the
    # small within-window variance to cancellation.
    from keras_ppg_kd.data.transforms import _window_std, _window_sums

    rng = np.random.default_rng(0)
    n, length = 200_000, 512
    x = 1e5 + np.linspace(0, 3e3, n) + rng.standard_normal(n)
    x[5_000:5_600] = 0.0  # one flat stretch
    starts = np.arange(0, n - length, 128)
    cut = x[starts[:, None] + np.arange(length)]
    np.testing.assert_allclose(
        _window_std(x, starts, length), cut.std(axis=1), rtol=1e-4, atol=1e-4
    )
    mask = x == 0.0
    np.testing.assert_array_equal(
        _window_sums(mask, starts, length),
        mask[starts[:, None] + np.arange(length)].sum(axis=1),
    )


def test_windows_past_the_last_label_are_counted():
    fs = 50.0
    ppg = np.sin(2 * np.pi * 1.2 * np.arange(int(60 * fs)) / fs)
    # 27 windows fit in 60 s; the labels cover 25 of them.
    recording = Recording(
        dataset="d",
        participant="p",
        ppg=ppg,
        fs=fs,
        window_hr=np.full(25, 72.0),
    )
    found = windows_from_recording(recording)
    assert len(found) == 25 and found.dropped["past_last_label"] == 2
    recording.window_hr = np.full(10, 72.0)
    with pytest.raises(ValueError, match="labels cover 10 windows, the signal"):
        windows_from_recording(recording)


def test_windows_from_signal_refuses_channels_and_explains_empty_results():
    from keras_ppg_kd.data import windows_from_signal

    ppg = np.sin(2 * np.pi * 1.2 * np.arange(64 * 60) / 64)
    for shaped in (ppg[:, None], ppg[None, :]):
        assert len(windows_from_signal(shaped, fs=64)[0]) == 27
    for bad in (np.stack([ppg] * 3, axis=1), np.stack([ppg] * 3)):
        with pytest.raises(
            ValueError,
            match=str(bad.shape).replace("(", r"\(").replace(")", r"\)"),
        ):
            windows_from_signal(bad, fs=64)
    with pytest.raises(ValueError, match="No usable window.*flat"):
        windows_from_signal(np.zeros(64 * 60), fs=64)


def test_accelerometer_channels_follow_the_ppg_protocol():
    fs = 64.0
    ppg = _sine(fs, 60)
    t = np.arange(len(ppg)) / fs
    acc = np.stack([2 * np.sin(2 * np.pi * 2.5 * t), np.cos(t), t * 0], 1)
    plain = windows_from_recording(_recording(ppg, fs, acc=acc))
    both = windows_from_recording(
        _recording(ppg, fs, acc=acc), WindowConfig(accelerometer=True)
    )
    assert WindowConfig(accelerometer=True).channels == 4
    assert both.windows.shape == (len(plain), 200, 4)
    np.testing.assert_array_equal(both.windows[..., :1], plain.windows)
    motion = both.windows[..., 1:]
    np.testing.assert_allclose(motion.std(axis=(1, 2)), 1.0, rtol=1e-3)
    np.testing.assert_allclose(motion.mean(axis=1), 0.0, atol=1e-4)
    # One scale for the three axes: the strong axis stays the strong one.
    assert (motion[..., 0].std(1) > 3 * motion[..., 1].std(1)).all()
    spectrum = np.abs(np.fft.rfft(motion[0, :, 0]))
    assert np.argmax(spectrum) * 25.0 / 200 == pytest.approx(2.5, abs=0.13)


def test_accelerometer_nan_drops_windows_and_bad_acc_raises():
    fs = 64.0
    ppg = _sine(fs, 60)
    acc = np.zeros((len(ppg), 3))
    acc[:, 0] = _sine(fs, 60, hz=2.0, seed=1)
    acc[int(30 * fs), 1] = np.nan
    found = windows_from_recording(
        _recording(ppg, fs, acc=acc), WindowConfig(accelerometer=True)
    )
    assert found.dropped["non_finite"] == 4  # the windows covering 30 s
    assert np.isfinite(found.windows).all()
    config = WindowConfig(accelerometer=True)
    with pytest.raises(ValueError, match="has no `acc`"):
        windows_from_recording(_recording(ppg, fs), config)
    with pytest.raises(ValueError, match=r"Received: shape=\(10, 3\)"):
        windows_from_recording(_recording(ppg, fs, acc=acc[:10]), config)


def test_cancel_motion_removes_what_the_accelerometer_explains():
    # A pulse at 1.5 Hz (90 BPM) under a 1.7 Hz arm swing twice as strong
    # (102 BPM: within one 8 s window's resolution of the pulse), which
    # reaches the PPG through two axes with their own gains.
    fs = 64.0
    t = np.arange(int(fs * 60)) / fs
    pulse = np.sin(2 * np.pi * 1.5 * t)
    swing = np.stack(
        [np.sin(2 * np.pi * 1.7 * t), np.cos(2 * np.pi * 1.7 * t), 0 * t], 1
    )
    ppg = pulse + 1.5 * swing[:, 0] - 1.2 * swing[:, 1]
    rng = np.random.default_rng(0)
    acc = swing + 0.01 * rng.standard_normal(swing.shape)
    config = WindowConfig(cancel_motion=True)
    assert config.channels == 1
    cleaned = windows_from_recording(_recording(ppg, fs, acc=acc), config)
    plain = windows_from_recording(_recording(ppg, fs, acc=acc))
    reference = windows_from_recording(_recording(pulse, fs))
    assert cleaned.windows.shape == plain.windows.shape
    assert cleaned.config == config

    def error(found):
        return np.abs(found.windows - reference.windows).mean()

    def peak_hz(found):
        spectrum = np.abs(np.fft.rfft(found.windows[..., 0], 1024, axis=1))
        return np.argmax(spectrum, axis=1) * 25.0 / 1024

    # Within 8 s the two tones are not orthogonal, so a little of the
    # pulse goes with the swing; what is left peaks at the pulse.
    assert error(cleaned) < error(plain) / 3
    np.testing.assert_allclose(peak_hz(plain), 1.7, atol=0.05)
    np.testing.assert_allclose(peak_hz(cleaned), 1.5, atol=0.05)
    np.testing.assert_allclose(cleaned.windows.std(axis=1), 1.0, rtol=1e-3)

    # A flat accelerometer explains nothing: the windows stay as they are.
    still = windows_from_recording(
        _recording(ppg, fs, acc=np.zeros_like(acc)), config
    )
    np.testing.assert_allclose(still.windows, plain.windows, atol=1e-5)
    with pytest.raises(ValueError, match=r"cancel_motion=True\) but this"):
        windows_from_recording(_recording(ppg, fs), config)


def test_the_c_cancellation_matches_the_windows(tmp_path):
    if shutil.which("gcc") is None:
        pytest.skip("needs gcc to compile the exported C step")
    written = export_cancel_motion_c(tmp_path / "c")
    library = tmp_path / "libcancel.so"
    subprocess.run(
        ["gcc", "-O2", "-shared", "-fPIC", "-o", str(library), str(written[0])],
        check=True,
    )
    lib = ctypes.CDLL(str(library))
    floats = ctypes.POINTER(ctypes.c_float)
    # Band-passed windows as windows_from_recording holds them before the
    # step (PPG and axes at their own scales), and a still accelerometer.
    rng = np.random.default_rng(0)
    ppg = rng.normal(size=(5, 200)).astype("float32") * 300 + 7
    acc = rng.normal(size=(5, 200, 3)).astype("float32") * [0.1, 2, 0.01]
    acc[..., 0] += ppg * 1e-3  # motion that the PPG partly follows
    acc[4] = 0.0
    expected = standardize(cancel_motion(ppg, acc)[..., None], axis=1)
    for i in range(5):
        out = np.ascontiguousarray(ppg[i])
        window = np.ascontiguousarray(acc[i], "float32")
        lib.ppg_cancel_motion(
            out.ctypes.data_as(floats), window.ctypes.data_as(floats), 200
        )
        np.testing.assert_allclose(out, expected[i, :, 0], atol=2e-4)


def test_window_sets_carry_their_protocol():
    config = WindowConfig(stride_seconds=1.0, accelerometer=False)
    assert (
        WindowConfig.from_config(json.loads(json.dumps(config.get_config())))
        == config
    )
    ppg = _sine(64.0, 30)
    a = windows_from_recording(_recording(ppg, 64.0), config)
    assert a.config == config and a.subset(a.label > 0).config == config
    b = windows_from_recording(_recording(ppg, 64.0))
    with pytest.raises(ValueError, match="different protocols"):
        WindowSet.concatenate([a, b])
    assert WindowSet.concatenate([a, a]).config == config


def test_heart_band_fraction_flags_a_wrong_sampling_rate():
    from keras_ppg_kd.data import (
        SyntheticConfig,
        generate_recording,
        heart_band_fraction,
    )

    recording = generate_recording(0, SyntheticConfig(minutes=3))
    fs = recording.fs
    assert heart_band_fraction(recording.ppg, fs) > 0.9
    assert heart_band_fraction(recording.ppg, fs / 10) < 0.2
    assert heart_band_fraction(recording.ppg, fs * 10) < 0.2
    assert np.isnan(heart_band_fraction(recording.ppg[:100], fs))
