"""Writes wildppg/dummy_data: two 32 s participants in the raw .mat format.

Participant ``d02`` has a 3 s constant-filled gap in its wrist PPG, as the
real data fills recording gaps. Run:
``python -m keras_ppg_kd.datasets.wildppg.make_dummy_data``.
"""

import pathlib

import numpy as np
from scipy import io as sio

from keras_ppg_kd.datasets.dummy import dummy_participant

SECONDS = 32
FS = 128.0
_TRACES = ("ppg_g", "ppg_ir", "ppg_r", "acc_x", "acc_y", "acc_z")


def wildppg_dict(index, participant, seconds=SECONDS, gap=None):
    """One participant's .mat content with the real file's structure."""
    ppg, acc, ecg, _, _ = dummy_participant(index, seconds, FS, FS)
    n = int(seconds * FS)
    ppg = ppg[:n]
    if gap is not None:
        ppg = ppg.copy()
        ppg[int(gap[0] * FS) : int(gap[1] * FS)] = ppg[int(gap[0] * FS)]

    def trace(values, fs, descr):
        return {
            "v": np.asarray(values, "float64")[:, None],
            "fs": fs,
            "descr": descr,
        }

    def location(with_ecg):
        loc = {
            "ppg_g": trace(ppg, FS, "green PPG"),
            "ppg_ir": trace(ppg * 0.8, FS, "infrared PPG"),
            "ppg_r": trace(ppg * 0.6, FS, "red PPG"),
            "acc_x": trace(acc[:n, 0], FS, "acceleration x"),
            "acc_y": trace(acc[:n, 1], FS, "acceleration y"),
            "acc_z": trace(acc[:n, 2], FS, "acceleration z"),
            "altitude": trace(np.full(seconds // 2, 400.0), 0.5, "altitude"),
            "temperature": trace(np.full(seconds // 2, 31.0), 0.5, "temp"),
        }
        if with_ecg:
            loc["ecg"] = trace(ecg[:n], FS, "ECG")
        return loc

    return {
        "id": participant,
        "sternum": location(True),
        "head": location(False),
        "wrist": location(False),
        "ankle": location(False),
    }


def main(root=pathlib.Path(__file__).parent / "dummy_data"):
    root.mkdir(parents=True, exist_ok=True)
    for index, (participant, gap) in enumerate(
        [("d01", None), ("d02", (10, 13))]
    ):
        sio.savemat(
            root / f"WildPPG_Part_{participant}.mat",
            wildppg_dict(index, participant, gap=gap),
            do_compression=True,
        )


if __name__ == "__main__":
    main()
