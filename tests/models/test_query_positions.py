"""The last block at the target positions only (`query_positions`,
`XLMBackbone.sequence_output_at`, `XLMMaskedLM`, `XLMTextClassifier`)
equals gathering those rows from keras-hub's `TransformerEncoder` / the
full backbone, outputs and gradients."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras_hub.layers import TransformerEncoder

from xlm_keras.layers import XLMTransformerLayer
from xlm_keras.models import XLMBackbone
from xlm_keras.models import XLMMaskedLM
from xlm_keras.models import XLMTextClassifier

PADDING_MASK = tf.constant([[1] * 7, [1] * 4 + [0] * 3, [1] * 2 + [0] * 5])
# Repeated, unsorted, and a padding position (row 2): all are plain gathers.
POSITIONS = tf.constant([[6, 0, 3], [1, 1, 3], [0, 4, 1]])


def _loss_and_gradients(forward, variables, inputs):
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        outputs = forward()
        loss = tf.reduce_sum(outputs * tf.cos(outputs))
    return outputs, tape.gradient(loss, [inputs] + variables)


@pytest.mark.parametrize(
    "normalize_first,causal,dtype",
    [
        (False, False, "float32"),
        (True, False, "float32"),
        (False, True, "float32"),
        (False, False, "mixed_bfloat16"),
    ],
)
def test_layer_at_query_positions_equals_keras_hub_gathered(normalize_first, causal, dtype):
    """Dropout 0, training: ours at `POSITIONS` against keras-hub's `call`
    at every position, gathered (its causal mask given as `attention_mask`)."""
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

    def ours():
        return tf.cast(
            layer(inputs, padding_mask=PADDING_MASK, training=True, query_positions=POSITIONS),
            tf.float32,
        )

    def keras_hub():
        outputs = TransformerEncoder.call(
            layer,
            tf.cast(inputs, layer.compute_dtype),
            padding_mask=PADDING_MASK,
            attention_mask=attention_mask,
            training=True,
        )
        return tf.gather(tf.cast(outputs, tf.float32), POSITIONS, batch_dims=1)

    variables = layer.trainable_variables
    ours_out, ours_grads = _loss_and_gradients(ours, variables, inputs)
    hub_out, hub_grads = _loss_and_gradients(keras_hub, variables, inputs)
    assert ours_out.shape == (3, 3, 16)
    tolerance = 1e-5 if dtype == "float32" else 0.0
    np.testing.assert_allclose(ours_out, hub_out, atol=tolerance)
    assert len(ours_grads) == len(hub_grads) > 10
    for mine, theirs in zip(ours_grads, hub_grads):
        np.testing.assert_allclose(mine, theirs, atol=10 * tolerance or 1e-12)


@pytest.mark.parametrize(
    "preset,config",
    [("xlm_tiny", {}), ("xlm_roberta_tiny", {}), ("xlm_roberta_tiny", {"normalize_first": True})],
)
def test_sequence_output_at_equals_gathered_backbone(preset, config):
    backbone_config = {**XLMBackbone.from_preset(preset).get_config(), **config}
    backbone = XLMBackbone.from_config(backbone_config)
    ids = np.random.default_rng(0).integers(5, 100, (3, 7)).astype("int32")
    inputs = {"token_ids": ids, "padding_mask": PADDING_MASK}
    if backbone.has_language_embedding:
        inputs["language_ids"] = np.ones_like(ids)
    full = backbone(inputs)
    at = backbone.sequence_output_at(inputs, POSITIONS)
    np.testing.assert_allclose(at, tf.gather(full, POSITIONS, batch_dims=1), atol=1e-5)


def test_masked_lm_trains_as_head_on_full_backbone():
    """`XLMMaskedLM`'s call (last block at the targets) against the head on
    the full backbone's output: logits and gradients of every weight."""
    keras.utils.set_random_seed(1)
    backbone = XLMBackbone.from_config(
        {**XLMBackbone.from_preset("xlm_roberta_tiny").get_config(), "dropout": 0.0}
    )
    mlm = XLMMaskedLM(backbone)
    ids = tf.constant(np.random.default_rng(1).integers(5, 100, (3, 7)).astype("int32"))
    inputs = {"token_ids": ids, "padding_mask": PADDING_MASK}

    def ours():
        return mlm({**inputs, "mask_positions": POSITIONS}, training=True)

    def full():
        return mlm.masked_lm_head(backbone(inputs, training=True), mask_positions=POSITIONS)

    embeddings = tf.cast(backbone.token_embedding.embeddings, tf.float32)
    ours_out, ours_grads = _loss_and_gradients(ours, mlm.trainable_variables, embeddings)
    full_out, full_grads = _loss_and_gradients(full, mlm.trainable_variables, embeddings)
    assert ours_out.shape == (3, 3, backbone.vocabulary_size)
    np.testing.assert_allclose(ours_out, full_out, atol=1e-5)
    for mine, theirs in zip(ours_grads[1:], full_grads[1:]):
        np.testing.assert_allclose(
            tf.convert_to_tensor(mine), tf.convert_to_tensor(theirs), atol=1e-5
        )


@pytest.mark.parametrize("preset", ["xlm_roberta_tiny", "xlm_tiny"])
def test_text_classifier_first_token_equals_full_backbone(preset):
    """`pooling="first"` runs the last block at position 0 only: logits and
    gradients equal the head on the full backbone's first row."""
    keras.utils.set_random_seed(2)
    backbone = XLMBackbone.from_config(
        {**XLMBackbone.from_preset(preset).get_config(), "dropout": 0.0}
    )
    classifier = XLMTextClassifier(backbone, num_classes=3, dropout=0.0)
    ids = tf.constant(np.random.default_rng(2).integers(5, 100, (3, 7)).astype("int32"))
    inputs = {"token_ids": ids, "padding_mask": PADDING_MASK}
    if backbone.has_language_embedding:
        inputs["language_ids"] = tf.ones_like(ids)

    def ours():
        return classifier(inputs, training=True)

    def full():
        return classifier._classify(backbone(inputs, training=True)[:, 0, :], inputs, True)

    embeddings = tf.cast(backbone.token_embedding.embeddings, tf.float32)
    variables = classifier.trainable_variables
    ours_out, ours_grads = _loss_and_gradients(ours, variables, embeddings)
    full_out, full_grads = _loss_and_gradients(full, variables, embeddings)
    np.testing.assert_allclose(ours_out, full_out, atol=1e-6)
    for mine, theirs in zip(ours_grads[1:], full_grads[1:]):
        np.testing.assert_allclose(
            tf.convert_to_tensor(mine), tf.convert_to_tensor(theirs), atol=1e-5
        )
