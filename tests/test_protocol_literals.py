"""No window length, rate or class count outside the protocol's definition.

The numbers of the standard protocol (200-sample windows at 25 Hz, 180
classes up to 210 BPM) are stated once, in ``keras_ppg_kd/protocol.py``
and ``keras_ppg_kd/heart_rate.py``; everything else reads them from the
data's or the model's protocol. This test reads every module's syntax tree
for those numbers.
"""

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "keras_ppg_kd"
NUMBERS = {200, 180, 25, 210}
# Where the same numbers mean something else.
ALLOWED = {
    "protocol.py": "the protocol's definition",
    "heart_rate.py": "the classes' definition",
    "datasets": "raw formats of datasets (a device's 25 Hz, a 210 s stage)",
    "models/resnet1d.py": "the reference code's unused 200-unit head",
    "scaling.py": "200 posterior draws kept",
    "data/augment.py": "the stretch augmentation's target HR range",
    "data/synthetic.py": "the generator's activity HR rises",
}


def _allowed(path):
    relative = path.relative_to(PACKAGE).as_posix()
    return any(relative.startswith(prefix) for prefix in ALLOWED)


def _literals(path):
    """Line numbers of the protocol's numbers in one module."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant)
        and type(node.value) in (int, float)
        and node.value in NUMBERS
    ]


def test_no_protocol_literal_outside_its_definition():
    found = [
        f"{path.relative_to(PACKAGE)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if not _allowed(path)
        for line in _literals(path)
    ]
    assert not found, f"protocol numbers outside the protocol: {found}"
    # the scan does see them where they are defined
    assert _literals(PACKAGE / "protocol.py")
    assert _literals(PACKAGE / "heart_rate.py")
