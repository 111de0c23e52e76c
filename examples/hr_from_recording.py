r"""Heart rate every 2 s from a raw PPG recording, with a LiteRT student.

Input: one PPG signal (``.npy`` of shape ``(n,)``, ``(n, 1)`` or ``(1, n)``,
or a ``.csv``: one column, or ``--column NAME`` for a file with several)
and its sampling rate. Output: one heart rate per 2 s step (8 s windows)
from a ``.tflite`` student such as ``examples/train_and_deploy.py``
exports, or by default the shipped synthetic-only TCN(5) bundle
(``synthetic_tcn5``: its int8 file and tracker); with a tracker the
causal tracker's estimate (what a watch shows; ``--lag N``: each estimate
N windows, 2N s, later and also from the N windows after it; by default
the tracker's own lag), with ``--raw`` (or a file given without
``--tracker``) the per-window estimate. ``--out_csv`` writes
``start_s,bpm`` rows, one per step; a step whose window was dropped (flat,
clipped or non-finite signal) has an empty ``bpm`` and the count per reason
is printed. Without ``--ppg`` a synthetic 3-minute recording (64 Hz) is
used and its true heart rate printed beside the estimate. A model whose
per-window heart rate barely varies over the recording
(``keras_ppg_kd.metrics.check_collapse``) gets a warning in the summary.

Checked before any estimate: the tracker's classes and stride against the
model's protocol, and ``--fs`` against the recording (most 8 s stretches
must peak at a pulse frequency at that rate; where breathing or baseline
swings dominate, as with a finger on a phone camera, a warning when the
stretches peak at a pulse above them), then against limits that no
recording at its true rate crossed, which catch most rates 4 times off
and some 2 times off; see ``keras_ppg_kd.data.heart_band_fraction`` and
``keras_ppg_kd.data.rate_suspicion`` for what these catch). With
``--acc``, a warning where motion shows the accelerometer late or early
against the PPG (``keras_ppg_kd.data.accelerometer_lag``).

Usage: python examples/hr_from_recording.py --ppg rec.npy --acc acc.npy \
           --fs 125
       python examples/hr_from_recording.py \
           --model deploy_out/student_int8.tflite \
           --tracker deploy_out/tracker.json --ppg rec.npy --acc=none \
           --fs 125 --out_csv hr.csv
"""

import os
import sys
import warnings

import numpy as np
from absl import app, flags

flags.DEFINE_string(
    "model",
    "synthetic_tcn5",
    "A LiteRT file, or a shipped model's name (its int8 bundle).",
)
flags.DEFINE_string(
    "tracker",
    None,
    "Tracker JSON (HRTracker.save); a shipped model brings its own.",
)
flags.DEFINE_bool("raw", False, "Per-window estimates, no tracker.")
flags.DEFINE_integer(
    "lag",
    None,
    "Windows of delay of the tracked estimate (0: causal; default: the "
    "tracker's own lag).",
)
flags.DEFINE_string("ppg", None, "PPG samples (.npy or .csv).")
flags.DEFINE_string("column", None, "Column of a multi-column --ppg .csv.")
flags.DEFINE_float("fs", None, "Sampling rate of --ppg in Hz.")
flags.DEFINE_string(
    "acc",
    None,
    "Accelerometer (.npy (n, 3) or .csv with 3 columns) on --ppg's clock, "
    "for a model whose protocol has accelerometer or cancel_motion; 'none' "
    "runs a cancel_motion model on a recording without one (as if the "
    "wrist were still).",
)
flags.DEFINE_string("out_csv", None, "Write start_s,bpm rows here.")
FLAGS = flags.FLAGS


def read_ppg(path, column=None):
    """One PPG signal from a ``.npy`` or ``.csv`` file (see module doc)."""
    import pandas as pd

    from keras_ppg_kd.data.transforms import as_signal

    if path.endswith(".npy"):
        return as_signal(np.load(path), where=path)
    table = pd.read_csv(path)
    if all(_is_number(name) for name in table.columns):
        table = pd.read_csv(path, header=None)  # no header row
        table.columns = [str(c) for c in table.columns]
    if column is not None:
        if column not in table.columns:
            raise app.UsageError(
                f"{path} has no column {column!r}; columns: "
                f"{list(table.columns)}"
            )
        return table[column].to_numpy("float64")
    if table.shape[1] != 1:
        raise app.UsageError(
            f"{path} has {table.shape[1]} columns {list(table.columns)}; "
            "pick the PPG with --column NAME."
        )
    return table.iloc[:, 0].to_numpy("float64")


