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


# The tiny model the tests build unless they need another: 2 layers x 16
# wide, 24 positions, no dropout.
TINY_SHAPE = dict(num_layers=2, num_heads=2, hidden_dim=16, intermediate_dim=32)
TINY = dict(TINY_SHAPE, max_sequence_length=24, dropout=0.0)
# The sentence frame and layout of each family, as backbone arguments.
FAMILIES = {
    "xlm": dict(num_languages=3, position_offset=0, position_embedding="sinusoidal"),
    "roberta": dict(num_languages=1, position_offset=2, layer_norm_epsilon=1e-5),
    "roberta_prenorm": dict(
        num_languages=1, position_offset=2, layer_norm_epsilon=1e-5, normalize_first=True
    ),
}


def tiny_backbone(vocabulary_size, **config):
    """A randomly initialised `XLMBackbone` of the `TINY` shape; `config`
    overrides or adds backbone arguments."""
    from xlm_keras.models import XLMBackbone

    return XLMBackbone(**{**TINY, "vocabulary_size": vocabulary_size, **config})


def tiny_seq2seq(vocabulary_size, preprocessor=None, **config):
    """A randomly initialised `XLMSeq2SeqLM` of the `TINY` shape; `config`
    overrides or adds `XLMSeq2SeqBackbone` arguments."""
    from xlm_keras.models import XLMSeq2SeqBackbone
    from xlm_keras.models import XLMSeq2SeqLM

    backbone = XLMSeq2SeqBackbone(**{**TINY, "vocabulary_size": vocabulary_size, **config})
    return XLMSeq2SeqLM(backbone, preprocessor=preprocessor)
