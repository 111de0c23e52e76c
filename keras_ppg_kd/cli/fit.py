"""``keras-ppg-kd fit``: the scaling laws of a sweep's results table."""

from absl import app

from keras_ppg_kd.cli._common import _command
from keras_ppg_kd.cli._flags import FLAGS


@_command(
    "results",
    "teacher_blocks",
    "target_mae",
    "predict_params",
    required=("results",),
)
def cmd_fit():
    """Fit both scaling laws per strategy; predict and invert."""
    from keras_ppg_kd.study import report

    table = report.read_results(FLAGS.results)
    families = report.student_families(table)
    by_family = {
        family: report.fit_strategies(table, FLAGS.teacher_blocks, family)
        for family in families
    }
    by_family = {f: fits for f, fits in by_family.items() if fits}
    if not by_family:
        students = table[table["role"] != "teacher"]
        per_family = students.groupby("model")["size"].unique()
        sizes = "; ".join(
            f"{f}: {', '.join(str(s) for s in sorted(per_family[f]))}"
            for f in families
        )
        raise app.UsageError(
            "No strategy has >= 3 student sizes of one family in "
            f"--results (sizes per family: {sizes or 'none'}); a scaling "
            "law needs three. Add student sizes to the sweep."
        )

    def more(strategy, best):
        lines = []
        if FLAGS.predict_params:
            lines.append(
                f"    predicted MAE at {FLAGS.predict_params:,} parameters: "
                f"{best.predict(FLAGS.predict_params):.2f} BPM"
            )
        if FLAGS.target_mae:
            try:
                needed = best.invert(FLAGS.target_mae)
                lines.append(
                    f"    smallest student for {FLAGS.target_mae} BPM: "
                    f"{needed:,.0f} parameters"
                )
            except ValueError as error:
                lines.append(f"    {error}")
        return lines

    for family, fits in by_family.items():
        print(f"{family} students:")
        print(report.format_fits(fits, more))
