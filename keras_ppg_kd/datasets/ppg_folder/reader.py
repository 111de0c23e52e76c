"""Reader of a user's own recordings: one participant folder -> Recording.

Each file (``.csv`` or ``.parquet``) is one recording with the columns

- ``time_s``: sample times in seconds, strictly increasing; the sampling
  rate is inferred from their median step, and gaps longer than 1.5 steps
  are flagged (their windows are dropped and counted as ``gap_fill``);
- ``ppg``: the PPG samples;
- a reference: ``hr_bpm`` (per sample, NaN where unknown; a window's label
  is its mean when at least half of it is known) or ``ecg`` (heartbeats
  from the package's R-peak detector; needs >= 50 Hz);
- optionally ``acc_x``, ``acc_y``, ``acc_z`` and ``activity``.

A participant's recordings are joined in file-name order with a minute of
flagged gap between them, so splits stay by person and no window spans two
recordings (the gap's windows are counted as ``between_recordings``).
"""

import pathlib

import numpy as np
import pandas as pd
from absl import logging

from keras_ppg_kd.data.ecg import detect_r_peaks
from keras_ppg_kd.data.transforms import Recording
from keras_ppg_kd.datasets.base import (
    BETWEEN_RECORDINGS,
    GAP_FILL,
    PAUSE_SECONDS,
    fail,
)

SUFFIXES = (".csv", ".parquet")
_ACC = ("acc_x", "acc_y", "acc_z")
COLUMNS = ("time_s", "ppg", "hr_bpm", "ecg", *_ACC, "activity")
# What an unlabelled recording is read for: a reference column, if a file
# has one, is never read.
UNLABELLED_COLUMNS = ("time_s", "ppg", *_ACC)
# A longer hole in ``time_s`` is a glitched timestamp, not a pause: it would
# make a grid of millions of samples. Split such recordings into files.
MAX_GAP_SECONDS = 3600.0
_CHUNK_ROWS = 500_000
# Heart rates in BPM lie in this range; a median outside it is another unit.
_PLAUSIBLE_BPM = (20.0, 300.0)


def read_table(path, columns=COLUMNS):
    """The known columns of a recording file (``.csv`` or ``.parquet``).

    Only ``columns`` are read, a CSV in chunks of ``_CHUNK_ROWS`` rows,
    so that memory holds the numbers read, not the whole text. Header
    names are matched and returned without surrounding spaces (``" ppg"``
    is ``ppg``).
    """
    path = pathlib.Path(path)
    if path.suffix not in SUFFIXES:
        raise fail(path, f"not a recording file; use one of {SUFFIXES}")
    try:
        if path.suffix == ".parquet":
            from pyarrow import parquet  # pandas' own Parquet engine

            header = parquet.read_schema(path).names
            wanted = [c for c in header if str(c).strip() in columns]
            table = pd.read_parquet(path, columns=wanted or None)
        else:
            header = pd.read_csv(path, nrows=0).columns
            wanted = [c for c in header if str(c).strip() in columns]
            if not wanted:
                table = pd.DataFrame(columns=list(header))
            else:
                chunks = pd.read_csv(
                    path, usecols=wanted, chunksize=_CHUNK_ROWS
                )
                table = pd.concat(chunks, ignore_index=True)
    except Exception as error:
        raise fail(path, "cannot read the file", error)
    return table.rename(columns=lambda name: str(name).strip())


def _column(table, name, path):
    """A numeric column as float64; non-numbers raise naming file and column."""
    values = pd.to_numeric(table[name], errors="coerce").to_numpy("float64")
    bad = np.flatnonzero(np.isnan(values) & table[name].notna().to_numpy())
    if len(bad):
        raise fail(
            path,
            f"column {name!r} holds a non-number at row {bad[0]} "
            f"({table[name].iloc[bad[0]]!r})",
        )
    return values


def _seconds(table, path):
    """``time_s`` in seconds: a datetime column (Parquet) is converted;
    numbers whose median step is over 0.5 s (no PPG rate) raise naming the
    unit they look like."""
    column = table["time_s"]
    if pd.api.types.is_datetime64_any_dtype(column):
        return (column - column.iloc[0]).dt.total_seconds().to_numpy("float64")
    t = _column(table, "time_s", path)
    step = np.diff(t)
    positive = step[np.isfinite(step) & (step > 0)]
    median = float(np.median(positive)) if len(positive) else 0.0
    if median > _MAX_STEP_SECONDS:
        for unit, scale in _TIME_UNITS:
            if 10.0 <= scale / median <= 10_000.0:
                raise fail(
                    path,
                    f"column 'time_s' steps by {median:.6g} (median), "
                    f"{1 / median:.3g} Hz in seconds: it looks like {unit} "
                    f"({scale / median:.4g} Hz); give time_s in seconds "
                    f"(divide by {scale:g})",
                )
        raise fail(
            path,
            f"column 'time_s' steps by {median:.6g} s (median), "
            f"{1 / median:.3g} Hz: not a PPG rate; give time_s in seconds",
        )
    return t


