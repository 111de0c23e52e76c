import numpy as np
import pytest

from keras_ppg_kd import HRClasses, bpm_to_class, class_to_bpm, logits_to_bpm
from keras_ppg_kd.heart_rate import median_argmax


def test_bpm_to_class_matches_study_rule():
    # label = round(HR) - 30, round half up.
    bpm = np.array([30.0, 30.49, 30.5, 72.4, 209.49])
    np.testing.assert_array_equal(bpm_to_class(bpm), [0, 0, 1, 42, 179])


def test_class_round_trip():
    classes = np.arange(180)
    np.testing.assert_array_equal(bpm_to_class(class_to_bpm(classes)), classes)


def test_out_of_range_raises_with_values():
    with pytest.raises(
        ValueError, match=r"2 heart rate\(s\).*\[25\.0, 215\.0\]"
    ):
        bpm_to_class([25.0, 60.0, 215.0])
    with pytest.raises(ValueError, match="NaN"):
        bpm_to_class([np.nan, 60.0])


def test_out_of_range_clip_and_mask():
    np.testing.assert_array_equal(
        bpm_to_class([25.0, 60.0, 215.0], out_of_range="clip"), [0, 30, 179]
    )
    np.testing.assert_array_equal(
        HRClasses().in_range([29.4, 29.5, 209.4, 209.5, np.nan]),
        [False, True, True, False, False],
    )
    with pytest.raises(ValueError, match="out_of_range='drop'"):
        bpm_to_class(60.0, out_of_range="drop")


def test_configurable_classes():
    classes = HRClasses(min_bpm=40, max_bpm=200, resolution=2)
    assert classes.num_classes == 80
    np.testing.assert_array_equal(
        bpm_to_class([40, 41.1, 198.9], classes), [0, 1, 79]
    )
    with pytest.raises(ValueError, match="whole number"):
        HRClasses(min_bpm=30, max_bpm=31, resolution=0.7)


def test_logits_to_bpm_argmax_and_expectation():
    logits = np.full((2, 180), -1e4, dtype="float32")
    logits[0, 40] = 0.0  # all mass on 70 BPM
    logits[1, 40] = logits[1, 42] = 0.0  # half on 70, half on 72
    # A tie decodes to its median, not to its lowest class.
    np.testing.assert_allclose(logits_to_bpm(logits), [70.0, 71.0])
    np.testing.assert_allclose(
        logits_to_bpm(logits, method="expectation"), [70.0, 71.0], atol=1e-4
    )
    with pytest.raises(ValueError, match="180 classes"):
        logits_to_bpm(np.zeros((1, 10)))
    with pytest.raises(ValueError, match="method='median'"):
        logits_to_bpm(logits, method="median")


def test_ties_of_quantized_logits_decode_to_their_median():
    # int8 logits dequantized: neighbouring classes share the top level.
    levels = np.full((4, 180), -3.0, dtype="float32")
    levels[0, 50:53] = 2.5  # three tied: the middle one, 81 BPM
    levels[1, 50:54] = 2.5  # four tied: between the middle two, 81.5
    levels[2, 60] = 2.5  # no tie: plain argmax, 90
    levels[3, [10, 170]] = 2.5  # far apart: still their median, 120
    np.testing.assert_allclose(
        np.asarray(median_argmax(levels)), [51.0, 51.5, 60.0, 90.0]
    )
    np.testing.assert_allclose(logits_to_bpm(levels), [81.0, 81.5, 90.0, 120.0])


@pytest.mark.parametrize("method", ["argmax", "expectation"])
def test_non_finite_logits_decode_to_nan_not_30_bpm(method):
    logits = np.zeros((3, 180), "float32")
    logits[0, 40] = 5.0
    logits[1, 7] = np.nan
    logits[2, 0] = np.inf
    bpm = np.asarray(logits_to_bpm(logits, method=method))
    assert np.isnan(bpm[1:]).all()
    assert bpm[0] == pytest.approx(70.0, abs=1 if method == "argmax" else 60)
