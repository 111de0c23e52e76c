"""What a LiteRT file needs in memory: its interpreter and tensor arena.

Below both :mod:`~keras_ppg_kd.deploy.litert` and
:mod:`~keras_ppg_kd.deploy.micro`, which import it and not each other's
internals.
"""

import os

import numpy as np


def interpreter_class():
    """The LiteRT ``Interpreter`` class, or an ImportError saying how."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        raise ImportError(
            "Running LiteRT files needs the LiteRT interpreter: "
            "pip install ai-edge-litert (or, in the source checkout, "
            "pip install -e '.[litert]')."
        ) from None
    return Interpreter


def op_interpreter(path):
    """An allocated interpreter without the default (XNNPACK) delegate, so
    the ops and tensors listed are the file's own."""
    from ai_edge_litert.interpreter import OpResolverType

    interpreter = interpreter_class()(
        model_path=path,
        experimental_op_resolver_type=(
            OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
        ),
    )
    interpreter.allocate_tensors()
    return interpreter


def lifetime_peak(interpreter):
    """Peak bytes of activation tensors alive at once during one invoke."""
    ops = interpreter._get_ops_details()
    tensors = {t["index"]: t for t in interpreter.get_tensor_details()}
    inputs = [d["index"] for d in interpreter.get_input_details()]

    def nbytes(index):
        t = tensors[index]
        return int(np.prod(t["shape"])) * np.dtype(t["dtype"]).itemsize

    produced = {i for op in ops for i in op["outputs"] if i >= 0}
    activations = set(inputs) | produced
    first, last = {i: -1 for i in inputs}, {}
    for step, op in enumerate(ops):
        for i in op["outputs"]:
            first.setdefault(i, step)
        for i in [*op["inputs"], *op["outputs"]]:
            if i in activations:
                last[i] = step
    return max(
        sum(
            nbytes(i)
            for i in activations
            if first.get(i, -1) <= step <= last.get(i, step)
        )
        for step in range(len(ops))
    )


def estimate_arena_bytes(path: str | os.PathLike) -> int:
    """Tensor-arena estimate of a file from tensor lifetimes, in bytes.

    A lower bound for TFLite Micro's arena, which also holds kernel
    scratch and the interpreter's own structures.
    """
    return lifetime_peak(op_interpreter(path))
