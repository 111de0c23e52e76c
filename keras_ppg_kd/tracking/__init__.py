"""Heart-rate tracking across windows (HMM over the class probabilities)."""

from keras_ppg_kd.tracking.hmm import HRTracker

__all__ = ["HRTracker"]
