"""Builders and checks shared by test modules: tiny models, gradients."""

import tensorflow as tf


def loss_and_gradients(forward, variables, inputs):
    """`forward()` and the gradients of a non-trivial scalar of it with respect
    to `inputs` (watched) and `variables`: (outputs, [d inputs] + [d variables])."""
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        outputs = forward()
        loss = tf.reduce_sum(outputs * tf.cos(outputs))
    return outputs, tape.gradient(loss, [inputs] + variables)
