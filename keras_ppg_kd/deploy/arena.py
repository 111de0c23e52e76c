"""What a LiteRT file needs in memory: its interpreter and tensor arena.

Below both :mod:`~keras_ppg_kd.deploy.litert` and
:mod:`~keras_ppg_kd.deploy.micro`, which import it and not each other's
internals.
"""

import os

import numpy as np

# TFLM's greedy planner places equal-sized tensors from the highest index
# down (its buffer list is filled from the tail, then stably sorted by
# size); see tensorflow/lite/micro/memory_planner/greedy_memory_planner.cc.


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


def order_for_micro_planner(flat) -> None:
    """Renumber a model's activation tensors so TFLite Micro packs them
    tighter; ops, weights and results stay the same.

    TFLM's greedy planner places tensors of equal size in descending index
    order, first fit. The converter numbers activations by when they are
    made, so a residual block's input (alive from its start to its add) is
    placed after the shorter-lived tensors around it and often lands in a
    slot of its own: TCN(5) gets four 200 x 32 slots where three are alive
    at once. Numbered by when they are last used instead, the planner
    places them latest-ending first, which for tensors of one size is the
    optimal order (greedy colouring of intervals), and needs as many slots
    as are ever alive together.

    Args:
        flat: A ``tensorflow.lite.tools.flatbuffer_utils.read_model``
            object (``ModelT``), changed in place: subgraph tensors, op
            inputs and outputs, subgraph inputs and outputs and signature
            tensor indices are renumbered together. Constant tensors keep
            their indices.
    """
    for index, graph in enumerate(flat.subgraphs):
        constant = {
            i
            for i, tensor in enumerate(graph.tensors)
            if flat.buffers[tensor.buffer].data is not None
        }
        first = {int(i): -1 for i in graph.inputs}
        last = {}
        for step, op in enumerate(graph.operators):
            for i in op.outputs:
                first.setdefault(int(i), step)
            for i in [*op.inputs, *op.outputs]:
                if i >= 0 and int(i) not in constant:
                    last[int(i)] = step
        for i in graph.outputs:
            last[int(i)] = len(graph.operators)
        slots = sorted(i for i in first if i not in constant)
        order = sorted(
            slots, key=lambda i: (last.get(i, first[i]), first[i], i)
        )
        new = dict(zip(order, slots))
        tensors = list(graph.tensors)
        for old, position in new.items():
            tensors[position] = graph.tensors[old]
        graph.tensors = tensors

        def renumber(indices):
            return np.array(
                [new.get(int(i), int(i)) for i in indices], np.int32
            )

        for op in graph.operators:
            op.inputs, op.outputs = renumber(op.inputs), renumber(op.outputs)
            if op.intermediates is not None and len(op.intermediates):
                op.intermediates = renumber(op.intermediates)
        graph.inputs, graph.outputs = (
            renumber(graph.inputs),
            renumber(graph.outputs),
        )
        for signature in flat.signatureDefs or []:
            if signature.subgraphIndex == index:
                for tensor_map in [
                    *(signature.inputs or []),
                    *(signature.outputs or []),
                ]:
                    tensor_map.tensorIndex = new.get(
                        tensor_map.tensorIndex, tensor_map.tensorIndex
                    )