def read_acc(path, length):
    """The ``(length, 3)`` accelerometer beside the PPG."""
    import pandas as pd

    if path.endswith(".npy"):
        acc = np.load(path)
    else:
        table = pd.read_csv(path)
        if all(_is_number(name) for name in table.columns):
            table = pd.read_csv(path, header=None)  # no header row
        acc = table.select_dtypes("number").to_numpy("float64")
    if acc.shape != (length, 3):
        raise app.UsageError(
            f"{path}: the accelerometer must be ({length}, 3), one row per "
            f"PPG sample. Received: shape={acc.shape}."
        )
    return acc


def _check_rate(ppg, fs, classes):
    """Refuse an ``fs`` at which the recording shows no pulse; warn where
    only the stretches' content above the pulse band's lower edge does
    (breathing and baseline swings dominate a finger on a phone camera);
    then refuse an ``fs`` that :func:`rate_suspicion` finds 2-4 times off.
    """
    from keras_ppg_kd.data import heart_band_fraction, rate_suspicion

    pulse = heart_band_fraction(ppg, fs, classes)
    if pulse < 0.5:  # NaN: shorter than a stretch, said later
        # Above the band's lower edge (less half a class): breathing left
        # out.
        floor = 0.8 * (classes.min_bpm - classes.resolution / 2) / 60.0
        above = heart_band_fraction(ppg, fs, classes, floor_hz=floor)
        if above < 0.5:
            raise app.UsageError(
                f"--fs={fs:g} Hz looks wrong for {FLAGS.ppg}: at that rate "
                f"only {pulse:.0%} of its 8 s stretches peak at a pulse "
                f"frequency ({above:.0%} above {floor:.2f} Hz; a correctly "
                "stated recording gives 50% or more). Check the sampling "
                "rate."
            )
        print(
            f"hr_from_recording.py: warning: at --fs={fs:g} Hz only "
            f"{pulse:.0%} of {FLAGS.ppg}'s 8 s stretches peak at a pulse "
            f"frequency, {above:.0%} above {floor:.2f} Hz (breathing or "
            "baseline swings dominate); going on. Check --fs if the heart "
            "rates look wrong.",
            file=sys.stderr,
        )
    suspicion = rate_suspicion(ppg, fs, classes)
    if suspicion is not None:
        factor, reason = suspicion
        way = "higher" if factor > 1 else "lower"
        low, high = sorted((fs * factor, fs * factor**2))
        raise app.UsageError(
            f"--fs={fs:g} Hz looks wrong for {FLAGS.ppg}: at that rate "
            f"{reason}. The signal suggests a rate 2-4 times {way} "
            f"({low:g}-{high:g} Hz). Check the sampling rate."
        )


def _windows_warning_of_lag(recording, config):
    """The recording's windows; an accelerometer late or early against
    the PPG (``AccelerometerLagWarning``) is said in one line, and the
    windows go on."""
    from keras_ppg_kd.data import (
        AccelerometerLagWarning,
        windows_from_recording,
    )

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", AccelerometerLagWarning)
        found = windows_from_recording(recording, config, labelled=False)
    for warning in caught:
        if issubclass(warning.category, AccelerometerLagWarning):
            print(
                f"hr_from_recording.py: warning: {warning.message}",
                file=sys.stderr,
            )
        else:
            warnings.warn_explicit(
                warning.message,
                warning.category,
                warning.filename,
                warning.lineno,
            )
    return found


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def main(argv):
    try:
        _main(argv)
    except (FileNotFoundError, ValueError, app.UsageError) as error:
        # a missing file or bad input: one line, exit 2 (as the CLI)
        print(f"hr_from_recording.py: error: {error}", file=sys.stderr)
        sys.exit(2)


