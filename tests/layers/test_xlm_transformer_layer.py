"""`XLMTransformerLayer` (the block math of `layers/encoder_block.py`) equals
keras-hub's `TransformerEncoder` on the same weights, outputs and gradients,
at every position or at the target positions only (`query_positions`), and
drops only in training."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras_hub.layers import TransformerEncoder

from tests.helpers import loss_and_gradients
from xlm_keras.layers import XLMTransformerLayer

PADDING_MASK = tf.constant([[1] * 7, [1] * 4 + [0] * 3, [1] * 2 + [0] * 5])
# Repeated, unsorted, and a padding position (row 2): all are plain gathers.
POSITIONS = tf.constant([[6, 0, 3], [1, 1, 3], [0, 4, 1]])


@pytest.mark.parametrize("at_positions", [False, True])
@pytest.mark.parametrize(
    "normalize_first,causal,dtype",
    [
        (False, False, "float32"),
        (True, False, "float32"),
        (False, True, "float32"),
        (False, False, "mixed_bfloat16"),
    ],
)
def test_layer_equals_keras_hub_encoder(normalize_first, causal, dtype, at_positions):
    """Dropout 0, training: ours (at `POSITIONS`, or everywhere) against
    keras-hub's `call` at every position, gathered (its causal mask given as
    `attention_mask`)."""
    layer = XLMTransformerLayer(
        causal=causal,
        intermediate_dim=32,
        num_heads=4,
        dropout=0.0,
        activation="gelu",
        layer_norm_epsilon=1e-5,
        normalize_first=normalize_first,
        dtype=dtype,
    )
    inputs = tf.random.normal([3, 7, 16])
    layer(inputs, padding_mask=PADDING_MASK)
    attention_mask = tf.linalg.band_part(tf.ones([3, 7, 7], tf.int32), -1, 0) if causal else None
    positions = POSITIONS if at_positions else None

    def ours():
        outputs = layer(inputs, padding_mask=PADDING_MASK, training=True, query_positions=positions)
        return tf.cast(outputs, tf.float32)

    def keras_hub():
        outputs = TransformerEncoder.call(
            layer,
            tf.cast(inputs, layer.compute_dtype),
            padding_mask=PADDING_MASK,
            attention_mask=attention_mask,
            training=True,
        )
        outputs = tf.cast(outputs, tf.float32)
        return outputs if positions is None else tf.gather(outputs, positions, batch_dims=1)

    variables = layer.trainable_variables
    ours_out, ours_grads = loss_and_gradients(ours, variables, inputs)
    hub_out, hub_grads = loss_and_gradients(keras_hub, variables, inputs)
    assert ours_out.shape == ((3, 3, 16) if at_positions else (3, 7, 16))
    tolerance = 1e-5 if dtype == "float32" else 0.0
    np.testing.assert_allclose(ours_out, hub_out, atol=tolerance)
    assert len(ours_grads) == len(hub_grads) > 10
    for mine, theirs in zip(ours_grads, hub_grads):
        np.testing.assert_allclose(mine, theirs, atol=10 * tolerance or 1e-12)


def test_layer_drops_in_training_only():
    keras.utils.set_random_seed(0)
    layer = XLMTransformerLayer(intermediate_dim=32, num_heads=4, dropout=0.5, activation="gelu")
    inputs = tf.random.normal([2, 6, 16])
    inference = layer(inputs)
    np.testing.assert_array_equal(layer(inputs), inference)
    first, second = layer(inputs, training=True), layer(inputs, training=True)
    assert not np.allclose(first, inference, atol=1e-3)
    assert not np.allclose(first, second, atol=1e-3)
