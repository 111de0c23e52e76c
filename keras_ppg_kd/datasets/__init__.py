"""tensorflow-datasets builders, one folder per dataset.

Importing this package registers ``ppg_dalia``, ``wildppg``,
``galaxy_ppg``, ``ieee_spc2015`` and ``synthetic_ppg`` with tfds.
"""

from keras_ppg_kd.datasets import (  # noqa: F401
    galaxy_ppg,
    ieee_spc2015,
    ppg_dalia,
    synthetic_ppg,
    wildppg,
)

BUILDERS = {
    "ppg_dalia": ppg_dalia.Builder,
    "wildppg": wildppg.Builder,
    "galaxy_ppg": galaxy_ppg.Builder,
    "ieee_spc2015": ieee_spc2015.Builder,
    "synthetic_ppg": synthetic_ppg.Builder,
}
