"""The public API is typed: py.typed ships, and every function and class
constructor named in a public ``__all__`` annotates its parameters and
its return."""

import importlib
import inspect
import pathlib

import pytest

import keras_ppg_kd

PUBLIC = [
    "keras_ppg_kd",
    "keras_ppg_kd.datasets",
    "keras_ppg_kd.deploy",
    "keras_ppg_kd.study",
]


def _callables():
    for module_name in PUBLIC:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) and "__init__" in vars(obj):
                yield f"{module_name}.{name}.__init__", obj.__init__
            elif inspect.isfunction(obj):
                yield f"{module_name}.{name}", obj


def test_py_typed_ships():
    assert (pathlib.Path(keras_ppg_kd.__file__).parent / "py.typed").exists()


@pytest.mark.parametrize("name,function", list(_callables()))
def test_public_callables_are_annotated(name, function):
    signature = inspect.signature(function)
    missing = [
        p.name
        for p in signature.parameters.values()
        if p.name != "self"
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        and p.annotation is inspect.Parameter.empty
    ]
    assert not missing, f"{name}: parameters without a type: {missing}"
    assert signature.return_annotation is not inspect.Signature.empty, (
        f"{name}: no return type"
    )
