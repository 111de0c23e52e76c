"""Epoch lines: rate-limited, with the ETA of the run."""

import io

from keras_ppg_kd.study.progress import EpochProgress, training_callbacks


def test_epoch_lines_are_rate_limited_and_end_with_the_last_epoch():
    stream = io.StringIO()
    quiet = EpochProgress("cell", epochs=5, interval_s=3600, stream=stream)
    quiet.on_train_begin()
    for epoch in range(5):
        quiet.on_epoch_end(epoch, {"loss": 1.5})
    lines = stream.getvalue().splitlines()
    assert lines == [lines[0]] and "cell  epoch 5/5  loss 1.500" in lines[0]
    assert lines[0].endswith("ETA 0 s")

    stream = io.StringIO()
    every = EpochProgress("t", epochs=300, interval_s=0, stream=stream)
    every.on_train_begin()
    every.start -= 60  # the first epoch took a minute
    every.on_epoch_end(0, {})
    assert (
        stream.getvalue()
        .strip()
        .endswith("epoch 1/300  60.0 s/epoch  ETA 5.0 h")
    )


def test_callbacks_only_as_asked():
    assert training_callbacks("x", 3, False, None) == []
    kinds = [type(c).__name__ for c in training_callbacks("x", 3, True, "tb")]
    assert kinds == ["EpochProgress", "TensorBoard"]
