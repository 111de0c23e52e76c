"""The old paths of moved names still work for one release, and warn."""

import importlib
import subprocess
import sys

import pytest

from keras_ppg_kd import scaling, training
from keras_ppg_kd.training import generalize, recipes

MODULES = [
    ("keras_ppg_kd.study.recipes", recipes),
    ("keras_ppg_kd.study.generalize", generalize),
    ("keras_ppg_kd.study.scaling", scaling),
]
STUDY_NAMES = {
    "Result": training,
    "cross_fitted_teachers": training,
    "distill": training,
    "evaluate": training,
    "train_scratch": training,
    "train_teacher": training,
    "ScalingFit": scaling,
    "fit_best": scaling,
    "fit_law": scaling,
}


def _public(module):
    return [n for n in vars(module) if not n.startswith("_")]


@pytest.mark.parametrize("old, new", MODULES, ids=lambda m: str(m))
def test_every_name_of_a_moved_module_resolves_and_warns(old, new):
    shim = importlib.import_module(old)
    names = _public(new)
    assert "train_and_distill" in names or new is not generalize
    for name in names:
        with pytest.warns(DeprecationWarning, match=new.__name__):
            value = getattr(shim, name)
        assert value is getattr(new, name)
    assert set(names) <= set(dir(shim))


def test_from_import_of_an_old_path_warns():
    with pytest.warns(DeprecationWarning, match="keras_ppg_kd.training"):
        from keras_ppg_kd.study.recipes import Training
    assert Training is recipes.Training
    with pytest.warns(DeprecationWarning, match="keras_ppg_kd.scaling"):
        from keras_ppg_kd.study.scaling import ScalingFit
    assert ScalingFit is scaling.ScalingFit
    with pytest.warns(DeprecationWarning, match="training.generalize"):
        from keras_ppg_kd.study.generalize import GeneralizingRecipe
    assert GeneralizingRecipe is generalize.GeneralizingRecipe


@pytest.mark.parametrize("name", sorted(STUDY_NAMES))
def test_names_the_study_package_exported_resolve_and_warn(name):
    import keras_ppg_kd.study as study

    new = STUDY_NAMES[name]
    with pytest.warns(DeprecationWarning, match=new.__name__):
        value = getattr(study, name)
    assert value is getattr(new, name)


def test_an_unknown_name_is_still_an_attribute_error():
    import keras_ppg_kd.study as study
    import keras_ppg_kd.study.recipes as old

    with pytest.raises(AttributeError, match="no_such_name"):
        study.no_such_name  # noqa: B018
    with pytest.raises(AttributeError, match="no_such_name"):
        old.no_such_name  # noqa: B018


def test_importing_the_study_alone_does_not_warn():
    code = (
        "import warnings; warnings.simplefilter('error'); "
        "import keras_ppg_kd.study, keras_ppg_kd.study.recipes, "
        "keras_ppg_kd.study.generalize, keras_ppg_kd.study.scaling; "
        "from keras_ppg_kd.study import recipes, report, run_sweep"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
