"""What every deploy target offers, and the registry that finds them.

A target is a runtime a student ships to: LiteRT (phones, Linux boards;
:class:`~keras_ppg_kd.deploy.litert.LiteRT`) and TensorFlow Lite for
Microcontrollers (watches; :class:`~keras_ppg_kd.deploy.micro.TFLiteMicro`).
Each one exports a Keras model to its artefact, loads that artefact behind
a ``predict`` on float windows, and says what it needs on a device: its
size (flash) and its working memory (RAM, the tensor arena).

A target registers itself in its own module with :func:`register_target`;
every public module of :mod:`keras_ppg_kd.deploy` is imported by the
package, so a new target is one file (and its test), found by
:func:`get_target` and :func:`list_targets`.
"""

import os
from collections.abc import Callable
from typing import Protocol, runtime_checkable

import numpy as np

# name -> Target subclass.
TARGETS = {}


def register_target(name: str) -> Callable[[type], type]:
    """Class decorator: make a :class:`Target` subclass known by ``name``.

    Raises:
        ValueError: ``name`` is taken by another class.
    """

    def add(cls):
        if name in TARGETS and TARGETS[name] is not cls:
            raise ValueError(
                f"Deploy target name {name!r} is taken by {TARGETS[name]}."
            )
        cls.name = name
        TARGETS[name] = cls
        return cls

    return add


def get_target(name: "str | Target") -> "Target":
    """A target by registered name (an instance is returned as is).

    Raises:
        ValueError: an unknown name (naming the registered ones).
    """
    if isinstance(name, Target):
        return name
    if name not in TARGETS:
        raise ValueError(
            f"Unknown deploy target {name!r}. Use one of {list_targets()}."
        )
    return TARGETS[name]()


def list_targets() -> list:
    """The registered target names, sorted."""
    return sorted(TARGETS)


@runtime_checkable
class Runner(Protocol):
    """A loaded artefact: float windows in, float logits out."""

    path: str | os.PathLike

    def predict(self, windows) -> np.ndarray: ...


class Target:
    """A runtime a student ships to.

    Subclasses set ``suffix`` and implement :meth:`export`, :meth:`load`
    and :meth:`memory_bytes`; ``name`` is set by :func:`register_target`.

    Attributes:
        name: The registered name.
        suffix: The artefact's file suffix (``".tflite"``).
    """

    name = ""
    suffix = ""

    def available(self) -> bool:
        """Whether the runtime that :meth:`load` needs is installed."""
        return True

    def export(
        self,
        model,
        path: str | os.PathLike,
        representative_data: np.ndarray | None = None,
        protocol=None,
        **options,
    ) -> str:
        """Write ``model`` as this target's artefact at ``path``.

        Args:
            model: A Keras model (a Distiller's student is exported).
            path: Output file, ending in :attr:`suffix`.
            representative_data: Float windows for quantization.
            protocol: The model's
                :class:`~keras_ppg_kd.protocol.WindowConfig` (stored with it).
            **options: The target's own export options.

        Returns:
            The path written.
        """
        raise NotImplementedError

    def load(self, path: str | os.PathLike, **options) -> Runner:
        """The artefact behind a ``predict`` on float windows."""
        raise NotImplementedError

    def predict(self, path: str | os.PathLike, windows) -> np.ndarray:
        """Float logits of ``windows`` run through the artefact."""
        return self.load(path).predict(windows)

    def size_bytes(self, path: str | os.PathLike) -> int:
        """What the artefact takes in flash, bytes."""
        return os.path.getsize(path)

    def memory_bytes(self, path: str | os.PathLike) -> int:
        """What the artefact needs in RAM to run (its tensor arena), bytes."""
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}()"
