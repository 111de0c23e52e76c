"""A realistic synthetic wrist-PPG generator (the package's built-in data).

Each participant has their own pulse morphology (systolic peak, dicrotic
notch and diastolic wave), resting heart rate, perfusion amplitude and
respiratory rate. A session is a sequence of activities (rest, walking,
running, cycling, arm motion, boxing); heart rate follows each activity's target
with a physiological lag, beat-to-beat variability and respiratory sinus
arrhythmia. The PPG carries respiratory amplitude modulation, baseline
wander, motion artefacts at the activity's cadence and its harmonics and
irregular arm movements that follow no cadence (with a matching 3-axis
accelerometer), sensor noise and ADC clipping. Labels are
the true mean heart rate of the beats inside each window (exact).

Everything is vectorised NumPy and reproducible from ``(seed, index)``:
participant ``i`` is the same whatever the number of participants.
"""

import dataclasses

import numpy as np
from scipy import signal

from keras_ppg_kd.data.transforms import Recording

# name: (HR rise over resting in BPM, arm cadence Hz, periodic artefact
# amplitude, irregular movements per second)
ACTIVITIES = {
    "rest": (0.0, None, (0.0, 0.0), 0.0),
    "walking": (25.0, (0.8, 1.0), (0.4, 1.2), 0.1),
    "running": (75.0, (1.3, 1.5), (0.8, 2.5), 0.1),
    "cycling": (45.0, (1.0, 1.4), (0.2, 0.8), 0.0),
    "arm_motion": (15.0, (0.7, 2.2), (0.8, 2.0), 0.8),
    # punches, curls, waving: irregular arm movements dominate
    "boxing": (55.0, (0.5, 1.2), (0.1, 0.6), 2.0),
}


@dataclasses.dataclass(frozen=True)
class SyntheticConfig:
    """Size and randomness of a synthetic dataset.

    Args:
        num_participants: Number of participants.
        minutes: Recording length per participant, in minutes.
        fs: Native sampling rate of the generated PPG/ACC (Hz).
        seed: Base seed; participant ``i`` uses ``(seed, i)``.
        segment_seconds: Range of one activity segment's duration.
        activity_weights: Relative frequency of each activity.
    """

    num_participants: int = 16
    minutes: float = 10.0
    fs: float = 64.0
    seed: int = 0
    segment_seconds: tuple = (45.0, 150.0)
    activity_weights: tuple = (
        ("rest", 0.25),
        ("walking", 0.2),
        ("running", 0.2),
        ("cycling", 0.1),
        ("arm_motion", 0.15),
        ("boxing", 0.1),
    )

    def __post_init__(self):
        if self.num_participants < 1 or self.minutes <= 0 or self.fs < 10:
            raise ValueError(
                "Need num_participants >= 1, minutes > 0 and fs >= 10. "
                f"Received: num_participants={self.num_participants}, "
                f"minutes={self.minutes}, fs={self.fs}"
            )
        unknown = {n for n, _ in self.activity_weights} - set(ACTIVITIES)
        if unknown:
            raise ValueError(
                f"Unknown activities {sorted(unknown)}; available: "
                f"{sorted(ACTIVITIES)}"
            )


def _lowpass_noise(rng, n, fs, cutoff, scale):
    """Smooth random fluctuation with a given cutoff, unit-scaled."""
    b, a = signal.butter(2, cutoff, fs=fs)
    noise = signal.lfilter(b, a, rng.standard_normal(n))
    return scale * noise / (noise.std() + 1e-12)


def _phase(frequency_hz, fs, start=0.0):
    """Cumulative phase (cycles) of a time-varying frequency."""
    return start + np.cumsum(frequency_hz) / fs


def generate_recording(index, config=SyntheticConfig()):
    """One synthetic participant.

    Args:
        index: Participant index (sets the participant's random stream).
        config: The :class:`SyntheticConfig`.

    Returns:
        A :class:`Recording` with exact beat times, activity annotation
        and the ``(n, 3)`` accelerometer in g (``acc``).
    """
    # One random stream, drawn from in this order: participant, schedule,
    # heart rate, pulse, motion, sensor.
    rng = np.random.default_rng([config.seed, index])
    fs = config.fs
    n = int(round(config.minutes * 60 * fs))
    t = np.arange(n) / fs
    person = _participant(rng)
    schedule = _schedule(rng, config, t)
    hr, resp_phase = _heart_rate(rng, person, schedule, n, fs)
    ppg, beat_times = _pulse_wave(rng, person, hr, resp_phase, t, fs)
    acc = _add_motion(rng, ppg, person.perfusion, schedule, n, fs)
    ppg = _add_sensor_noise(rng, ppg, person.perfusion, n)
    recording = Recording(
        dataset="synthetic_ppg",
        participant=f"syn{index:03d}",
        ppg=ppg.astype("float32"),
        fs=fs,
        beat_times=beat_times,
        activity=(schedule.starts, np.asarray(schedule.names)),
        acc=acc.astype("float32"),
        source=f"synthetic_ppg(seed={config.seed}, index={index})",
    )
    return recording


