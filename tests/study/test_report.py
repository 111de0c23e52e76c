"""Table 2, fits and figures from a results table; CLI fit/report/sweep."""

import json
import os

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from keras_ppg_kd.study import report

PARAMS = {1: 16_628, 2: 27_060, 3: 41_000, 4: 62_000, 6: 126_132}
TRUE = {  # exponential laws per strategy (a, s, c); scratch is worst
    "scratch": (14.0, 30_000.0, 7.0),
    "hard": (12.0, 30_000.0, 6.0),
    "dkd": (10.0, 30_000.0, 5.5),
}


def results_table(seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for fold in range(2):
        for size, params in PARAMS.items():
            for strategy, (a, s, c) in TRUE.items():
                for kind, shift in (("resnet", 0.0), ("mlp", 4.0)):
                    mae = c + shift + a * np.exp(-params / s)
                    rows.append(
                        dict(
                            cell=f"f{fold}-{kind}{size}-{strategy}",
                            role="scratch"
                            if strategy == "scratch"
                            else "student",
                            model=kind,
                            size=size,
                            params=params,
                            strategy=strategy,
                            teacher=0 if strategy == "scratch" else 12,
                            mae=mae + rng.normal(0, 0.1),
                            fold=fold,
                        )
                    )
    return pd.DataFrame(rows)


def test_table2_fits_and_figures(tmp_path):
    table = results_table()
    path = tmp_path / "results.csv"
    table.to_csv(path, index=False)
    text, paths = report.report(str(path), str(tmp_path / "report"))

    frame, numbers = report.table2(table)
    assert list(frame.columns) == ["scratch", "hard", "dkd"]
    assert frame.index[0] == "1 block (17K)" and len(frame) == len(PARAMS)
    first = numbers[(numbers["size"] == 1) & (numbers["strategy"] == "dkd")]
    a, s, c = TRUE["dkd"]
    assert first["mean"].item() == pytest.approx(
        c + a * np.exp(-PARAMS[1] / s), abs=0.3
    )
    assert "| 1 block (17K) |" in text and "dkd: best law" in text

    fits = report.fit_strategies(table)
    assert set(fits) == {"scratch", "hard", "dkd"}
    dkd = fits["dkd"][1]["exponential"]
    assert dkd.params["c"] == pytest.approx(c, abs=1.0)
    assert dkd.r2 > 0.95

    names = {os.path.basename(p) for p in paths}
    for stem in (
        "fig1_heatmap_dkd",
        "fig2_scaling",
        "fig2_scaling_mlp",
        "fig3_families",
    ):
        assert {stem + ".png", stem + ".pdf"} <= names
    for p in paths:
        assert os.path.getsize(p) > 100, p
    image = Image.open(tmp_path / "report" / "fig2_scaling.png")
    assert image.size[0] > 600 and image.size[1] > 400


def test_single_runs_and_weak_fits_are_labelled_not_faked():
    table = results_table()
    one_fold = table[table["fold"] == 0]
    frame, _ = report.table2(one_fold)
    assert "±" not in "".join(frame.to_numpy().ravel())  # no "± 0.00"
    assert "±" in report.table2(table)[0].loc["1 block (17K)", "dkd"]

    good = report.fit_strategies(table)["dkd"]
    assert "no law identified" not in report.format_fit("dkd", *good)
    flat = one_fold.assign(mae=15.0 + 0.5 * (one_fold["size"] % 2))
    weak = report.fit_strategies(flat)["dkd"]
    text = report.format_fit("dkd", *weak)
    assert "no law identified (R²" in text and "e+" not in text

    three = one_fold[one_fold["size"].isin([1, 2, 6])]  # 3 sizes, 3 params
    text = report.format_fit("dkd", *report.fit_strategies(three)["dkd"])
    assert "n/a (needs >= 4 sizes)" in text and "nan" not in text
    assert "3 sizes for 3 parameters" in text


def test_unreadable_results_fail_clearly(tmp_path):
    with pytest.raises(ValueError, match="Cannot read a results table"):
        report.read_results(str(tmp_path / "none.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="missing columns"):
        report.read_results(str(bad))


def test_diverged_runs_are_left_out_with_a_count():
    import numpy as np
    import pandas as pd
    import pytest

    from keras_ppg_kd.study import report

    rows = [
        dict(
            cell=f"c{i}",
            role="student",
            model="resnet",
            size=1,
            params=16_628,
            strategy="dkd",
            teacher=6,
            mae=mae,
        )
        for i, mae in enumerate([10.0, np.nan, 12.0])
    ]
    with pytest.warns(RuntimeWarning, match="1 diverged run"):
        table = report.read_results(pd.DataFrame(rows))
    assert list(table["cell"]) == ["c0", "c2"]


def test_figures_are_returned_for_notebooks(tmp_path):
    import matplotlib.figure

    table = results_table()
    fits = report.fit_strategies(table)
    fig, paths = report.figure_scaling(table, fits, str(tmp_path / "f2"))
    assert isinstance(fig, matplotlib.figure.Figure)
    assert [os.path.exists(p) for p in paths] == [True, True]
    assert fig.axes[0].get_xlabel() == "student parameters"


def test_participant_units_line_up_across_folds():
    points = pd.DataFrame(
        {
            "fold": [0, 0, 1],
            "participant_mae": [
                json.dumps({"p1": [5.0, 10], "p2": [7.0, 30]}),
                json.dumps({"p1": [6.0, 10], "p2": [8.0, 30]}),
                json.dumps({"p1": [9.0, 20]}),  # fold 1 tested p1 again
            ],
        }
    )
    unit_mae, unit_windows = report._participant_units(points)
    # Units are (fold, participant): (0, p1), (0, p2), (1, p1).
    np.testing.assert_array_equal(
        unit_windows, [[10, 30, 0], [10, 30, 0], [0, 0, 20]]
    )
    np.testing.assert_array_equal(unit_mae[:2, :2], [[5, 7], [6, 8]])
    assert np.isnan(unit_mae[:2, 2]).all() and unit_mae[2, 2] == 9
    # Tables written before the breakdown existed: no units.
    older = points.assign(participant_mae=[np.nan, "", "{}"])
    assert report._participant_units(older) == (None, None)
    assert report._participant_units(
        points.drop(columns="participant_mae")
    ) == (
        None,
        None,
    )


def test_studies_combine_into_figure_1_of_their_family(tmp_path):
    """One study per teacher: their results together give Figure 1."""
    width = results_table().query("model == 'resnet'").assign(model="resnetw")
    paths = []
    for teacher in (2, 6):
        study = width[width["role"] == "student"].assign(
            teacher=teacher,
            cell=lambda t, teacher=teacher: t["cell"] + f"-t{teacher}",
        )
        paths.append(tmp_path / f"t{teacher}.csv")
        study.to_csv(paths[-1], index=False)
    _, written = report.report(paths, str(tmp_path / "report"))
    names = {os.path.basename(p) for p in written}
    assert "fig1_heatmap_resnetw_dkd.png" in names
    assert "table2_resnetw.csv" in names
    with pytest.raises(ValueError, match="more than one"):
        report.read_results([paths[0], paths[0]])


def quick_like_table():
    """The ``quick`` preset's kind of table: three ``resnetw`` widths and
    one ``mlp`` size, no ResNet1D students."""
    table = results_table()
    width = table[(table["model"] == "resnet") & table["size"].isin([1, 2, 3])]
    width = width.assign(
        model="resnetw",
        size=width["size"].map({1: 8, 2: 16, 3: 32}),
        cell=width["cell"] + "w",
    )
    mlp = table[(table["model"] == "mlp") & (table["size"] == 1)]
    return pd.concat([width, mlp], ignore_index=True)


def test_the_tables_own_student_family_is_the_default():
    """Without ``family``, fits and Table 2 are of the table's students
    (``resnetw`` in the quick preset), not of a family it lacks."""
    table = quick_like_table()
    assert report.student_families(table) == ["resnetw", "mlp"]
    assert report.student_families(results_table()) == ["resnet", "mlp"]
    fits = report.fit_strategies(table)
    assert set(fits) == {"scratch", "hard", "dkd"}
    best, per = fits["dkd"]
    assert set(per) == {"exponential", "power"}
    assert best.why_not.startswith("3 sizes for 3 parameters")
    frame, _ = report.table2(table)
    assert list(frame.index) == [
        "resnetw:8 (17K)",
        "resnetw:16 (27K)",
        "resnetw:32 (41K)",
    ]
    assert report.fit_strategies(table, family="resnet") == {}


def test_a_reason_every_law_shares_is_printed_once():
    fits = report.fit_strategies(quick_like_table())
    text = report.format_fits(fits)
    assert text.count("3 sizes for 3 parameters") == 1, text
    assert text.startswith("no law identified for scratch, hard, dkd: 3 ")
    assert "dkd: exponential R²=" in text and "power R²=" in text
    # Identified laws keep their own lines, as format_fit writes them.
    good = report.fit_strategies(results_table())
    assert report.format_fits(good) == "\n".join(
        report.format_fit(s, *fit) for s, fit in good.items()
    )
    extra = report.format_fits(good, lambda s, best: [f"    more {s}"])
    assert extra.count("    more ") == 3
