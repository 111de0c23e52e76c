r"""Ship a shipped student as a watch bundle: its int8 LiteRT file and a
causal tracker, beside its model card.

For ``--name synthetic_tcn5`` (default) writes into ``--out``
``synthetic_tcn5_int8.tflite`` (calibrated on synthetic windows, the only
data the model saw), ``synthetic_tcn5_tracker.json`` (transition learned
from the synthetic labels, temperature and grid calibrated on held-out
synthetic participants) and a copy of the model card that records both
(``int8``, ``tracker``): the int8 file's protocol (by default
``cancel_motion``: the watch cleans each window with its accelerometer, as
the recipe's students do), their hashes, the int8 file's size and the MAE
on the real SPC 2015 recordings when ``--spc_dir`` holds them.
``examples/hr_from_recording.py`` uses the shipped bundle by default;
``--out keras_ppg_kd/pretrained`` replaces it.

Usage: python examples/ship_int8_bundle.py [--name synthetic_tcn5]
           [--out bundle_out]
"""

import dataclasses
import hashlib
import json
import pathlib
import sys

import numpy as np
from absl import app, flags

flags.DEFINE_string("name", "synthetic_tcn5", "A shipped student.")
flags.DEFINE_string(
    "out",
    "bundle_out",
    "Output folder (keras_ppg_kd/pretrained replaces the shipped bundle).",
)
flags.DEFINE_integer("participants", 12, "Synthetic participants.")
flags.DEFINE_string(
    "spc_dir", "../shared/data/ieee_spc2015", "SPC 2015 (for the card)."
)
flags.DEFINE_bool(
    "cancel_motion",
    True,
    "Ship the bundle for windows cleaned with the accelerometer "
    "(WindowConfig.cancel_motion).",
)
FLAGS = flags.FLAGS


def _sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


def main(_):
    # Imported here, not above, so that --help answers without TensorFlow.
    from keras_ppg_kd import pretrained
    from keras_ppg_kd.data import (
        SyntheticConfig,
        WindowSet,
        generate_recording,
        windows_from_recording,
    )
    from keras_ppg_kd.data.splits import participant_keys
    from keras_ppg_kd.datasets import load_windows
    from keras_ppg_kd.deploy import LiteRTModel, bundle, inspect_tflite
    from keras_ppg_kd.tracking import HRTracker
    from keras_ppg_kd.training.generalize import score, split_validation

    try:
        model = pretrained.load(FLAGS.name)
    except ValueError as error:  # not a shipped name: one line
        sys.exit(f"ship_int8_bundle.py: error: {error}")
    out = pathlib.Path(FLAGS.out)
    out.mkdir(parents=True, exist_ok=True)
    spc = pathlib.Path(FLAGS.spc_dir)
    if not (spc / "Training_data").is_dir():
        print(
            f"ship_int8_bundle.py: no SPC 2015 recordings in {spc} "
            "(Training_data/): the card gets no real-data MAE",
            file=sys.stderr,
        )
    config = SyntheticConfig(
        num_participants=FLAGS.participants, minutes=10.0, seed=33
    )
    protocol = dataclasses.replace(
        model.protocol, cancel_motion=FLAGS.cancel_motion
    )
    windows = WindowSet.concatenate(
        windows_from_recording(generate_recording(i, config), protocol)
        for i in range(config.num_participants)
    )
    fit, held = split_validation(windows, 3, seed=0)

    def fit_tracker(int8):  # calibrated on the int8 file's own logits
        return HRTracker.fit(
            fit.hr_bpm, participant_keys(fit), fit.start_times
        ).calibrate(
            int8.predict(held),
            held.hr_bpm,
            participant_keys(held),
            held.start_times,
        )

    written = bundle(
        model,
        fit_tracker,
        fit.windows,
        out,
        protocol=protocol,
        name=FLAGS.name,
        tracker_file=pretrained.tracker_path(FLAGS.name, must_exist=False).name,
        keras_files=False,
        c_sources=False,
        manifest=False,
    )
    tflite, tracker_path = written.tflite_path, written.tracker_path
    tracker, runner = written.tracker, LiteRTModel(tflite)
    card_path = pathlib.Path(pretrained.__file__).with_name(
        f"{FLAGS.name}.json"
    )
    card = json.loads(card_path.read_text())
    card_path = out / card_path.name
    card["int8"] = {
        "file": tflite.name,
        "sha256": _sha256(tflite),
        "kb": round(inspect_tflite(tflite).size_kb, 1),
        "calibration": f"{len(fit)} synthetic windows (seed 33)",
        "protocol": protocol.get_config(),
    }
    card["tracker"] = {
        "file": tracker_path.name,
        "sha256": _sha256(tracker_path),
        "config": tracker.get_config(),
        "fitted_on": f"{len(fit)} synthetic windows; calibrated on "
        f"{len(held)} windows of 3 held-out synthetic participants",
    }
    if (spc / "Training_data").is_dir():
        real = load_windows(
            "ieee_spc2015",
            manual_dir=str(spc),
            config="cancel_motion" if protocol.cancel_motion else None,
        )
        logits = runner.predict(real)
        tracked = tracker.track(
            logits, participant_keys(real), real.start_times
        )
        table = score(real, extra={"int8+tracker": tracked})
        card["int8"]["unseen_ieee_spc2015_mae"] = {
            "int8+tracker": float(np.mean(table["int8+tracker"])),
            "note": "mean per-recording MAE (BPM), never fine-tuned",
        }
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    print(json.dumps({k: card[k] for k in ("int8", "tracker")}, indent=2))
    print(f"wrote {tflite}, {tracker_path} and {card_path}")


if __name__ == "__main__":
    app.run(main)
