"""The last block at the target positions only (`XLMBackbone.sequence_output_at`,
`XLMMaskedLM`, `XLMTextClassifier`) equals gathering those rows from the full
backbone, outputs and gradients (the layer itself: tests/layers/)."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import loss_and_gradients
from tests.layers.test_xlm_transformer_layer import PADDING_MASK
from tests.layers.test_xlm_transformer_layer import POSITIONS
from xlm_keras.models import XLMBackbone
from xlm_keras.models import XLMMaskedLM
from xlm_keras.models import XLMTextClassifier


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
    ours_out, ours_grads = loss_and_gradients(ours, mlm.trainable_variables, embeddings)
    full_out, full_grads = loss_and_gradients(full, mlm.trainable_variables, embeddings)
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
    ours_out, ours_grads = loss_and_gradients(ours, variables, embeddings)
    full_out, full_grads = loss_and_gradients(full, variables, embeddings)
    np.testing.assert_allclose(ours_out, full_out, atol=1e-6)
    for mine, theirs in zip(ours_grads[1:], full_grads[1:]):
        np.testing.assert_allclose(
            tf.convert_to_tensor(mine), tf.convert_to_tensor(theirs), atol=1e-5
        )
