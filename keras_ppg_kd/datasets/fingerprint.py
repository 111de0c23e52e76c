"""What each builder's processing produces, pinned to its version.

tfds reuses prepared data whenever the builder's ``VERSION`` is unchanged,
so a change to reading or windowing must bump it (with a
``RELEASE_NOTES`` entry), or users silently keep windows made by the old
code. :func:`fingerprint` summarises the windows a builder makes from its
own ``dummy_data`` (the synthetic one from two generated participants);
each dataset folder's ``fingerprint.json`` holds the summary recorded for
its builder's current version, and ``tests/datasets/test_versions.py``
fails when the code's output drifts from it without a version bump.

After a deliberate change: bump ``VERSION``, add the release note, then
record the new output with
``python -m keras_ppg_kd.datasets.fingerprint --update``.
"""

import json
import pathlib
import sys
import tempfile
import types

import numpy as np

from keras_ppg_kd.data.transforms import WindowSet, windows_from_recording
from keras_ppg_kd.datasets.loading import builder as get_builder

RECORD = "fingerprint.json"  # in each dataset's folder
_MAX_SOURCES = 2  # enough to see a change, quick for the synthetic one


def fingerprint(name, config="default"):
    """A summary of the windows builder ``name`` makes from its dummy data.

    Returns:
        ``{"windows": count, "labels": sum of class labels, "moments":
        [mean |x|, mean x^3, mean x^4, mean |x[t+1] - x[t]|] of the
        (standardised) window samples, rounded to 4 decimals}``.
    """
    cls = type(get_builder(name))
    builder = cls(config=config, data_dir=tempfile.gettempdir())
    manual = pathlib.Path(sys.modules[cls.__module__].__file__).with_name(
        "dummy_data"
    )
    sources = list(builder._sources(types.SimpleNamespace(manual_dir=manual)))
    windows = WindowSet.concatenate(
        windows_from_recording(
            builder._read(source), builder.builder_config.window
        )
        for source in sources[:_MAX_SOURCES]
    )
    x = windows.windows.astype("float64")
    moments = (
        np.abs(x).mean(),
        (x**3).mean(),
        (x**4).mean(),
        np.abs(np.diff(x, axis=1)).mean(),  # sees filters and resampling
    )
    return {
        "windows": len(windows),
        "labels": int(windows.label.sum()),
        "moments": [round(float(v), 4) + 0.0 for v in moments],
    }


def _folder(name):
    """The folder of builder ``name``'s module (its dataset folder)."""
    module = sys.modules[type(get_builder(name)).__module__]
    return pathlib.Path(module.__file__).parent


def recorded():
    """``{name: {"version": ..., "config": ..., **fingerprint}}`` on file
    (builders with no record yet are left out)."""
    found = {}
    for name in builders():
        path = _folder(name) / RECORD
        if path.exists():
            found[name] = json.loads(path.read_text())
    return found


def builders():
    """``{name: config}`` of every builder that is fingerprinted."""
    from keras_ppg_kd.datasets import available

    return {
        name: "small" if name == "synthetic_ppg" else "default"
        for name in available()
    }


def update():
    """Record every builder's current version and output."""
    record = {}
    for name, config in builders().items():
        version = str(type(get_builder(name)).VERSION)
        record[name] = {
            "version": version,
            "config": config,
            **fingerprint(name, config),
        }
        text = json.dumps(record[name], indent=1, sort_keys=True) + "\n"
        (_folder(name) / RECORD).write_text(text)
    return record


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit(__doc__)
    for name, entry in update().items():
        print(name, entry)
