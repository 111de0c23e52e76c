"""Heart-rate tracking across windows (HMM over the class probabilities),
and the fusion of a model's posterior with the window's own spectrum."""

from keras_ppg_kd.tracking.fusion import SpectralFusion
from keras_ppg_kd.tracking.hmm import HRTracker

__all__ = ["HRTracker", "SpectralFusion"]
