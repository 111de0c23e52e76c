"""``keras-ppg-kd report``: Table 2, fits and Figures 1-3 of a study."""

import os

from keras_ppg_kd.cli._common import _command
from keras_ppg_kd.cli._flags import FLAGS


@_command("results", "teacher_blocks", "out", required=("results",))
def cmd_report():
    """Write Table 2, fits and Figures 1-3 next to the results."""
    from keras_ppg_kd.study import report

    results = FLAGS.results.split(",")
    first = results[0]
    out = FLAGS.out or os.path.join(
        first if os.path.isdir(first) else os.path.dirname(first),
        "report",
    )
    results = results if len(results) > 1 else first
    text, paths = report.report(results, out, teacher=FLAGS.teacher_blocks)
    print(text)
    print("\n".join(["wrote:", *paths]))