# time_s: a median step over this is not a PPG rate in seconds (2 Hz).
_MAX_STEP_SECONDS = 0.5
_TIME_UNITS = (
    ("milliseconds", 1e3),
    ("microseconds", 1e6),
    ("nanoseconds", 1e9),
)


def _check_bpm(values, path):
    """Refuse an ``hr_bpm`` column whose median is not a heart rate in BPM.

    Catches another unit (Hz, RR intervals in s or ms); a scaling that stays
    in range (a halved heart rate) cannot be told from a slow heart.
    """
    known = values[np.isfinite(values)]
    if not len(known):
        return
    median = float(np.median(known))
    low, high = _PLAUSIBLE_BPM
    if low <= median <= high:
        return
    if 250 <= median <= 2500:
        guess = "RR intervals in ms (60000 / RR gives BPM)"
    elif 0.25 <= median <= 5:
        guess = "Hz (x 60 gives BPM) or RR intervals in s (60 / RR)"
    else:
        guess = "not a heart rate"
    raise fail(
        path,
        f"column 'hr_bpm' has median {median:.4g}, outside {low:g}-{high:g} "
        f"BPM; it looks like {guess}",
    )


def read_recording(path, labelled=True):
    """One file -> ``(fields, duration_s, fs)`` on a uniform time grid.

    ``fields`` holds ``ppg``, ``gap`` (flag per sample), and as present
    ``hr`` (per sample), ``beat_times``, ``acc`` and ``activity``.
    ``labelled=False`` reads only :data:`UNLABELLED_COLUMNS`: no reference
    is needed, and one in the file is not read.
    """
    path = pathlib.Path(path)
    table = read_table(path, COLUMNS if labelled else UNLABELLED_COLUMNS)
    missing = [c for c in ("time_s", "ppg") if c not in table.columns]
    if labelled and not ({"hr_bpm", "ecg"} & set(table.columns)):
        missing = missing or ["hr_bpm or ecg"]
    if missing:
        needed = "time_s, ppg" + (
            " and a reference (hr_bpm or ecg)" if labelled else ""
        )
        raise fail(
            path,
            f"missing column(s) {missing}; found {list(table.columns)}. "
            f"Needed: {needed}",
        )
    if len(table) < 2:
        raise fail(path, f"needs at least 2 rows; found {len(table)}")
    t = _seconds(table, path)
    step = np.diff(t)
    if not np.isfinite(t).all() or (step <= 0).any():
        row = (
            int(np.flatnonzero(~(step > 0))[0]) + 1 if (step <= 0).any() else 0
        )
        raise fail(
            path,
            f"column 'time_s' must be finite and increase strictly (row {row})",
        )
    if step.max() > MAX_GAP_SECONDS:
        row = int(np.argmax(step)) + 1
        raise fail(
            path,
            f"column 'time_s' jumps by {step[row - 1]:.6g} s at row {row} "
            f"(from {t[row - 1]:.6g} to {t[row]:.6g}); gaps over "
            f"{MAX_GAP_SECONDS:.0f} s are refused as glitched timestamps. "
            "Fix the row, or split the recording into two files",
        )
    dt = float(np.median(step))
    fs = 1.0 / dt
    jitter = float(np.std(step) / dt)
    gap_rows = np.flatnonzero(step > 1.5 * dt)
    if jitter > 0.05 or len(gap_rows):
        logging.warning(
            "%s: inferred %.3f Hz; timing jitter %.1f%% of a step; %d gap(s) "
            "(%.1f s in all) flagged",
            path,
            fs,
            100 * jitter,
            len(gap_rows),
            float(np.sum(step[gap_rows])),
        )
    uniform = t[0] + np.arange(int(round((t[-1] - t[0]) * fs)) + 1) / fs
    inside = np.searchsorted(t, uniform, side="right") - 1
    inside = np.clip(inside, 0, len(t) - 2)
    gap = (
        np.isin(inside, gap_rows)
        & (uniform > t[inside])
        & (uniform < t[inside + 1])
    )

    def on_grid(name):
        return np.interp(uniform, t, _column(table, name, path))

    fields = {"ppg": on_grid("ppg"), "gap": gap}
    duration = len(uniform) / fs
    if labelled and "hr_bpm" in table.columns:
        values = _column(table, "hr_bpm", path)
        _check_bpm(values, path)
        hr = np.interp(uniform, t, values)  # NaN beside a NaN sample
        hr[gap] = np.nan
        fields["hr"] = hr
    elif labelled:
        fields["beat_times"] = detect_r_peaks(on_grid("ecg"), fs)
    if all(c in table.columns for c in _ACC):
        fields["acc"] = np.stack([on_grid(c) for c in _ACC], axis=1)
    if "activity" in table.columns:
        labels = table["activity"].fillna("").astype(str).to_numpy()
        change = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
        fields["activity"] = (t[change] - t[0], labels[change])
    return fields, duration, fs


