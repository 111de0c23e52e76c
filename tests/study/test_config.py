"""StudyConfig: presets, JSON round trip, errors before any training."""

import json

import pytest

from keras_ppg_kd.study import PRESETS, StudyConfig, get_config, plan_cells
from keras_ppg_kd.study.config import max_blocks


def test_presets_round_trip_through_json(tmp_path):
    for name, config in PRESETS.items():
        path = tmp_path / f"{name}.json"
        path.write_text(config.to_json())
        assert get_config(str(path)) == config
        assert get_config(name) is config


def test_paper_preset_is_the_study_grid():
    config = PRESETS["paper"]
    cells = plan_cells(config)
    roles = [c.role for c in cells]
    # 2 folds x (6 teachers + 10 scratch + distilled students smaller
    # than their teacher x 4 strategies).
    smaller = sum(
        s < t
        for t in config.teachers
        for s in (*config.students, *config.mlp_students)
    )
    assert roles.count("teacher") == 2 * 6
    assert roles.count("scratch") == 2 * 10
    assert roles.count("student") == 2 * smaller * 4
    assert len({c.id for c in cells}) == len(cells)
    assert config.epochs == 300 and config.folds == 2


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"strategies": ("dkd", "magic")}, "unknown strategies"),
        ({"students": (), "mlp_students": ()}, "grid is empty"),
        ({"teachers": (40,)}, "below one sample"),
        ({"datasets": ("mnist",)}, "datasets must be"),
        ({"split": "random"}, "is not one of"),
        ({"seeds": ()}, "seeds is empty"),
        ({"teachers": (2,), "students": (4,)}, "smaller than a teacher"),
        ({"epochs": 0}, "must be >= 1"),
    ],
)
def test_invalid_configs_say_what_to_change(changes, message):
    with pytest.raises(ValueError, match=message):
        StudyConfig(**changes)


def test_get_config_errors(tmp_path):
    with pytest.raises(ValueError, match="neither a preset"):
        get_config(str(tmp_path / "missing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        get_config(str(bad))
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({"teachers": [12], "colour": "red"}))
    with pytest.raises(ValueError, match="Unknown study config keys"):
        get_config(str(unknown))


def test_max_blocks_matches_the_architecture():
    from keras_ppg_kd.models import ResNet1D

    limit = max_blocks(200)
    assert limit == 15
    # The deepest allowed model still has >= 2 time steps in its head.
    assert ResNet1D(limit).get_layer("head_relu").output.shape[1] >= 2
    assert ResNet1D(limit + 1).get_layer("head_relu").output.shape[1] == 1
