"""The `encode` signature refuses ids outside the model's tables; `embed`
gives every row of a mixed-length request what it gives the row alone and
what one padded batch through the backbone gives."""

import re

import numpy as np
import pytest
import tensorflow as tf

from xlm_keras.models import XLMBackbone
from xlm_keras.models import XLMTokenizer
from xlm_keras.models import presets
from xlm_keras.models.xlm_text_classifier import pool
from xlm_keras.serving.serving_module import ServingModule

MIXED = [
    "Hi",
    "Der schnelle braune Fuchs springt über den faulen Hund, der schläft.",
    "",
    "Bonjour le monde",
    "Choose Format - Cells",
    "x " * 40,
    "Guten Morgen",
]
LANGUAGES = ["en", "de", "fr", "fr", "en", "de", "de"]


def _module(tokenizer_dir, **kwargs):
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)  # de, en, fr.
    backbone = XLMBackbone(
        **dict(
            presets.backbone_config("xlm_tiny", False),
            vocabulary_size=tokenizer.vocabulary_size(),
            num_languages=3,
        )
    )
    return ServingModule(backbone, tokenizer, 16, **kwargs)


@pytest.fixture
def module(tokenizer_dir):
    return _module(tokenizer_dir)


@pytest.mark.parametrize(
    "token_id, language_id, message",
    [
        (-1, 0, "`token_ids` must be in [0, 600)"),
        (600, 0, "`token_ids` must be in [0, 600)"),
        (5, -1, "`language_ids` must be in [0, 3)"),
        (5, 3, "`language_ids` must be in [0, 3)"),
    ],
)
def test_encode_refuses_out_of_range_ids(module, token_id, language_id, message):
    padding_mask = tf.ones([1, 3], tf.int32)
    with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(message)):
        module.encode(
            tf.constant([[0, token_id, 2]]), padding_mask, tf.constant([[0, language_id, 0]])
        )
    output = module.encode(tf.constant([[0, 599, 2]]), padding_mask, tf.constant([[0, 2, 0]]))
    assert output["sequence_output"].shape[:2] == (1, 3)


@pytest.mark.parametrize("tokens_per_slice", [1, 24, 512])
def test_embed_of_a_mixed_batch_equals_each_row_alone_and_one_padded_batch(
    tokenizer_dir, tokens_per_slice
):
    module = _module(tokenizer_dir, tokens_per_slice=tokens_per_slice)
    text, language = tf.constant(MIXED), tf.constant(LANGUAGES)
    inputs = module._tokenize(text, language)  # One batch, padded to its longest.
    assert len(set(inputs["padding_mask"].numpy().sum(1))) >= 4
    hidden = module._backbone(inputs)
    padded = {
        "embedding": pool(hidden, inputs["padding_mask"], "mean"),
        "cls_embedding": hidden[:, 0],
    }
    mixed = module.embed(text, language)
    alone = [module.embed(text[i : i + 1], language[i : i + 1]) for i in range(len(MIXED))]
    for name, value in padded.items():
        np.testing.assert_allclose(mixed[name], value, atol=1e-5)
        np.testing.assert_allclose(mixed[name], np.concatenate([a[name] for a in alone]), atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(mixed["embedding_l2"], axis=1), 1.0, atol=1e-5)
