"""The library's shape: no unit needs a scroll bar, no room holds the rest.

A function over 80 lines (its docstring aside) does several things: split
it by what they are. A room (a subpackage, or a top-level module) over a
fifth of the library's lines mixes layers: give the new layer its own.
"""

import ast
import collections
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "keras_ppg_kd"
MAX_FUNCTION_LINES = 80
MAX_ROOM_SHARE = 0.20


def _modules():
    return sorted(PACKAGE.rglob("*.py"))


def _body_lines(node):
    """Lines of a function without its docstring."""
    lines = node.end_lineno - node.lineno + 1
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(
        getattr(first, "value", None), ast.Constant
    ):
        if isinstance(first.value.value, str):
            lines -= first.end_lineno - first.lineno + 1
    return lines


@pytest.mark.core
def test_no_function_over_80_lines():
    long = []
    for path in _modules():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = _body_lines(node)
                if lines > MAX_FUNCTION_LINES:
                    where = path.relative_to(PACKAGE.parent)
                    long.append(f"{where}:{node.lineno} {node.name} {lines}")
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"


@pytest.mark.core
def test_no_room_over_a_fifth_of_the_library():
    rooms = collections.Counter()
    for path in _modules():
        parts = path.relative_to(PACKAGE).parts
        room = parts[0] if len(parts) > 1 else path.stem
        rooms[room] += len(path.read_text().splitlines())
    total = sum(rooms.values())
    big = {r: f"{n / total:.0%}" for r, n in rooms.items() if n > 0.2 * total}
    assert not big, f"rooms over {MAX_ROOM_SHARE:.0%} of {total} lines: {big}"
    assert {"training", "study", "deploy", "cli"} <= set(rooms)


@pytest.mark.core
def test_the_check_sees_a_long_function():
    body = "\n".join(f"    x{i} = {i}" for i in range(81))
    node = ast.parse(f'def f():\n    """Doc\n    string."""\n{body}\n').body[0]
    assert _body_lines(node) == 82  # the def line and 81 statements
