"""An accelerometer that is the PPG itself is refused, not used."""

import numpy as np
import pytest

from keras_ppg_kd.data import (
    Recording,
    SyntheticConfig,
    generate_recording,
    windows_from_recording,
)
from keras_ppg_kd.protocol import WindowConfig


@pytest.mark.parametrize("axes", ["all", "x"])
def test_the_ppg_given_as_the_accelerometer_is_refused(axes):
    recording = generate_recording(0, SyntheticConfig(minutes=3))
    ppg = np.asarray(recording.ppg, "float64")
    acc = np.asarray(recording.acc, "float64").copy()
    if axes == "all":
        acc[:] = ppg[:, None]
    else:
        acc[:, 0] = 2.0 * ppg + 5.0
    bad = Recording(
        "t", "p", ppg, recording.fs, beat_times=recording.beat_times, acc=acc
    )
    for config in (
        WindowConfig(cancel_motion=True),
        WindowConfig(accelerometer=True),
    ):
        with pytest.raises(ValueError, match=r"acc_x .*follows the PPG"):
            windows_from_recording(bad, config)
    # The recording's own accelerometer passes.
    assert len(windows_from_recording(recording, config)) > 0
