"""``keras-ppg-kd plan``: a student size and strategy for a device."""

from keras_ppg_kd.cli._common import _command, _fail
from keras_ppg_kd.cli._flags import FLAGS


@_command("fits", "flash_kb", "ram_kb", "latency_ms", "sizes")
def cmd_plan():
    """Recommend a student for --flash_kb/--ram_kb/--latency_ms."""
    from keras_ppg_kd.deploy import load_fits, measure_candidates, plan
    from keras_ppg_kd.deploy.planner import cross_device_note

    laws = load_fits(FLAGS.fits)  # fail on bad fits before measuring
    students = [
        s if ":" in s else f"{laws.family}:{s}" for s in FLAGS.sizes or ()
    ]
    students = students or laws.sizes()
    if not students:
        _fail("plan", f"{laws.source} lists no measured sizes; pass --sizes")
    laws.check_family(students)
    # Sizes the laws file measured are read from it; others are measured.
    candidates = measure_candidates(students, known=laws.edge)
    result = plan(
        laws,
        candidates,
        flash_kb=FLAGS.flash_kb,
        ram_kb=FLAGS.ram_kb,
        latency_ms=FLAGS.latency_ms,
    )
    print(
        f"{'strategy':<9} {'student':>10} {'params':>8} {'KB':>6} "
        f"{'arena':>6} {'us':>6} {'MAE':>6} {'95 %':>11}  fits"
    )
    for o in result.options:
        c, (low, high) = o.candidate, o.interval
        print(
            f"{o.strategy:<9} {c.model:>10} {c.params:>8,} {c.flash_kb:>6.1f} "
            f"{c.ram_kb:>6.1f} {c.latency_ms * 1e3:>6.0f} {o.mae:>6.2f} "
            f"{low:>5.2f}-{high:<5.2f}  {'yes' if o.fits_budget else 'no'}"
        )
    print(result.summary())
    if result.population.startswith("synthetic"):
        print(cross_device_note(result.candidate.model))
