"""Dropout whose keep mask is a keyed integer hash of each element's index.

Keras' dropout draws its mask with TensorFlow's stateless Philox generator.
Under XLA on CPU that generator runs as its own loop (about a tenth of a
pretraining step of the 6 x 512 benchmark shape: 19 masks per step). This
mask is a few uint32 multiplies, shifts and xors of the element index, which
XLA fuses into the select that applies it.

Per call, the layer's `SeedGenerator` seed [2] is mixed into two 32-bit keys;
element `i` is kept when `mix(mix(i ^ key0) + key1) >= rate * 2**32`, `mix`
being the `lowbias32` bijection (C. Wellons' hash-prospector). The keep rate
is `1 - rate` to within 2**-32; masks of successive calls, of different
layers and of neighbouring elements are uncorrelated
(`tests/models/test_dropout.py` measures it). Deterministic for a given
seed state, so a resumed run draws the same masks.
"""

import keras
import tensorflow as tf

_GOLDEN = 0x9E3779B9  # 2**32 / golden ratio: spreads the seed words apart.


def _u32(value):
    return tf.constant(value, tf.uint32)


def _mix(x):
    """lowbias32: uint32 -> uint32, a bijection with strong avalanche."""
    x = tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, _u32(16))) * _u32(0x7FEB352D)
    x = tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, _u32(15))) * _u32(0x846CA68B)
    return tf.bitwise.bitwise_xor(x, tf.bitwise.right_shift(x, _u32(16)))


def keep_mask(shape, seed, rate):
    """bool `shape`: True with probability `1 - rate`, a function of `seed`
    (int [2], a Keras `SeedGenerator` draw) and each element's flat index
    (fewer than 2**31 elements)."""
    seed = tf.bitcast(tf.cast(seed, tf.int32), tf.uint32)
    key0 = _mix(tf.bitwise.bitwise_xor(seed[0], _mix(seed[1] + _u32(_GOLDEN))))
    key1 = _mix(key0 + _u32(_GOLDEN))
    index = tf.bitcast(tf.range(tf.reduce_prod(shape), dtype=tf.int32), tf.uint32)
    bits = _mix(_mix(tf.bitwise.bitwise_xor(index, key0)) + key1)
    return tf.reshape(bits, shape) >= _u32(min(round(rate * 2**32), 2**32 - 1))


def hash_dropout(inputs, rate, seed):
    """`inputs` with each element zeroed with probability `rate` and the rest
    scaled by `1 / (1 - rate)` (Keras' inverted dropout); `seed` int [2]."""
    if rate >= 1.0:
        return tf.zeros_like(inputs)
    keep = keep_mask(tf.shape(inputs), seed, rate)
    return tf.where(keep, inputs * tf.cast(1.0 / (1.0 - rate), inputs.dtype), tf.zeros_like(inputs))


def dropout_with(layer, inputs):
    """A training-time call of Keras Dropout `layer` (its rate, its seed
    generator) with `hash_dropout`'s mask."""
    if not layer.rate:
        return inputs
    return hash_dropout(inputs, layer.rate, layer.seed_generator.next())


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMDropout(keras.layers.Dropout):
    """`keras.layers.Dropout` (same arguments, seed and state) drawing its
    mask with `hash_dropout`; `noise_shape` is not supported."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        if noise_shape is not None:
            raise ValueError("XLMDropout has no noise_shape; use keras.layers.Dropout for that.")
        super().__init__(rate, seed=seed, **kwargs)

    def call(self, inputs, training=False):
        return dropout_with(self, inputs) if training else inputs