# === generate_recording's steps (each draws from the stream in turn) ===


@dataclasses.dataclass(frozen=True)
class _Participant:
    """A participant's physiology and pulse morphology."""

    resting_hr: float
    perfusion: float
    resp_rate: float
    systole: tuple  # (centre, width) in beat phase
    diastole: tuple  # (centre, width, height)
    notch_depth: float


def _participant(rng):
    resting_hr = rng.normal(70, 11)
    perfusion = rng.lognormal(0.0, 0.35)
    resp_rate = rng.uniform(0.2, 0.33)
    systole = rng.uniform(0.14, 0.22), rng.uniform(0.05, 0.08)
    diastole = (
        systole[0] + rng.uniform(0.25, 0.33),
        rng.uniform(0.08, 0.13),
        rng.uniform(0.2, 0.9),
    )
    notch_depth = rng.uniform(0.05, 0.2)
    return _Participant(
        resting_hr, perfusion, resp_rate, systole, diastole, notch_depth
    )


@dataclasses.dataclass(frozen=True)
class _Schedule:
    """The activity segments and, per segment, what they do."""

    starts: np.ndarray  # segment start times (s)
    names: list
    segment: np.ndarray  # segment index of each sample
    rise: np.ndarray
    intensity: np.ndarray
    artefact_amp: np.ndarray
    cadence: np.ndarray
    moving: np.ndarray


def _schedule(rng, config, t):
    """The activity schedule (first segment at rest)."""
    names, weights = zip(*config.activity_weights)
    weights = np.asarray(weights) / np.sum(weights)
    seg_starts, seg_names = [0.0], ["rest"]
    while True:
        end = seg_starts[-1] + rng.uniform(*config.segment_seconds)
        if end >= t[-1]:
            break
        seg_starts.append(end)
        seg_names.append(str(rng.choice(names, p=weights)))
    seg_starts = np.asarray(seg_starts)
    segment = np.searchsorted(seg_starts, t, side="right") - 1
    rise = np.array([ACTIVITIES[a][0] for a in seg_names])
    intensity = rng.uniform(0.7, 1.3, len(seg_names))
    amp_lo = np.array([ACTIVITIES[a][2][0] for a in seg_names])
    amp_hi = np.array([ACTIVITIES[a][2][1] for a in seg_names])
    artefact_amp = rng.uniform(amp_lo, amp_hi)
    cadence = np.array(
        [rng.uniform(*(ACTIVITIES[a][1] or (1.0, 1.0))) for a in seg_names]
    )
    moving = np.array([ACTIVITIES[a][1] is not None for a in seg_names])
    return _Schedule(
        seg_starts,
        seg_names,
        segment,
        rise,
        intensity,
        artefact_amp,
        cadence,
        moving,
    )


def _heart_rate(rng, person, schedule, n, fs):
    """Heart rate per sample (lagged target + variability + RSA) and the
    respiratory phase."""
    resting_hr = person.resting_hr
    target = resting_hr + (schedule.rise * schedule.intensity)[schedule.segment]
    tau = rng.uniform(15, 35)  # seconds
    pole = np.exp(-1.0 / (tau * fs))
    hr, _ = signal.lfilter(
        [1 - pole], [1, -pole], target, zi=[resting_hr * pole]
    )
    hr += _lowpass_noise(rng, n, fs, 0.05, rng.uniform(1.0, 3.0))
    resp_phase = _phase(
        person.resp_rate * (1 + 0.3 * (hr - resting_hr) / 60), fs
    )
    rsa = rng.uniform(1.0, 4.0) * np.exp(-(hr - resting_hr) / 40)
    hr += rsa * np.sin(2 * np.pi * resp_phase)
    hr = np.clip(hr, 35.0, 205.0)
    return hr, resp_phase


