"""`XLMSeq2SeqLM`: cached generation equals the full forward pass, beam
search keeps its promises, a tiny model learns exact translations from raw
pairs and round-trips through a preset, and `from_pretrained_encoder`
initialises both sides as XLM does."""

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import FAMILIES
from tests.helpers import tiny_backbone
from tests.helpers import tiny_seq2seq
from xlm_keras import XLMBeamSampler
from xlm_keras import XLMCausalLM
from xlm_keras import XLMMaskedLM
from xlm_keras import XLMSeq2SeqLM
from xlm_keras import XLMSeq2SeqLMPreprocessor
from xlm_keras import XLMTokenizer
from xlm_keras.keras_hub_internals import attention_parts
from xlm_keras.keras_hub_internals import block_sublayers

PAIRS = {
    "source": ["the cat sleeps", "open the file", "good morning", "a red house"],
    "target": ["le chat dort", "ouvrez le fichier", "bonjour", "une maison rouge"],
}


def _model(family, vocabulary_size=60, num_decoder_layers=None, preprocessor=None):
    return tiny_seq2seq(
        vocabulary_size, preprocessor, num_decoder_layers=num_decoder_layers, **FAMILIES[family]
    )


def _generation_inputs(model, rng, batch=3, length=8):
    source = rng.integers(4, 60, size=(batch, 6)).astype("int32")
    source_mask = np.arange(6)[None] < np.array([6, 4, 2])[:batch, None]
    prompt = np.full((batch, length), 1, "int32")
    prompt[:, 0] = 2
    inputs = {
        "encoder_token_ids": source,
        "encoder_padding_mask": source_mask,
        "decoder_token_ids": prompt,
        "decoder_padding_mask": prompt != 1,
    }
    if model.backbone.has_language_embedding:
        inputs["encoder_language_ids"] = np.zeros_like(source)
        inputs["decoder_language_ids"] = np.full_like(prompt, 2)
    return inputs


def _full_forward(model, inputs, token_ids, length):
    """Logits of every target prefix by the uncached forward pass."""
    x = dict(
        inputs,
        decoder_token_ids=token_ids[:, :length],
        decoder_padding_mask=np.ones_like(token_ids[:, :length]),
    )
    if "decoder_language_ids" in x:
        x["decoder_language_ids"] = inputs["decoder_language_ids"][:, :length]
    return keras.ops.convert_to_numpy(model(x))


@pytest.mark.parametrize("family", ["roberta", "xlm"])
def test_cached_greedy_equals_full_forward_and_beam_of_one(family):
    model = _model(family, num_decoder_layers=3)
    inputs = _generation_inputs(model, np.random.default_rng(0))
    model.compile(sampler="greedy")
    greedy = model.generate_step(inputs)["decoder_token_ids"].numpy()
    expected = inputs["decoder_token_ids"].copy()
    for t in range(1, expected.shape[1]):
        expected[:, t] = _full_forward(model, inputs, expected, t)[:, -1].argmax(-1)
    np.testing.assert_array_equal(greedy, expected)
    model.compile(sampler=XLMBeamSampler(num_beams=1))
    np.testing.assert_array_equal(model.generate_step(inputs)["decoder_token_ids"], greedy)


def test_beam_score_is_the_log_probability_of_the_returned_translation():
    model = _model("xlm")
    inputs = _generation_inputs(model, np.random.default_rng(1))
    for length_penalty in (0.0, 1.0):
        model.compile(sampler=XLMBeamSampler(num_beams=3, length_penalty=length_penalty))
        outputs = model.generate_step(inputs, stop_token_ids=[2])
        tokens, mask = outputs["decoder_token_ids"].numpy(), outputs["decoder_padding_mask"].numpy()
        log_probs = tf.nn.log_softmax(_full_forward(model, inputs, tokens, tokens.shape[1])).numpy()
        for row in range(len(tokens)):
            generated = np.flatnonzero(mask[row])[1:]  # After the start token.
            total = sum(log_probs[row, t - 1, tokens[row, t]] for t in generated)
            expected = total / len(generated) ** length_penalty
            np.testing.assert_allclose(outputs["score"][row], expected, atol=1e-4)
            # A stop token ends the row, or the row ran to the maximum length.
            assert tokens[row, generated[-1]] == 2 or generated[-1] == tokens.shape[1] - 1


def test_target_language_steers_the_decoder():
    model = _model("xlm")
    inputs = _generation_inputs(model, np.random.default_rng(2))
    tokens = inputs["decoder_token_ids"]
    french = _full_forward(model, inputs, tokens, 3)
    german = _full_forward(
        model, dict(inputs, decoder_language_ids=np.zeros_like(tokens)), tokens, 3
    )
    assert np.abs(french - german).max() > 1e-3


def test_missing_language_ids_name_the_inputs():
    model = _model("xlm")
    inputs = _generation_inputs(model, np.random.default_rng(3))
    del inputs["decoder_language_ids"]
    with pytest.raises(ValueError, match="decoder_language_ids"):
        model(inputs)


