"""Writes physionet_wrist/dummy_data: three short recordings, raw format.

s1 walks (20 s) and runs (16 s); s2 cycles (20 s). Each recording is an EDF
file with the database's 15 signals at 256 Hz (labels cut to 16
characters, as in the real files) and its beat annotations as text.
Run: ``python -m keras_ppg_kd.datasets.physionet_wrist.make_dummy_data``.
"""

import pathlib

import edfio
import numpy as np

from keras_ppg_kd.datasets.dummy import dummy_participant

FS = 256.0
RECORDINGS = (("s1_walk", 20), ("s1_run", 16), ("s2_low_resistance_bike", 20))
_LABELS = (
    ("chest_ecg", "mV"),
    ("wrist_ppg", "mV"),
    *((f"wrist_gyro_{a}", "degs^-1") for a in "xyz"),
    *(("wrist_low_noise_", "ms^-2"),) * 3,
    *(("wrist_wide_range", "ms^-2"),) * 3,
    *((f"wrist_mag_{a}", "Ga") for a in "xyz"),
    ("sample_times_for", "s"),
)


def beat_text(beat_times, fs=FS):
    """The annotation text the database's ``.atr`` files convert to."""
    rows = [
        "      Time   Sample #  Type  Sub Chan  Num\tAux",
        '    0:00.000        0     "    0    0    0\t## time resolution: 256',
    ]
    for beat in beat_times:
        minutes, seconds = divmod(beat, 60.0)
        rows.append(
            f"    {int(minutes)}:{seconds:06.3f} {int(round(beat * fs)):8d}"
            "     N    0    1    0"
        )
    return "\n".join(rows) + "\n"


def main(root=pathlib.Path(__file__).parent / "dummy_data"):
    (root / "edf").mkdir(parents=True, exist_ok=True)
    (root / "beats").mkdir(parents=True, exist_ok=True)
    for index, (name, seconds) in enumerate(RECORDINGS):
        ppg, acc, ecg, beats, _ = dummy_participant(index, seconds, FS, FS)
        n = int(seconds * FS)
        gyro = np.zeros((n, 3))
        values = [ecg[:n], ppg[:n], *gyro.T, *acc[:n].T, *acc[:n].T]
        values += [*gyro.T, np.arange(n) / FS]
        signals = [
            edfio.EdfSignal(
                np.asarray(v, "float64"),
                sampling_frequency=FS,
                label=label,
                physical_dimension=unit,
            )
            for v, (label, unit) in zip(values, _LABELS, strict=True)
        ]
        edfio.Edf(signals).write(root / "edf" / f"{name}.edf")
        inside = beats[beats < seconds - 0.1]
        (root / "beats" / f"{name}.txt").write_text(beat_text(inside))


if __name__ == "__main__":
    main()
