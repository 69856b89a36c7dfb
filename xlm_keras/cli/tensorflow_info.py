"""TensorFlow's INFO log lines behind `--verbosity=1`.

TensorFlow's Python code logs through absl, and at INFO level (which absl
shows by default) it says what a user of the programs cannot act on:
"Sharding callback duration: N microseconds" at every checkpoint save.
`hide_tensorflow_info` drops the INFO lines logged from TensorFlow's package
unless `--verbosity` is 1 or more; its warnings and errors come through.
"""

import logging
import os

import tensorflow as tf
from absl import logging as absl_logging

TENSORFLOW_DIR = os.path.dirname(os.path.abspath(tf.__file__)) + os.sep


class TensorFlowInfoFilter(logging.Filter):
    """Drops INFO records logged from TensorFlow's package while absl's
    verbosity is below 1."""

    def filter(self, record):
        return (
            record.levelno != logging.INFO
            or not record.pathname.startswith(TENSORFLOW_DIR)
            or absl_logging.level_debug()
        )


def hide_tensorflow_info():
    """Put `TensorFlowInfoFilter` on absl's handler (once), which writes the
    records of absl's logger and of TensorFlow's own."""
    handler = absl_logging.get_absl_handler()
    if not any(isinstance(f, TensorFlowInfoFilter) for f in handler.filters):
        handler.addFilter(TensorFlowInfoFilter())
