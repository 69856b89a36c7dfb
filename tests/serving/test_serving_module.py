"""The `encode` signature refuses ids outside the model's tables."""

import re

import pytest
import tensorflow as tf

from xlm_keras.models import XLMBackbone
from xlm_keras.models import XLMTokenizer
from xlm_keras.models import presets
from xlm_keras.serving.serving_module import ServingModule


@pytest.fixture
def module(tokenizer_dir):
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)  # de, en, fr.
    backbone = XLMBackbone(**dict(presets.backbone_config("xlm_tiny", False),
                                  vocabulary_size=tokenizer.vocabulary_size(), num_languages=3))
    return ServingModule(backbone, tokenizer, 16)


@pytest.mark.parametrize("token_id, language_id, message", [
    (-1, 0, "`token_ids` must be in [0, 600)"),
    (600, 0, "`token_ids` must be in [0, 600)"),
    (5, -1, "`language_ids` must be in [0, 3)"),
    (5, 3, "`language_ids` must be in [0, 3)"),
])
def test_encode_refuses_out_of_range_ids(module, token_id, language_id, message):
    padding_mask = tf.ones([1, 3], tf.int32)
    with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(message)):
        module.encode(tf.constant([[0, token_id, 2]]), padding_mask,
                      tf.constant([[0, language_id, 0]]))
    output = module.encode(tf.constant([[0, 599, 2]]), padding_mask, tf.constant([[0, 2, 0]]))
    assert output["sequence_output"].shape[:2] == (1, 3)