def _main(_):
    # Imported here, not above, so that --help answers without TensorFlow.
    import pandas as pd

    from keras_ppg_kd import pretrained
    from keras_ppg_kd.data import (
        Recording,
        SyntheticConfig,
        generate_recording,
        windows_from_recording,
    )
    from keras_ppg_kd.deploy import LiteRTModel
    from keras_ppg_kd.heart_rate import logits_to_bpm
    from keras_ppg_kd.metrics import check_collapse
    from keras_ppg_kd.protocol import WindowConfig
    from keras_ppg_kd.tracking import HRTracker

    truth = None
    model_path, tracker_path = FLAGS.model, FLAGS.tracker
    if FLAGS.model in pretrained.available() and not os.path.exists(
        FLAGS.model
    ):  # a shipped model: its int8 file and tracker
        model_path = pretrained.int8_path(FLAGS.model)
        tracker_path = tracker_path or pretrained.tracker_path(FLAGS.model)
    if FLAGS.raw:
        tracker_path = None
    model = LiteRTModel(model_path)
    # The file carries the protocol it was trained with (rate, length,
    # channels); files from other tools get the default one.
    still = FLAGS.acc == "none"  # a still wrist: nothing to cancel
    config = model.protocol or WindowConfig(
        accelerometer=bool(FLAGS.acc) and not still
    )
    if FLAGS.acc and not FLAGS.ppg:  # the synthetic recording has its own
        raise app.UsageError("--acc goes with --ppg.")
    # A still wrist suits any model but one that reads the axes themselves.
    needs = config.accelerometer if still else config.needs_accelerometer
    if FLAGS.ppg and needs != (bool(FLAGS.acc) and not still):
        raise app.UsageError(
            f"{FLAGS.model} takes "
            + (
                "PPG + accelerometer: give --acc."
                if config.accelerometer
                else "PPG cleaned with its accelerometer (cancel_motion): "
                "give --acc, or --acc=none for a recording without one."
                if config.cancel_motion
                else "PPG only: leave out --acc."
            )
        )
    if FLAGS.ppg:
        if FLAGS.fs is None:
            raise app.UsageError("--fs (Hz) is required with --ppg.")
        if not (np.isfinite(FLAGS.fs) and FLAGS.fs > 0):
            raise app.UsageError(
                "--fs must be a positive, finite rate in Hz. Received: "
                f"{FLAGS.fs:g}"
            )
        ppg = read_ppg(FLAGS.ppg, FLAGS.column)
        _check_rate(ppg, FLAGS.fs, config.classes)
        recording = Recording(
            dataset="user",
            participant="user",
            ppg=ppg,
            fs=FLAGS.fs,
            acc=(
                np.zeros((len(ppg), 3))
                if still
                else read_acc(FLAGS.acc, len(ppg))
                if FLAGS.acc
                else None
            ),
            source=FLAGS.ppg,
        )
        try:
            found = _windows_warning_of_lag(recording, config)
        except ValueError as error:  # too short, bad values: one line
            raise app.UsageError(str(error)) from None
    else:
        recording = generate_recording(0, SyntheticConfig(minutes=3))
        found = windows_from_recording(recording, config)
        truth = dict(zip(np.round(found.start_times, 3), found.hr_bpm))
    if len(found) == 0:
        raise app.UsageError(
            f"No usable window; dropped per reason: {dict(found.dropped)}"
        )
    tracker = HRTracker.load(tracker_path) if tracker_path else None
    if tracker is not None:
        try:
            tracker.check_protocol(config)
        except ValueError as error:
            raise app.UsageError(f"{tracker_path}: {error}") from None
    logits = model.predict(found)
    if tracker is not None:
        bpm = tracker.fixed_lag(logits, found.start_times, FLAGS.lag)
    else:
        bpm = np.asarray(logits_to_bpm(logits))

    duration = len(recording.ppg) / recording.fs
    steps = np.arange(
        0.0, duration - config.window_seconds + 1e-9, config.stride_seconds
    )
    by_start = dict(zip(np.round(found.start_times, 3), bpm))
    rows = [(start, by_start.get(round(start, 3), np.nan)) for start in steps]
    if FLAGS.out_csv:
        pd.DataFrame(rows, columns=["start_s", "bpm"]).to_csv(
            FLAGS.out_csv, index=False, float_format="%.1f"
        )
    for start, value in rows[:20] if FLAGS.out_csv else rows:
        line = f"{start:7.1f} s  {value:6.1f} BPM"
        if truth is not None and round(start, 3) in truth:
            line += f"   (true {truth[round(start, 3)]:6.1f})"
        print(line)
    source = "per-window"
    if tracker is not None:
        lag = tracker.lag if FLAGS.lag is None else FLAGS.lag
        source = f"tracked (lag {lag})" if lag else "tracked"
    print(
        f"{len(found)} {source} heart rates for {len(rows)} steps of "
        f"{duration:.0f} s of PPG ({recording.fs} Hz); dropped "
        f"{dict(found.dropped) or 'none'}"
        + (f"; wrote {FLAGS.out_csv}" if FLAGS.out_csv else "")
    )
    if truth is not None:
        error = np.mean(np.abs(bpm - found.hr_bpm))
        print(f"MAE vs the synthetic truth: {error:.2f} BPM")
    # The model's own per-window answers (the tracker smooths by design).
    collapsed = check_collapse(
        logits_to_bpm(logits),
        found.hr_bpm if truth is not None else None,
        name=f"{FLAGS.model} on {FLAGS.ppg or 'the synthetic recording'}",
        hint="check --fs and --acc; a model of your own may have "
        "collapsed in training: train and distill from the shipped "
        "pre-trained models (keras-ppg-kd without --from_scratch) or use "
        "examples/train_and_deploy.py.",
    )
    if collapsed is not None:
        print(collapsed.message())


if __name__ == "__main__":
    app.run(main)
