"""Tiny demo: 2 layers x 32 wide, MLM on the bundled corpus, minutes on 2 CPU cores."""

from xlm_keras.pretraining.config import base_config


def get_config():
    return base_config()
