"""`CachedDecoder`: step by step, the logits of the Keras forward pass, for
both families and both LayerNorm placements, with the weights fused per
call or once (`DecodingWeights`, the export's); generation with and without
XLA (padded or dropped encoder rows) writes the same tokens."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import FAMILIES
from tests.helpers import tiny_seq2seq
from xlm_keras.inference.decoder import CachedDecoder
from xlm_keras.inference.decoder import DecodingWeights


def _model(family):
    keras.utils.set_random_seed(0)
    return tiny_seq2seq(50, max_sequence_length=16, num_decoder_layers=3, **FAMILIES[family])


def _inputs(model, target_length=6):
    rng = np.random.default_rng(1)
    lengths = np.array([5, 2, 4])
    source_mask = (np.arange(5)[None] < lengths[:, None]).astype("int32")
    inputs = {
        "encoder_token_ids": rng.integers(4, 50, [3, 5]).astype("int32") * source_mask,
        "encoder_padding_mask": source_mask,
        "decoder_token_ids": rng.integers(4, 50, [3, target_length]).astype("int32"),
        "decoder_padding_mask": np.ones([3, target_length], "int32"),
    }
    if model.backbone.has_language_embedding:
        inputs["encoder_language_ids"] = np.ones([3, 5], "int32") * source_mask
        inputs["decoder_language_ids"] = np.full([3, target_length], 2, "int32")
    return inputs


def _stepped(model, decoder, inputs, drop_padding):
    """(logits, hidden) of each target position, one cached step at a time."""
    rows, layout = model.call_encoder(inputs, drop_padding=drop_padding)
    cross_cache = decoder.cross_cache(rows, layout)
    key_mask = tf.constant((1.0 - inputs["encoder_padding_mask"][:, None, None, :]) * -1e9)
    target = inputs["decoder_token_ids"]
    languages = inputs.get("decoder_language_ids")
    self_cache = decoder.empty_self_cache(3, target.shape[1])
    outputs = []
    for position in range(target.shape[1]):
        logits, hidden, self_cache = decoder.step(
            target[:, position : position + 1],
            tf.constant(position),
            self_cache,
            cross_cache,
            tf.cast(key_mask, tf.float32),
            language_ids=None if languages is None else languages[:, position : position + 1],
        )
        outputs.append((logits, hidden))
    return outputs


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("drop_padding,fused_once", [(False, False), (True, False), (True, True)])
def test_steps_give_the_forward_pass_logits(family, drop_padding, fused_once):
    model = _model(family)
    inputs = _inputs(model)
    expected = np.asarray(model(inputs))
    decoder = CachedDecoder(model, DecodingWeights(model) if fused_once else None)
    for position, (logits, hidden) in enumerate(_stepped(model, decoder, inputs, drop_padding)):
        assert hidden.shape == (3, 16)
        np.testing.assert_allclose(logits, expected[:, position], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_bfloat16_weights_give_close_logits(family):
    """`DecodingWeights(model, "bfloat16")`: every matmul of the decoder in
    bfloat16 (8 significant bits), LayerNorms in float32; the logits stay
    within bfloat16 round-off of the float32 forward pass."""
    model = _model(family)
    inputs = _inputs(model)
    expected = np.asarray(model(inputs))
    decoder = CachedDecoder(model, DecodingWeights(model, "bfloat16"))
    for position, (logits, _) in enumerate(_stepped(model, decoder, inputs, True)):
        assert logits.dtype == tf.bfloat16
        scale = np.abs(expected[:, position]).max()
        np.testing.assert_allclose(
            tf.cast(logits, tf.float32), expected[:, position], atol=0.03 * scale
        )


@pytest.mark.slow
@pytest.mark.parametrize("family", ["xlm", "roberta_prenorm"])
def test_xla_generation_writes_the_same_tokens(family):
    model = _model(family)
    inputs = _inputs(model, target_length=8)
    inputs["decoder_padding_mask"] = (np.arange(8) < 1)[None].repeat(3, 0).astype("int32")
    model.compile(sampler="greedy")
    graph = tf.function(lambda x: model.generate_step(x, drop_padding=True))
    xla = tf.function(lambda x: model.generate_step(x, drop_padding=False), jit_compile=True)
    np.testing.assert_array_equal(
        xla(inputs)["decoder_token_ids"], graph(inputs)["decoder_token_ids"]
    )
