"""The token table, loaded in row blocks; `assign_in_blocks` for any weight."""

import keras
import numpy as np
import tensorflow as tf
from keras_hub.layers import ReversibleEmbedding

# Bytes of a weight written at once by `assign_in_blocks`.
BLOCK_BYTES = 64 * 2**20


def assign_in_blocks(variable, value):
    """`variable` <- `value` (an array of its shape), written in place
    `BLOCK_BYTES` of rows at a time.

    A whole-tensor `assign` of a numpy array holds two more copies of it
    while TensorFlow converts it, and TensorFlow's CPU allocator keeps the
    memory it grew to: for a token table (0.77 GB in XLM-R base, 2.6 GB in
    XL) that is most of the model's size again. Blocks cost at most
    `BLOCK_BYTES` more.
    """
    value = np.asarray(value)
    if value.ndim == 0 or value.nbytes <= BLOCK_BYTES:
        variable.assign(value)
        return
    rows = max(1, BLOCK_BYTES // value[0].nbytes)
    # A dense slice assignment of the tf.Variable, without reading it first
    # (a held read would make TensorFlow copy the whole variable); not a
    # scatter, after which TensorFlow copies the variable on every read.
    target = variable.value
    rest = list(value.shape[1:])
    for start in range(0, len(value), rows):
        stop = min(start + rows, len(value))
        tf.raw_ops.ResourceStridedSliceAssign(
            ref=target.handle,
            begin=[start] + [0] * len(rest),
            end=[stop] + rest,
            strides=[1] * value.ndim,
            value=tf.cast(value[start:stop], target.dtype),
        )


@keras.saving.register_keras_serializable(package="xlm_keras")
class TokenEmbedding(ReversibleEmbedding):
    """keras-hub's `ReversibleEmbedding` whose float tables are saved from
    one copy (the weights file converts a read of the variable; converting
    the variable itself holds two) and loaded in row blocks
    (`assign_in_blocks`); quantized or LoRA tables are saved and loaded as
    keras-hub does."""

    def save_own_variables(self, store):
        if self._as_keras_hub_does():
            super().save_own_variables(store)
            return
        for index, variable in enumerate(self._float_tables()):
            store[str(index)] = variable.value.read_value()

    def load_own_variables(self, store):
        if self._as_keras_hub_does():
            super().load_own_variables(store)
            return
        for index, variable in enumerate(self._float_tables()):
            assign_in_blocks(variable, store[str(index)])

    def _as_keras_hub_does(self):
        return not self.built or self.quantization_mode is not None or self.lora_enabled

    def _float_tables(self):
        """The variables a float table saves, in its weights file's order."""
        return [getattr(self, name) for name in self.variable_serialization_spec[None]]
