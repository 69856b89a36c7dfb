"""`hash_dropout` keeps `1 - rate` of the elements, with masks uncorrelated
between calls, layers and neighbouring elements; `XLMTransformerLayer`'s
own block equals keras-hub's `TransformerEncoder` (outputs and gradients)."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras_hub.layers import TransformerEncoder

from xlm_keras.layers import XLMDropout
from xlm_keras.layers import XLMTransformerLayer
from xlm_keras.layers.dropout import keep_mask

SIZE = 1000 * 1000
RATE = 0.1


def _sigmas(observed, probability, count=SIZE):
    """How many standard deviations a binomial share is from `probability`."""
    return abs(observed - probability) / np.sqrt(probability * (1 - probability) / count)


def _dropped(layer, shape=(1000, 1000)):
    return layer(tf.ones(shape), training=True).numpy() == 0


def test_keep_rate_and_scale():
    outputs = XLMDropout(RATE, seed=1)(tf.ones([1000, 1000]), training=True).numpy()
    assert _sigmas((outputs == 0).mean(), RATE) < 5
    np.testing.assert_allclose(outputs[outputs != 0], 1 / (1 - RATE), rtol=1e-6)


def test_masks_are_independent_between_calls_layers_and_neighbours():
    first_layer, second_layer = XLMDropout(RATE, seed=1), XLMDropout(RATE, seed=2)
    first, second, other = _dropped(first_layer), _dropped(first_layer), _dropped(second_layer)
    assert (first != second).any()
    # Dropped in both: RATE ** 2 if the masks are independent.
    for a, b in ((first, second), (first, other)):
        assert _sigmas((a & b).mean(), RATE**2) < 5
    # Neighbours along the row and down the column.
    assert _sigmas((first[:, 1:] & first[:, :-1]).mean(), RATE**2, first[:, 1:].size) < 5
    assert _sigmas((first[1:] & first[:-1]).mean(), RATE**2, first[1:].size) < 5


def test_a_seed_state_gives_one_mask():
    seed = tf.constant([7, 3])
    np.testing.assert_array_equal(keep_mask([64, 32], seed, RATE), keep_mask([64, 32], seed, RATE))
    assert (
        (keep_mask([64, 32], seed, RATE) != keep_mask([64, 32], seed + [0, 1], RATE)).numpy().any()
    )


def test_layer_is_identity_at_inference_and_round_trips():
    layer = XLMDropout(RATE, seed=3)
    inputs = tf.random.normal([4, 5])
    np.testing.assert_array_equal(layer(inputs), inputs)
    assert XLMDropout.from_config(layer.get_config()).rate == RATE
    with pytest.raises(ValueError, match="noise_shape"):
        XLMDropout(RATE, noise_shape=(4, 1))


@pytest.mark.parametrize("normalize_first,causal", [(False, False), (True, False), (False, True)])
def test_block_equals_keras_hub_encoder(normalize_first, causal):
    """Dropout 0, training: our block against keras-hub's `call` on the same
    weights (a causal mask given to keras-hub as `attention_mask`)."""
    layer = XLMTransformerLayer(
        causal=causal,
        intermediate_dim=32,
        num_heads=4,
        dropout=0.0,
        activation="gelu",
        layer_norm_epsilon=1e-5,
        normalize_first=normalize_first,
    )
    inputs = tf.random.normal([3, 7, 16])
    padding_mask = tf.constant([[1] * 7, [1] * 4 + [0] * 3, [1] * 2 + [0] * 5])
    layer(inputs, padding_mask=padding_mask)
    attention_mask = tf.linalg.band_part(tf.ones([3, 7, 7], tf.int32), -1, 0) if causal else None

    def ours():
        return layer(inputs, padding_mask=padding_mask, training=True)

    def keras_hub():
        return TransformerEncoder.call(
            layer, inputs, padding_mask=padding_mask, attention_mask=attention_mask, training=True
        )

    results = []
    for forward in (ours, keras_hub):
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            outputs = forward()
            loss = tf.reduce_sum(outputs * tf.cos(outputs))
        results.append((outputs, tape.gradient(loss, [inputs] + layer.trainable_variables)))
    (ours_out, ours_grads), (hub_out, hub_grads) = results
    np.testing.assert_allclose(ours_out, hub_out, atol=1e-5)
    assert len(ours_grads) == len(hub_grads) > 10
    for mine, theirs in zip(ours_grads, hub_grads):
        np.testing.assert_allclose(mine, theirs, atol=1e-4)


def test_block_drops_in_training_only():
    keras.utils.set_random_seed(0)
    layer = XLMTransformerLayer(intermediate_dim=32, num_heads=4, dropout=0.5, activation="gelu")
    inputs = tf.random.normal([2, 6, 16])
    inference = layer(inputs)
    np.testing.assert_array_equal(layer(inputs), inference)
    first, second = layer(inputs, training=True), layer(inputs, training=True)
    assert not np.allclose(first, inference, atol=1e-3)
    assert not np.allclose(first, second, atol=1e-3)
