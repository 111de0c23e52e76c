"""Reader of PhysioNet "Wrist PPG During Exercise": participant -> Recording.

Each recording is an EDF file (``edf/sN_ACTIVITY.edf``, 15 signals at
256 Hz) with the ECG beat annotations as text beside it
(``beats/sN_ACTIVITY.txt``). A participant's recordings are joined in
file-name order with a minute of flagged pause between them (as
``ppg_folder`` does), so splits stay by person and no window spans two
recordings.
"""

import pathlib

import edfio
import numpy as np

from keras_ppg_kd.data.transforms import Recording
from keras_ppg_kd.datasets.base import BETWEEN_RECORDINGS, PAUSE_SECONDS, fail

PPG_LABEL = "wrist_ppg"
# The low-noise accelerometer: three signals share this (cut) EDF label,
# in x, y, z order.
ACC_LABEL = "wrist_low_noise_"


def read_edf_signals(path):
    """``(ppg, acc (n, 3), fs)`` of one recording's EDF file."""
    try:
        edf = edfio.read_edf(path)
    except Exception as error:
        raise fail(path, "cannot read the EDF file", error)
    by_label = {}
    for found in edf.signals:
        by_label.setdefault(found.label.strip(), []).append(found)
    ppg = by_label.get(PPG_LABEL, [])
    acc = by_label.get(ACC_LABEL, [])
    if len(ppg) != 1 or len(acc) != 3:
        raise fail(
            path,
            f"needs one {PPG_LABEL!r} signal and three {ACC_LABEL!r} signals; "
            f"found labels {sorted(by_label)}",
        )
    fs = float(ppg[0].sampling_frequency)
    if any(float(a.sampling_frequency) != fs for a in acc):
        raise fail(path, "the accelerometer and the PPG differ in rate")
    n = min(len(ppg[0].data), *(len(a.data) for a in acc))
    signals = np.stack([a.data[:n] for a in acc], axis=1)
    return np.asarray(ppg[0].data[:n], "float64"), signals, fs


def read_beats(path, fs):
    """Times (s) of the normal beats (type ``N``) in an annotation file.

    Rows are ``time, sample, type, sub, chan, num[, aux]``; the sample
    number (at ``fs``) gives the time. Comment rows (type ``"``) and
    other annotation types are skipped.
    """
    try:
        lines = pathlib.Path(path).read_text().splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise fail(path, "cannot read the beat annotations", error)
    samples = []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split()
        if len(fields) < 3 or fields[2] != "N":
            continue
        try:
            samples.append(int(fields[1]))
        except ValueError:
            raise fail(path, f"line {number}: sample {fields[1]!r} is no int")
    if len(samples) < 2:
        raise fail(path, f"needs at least 2 'N' beats; found {len(samples)}")
    beats = np.asarray(samples, "float64") / fs
    if np.any(np.diff(beats) <= 0):
        raise fail(path, "beat samples must increase")
    return beats


def read_physionet_wrist(folder, participant):
    """All recordings of one participant -> one :class:`Recording`.

    Args:
        folder: The manual directory (with ``edf/`` and ``beats/``).
        participant: ``"s2"``, ``"s3"``, ...

    Raises:
        ValueError: no recording, a recording without its beat file, or a
            file that cannot be read (the message names the file).
    """
    folder = pathlib.Path(folder)
    files = sorted((folder / "edf").glob(f"{participant}_*.edf"))
    if not files:
        raise fail(folder / "edf", f"no {participant}_*.edf recording")
    offset, ppg, acc, between, beats = 0.0, [], [], [], []
    times, labels = [], []
    fs = None
    for index, path in enumerate(files):
        signal_ppg, signal_acc, rate = read_edf_signals(path)
        if fs is None:
            fs = rate
        elif rate != fs:
            raise fail(path, f"sampled at {rate} Hz, {files[0].name} at {fs}")
        beat_file = folder / "beats" / f"{path.stem}.txt"
        if not beat_file.is_file():
            raise fail(path, f"no beat annotations at {beat_file}")
        if index:  # a flagged pause keeps windows within one recording
            pause = int(round(PAUSE_SECONDS * fs))
            ppg.append(np.zeros(pause))
            acc.append(np.zeros((pause, 3)))
            between.append(np.ones(pause, bool))
            offset += pause / fs
        beats.append(read_beats(beat_file, fs) + offset)
        times.append(offset)
        labels.append(path.stem.removeprefix(f"{participant}_"))
        ppg.append(signal_ppg)
        acc.append(signal_acc)
        between.append(np.zeros(len(signal_ppg), bool))
        offset += len(signal_ppg) / fs
    return Recording(
        dataset="physionet_wrist",
        participant=participant,
        ppg=np.concatenate(ppg),
        fs=fs,
        beat_times=np.concatenate(beats),
        invalid={BETWEEN_RECORDINGS: np.concatenate(between)},
        activity=(np.asarray(times), np.asarray(labels)),
        acc=np.concatenate(acc),
        source=str(folder / "edf" / f"{participant}_*.edf"),
    )
