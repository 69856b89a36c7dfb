"""Python inference in length-sorted slices gives the padded batch's outputs."""

import numpy as np
import pytest
import tensorflow as tf

from xlm_keras import XLMBackbone
from xlm_keras import XLMTokenizer
from xlm_keras.inference.sliced_predict import model_outputs
from xlm_keras.inference.sliced_predict import sliced_predict
from xlm_keras.models import presets
from xlm_keras.models.xlm_text_classifier import pool
from xlm_keras.pretraining.evaluation import encode_sentences
from xlm_keras.text.packing import model_inputs
from xlm_keras.text.packing import pack_text

TEXTS = [
    "Hallo.",
    "Das ist ein ziemlich langer Satz über das Wetter in Köln und Bonn.",
    "Guten Morgen, Anna!",
    "Ja.",
    "Der Zug nach Berlin ist heute wieder einmal spät dran.",
]


def _backbone(tokenizer):
    return XLMBackbone(
        **dict(
            presets.backbone_config("xlm_roberta_tiny"), vocabulary_size=tokenizer.vocabulary_size()
        )
    )


def test_encode_sentences_equals_padded_batches(tokenizer_dir):
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    backbone = _backbone(tokenizer)
    packed = pack_text(tokenizer, tf.constant(TEXTS), 32, "roberta")
    hidden = backbone(model_inputs(packed, False), training=False)
    expected = np.asarray(pool(hidden, packed["padding_mask"], "mean"))
    got = encode_sentences(backbone, tokenizer, TEXTS, "de", sequence_length=32, batch_size=2)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_per_token_outputs_keep_the_packed_length(tokenizer_dir):
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    backbone = _backbone(tokenizer)
    inputs = model_inputs(pack_text(tokenizer, tf.constant(TEXTS), 32, "roberta"), False)
    got = sliced_predict(backbone, model_outputs, inputs, batch_size=3, per_token=True)
    mask = np.asarray(inputs["padding_mask"])[..., None]
    assert got.shape == (5, 32, backbone.hidden_dim)
    np.testing.assert_allclose(
        got * mask, np.asarray(backbone(inputs, training=False)) * mask, atol=1e-5
    )
    with pytest.raises(ValueError, match="got 0 texts"):
        sliced_predict(backbone, model_outputs, {k: v[:0] for k, v in inputs.items()})