def _window_means(hr, fs, grid):
    """Per-window HR on ``grid``: the mean where at least half is known."""
    window, stride = grid
    length = int(round(window * fs))
    duration = len(hr) / fs
    starts = np.arange(0.0, duration - window + 1e-9, stride)
    index = np.round(starts * fs).astype(int)
    index = index[index + length <= len(hr)]
    windows = hr[index[:, None] + np.arange(length)]
    known = np.isfinite(windows).mean(axis=1) >= 0.5
    out = np.full(len(index), np.nan)
    out[known] = np.nanmean(windows[known], axis=1)
    return out


def read_ppg_folder(folder, grid=(8.0, 2.0), labelled=True):
    """A participant folder of recordings -> one :class:`Recording`.

    Args:
        folder: ``<manual_dir>/<participant>/``.
        grid: ``(window_seconds, stride_seconds)`` of the labels made from
            ``hr_bpm`` (the windowing protocol's).
        labelled: False reads the recordings without a reference (the
            Recording has none; see :func:`read_recording`).

    Raises:
        ValueError: no recording, or a file with a missing or non-numeric
            column, non-increasing time, or recordings at different
            sampling rates; the message names the file and the column.
    """
    folder = pathlib.Path(folder)
    try:
        folder.name.encode("utf-8")
    except UnicodeEncodeError:
        raise fail(
            repr(str(folder)),
            "the folder name is not valid UTF-8 (it names the participant "
            "in the prepared data); rename it",
        ) from None
    files = sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES)
    if not files:
        raise fail(folder, f"no recording ({', '.join(SUFFIXES)}) in it")
    parts = [(path, *read_recording(path, labelled)) for path in files]
    fs = parts[0][3]
    for path, _, _, other in parts[1:]:
        if abs(other - fs) > 1e-3 * fs:
            raise fail(
                path,
                f"sampled at {other:.3f} Hz, {files[0].name} at {fs:.3f} Hz; "
                "keep one rate per participant",
            )
    kinds = {("hr" in f) for _, f, _, _ in parts}
    if len(kinds) > 1:
        raise fail(folder, "mixes hr_bpm and ecg references across files")
    pause = int(round(PAUSE_SECONDS * fs))
    offset, ppg, gap, between, acc, hr, beats = 0.0, [], [], [], [], [], []
    times, labels = [], []
    for index, (_, fields, duration, _) in enumerate(parts):
        if index:  # a flagged pause keeps windows within one recording
            ppg.append(np.zeros(pause))
            gap.append(np.zeros(pause, bool))
            between.append(np.ones(pause, bool))
            acc.append(np.zeros((pause, 3)))
            hr.append(np.full(pause, np.nan))
            offset += PAUSE_SECONDS
        n = len(fields["ppg"])
        ppg.append(fields["ppg"])
        gap.append(fields["gap"])
        between.append(np.zeros(n, bool))
        acc.append(fields.get("acc", np.full((n, 3), np.nan)))
        if "hr" in fields:
            hr.append(fields["hr"])
        elif labelled:
            beats.append(fields["beat_times"] + offset)
        if "activity" in fields:
            times.append(fields["activity"][0] + offset)
            labels.append(fields["activity"][1])
        offset += duration
    has_acc = all("acc" in f for _, f, _, _ in parts)
    window_hr = _window_means(np.concatenate(hr), fs, grid) if hr else None
    return Recording(
        dataset="ppg_folder",
        participant=folder.name,
        ppg=np.concatenate(ppg),
        fs=fs,
        window_hr=window_hr,
        window_hr_grid=grid,
        beat_times=np.concatenate(beats) if beats else None,
        beat_correction=True,
        invalid={
            GAP_FILL: np.concatenate(gap),
            BETWEEN_RECORDINGS: np.concatenate(between),
        },
        activity=(np.concatenate(times), np.concatenate(labels))
        if times
        else None,
        acc=np.concatenate(acc) if has_acc else None,
        source=str(folder),
    )
