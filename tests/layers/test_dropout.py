"""`hash_dropout` keeps `1 - rate` of the elements, with masks uncorrelated
between calls, layers and neighbouring elements."""

import numpy as np
import pytest
import tensorflow as tf

from xlm_keras.layers import XLMDropout
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