@pytest.mark.slow
def test_tiny_model_learns_exact_translations_and_round_trips(tokenizer_dir, tmp_path):
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    preprocessor = XLMSeq2SeqLMPreprocessor(
        tokenizer, encoder_sequence_length=12, decoder_sequence_length=12
    )
    model = _model("xlm", vocabulary_size=tokenizer.vocabulary_size(), preprocessor=preprocessor)
    pairs = dict(PAIRS, source_language=["en"] * 4, target_language=["fr"] * 4)
    query = {"source": PAIRS["source"], "source_language": "en", "target_language": "fr"}
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    dataset = tf.data.Dataset.from_tensor_slices(pairs).batch(4).repeat()
    model.fit(dataset, steps_per_epoch=80, epochs=1, verbose=0)
    # Without XLA: each new shape or sampler would compile the loop again.
    model.compile(sampler="greedy", jit_compile=False)
    assert model.generate(query, max_length=12) == PAIRS["target"]
    assert (
        model.generate(dict(query, source=PAIRS["source"][0]), max_length=12) == PAIRS["target"][0]
    )
    model.compile(sampler=XLMBeamSampler(num_beams=3), jit_compile=False)
    assert model.generate(query, max_length=12) == PAIRS["target"]

    model.save_to_preset(str(tmp_path / "preset"))
    loaded = XLMSeq2SeqLM.from_preset(str(tmp_path / "preset"))
    assert loaded.preprocessor.get_config() == preprocessor.get_config()
    loaded.compile(sampler="greedy", jit_compile=False)
    assert loaded.generate(query, max_length=12) == PAIRS["target"]


def test_from_pretrained_encoder_initialises_both_sides(tokenizer_dir, tmp_path):
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    pretrained = XLMMaskedLM(tiny_backbone(tokenizer.vocabulary_size(), num_languages=3))
    pretrained.masked_lm_head.bias.assign(np.arange(tokenizer.vocabulary_size()) / 100)
    pretrained.save_to_preset(str(tmp_path / "mlm"))
    tokenizer.save_to_preset(str(tmp_path / "mlm"))

    model = XLMSeq2SeqLM.from_pretrained_encoder(str(tmp_path / "mlm"), num_decoder_layers=3)
    encoder, decoder = pretrained.backbone, model.backbone
    for expected, actual in zip(encoder.weights, decoder.encoder.weights):
        np.testing.assert_array_equal(actual, expected)
    np.testing.assert_array_equal(
        decoder.token_embedding.embeddings, encoder.token_embedding.embeddings
    )
    for index in range(2):
        source = block_sublayers(encoder.transformer_layers[index])
        target = block_sublayers(decoder.decoder_layers[index])
        np.testing.assert_array_equal(
            attention_parts(target.self_attention).query.kernel,
            attention_parts(source.self_attention).query.kernel,
        )
        np.testing.assert_array_equal(
            target.feedforward_output.kernel, source.feedforward_output.kernel
        )
    # Cross-attention is new: not a copy of the self-attention.
    cross = attention_parts(block_sublayers(decoder.decoder_layers[0]).cross_attention)
    own = attention_parts(block_sublayers(encoder.transformer_layers[0]).self_attention)
    assert np.abs(cross.query.kernel.numpy() - own.query.kernel.numpy()).max() > 1e-3
    np.testing.assert_array_equal(model.output_head.bias, pretrained.masked_lm_head.bias)
    assert model.preprocessor.use_language_ids and model.preprocessor.frame == "xlm"


@pytest.mark.parametrize("task, causal", [(XLMMaskedLM, False), (XLMCausalLM, True)])
def test_a_pretraining_preset_loads_without_an_optimizer_warning(task, causal, tmp_path):
    # A pretraining run saves its task uncompiled: the preset has no optimizer.
    backbone = tiny_backbone(40, num_languages=2, causal=causal)
    task(backbone, compile=False).save_to_preset(str(tmp_path / "lm"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        XLMSeq2SeqLM.from_pretrained_encoder(str(tmp_path / "lm"), preprocessor=None)
    assert not [str(w.message) for w in caught if "optimizer" in str(w.message)]


def test_from_pretrained_encoder_replaces_the_dropout_rate(tmp_path):
    pretrained = tiny_backbone(40, num_languages=2, dropout=0.1)
    pretrained.save_to_preset(str(tmp_path / "mlm"))

    kept = XLMSeq2SeqLM.from_pretrained_encoder(str(tmp_path / "mlm"), preprocessor=None)
    model = XLMSeq2SeqLM.from_pretrained_encoder(
        str(tmp_path / "mlm"), dropout=0.0, preprocessor=None
    )
    assert kept.backbone.dropout == 0.1
    assert model.backbone.dropout == model.backbone.encoder.dropout == 0.0
    for expected, actual in zip(pretrained.weights, model.backbone.encoder.weights):
        np.testing.assert_array_equal(actual, expected)
