"""The `encode` signature refuses ids outside the model's tables; `embed`
gives every row of a mixed-length request what it gives the row alone and
what one padded batch through the backbone gives; a request of the wrong
shape is INVALID_ARGUMENT naming the input; `fill_mask` never proposes a
special token."""

import re

import numpy as np
import pytest
import tensorflow as tf

from xlm_keras.models import XLMBackbone
from xlm_keras.models import XLMMaskedLM
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


ANY = tf.TensorSpec(None, tf.string)


@pytest.mark.parametrize(
    "text, language, message",
    [
        (
            [["a", "b"]],
            ["en"],
            "Shape of tensor text [1,2] is not compatible with expected shape [?]",
        ),
        ("a", ["en"], "Shape of tensor text [] is not compatible"),
        (["a", "b"], [["en", "de"]], "Shape of tensor language [1,2] is not compatible"),
        (["a", "b", "c"], ["en", "de"], "`language` must be one language code, or one per row"),
    ],
)
def test_a_request_of_the_wrong_shape_is_invalid_argument_naming_the_input(
    module, text, language, message
):
    # A server feeds tensors of any shape to a graph that believes in `[None]`.
    def embed(text, language):
        text.set_shape([None])
        language.set_shape([None])
        return module._embed(text, language)

    embed = tf.function(embed, input_signature=[ANY, ANY], autograph=False)
    with pytest.raises(tf.errors.InvalidArgumentError, match=re.escape(message)):
        embed(tf.constant(text), tf.constant(language))


def test_one_language_code_serves_every_text_of_a_request(module):
    one = module.embed(tf.constant(MIXED[:3]), tf.constant(["fr"]))
    each = module.embed(tf.constant(MIXED[:3]), tf.constant(["fr"] * 3))
    np.testing.assert_allclose(one["embedding"], each["embedding"], atol=1e-6)


def test_served_fill_mask_never_proposes_special_tokens(tokenizer_dir):
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    backbone = XLMBackbone(
        **dict(
            presets.backbone_config("xlm_tiny", False),
            vocabulary_size=tokenizer.vocabulary_size(),
            num_languages=3,
        )
    )
    model = XLMMaskedLM(backbone)
    bias = np.zeros(tokenizer.vocabulary_size(), "float32")
    bias[tokenizer.special_token_ids] = 100.0  # The head now prefers them.
    model.masked_lm_head.bias.assign(bias)
    module = ServingModule(model, tokenizer, 16, top_k=10**6)
    assert module.top_k == tokenizer.vocabulary_size() - len(tokenizer.special_token_ids)
    output = module.fill_mask(tf.constant(["a <mask> b"]), tf.constant(["en"]))
    tokens = {token.decode() for token in output["top_k_tokens"].numpy().ravel()}
    assert not tokens & set(tokenizer.special_tokens)
    np.testing.assert_allclose(output["top_k_scores"].numpy().sum(-1), 1.0, atol=1e-4)
