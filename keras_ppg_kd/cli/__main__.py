"""``python -m keras_ppg_kd.cli``: the ``keras-ppg-kd`` command line."""

from keras_ppg_kd.cli import run

if __name__ == "__main__":
    run()
