"""A tracker as JSON: ``get_config``/``from_config``, ``save``/``load``."""

import inspect
import json
import pathlib

from keras_ppg_kd.heart_rate import HRClasses
from keras_ppg_kd.tracking._common import _FORMAT


class _Serialisation:
    """:class:`~keras_ppg_kd.tracking.HRTracker`'s config, files and repr."""

    def get_config(self):
        return {
            "transition_scale": self.transition_scale,
            "jump_probability": self.jump_probability,
            "temperature": self.temperature,
            "stride_seconds": self.stride_seconds,
            "max_gap_seconds": self.max_gap_seconds,
            "classes": {
                "min_bpm": self.classes.min_bpm,
                "max_bpm": self.classes.max_bpm,
                "resolution": self.classes.resolution,
            },
            "prior_mean_bpm": self.prior_mean_bpm,
            "prior_std_bpm": self.prior_std_bpm,
            "lag": self.lag,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["classes"] = HRClasses(**config.get("classes", {}))
        return cls(**config)

    def save(self, path):
        """Write the tracker as JSON (``.json``)."""
        path = pathlib.Path(path)
        payload = {"format": _FORMAT, "config": self.get_config()}
        path.write_text(json.dumps(payload, indent=2) + "\n")
        return path

    @classmethod
    def load(cls, path):
        """Read a tracker written by :meth:`save`."""
        path = pathlib.Path(path)
        try:
            payload = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise ValueError(f"{path}: not a readable tracker file") from error
        if not isinstance(payload, dict) or payload.get("format") != _FORMAT:
            raise ValueError(
                f"{path}: not an HRTracker file (expected format {_FORMAT!r})"
            )
        config = payload.get("config")
        if not isinstance(config, dict):
            raise ValueError(
                f"{path}: no 'config' object (what HRTracker.save writes). "
                f"Received: {type(config).__name__}"
            )
        known = set(inspect.signature(cls).parameters)
        unknown = sorted(set(config) - known)
        if unknown:
            raise ValueError(
                f"{path}: unknown key(s) {unknown} in 'config'; a tracker "
                f"takes {sorted(known)} (a file from a newer version?)"
            )
        return cls.from_config(config)

    def __repr__(self):
        return (
            f"HRTracker(transition_scale={self.transition_scale:.2f}, "
            f"jump_probability={self.jump_probability:.4f}, "
            f"temperature={self.temperature:.3f}"
            + (
                f", prior_mean_bpm={self.prior_mean_bpm:.1f}, "
                f"prior_std_bpm={self.prior_std_bpm:.1f}"
                if self.prior_mean_bpm is not None
                else ""
            )
            + (f", lag={self.lag})" if self.lag else ")")
        )
