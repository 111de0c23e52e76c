"""The budget planner picks the best predicted student that fits."""

import json

import numpy as np
import pytest

from keras_ppg_kd import scaling
from keras_ppg_kd.deploy import Candidate, load_fits, plan
from keras_ppg_kd.study import report
from keras_ppg_kd.training.generalize import GeneralizingRecipe

CANDIDATES = [
    Candidate("resnet:1", 16_628, 25.0, 19.0, 0.07),
    Candidate("resnet:2", 27_060, 38.0, 19.0, 0.12),
    Candidate("resnet:6", 126_132, 140.0, 30.0, 0.60),
]


def small_fits():
    sizes = np.array([16_628, 27_060, 60_000, 126_132])
    fits = {}
    for strategy, c in (("dkd", 5.0), ("hard", 6.0)):
        mae = scaling.law_value(
            "exponential", sizes, {"a": 10.0, "s": 30_000.0, "c": c}
        )
        fits[strategy] = scaling.fit_law("exponential", sizes, mae)
    return fits


def test_plan_picks_lowest_predicted_mae_within_budget():
    fits = small_fits()
    result = plan(fits, CANDIDATES, flash_kb=64, latency_ms=0.5)
    assert result.strategy == "dkd" and result.candidate.model == "resnet:2"
    assert result.predicted_mae == pytest.approx(
        float(fits["dkd"].predict(27_060))
    )
    assert result.basis == "law"
    low, high = result.interval
    assert low <= result.predicted_mae <= high
    assert "resnet:2" in result.summary() and "95 %" in result.summary()
    unlimited = plan(fits, CANDIDATES)
    assert unlimited.candidate.model == "resnet:6"
    with pytest.raises(ValueError, match="relax the budget"):
        plan(fits, CANDIDATES, flash_kb=10)


def test_fits_json_from_report_round_trips(tmp_path):
    from tests.study.test_report import results_table

    report.report(results_table(), str(tmp_path))
    laws = load_fits(tmp_path / "fits.json")
    saved = json.loads((tmp_path / "fits.json").read_text())
    assert set(laws.fits) | set(laws.unidentified) == set(saved)
    assert all(f.law == saved[s]["best"] for s, f in laws.fits.items())
    assert plan(laws, CANDIDATES, ram_kb=20).candidate.model in (
        "resnet:1",
        "resnet:2",
    )
    with pytest.raises(ValueError, match="Cannot read fitted scaling laws"):
        load_fits(tmp_path / "nope.json")


def test_intervals_widen_away_from_the_measured_sizes():
    """The prediction interval comes from the fit's parameter draws."""
    rng = np.random.default_rng(0)
    sizes = np.repeat([16_628, 27_060, 60_000, 126_132], 6)
    mae = scaling.law_value(
        "exponential", sizes, {"a": 10.0, "s": 30_000.0, "c": 5.0}
    ) + rng.normal(0, 0.3, len(sizes))
    runs = np.tile(np.arange(6), 4)
    fit = scaling.fit_law("exponential", sizes, mae, runs)
    assert 0 < len(fit.draws) <= scaling.KEPT_DRAWS
    inside = np.diff(fit.predict_interval(60_000))[0]
    outside = np.diff(fit.predict_interval(5_000))[0]
    assert 0 < inside < outside
    again = scaling.ScalingFit.from_dict(json.loads(json.dumps(fit.to_dict())))
    assert again.predict_interval(60_000) == fit.predict_interval(60_000)


def test_without_a_law_plan_falls_back_to_measured_sizes(tmp_path):
    """No identified law: the best measured size that fits, said so."""
    sizes = np.array([16_628, 27_060, 126_132])
    fit = scaling.fit_law("exponential", sizes, [6.0, 6.1, 5.9])
    assert not fit.identifiable
    (tmp_path / "fits.json").write_text(
        json.dumps({"dkd": {"exponential": fit.to_dict(), "best": fit.law}})
    )
    (tmp_path / "table2.csv").write_text(
        "size,params,strategy,mean,std,count\n"
        "1,16628,dkd,7.5,0.2,3\n2,27060,dkd,6.5,0.3,3\n"
        "6,126132,dkd,6.0,0.1,3\n1,16628,scratch,8.0,0.2,3\n"
    )
    laws = load_fits(tmp_path / "fits.json")
    assert not laws.fits and "dkd" in laws.unidentified
    result = plan(laws, CANDIDATES, flash_kb=64)
    assert result.basis == "measured"
    assert (result.strategy, result.candidate.model) == ("dkd", "resnet:2")
    assert laws.family == "resnet"
    assert laws.sizes() == ["resnet:1", "resnet:2", "resnet:6"]
    assert result.predicted_mae == 6.5
    low, high = result.interval
    assert low < 6.5 < high
    assert "no law identified" in result.summary()
    (tmp_path / "table2.csv").unlink()
    with pytest.raises(ValueError, match="no measured sizes"):
        load_fits(tmp_path / "fits.json")


