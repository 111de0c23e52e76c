"""Reader of PPG-DaLiA: one raw pickle -> :class:`Recording`."""

import pathlib
import pickle

import numpy as np

from keras_ppg_kd.data.transforms import Recording
from keras_ppg_kd.datasets.base import INVALID_RANGE, fail, on_clock

DALIA_ACTIVITIES = {
    0: "transient",
    1: "sitting",
    2: "ascending_descending_stairs",
    3: "table_soccer",
    4: "cycling",
    5: "driving",
    6: "lunch",
    7: "walking",
    8: "working",
}
DALIA_S6_VALID_SECONDS = 90 * 60


def _str_keys(obj):
    """Decode bytes keys (pickles loaded with encoding='bytes')."""
    if isinstance(obj, dict):
        return {
            (k.decode("latin1") if isinstance(k, bytes) else k): _str_keys(v)
            for k, v in obj.items()
        }
    return obj


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Unpickles NumPy arrays and builtin containers, nothing else.

    The PPG-DaLiA files are pickles; a plain ``pickle.load`` would run any
    code a crafted file names. Only the globals NumPy arrays, dtypes and
    scalars are rebuilt from are allowed; anything else raises.
    """

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),
        ("collections", "OrderedDict"),
        # Python 2 pickles (the real files): ndarray rebuilt via copy_reg,
        # whose class argument must itself pass this check.
        *(
            (module, name)
            for module in ("copy_reg", "copyreg")
            for name in ("_reconstructor",)
        ),
        *(
            (module, name)
            for module in ("__builtin__", "builtins")
            for name in (
                "object",
                "bytes",
                "bytearray",
                "set",
                "frozenset",
                "complex",
                "int",
                "float",
                "str",
                "list",
                "dict",
                "tuple",
            )
        ),
    }

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f"refusing to load {module}.{name}: only NumPy arrays and "
            "builtin containers may be unpickled from a dataset file"
        )


def read_ppg_dalia(path):
    """PPG-DaLiA ``S{n}.pkl`` (either pickle key encoding).

    Uses ``signal.wrist.BVP`` (64 Hz), ``signal.wrist.ACC`` (32 Hz, put on
    the PPG's clock) and ``label`` (HR of window i over
    seconds [2i, 2i + 8)); ``activity`` (4 Hz) names the activity. S6 is
    valid only for its first 90 minutes; later samples are flagged. The
    pickle is read with a restricted unpickler (arrays and containers
    only), so a crafted file cannot run code.
    """
    path = pathlib.Path(path)
    try:
        with open(path, "rb") as f:
            unpickler = _ArraysOnlyUnpickler(f, encoding="latin1")
            data = _str_keys(unpickler.load())
        bvp = np.asarray(data["signal"]["wrist"]["BVP"], "float64").reshape(-1)
        acc = data["signal"]["wrist"].get("ACC")
        if acc is not None:
            acc = on_clock(np.asarray(acc, "float64"), 32.0, len(bvp), 64.0)
        label = np.asarray(data["label"], "float64").reshape(-1)
        activity = np.asarray(data.get("activity", []), "int64").reshape(-1)
        subject = data.get("subject", path.stem)
    except Exception as error:
        raise fail(path, "cannot read PPG-DaLiA pickle", error)
    subject = subject.decode() if isinstance(subject, bytes) else str(subject)
    invalid = {}
    if subject == "S6":
        invalid[INVALID_RANGE] = np.arange(len(bvp)) >= (
            DALIA_S6_VALID_SECONDS * 64
        )
    names = np.array([DALIA_ACTIVITIES.get(a, "") for a in activity])
    return Recording(
        dataset="ppg_dalia",
        participant=subject,
        ppg=bvp,
        fs=64.0,
        window_hr=label,
        invalid=invalid,
        activity=(np.arange(len(activity)) / 4.0, names)
        if len(names)
        else None,
        acc=acc,
        source=str(path),
    )
