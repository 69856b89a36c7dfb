"""TensorFlow's INFO records are dropped below `--verbosity=1`; its
warnings, and everyone else's INFO, come through."""

import logging
import os

import pytest
from absl import logging as absl_logging

from xlm_keras.cli.tensorflow_info import TENSORFLOW_DIR
from xlm_keras.cli.tensorflow_info import TensorFlowInfoFilter

SAVER = os.path.join(TENSORFLOW_DIR, "python", "checkpoint", "functional_saver.py")
OURS = os.path.join(os.path.dirname(TENSORFLOW_DIR.rstrip(os.sep)), "xlm_keras", "trainer.py")
TEXT = os.path.join(os.path.dirname(TENSORFLOW_DIR.rstrip(os.sep)), "tensorflow_text", "x.py")


def _passes(pathname, level):
    record = logging.LogRecord("absl", level, pathname, 440, "Sharding callback", None, None)
    return TensorFlowInfoFilter().filter(record)


@pytest.fixture
def verbosity():
    saved = absl_logging.get_verbosity()
    yield absl_logging.set_verbosity
    absl_logging.set_verbosity(saved)


def test_tensorflow_info_is_dropped_at_default_verbosity(verbosity):
    verbosity(0)  # absl's default once flags are parsed: INFO.
    assert not _passes(SAVER, logging.INFO)
    assert _passes(SAVER, logging.WARNING)
    assert _passes(OURS, logging.INFO)
    assert _passes(TEXT, logging.INFO)  # Not TensorFlow's own package.


def test_tensorflow_info_comes_through_at_verbosity_1(verbosity):
    verbosity(1)
    assert _passes(SAVER, logging.INFO)
