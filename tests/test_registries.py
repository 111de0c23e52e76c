"""Families and strategies register themselves where they live.

A family or strategy defined anywhere (here: in this test) is found by
``models.get``, ``losses.get``, the study's config and planner, with no
edit to a registry file.
"""

import keras
import pytest
from keras import layers

from keras_ppg_kd import losses, models
from keras_ppg_kd.losses.base import PPGDistillationLoss, register
from keras_ppg_kd.models.base import PPGModel, register_family
from keras_ppg_kd.study import StudyConfig, plan_cells
from keras_ppg_kd.study.report import COLORS, STRATEGY_ORDER


@pytest.fixture
def registered():
    """Add a throwaway family and strategy; remove them afterwards."""

    @register_family("tiny")
    class Tiny(PPGModel):
        def __init__(self, size, protocol=None, name=None, **kwargs):
            protocol = self._protocol(protocol)
            inputs = self._input(protocol)
            x = layers.Conv1D(size, 3, name="conv")(inputs)
            x = layers.GlobalAveragePooling1D(name="pool")(x)
            self._init_functional(
                inputs,
                self._logits(x, protocol),
                {"head": x},
                protocol,
                name=name or f"tiny_{size}",
                **kwargs,
            )
            self.num_blocks = size

    @register("mean_logit", color="#000000")
    class MeanLogit(PPGDistillationLoss):
        def __call__(self, teacher_logits, student_logits, labels=None):
            return keras.ops.mean((teacher_logits - student_logits) ** 2)

    yield Tiny, MeanLogit
    del models.REGISTRY["tiny"], losses.REGISTRY["mean_logit"]


def test_a_family_and_a_strategy_defined_elsewhere_are_found(registered):
    tiny, mean_logit = registered
    assert isinstance(models.get("tiny:4"), tiny)
    assert models.label(models.get("tiny:4")) == "tiny:4"
    assert isinstance(losses.get("mean_logit"), mean_logit)
    config = StudyConfig(
        teachers=("tiny:64",),
        students=("tiny:2",),
        strategies=("mean_logit",),
        datasets=("synthetic_ppg/small",),
    )
    ids = {cell.id for cell in plan_cells(config)}
    assert "f0-s0-ttiny64-tiny2-mean_logit" in ids
    with pytest.raises(ValueError, match="Unknown model 'nope:1'"):
        models.get("nope:1")


def test_the_report_reads_the_registry_and_studies_default_to_four():
    assert STRATEGY_ORDER == ["scratch", *losses.REGISTRY]
    assert set(COLORS) == set(STRATEGY_ORDER)
    # A study's default grid is the reference study's four strategies, all
    # registered; a strategy registered later does not grow it.
    assert StudyConfig().strategies == ("hard", "soft", "dkd", "feature")
    assert set(StudyConfig().strategies) <= set(losses.REGISTRY)
