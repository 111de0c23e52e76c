"""A damaged or incomplete laws file is one clear error, never a plan."""

import json

import pytest

from keras_ppg_kd.deploy import load_fits
from keras_ppg_kd.pretrained import laws


def _shipped():
    return json.loads(laws.path().read_text())


def _write(tmp_path, data, name="laws.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def _first_identified(data):
    for strategy, per_law in data["fits"].items():
        if per_law[per_law["best"]]["identifiable"]:
            return strategy, per_law
    raise AssertionError("the shipped laws identify no law")


def _best(data):
    per_law = _first_identified(data)[1]
    return per_law[per_law["best"]]


def test_a_nan_constant_is_refused_naming_the_law(tmp_path):
    data = _shipped()
    strategy, per_law = _first_identified(data)
    per_law[per_law["best"]]["params"]["c"] = float("nan")
    with pytest.raises(ValueError, match=rf"{strategy}.*params.*c=nan"):
        load_fits(_write(tmp_path, data))


@pytest.mark.parametrize(
    "damage, match",
    [
        (lambda d: d.pop("card"), r"no 'card'"),
        (lambda d: [d], r"a JSON object.*Received: a list"),
        (
            lambda d: _best(d).pop("ci95"),
            r"lacks 'ci95'",
        ),
        (
            lambda d: _best(d).pop("params"),
            r"lacks 'params'",
        ),
        (
            lambda d: _first_identified(d)[1].update(best="quadratic"),
            r"best law 'quadratic'.*holds \['exponential', 'power'\]",
        ),
    ],
)
def test_an_incomplete_laws_file_is_one_error(tmp_path, damage, match):
    data = _shipped()
    changed = damage(data)
    path = _write(tmp_path, changed if isinstance(changed, list) else data)
    with pytest.raises(ValueError, match=match) as raised:
        load_fits(path)
    assert str(path) in str(raised.value)
