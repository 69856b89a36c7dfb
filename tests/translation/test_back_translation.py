"""Online back-translation and denoising batches: the synthetic source is
the model's own framed translation in the other language, training on it
lowers the loss, and the denoising source is the noised sentence."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import tiny_seq2seq
from xlm_keras import XLMSeq2SeqLMPreprocessor
from xlm_keras import XLMTokenizer
from xlm_keras.translation.back_translation import back_translate

SENTENCES = ["the file is open", "close the window", "good morning", "a red house"]
MAX_LENGTH = 10


def _model_and_batch(tokenizer_dir):
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    preprocessor = XLMSeq2SeqLMPreprocessor(
        tokenizer, encoder_sequence_length=12, decoder_sequence_length=12
    )
    model = tiny_seq2seq(tokenizer.vocabulary_size(), preprocessor, num_layers=1, num_languages=3)
    x, labels, weights = preprocessor(
        {"source": SENTENCES, "target": SENTENCES, "source_language": "en", "target_language": "en"}
    )
    return model, tokenizer, x, labels, weights


def test_back_translation_gives_framed_sources_in_the_other_language(tokenizer_dir):
    model, tokenizer, x, labels, _ = _model_and_batch(tokenizer_dir)
    french = tf.fill([len(SENTENCES)], tokenizer.language_id("fr"))
    translated = tf.function(
        lambda x: back_translate(
            model, x, french, MAX_LENGTH, tokenizer.end_token_id, tokenizer.pad_token_id
        )
    )(x)
    ids, mask = translated["encoder_token_ids"].numpy(), translated["encoder_padding_mask"].numpy()
    lengths = mask.sum(1)
    assert ids.shape == (len(SENTENCES), MAX_LENGTH) and (lengths >= 2).all()
    # XLM's frame `</s> y </s>` (or cut at the maximum length), padding after.
    assert (ids[:, 0] == tokenizer.end_token_id).all()
    ended = ids[np.arange(len(ids)), lengths - 1] == tokenizer.end_token_id
    assert (ended | (lengths == MAX_LENGTH)).all()
    assert (ids[mask == 0] == tokenizer.pad_token_id).all()
    np.testing.assert_array_equal(
        translated["encoder_language_ids"].numpy(), mask * tokenizer.language_id("fr")
    )
    # The target side (l1) is the batch's.
    np.testing.assert_array_equal(translated["decoder_token_ids"], x["decoder_token_ids"])


@pytest.mark.slow
def test_back_translation_steps_lower_the_loss(tokenizer_dir):
    model, tokenizer, x, labels, weights = _model_and_batch(tokenizer_dir)
    french = tf.fill([len(SENTENCES)], tokenizer.language_id("fr"))
    optimizer = keras.optimizers.Adam(1e-2)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def step(x):
        synthetic = back_translate(
            model, x, french, MAX_LENGTH, tokenizer.end_token_id, tokenizer.pad_token_id
        )
        with tf.GradientTape() as tape:
            loss = loss_fn(labels, model(synthetic, training=True), sample_weight=weights)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(gradients, model.trainable_variables)
        return loss

    losses = [float(step(x)) for _ in range(15)]
    assert np.mean(losses[-3:]) < 0.8 * losses[0]


def test_denoising_source_is_the_noised_sentence(tokenizer_dir):
    model, tokenizer, x, labels, weights = _model_and_batch(tokenizer_dir)
    preprocessor = model.preprocessor
    clean = preprocessor.denoising(
        SENTENCES, "en", [0, 0], shuffle_distance=0.0, dropout=0.0, blank=0.0
    )
    for name in x:
        np.testing.assert_array_equal(clean[0][name], x[name])
    np.testing.assert_array_equal(clean[1], labels)
    noisy = preprocessor.denoising(SENTENCES, "en", [0, 1], blank=0.5)
    again = preprocessor.denoising(SENTENCES, "en", [0, 1], blank=0.5)
    np.testing.assert_array_equal(noisy[0]["encoder_token_ids"], again[0]["encoder_token_ids"])
    assert (noisy[0]["encoder_token_ids"].numpy() == tokenizer.mask_token_id).any()
    np.testing.assert_array_equal(noisy[0]["decoder_token_ids"], x["decoder_token_ids"])
    np.testing.assert_array_equal(noisy[1], labels)