def test_the_shipped_laws_have_a_card_and_plan_by_default():
    from keras_ppg_kd.pretrained import laws

    card = laws.card()
    for key in ("data", "protocol", "command", "machine", "date", "study"):
        assert card[key], key
    assert card["study"]["teachers"] and len(card["study"]["seeds"]) >= 3
    shipped = load_fits()
    assert shipped.source.endswith(f"{laws.DEFAULT}.json")
    # The default laws: soft, DKD and scratch identified, on their family.
    assert all(shipped.fits[s].r2 >= 0.9 for s in ("soft", "dkd", "scratch"))
    students = shipped.sizes()
    assert students and all(
        s.startswith(f"{shipped.family}:") for s in students
    )
    width = [
        Candidate(s, int(r["params"]), 10.0, 10.0, 0.1)
        for s, r in zip(
            students,
            sorted(
                {int(r["params"]): r for r in shipped.measured}.values(),
                key=lambda r: int(r["params"]),
            ),
        )
    ]
    result = plan(None, width)
    low, high = result.interval
    assert result.basis == "law" and low <= result.predicted_mae <= high
    with pytest.raises(ValueError, match="another family"):
        plan(None, CANDIDATES)
    # Whom the predictions are about, said with them.
    assert shipped.population.startswith("synthetic people")
    assert "for synthetic people" in result.summary()
    assert "cross_device" not in laws.available()


def test_plan_gives_the_cross_device_figure_where_one_exists():
    from keras_ppg_kd.deploy.planner import cross_device_note
    from keras_ppg_kd.pretrained import laws

    measured = laws.cross_device()["students"]
    assert "tcn:5" in measured
    own = cross_device_note("tcn:5")
    assert own.startswith("on recordings of another device")
    assert "none measured" not in own and "PhysioNet wrist" in own
    other = cross_device_note("resnetw:24")
    assert "none measured for resnetw:24" in other and "tcn:5" in other
    # The recipe's default, measured on a section of its own, names it,
    # with its labels-alone baseline.
    default = cross_device_note(GeneralizingRecipe().student)
    assert "none measured" not in default
    assert "distillation_on_device.md#the-default-student" in default
    assert "trained without distillation" in default
    # A user's fits.json says nothing about its people: no claim made.
    assert (
        load_fits(None).population
        and not plan(small_fits(), CANDIDATES).population
    )


def test_report_writes_each_familys_table_and_laws_for_plan(tmp_path):
    from tests.study.test_report import results_table

    table = results_table()
    table = table[table["model"] == "resnet"].assign(model="resnetw")
    report.report(table, str(tmp_path))
    assert (tmp_path / "table2_resnetw.csv").is_file()
    assert "resnetw:1 (" in (tmp_path / "table2_resnetw.md").read_text()
    laws = load_fits(tmp_path / "fits_resnetw.json")
    assert laws.family == "resnetw" and laws.sizes()[0] == "resnetw:1"


def test_plan_reads_the_shipped_measurements_and_measures_the_rest(
    monkeypatch,
):
    """Every size of each shipped laws file comes with its int8 file's
    bytes and TFLite Micro arena; plan reads them and exports only sizes
    the file lacks."""
    from keras_ppg_kd.deploy import measure_candidates, planner
    from keras_ppg_kd.pretrained import laws

    for name in laws.available():
        shipped = load_fits(laws.path(name))
        students = shipped.edge["students"]
        assert shipped.edge["quantization"] == "int8"
        assert set(shipped.sizes()) <= set(students), name
        for entry in students.values():
            assert entry["file_bytes"] > 0 and entry["micro_arena_bytes"] > 0
    shipped = load_fits()
    measured = []

    def measure(identifier, quantization, data=None):
        measured.append(identifier)
        return dict(shipped.edge["students"]["resnetw:8"], params=1)

    monkeypatch.setattr(planner, "_measure", measure)
    found = measure_candidates(["resnetw:8", "resnetw:5"], known=shipped.edge)
    assert measured == ["resnetw:5"]  # only what the file lacks
    entry = shipped.edge["students"]["resnetw:8"]
    assert found[0].flash_kb == entry["file_bytes"] / 1024
    assert found[0].ram_kb == entry["micro_arena_bytes"] / 1024
    assert found[0].params == entry["params"]
    other = measure_candidates(["resnetw:8"], "float32", known=shipped.edge)
    assert other[0].params == 1  # another quantization: measured


@pytest.mark.slow
def test_plan_sizes_are_the_file_export_writes_for_a_trained_student(
    tmp_path,
):
    """A trained student's int8 file and arena, as plan gives them: from
    the shipped measurements and from a fresh measurement (1 %)."""
    import keras

    from keras_ppg_kd import models
    from keras_ppg_kd.deploy import (
        export_tflite,
        inspect_tflite,
        measure_candidates,
    )
    from keras_ppg_kd.losses import HeartRateCrossEntropy

    rng = np.random.default_rng(0)
    student = models.get("resnetw:8")
    windows = rng.standard_normal((64, 200, 1)).astype("float32")
    labels = rng.integers(0, 180, 64)
    student.compile(keras.optimizers.Adam(1e-2), HeartRateCrossEntropy())
    student.fit(windows, labels, epochs=1, batch_size=32, verbose=0)
    student.save(tmp_path / "student.keras")
    trained = keras.saving.load_model(tmp_path / "student.keras")
    path = export_tflite(trained, tmp_path / "student.tflite", "int8", windows)
    exported = inspect_tflite(path)
    shipped = measure_candidates(["resnetw:8"], known=load_fits().edge)[0]
    fresh = measure_candidates(["resnetw:8"])[0]
    for candidate in (shipped, fresh):
        assert candidate.flash_kb == pytest.approx(exported.size_kb, rel=0.01)
        if exported.micro_arena_kb is not None:
            assert candidate.ram_kb == pytest.approx(
                exported.micro_arena_kb, rel=0.01
            )
