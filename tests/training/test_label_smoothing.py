"""Label smoothing of the train step's target loss: 0 is the plain sparse
cross-entropy; e > 0 equals keras' CategoricalCrossentropy(label_smoothing=e)
on one-hot labels."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from xlm_keras.training.train_step import target_losses


def _data():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(3, 5, 11)).astype("float32") * 3
    labels = rng.integers(0, 11, size=(3, 5)).astype("int32")
    return labels, logits


def test_zero_is_the_plain_sparse_cross_entropy():
    labels, logits = _data()
    np.testing.assert_array_equal(
        target_losses(labels, logits, 0.0).numpy(),
        keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True).numpy(),
    )


@pytest.mark.parametrize("smoothing", [0.1, 0.3])
def test_smoothing_matches_keras_categorical_cross_entropy(smoothing):
    labels, logits = _data()
    reference = keras.losses.CategoricalCrossentropy(
        from_logits=True, label_smoothing=smoothing, reduction=None
    )(keras.ops.one_hot(labels, 11), logits)
    np.testing.assert_allclose(
        target_losses(labels, logits, smoothing).numpy(),
        np.asarray(reference),
        rtol=1e-5,
        atol=1e-6,
    )


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_unknown_shapes_add_no_assert_and_keep_the_numbers(smoothing):
    # Logits of unknown batch and length: keras' sparse cross-entropy would
    # add a shape Assert, which XLA drops with a warning at every compile.
    labels, logits = _data()
    signature = [tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([None, None, 11])]
    losses = tf.function(lambda y, z: target_losses(y, z, smoothing), input_signature=signature)
    graph = losses.get_concrete_function().graph
    assert not [op.name for op in graph.get_operations() if op.type == "Assert"]
    assert graph.outputs[0].shape.as_list() == [None, None]
    # The formula before the flattening (keras' loss on the 3-D logits).
    plain = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    uniform = -tf.reduce_mean(tf.nn.log_softmax(logits), axis=-1)
    expected = (1 - smoothing) * plain + smoothing * uniform if smoothing else plain
    np.testing.assert_array_equal(losses(labels, logits).numpy(), np.asarray(expected))
    compiled = tf.function(losses.python_function, jit_compile=True, input_signature=signature)
    np.testing.assert_allclose(compiled(labels, logits).numpy(), expected, rtol=1e-6)
