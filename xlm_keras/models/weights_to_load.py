"""Backbones built only to receive loaded weights start from zeros.

Loading a preset (or converting a checkpoint) builds the model, then
overwrites every backbone weight. Drawing XLM's truncated normal first
costs memory for nothing: TensorFlow holds about three copies of a table
while it draws it, and its CPU allocator keeps the memory it grew to, so
the draws of a 250,002-row token table alone kept 1.5 GB more for the
whole process (XLM-R base). Inside `weights_to_load()` backbone kernels
and tables start as zeros (`backbone_initializer` in `xlm_backbone`); task
heads keep their random draws, since a new head is not loaded.
"""

import contextlib
import contextvars

_ACTIVE = contextvars.ContextVar("xlm_keras_weights_to_load", default=False)


@contextlib.contextmanager
def weights_to_load(active=True):
    """Inside (when `active`), backbones are built for weights that will
    be loaded into them."""
    token = _ACTIVE.set(bool(active))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def loading():
    """Whether the backbone being built will have its weights loaded."""
    return _ACTIVE.get()
