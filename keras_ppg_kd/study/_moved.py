"""Deprecation shims for names that moved out of :mod:`keras_ppg_kd.study`.

A moved module leaves behind a module whose ``__getattr__`` forwards every
name to the new location and warns, so that ``import keras_ppg_kd.study``
alone stays silent and old code keeps working for one release.
"""

import importlib
import warnings


def moved_name(old, new, name):
    """The attribute ``name`` of module ``new``, with a warning that it moved.

    Args:
        old: The module path it was imported from, e.g.
            ``"keras_ppg_kd.study.recipes"``.
        new: The module path that now holds it.
        name: The attribute.

    Returns:
        ``getattr(new, name)``.

    Raises:
        AttributeError: ``new`` has no such name (nor had ``old``).
    """
    target = importlib.import_module(new)
    try:
        value = getattr(target, name)
    except AttributeError:
        raise AttributeError(
            f"module {old!r} has no attribute {name!r}"
        ) from None
    warnings.warn(
        f"{old}.{name} moved to {new}.{name}; the old path works for one "
        "release. Import it from its new location.",
        DeprecationWarning,
        stacklevel=3,
    )
    return value


def forward(old, new):
    """Module ``__getattr__`` and ``__dir__`` that forward to ``new``.

    Args:
        old: The module path that moved.
        new: The module path that now holds its names.

    Returns:
        ``(__getattr__, __dir__)`` for the old module's namespace.
    """

    def __getattr__(name):
        return moved_name(old, new, name)

    def __dir__():
        return sorted(dir(importlib.import_module(new)))

    return __getattr__, __dir__