def _pulse_wave(rng, person, hr, resp_phase, t, fs):
    """The clean PPG (pulses, respiratory modulation, baseline wander) and
    the exact beat times."""
    n = len(t)
    systole, diastole = person.systole, person.diastole
    beat_phase = _phase(hr / 60.0, fs, rng.uniform(0, 1))
    whole = np.floor(beat_phase)
    crossing = np.flatnonzero(np.diff(whole)) + 1
    # sub-sample beat time by linear interpolation of the phase
    frac = (whole[crossing] - beat_phase[crossing - 1]) / (
        beat_phase[crossing] - beat_phase[crossing - 1]
    )
    beat_times = t[crossing - 1] + frac / fs
    p = beat_phase - whole
    pulse = (
        np.exp(-0.5 * ((p - systole[0]) / systole[1]) ** 2)
        + diastole[2] * np.exp(-0.5 * ((p - diastole[0]) / diastole[1]) ** 2)
        - person.notch_depth
        * np.exp(-0.5 * ((p - (systole[0] + diastole[0]) / 2) / 0.02) ** 2)
    )
    perfusion = person.perfusion
    ppg = perfusion * pulse * (1 + 0.1 * np.sin(2 * np.pi * resp_phase))
    ppg += perfusion * (
        0.15 * np.sin(2 * np.pi * resp_phase + 1.0)
        + _lowpass_noise(rng, n, fs, 0.02, rng.uniform(0.3, 1.0))
    )
    return ppg, beat_times


def _add_motion(rng, ppg, perfusion, schedule, n, fs):
    """Add motion artefacts to ``ppg`` (in place): at the cadence and its
    harmonics, and irregular movements; returns the matching ``(n, 3)``
    accelerometer."""
    segment = schedule.segment
    cadence_t = schedule.cadence[segment] * (
        1 + _lowpass_noise(rng, n, fs, 0.05, 0.03)
    )
    cadence_phase = _phase(cadence_t, fs)
    amp_t = (schedule.artefact_amp * schedule.moving)[segment]
    amp_t = signal.lfilter([0.002], [1, -0.998], amp_t, zi=[amp_t[0] * 0.998])[
        0
    ]
    harmonic_w = rng.uniform(0.2, 1.0, 3) / np.arange(1, 4)
    harmonic_phi = rng.uniform(0, 2 * np.pi, 3)
    motion = sum(
        harmonic_w[h]
        * np.sin(2 * np.pi * (h + 1) * cadence_phase + harmonic_phi[h])
        for h in range(3)
    )
    ppg += perfusion * amp_t * motion
    jerk = _irregular_movements(rng, schedule, n, fs)
    ppg += perfusion * jerk
    axes_w = rng.uniform(0.3, 1.0, (3, 3))
    acc = np.stack(
        [
            amp_t
            * sum(
                axes_w[k, h] * np.sin(2 * np.pi * (h + 1) * cadence_phase + k)
                for h in range(3)
            )
            for k in range(3)
        ],
        axis=1,
    )
    acc += jerk[:, None] * rng.uniform(0.3, 1.0, 3)
    acc += np.array([0.0, 0.0, 1.0]) + 0.02 * rng.standard_normal((n, 3))
    return acc


def _irregular_movements(rng, schedule, n, fs):
    """Smooth bumps of random sign and width at random times (Poisson),
    not locked to any cadence."""
    rate = np.array([ACTIVITIES[a][3] for a in schedule.names])
    events = rng.random(n) < rate[schedule.segment] / fs
    jerk = np.zeros(n)
    jerk[events] = rng.normal(0.0, 1.0, int(events.sum()))
    width = rng.uniform(0.08, 0.3) * fs
    taps = np.arange(-int(4 * width), int(4 * width) + 1)
    jerk = np.convolve(jerk, -taps * np.exp(-0.5 * (taps / width) ** 2), "same")
    jerk *= rng.uniform(1.0, 3.0) / (np.abs(jerk).max() + 1e-12)
    return jerk


def _add_sensor_noise(rng, ppg, perfusion, n):
    """Sensor noise, then ADC clipping."""
    ppg += perfusion * rng.uniform(0.03, 0.12) * rng.standard_normal(n)
    limit = perfusion * rng.uniform(2.5, 4.0)
    return np.clip(ppg, -limit, limit)
