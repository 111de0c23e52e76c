# ruff: noqa: E402  (TensorFlow is required before the imports below)
"""Edge deployment: LiteRT export and verification, budget planning."""

from keras_ppg_kd import _backend

_backend.require_tensorflow("LiteRT export and planning")
from keras_ppg_kd.deploy.litert import (
    QUANTIZATIONS,
    LiteRTModel,
    TFLiteReport,
    export_tflite,
    inspect_tflite,
    read_protocol,
)
from keras_ppg_kd.deploy.micro import MicroModel, micro_arena_bytes
from keras_ppg_kd.deploy.planner import (
    Candidate,
    Laws,
    Option,
    Plan,
    load_fits,
    measure_candidates,
    plan,
)

__all__ = [
    "QUANTIZATIONS",
    "Candidate",
    "Laws",
    "LiteRTModel",
    "MicroModel",
    "Option",
    "Plan",
    "TFLiteReport",
    "export_tflite",
    "inspect_tflite",
    "load_fits",
    "measure_candidates",
    "micro_arena_bytes",
    "plan",
    "read_protocol",
]
