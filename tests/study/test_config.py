"""StudyConfig: presets, JSON round trip, errors before any training."""

import json

import pytest

from keras_ppg_kd import models
from keras_ppg_kd.models.resnet1d import max_blocks
from keras_ppg_kd.study import PRESETS, StudyConfig, get_config, plan_cells


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
    # The study's rule: a student is distilled from bigger teachers
    # (an MLP "mlp:N" is as big as ResNet1D(N)).
    smaller = sum(
        models.parse(s)[1] < t for t in config.teachers for s in config.students
    )
    assert roles.count("teacher") == 2 * 6
    assert roles.count("scratch") == 2 * 10
    assert roles.count("student") == 2 * smaller * 4
    assert len({c.id for c in cells}) == len(cells)
    assert config.epochs == 300 and config.folds == 2


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"strategies": ("dkd", "magic")}, "Unknown distillation loss"),
        ({"strategies": ("dkd:tau=2",)}, "DKD has no argument 'tau'"),
        ({"students": ("cnn:3",)}, "Unknown model 'cnn:3'"),
        ({"teachers": ("cnn:5",)}, "teachers: Unknown model .cnn:5."),
        ({"students": (), "mlp_students": ()}, "grid is empty"),
        ({"teachers": (40,)}, "sizes go up to 15"),
        ({"datasets": ("mnist",)}, "datasets must be"),
        ({"split": "random"}, "is not one of"),
        ({"seeds": ()}, "seeds is empty"),
        ({"epochs": 0}, "must be >= 1"),
        ({"schedule": "linear"}, "schedule 'linear' is not one of"),
        ({"label_sigma": -1.0}, "label_sigma must be >= 0"),
        ({"dropout": 1.0}, r"dropout must be in \[0, 1\)"),
        ({"pretrained_teacher": "nope"}, "'nope' is neither a shipped"),
        ({"pretrained_teacher": "gone.keras"}, "nor a .keras file"),
    ],
)
def test_invalid_configs_say_what_to_change(changes, message):
    with pytest.raises(ValueError, match=message):
        StudyConfig(**changes)


def test_identifiers_old_configs_and_loss_settings():
    config = StudyConfig(
        teachers=("resnet:6",),
        students=(1, "tcn:5"),
        strategies=("dkd:temperature=8",),
    )
    assert config.teachers == (6,)
    assert config.students == ("resnet:1", "tcn:5")
    # A study.json from before identifiers: integers and mlp_students.
    old = {"teachers": [6], "students": [1, 2], "mlp_students": [1]}
    assert StudyConfig.from_dict(old).students == (
        "resnet:1",
        "resnet:2",
        "mlp:1",
    )
    assert StudyConfig.from_json(config.to_json()) == config
    with pytest.raises(ValueError, match="smaller than a teacher"):
        plan_cells(StudyConfig(teachers=(2,), students=(4,)))


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
    with pytest.raises(ValueError, match="at most 15 for 200-sample"):
        ResNet1D(limit + 1)


def test_command_line_overrides_parse_by_field_type():
    config = PRESETS["quick"].override(
        {
            "epochs": "3",
            "students": "resnet:1, 2,mlp:1",
            "strategies": "soft,dkd:temperature=4,beta=2",
            "scratch": "no",
            "learning_rate": "0.02",
            "seeds": "0,1,2",
            "dropout": "0.25",
        }
    )
    assert config.epochs == 3 and config.scratch is False
    assert config.students == ("resnet:1", "resnet:2", "mlp:1")
    assert config.strategies == ("soft", "dkd:temperature=4,beta=2")
    assert config.learning_rate == 0.02 and config.seeds == (0, 1, 2)
    assert config.dropout == 0.25
    with pytest.raises(ValueError, match=r"field\(s\) \['epoch'\]; accepted"):
        PRESETS["quick"].override({"epoch": "3"})
    with pytest.raises(ValueError, match="epochs takes an integer.*'x'"):
        PRESETS["quick"].override({"epochs": "x"})
    with pytest.raises(ValueError, match="scratch takes true or false"):
        PRESETS["quick"].override({"scratch": "maybe"})
