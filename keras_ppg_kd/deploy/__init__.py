# ruff: noqa: E402  (TensorFlow is required before the imports below)
"""Edge deployment: targets (LiteRT, TFLite Micro), the watch bundle, budget
planning.

A deploy target registers itself in its own module
(``@register_target("name")``, see :mod:`keras_ppg_kd.deploy.target`);
every public module of this package is imported here, so a new target is
one file (and its test).
"""

import importlib
import pkgutil

from keras_ppg_kd import _backend

_backend.require_tensorflow("LiteRT export and planning")
from keras_ppg_kd.deploy.litert import (
    QUANTIZATIONS,
    LiteRT,
    LiteRTModel,
    TFLiteReport,
    export_tflite,
    inspect_tflite,
    read_protocol,
)
from keras_ppg_kd.deploy.micro import (
    MicroModel,
    TFLiteMicro,
    micro_arena_bytes,
)
from keras_ppg_kd.deploy.planner import (
    Candidate,
    Laws,
    Option,
    Plan,
    load_fits,
    measure_candidates,
    plan,
)
from keras_ppg_kd.deploy.target import (
    Target,
    get_target,
    list_targets,
    register_target,
)
from keras_ppg_kd.deploy.watch_bundle import Bundle, bundle

for _module in pkgutil.iter_modules(__path__):  # targets added as files
    if not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "QUANTIZATIONS",
    "Bundle",
    "Candidate",
    "Laws",
    "LiteRT",
    "LiteRTModel",
    "MicroModel",
    "Option",
    "Plan",
    "TFLiteMicro",
    "TFLiteReport",
    "Target",
    "bundle",
    "export_tflite",
    "get_target",
    "inspect_tflite",
    "list_targets",
    "load_fits",
    "measure_candidates",
    "micro_arena_bytes",
    "plan",
    "read_protocol",
    "register_target",
]
