"""Raw text in, predictions out: every task with its preprocessor fits on
`tf.data` of (strings, labels), predicts from raw strings, and round-trips
through a preset with identical predictions; keras-hub's generic loaders
find our classes; cached generation equals the full forward pass."""

import keras
import keras_hub
import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import sized_config
from xlm_keras import XLMBackbone
from xlm_keras import XLMCausalLM
from xlm_keras import XLMCausalLMPreprocessor
from xlm_keras import XLMMaskedLM
from xlm_keras import XLMMaskedLMPreprocessor
from xlm_keras import XLMSpanQA
from xlm_keras import XLMSpanQAPreprocessor
from xlm_keras import XLMTextClassifier
from xlm_keras import XLMTextClassifierPreprocessor
from xlm_keras import XLMTokenClassifier
from xlm_keras import XLMTokenClassifierPreprocessor
from xlm_keras import XLMTokenizer

TEXTS = [
    "Das ist ein gutes Buch.",
    "C'est un très mauvais film.",
    "The weather is nice.",
    "Der Zug ist spät.",
    "J'aime la musique.",
    "This is terrible.",
]
LANGUAGES = ["de", "fr", "en", "de", "fr", "en"]


def _backbone(tokenizer, preset="xlm_tiny", **kwargs):
    return XLMBackbone(**sized_config(preset, tokenizer, dropout=0.0, **kwargs))


def _losses(task, dataset, steps=8):
    """Mean loss of two epochs of `steps` batches each. One repeated
    dataset: a new iterator per epoch would trace the preprocessing again."""
    task.compile(optimizer=keras.optimizers.Adam(3e-3))
    return task.fit(dataset.repeat(), epochs=2, steps_per_epoch=steps, verbose=0).history["loss"]


def _round_trip(task, tmp_path, inputs, predict=None):
    """Save, load with `from_preset`, and compare predictions."""
    predict = predict or (lambda model: model.predict(inputs, verbose=0))
    task.save_to_preset(str(tmp_path / "preset"))
    loaded = type(task).from_preset(str(tmp_path / "preset"))
    assert type(loaded.preprocessor) is type(task.preprocessor)
    assert loaded.preprocessor.get_config() == task.preprocessor.get_config()
    before, after = predict(task), predict(loaded)
    if isinstance(before, np.ndarray):
        np.testing.assert_allclose(after, before, atol=1e-6)
    else:
        assert after == before
    return loaded


@pytest.mark.slow
def test_classifier_fits_predicts_and_round_trips_raw_text(tokenizer_dir, tmp_path):
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    classifier = XLMTextClassifier(
        _backbone(tokenizer),
        num_classes=2,
        label_names=["bad", "good"],
        preprocessor=XLMTextClassifierPreprocessor(tokenizer, sequence_length=16),
    )
    assert classifier.preprocessor.use_language_ids  # xlm_tiny has language embeddings.
    labels = [1, 0, 1, 0, 1, 0]
    dataset = tf.data.Dataset.from_tensor_slices(
        ({"text": TEXTS, "language": LANGUAGES}, labels)
    ).batch(3)
    losses = _losses(classifier, dataset)
    assert losses[-1] < losses[0]
    raw = {"text": TEXTS, "language": LANGUAGES}
    logits = classifier.predict(raw, verbose=0)
    assert logits.shape == (6, 2)
    packed = classifier.preprocessor(raw)
    np.testing.assert_allclose(classifier(packed), logits, atol=1e-5)
    loaded = _round_trip(classifier, tmp_path, raw)
    assert [loaded.label_names[i] for i in logits.argmax(-1)] == [
        ["bad", "good"][i] for i in loaded.predict(raw, verbose=0).argmax(-1)
    ]
    generic = keras_hub.models.TextClassifier.from_preset(str(tmp_path / "preset"))
    assert type(generic) is XLMTextClassifier
    assert (
        type(keras_hub.models.TextClassifierPreprocessor.from_preset(str(tmp_path / "preset")))
        is XLMTextClassifierPreprocessor
    )


def test_classifier_pairs_and_preprocessor_none(tokenizer_dir):
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    classifier = XLMTextClassifier(
        _backbone(tokenizer, "xlm_roberta_tiny"),
        num_classes=3,
        preprocessor=XLMTextClassifierPreprocessor(tokenizer, sequence_length=24),
    )
    preprocessor = classifier.preprocessor
    assert (preprocessor.frame, preprocessor.use_language_ids) == ("roberta", False)
    pairs = {"text": TEXTS[:2], "text_pair": TEXTS[2:4]}
    x = preprocessor(pairs)
    assert x["token_ids"][0, 0] == tokenizer.start_token_id and set(x) == {
        "token_ids",
        "padding_mask",
    }
    logits = classifier.predict(pairs, verbose=0)
    classifier.preprocessor = None  # Packed ids, as before preprocessors.
    np.testing.assert_allclose(classifier.predict(x, verbose=0), logits, atol=1e-5)


def test_unknown_language_code_names_the_known_ones(tokenizer_dir):
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    preprocessor = XLMTextClassifierPreprocessor(tokenizer, 16, use_language_ids=True)
    with pytest.raises(tf.errors.InvalidArgumentError, match="known codes: de, en, fr"):
        preprocessor({"text": ["Hallo"], "language": ["xx"]})
    with pytest.raises(ValueError, match="takes language ids"):
        preprocessor(["Hallo"])


@pytest.mark.slow
def test_tagger_fits_words_and_tags_raw_sentences(tokenizer_dir, tmp_path):
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    tagger = XLMTokenClassifier(
        _backbone(tokenizer),
        num_classes=3,
        label_names=["O", "B-LOC", "I-LOC"],
        preprocessor=XLMTokenClassifierPreprocessor(tokenizer, sequence_length=16),
    )
    words = [["Anna", "wohnt", "in", "Köln"], ["Paul", "aime", "Paris"], ["Hello", "London"]]
    tags = [[0, 0, 0, 1], [0, 0, 1], [0, 1]]
    dataset = tf.data.Dataset.from_tensor_slices(
        (
            {"text": tf.ragged.constant(words), "language": ["de", "fr", "en"]},
            tf.ragged.constant(tags),
        )
    ).batch(3)
    losses = _losses(tagger, dataset, steps=10)
    assert losses[-1] < losses[0]
    raw = {
        "text": ["Anna wohnt in Köln", "Paul aime Paris", "Hello London"],
        "language": ["de", "fr", "en"],
    }
    predicted = tagger.predict(raw)
    assert [len(row) for row in predicted] == [4, 3, 2]
    assert all(tag in tagger.label_names for row in predicted for tag in row)
    assert predicted == [[tagger.label_names[t] for t in row] for row in tags]  # Learned.
    _round_trip(tagger, tmp_path, raw, predict=lambda model: model.predict(raw))


@pytest.mark.slow
def test_span_qa_fits_and_answers_with_a_string_from_the_context(tokenizer_dir, tmp_path):
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    qa = XLMSpanQA(
        _backbone(tokenizer, "xlm_roberta_tiny"),
        preprocessor=XLMSpanQAPreprocessor(
            tokenizer, sequence_length=32, doc_stride=8, max_query_length=8
        ),
    )
    contexts = ["Köln liegt am Rhein und hat einen Dom.", "Paris est la capitale de la France."]
    answers = ["Rhein", "France"]
    x = {"question": ["Wo liegt Köln?", "De quoi Paris est la capitale ?"], "context": contexts}
    y = {"answer_start": [c.index(a) for c, a in zip(contexts, answers)], "answer": answers}
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(2)
    losses = _losses(qa, dataset, steps=15)
    assert losses[-1] < losses[0]
    predicted = qa.predict(x)
    assert all(answer in context for answer, context in zip(predicted, contexts))
    assert predicted == answers  # Learned on two examples.
    _round_trip(qa, tmp_path, x, predict=lambda model: model.predict(x))


@pytest.mark.slow
def test_masked_lm_fits_raw_text_and_fills_masks(tokenizer_dir, tmp_path):
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    mlm = XLMMaskedLM(
        _backbone(tokenizer),
        preprocessor=XLMMaskedLMPreprocessor(tokenizer, sequence_length=16, seed=[1, 2]),
    )
    dataset = tf.data.Dataset.from_tensor_slices({"text": TEXTS, "language": LANGUAGES}).batch(3)
    losses = _losses(mlm, dataset, steps=12)
    assert losses[-1] < losses[0]
    tlm = mlm.preprocessor(
        {
            "text": ["Guten Tag"],
            "text_pair": ["Bonjour"],
            "language": ["de"],
            "language_pair": ["fr"],
        }
    )[0]
    real = tlm["padding_mask"][0].numpy().astype(bool)
    assert set(tlm["language_ids"][0].numpy()[real]) == {0, 2}  # de, fr: each its own.
    assert (tlm["position_ids"][0].numpy()[real] == 0).sum() == 2  # Restarts at the pair.
    raw = {
        "text": ["Das ist ein <mask> Buch.", "<mask> <mask>", "nothing"],
        "language": ["de", "en", "fr"],
    }
    filled = mlm.fill_mask(raw, top_k=3)
    assert [len(row) for row in filled] == [1, 2, 0]
    inputs = mlm.preprocessor.fill_mask_inputs(raw)
    logits = mlm({**inputs, "mask_positions": tf.maximum(inputs["mask_positions"], 0)}).numpy()
    logits[..., tokenizer.special_token_ids] = -np.inf  # Never a filling.
    probabilities = tf.nn.softmax(logits, -1).numpy()
    best = probabilities[0, 0].argmax()
    assert filled[0][0][0] == (
        tokenizer.id_to_token(int(best)),
        pytest.approx(float(probabilities[0, 0, best]), abs=1e-6),
    )
    _round_trip(mlm, tmp_path, raw, predict=lambda model: model.fill_mask(raw, top_k=3))


@pytest.mark.slow
def test_causal_lm_fits_and_cached_generation_equals_the_full_forward_pass(tokenizer_dir, tmp_path):
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    clm = XLMCausalLM(
        _backbone(tokenizer, "xlm_tiny_clm"),
        preprocessor=XLMCausalLMPreprocessor(tokenizer, sequence_length=16),
    )
    dataset = tf.data.Dataset.from_tensor_slices({"text": TEXTS, "language": LANGUAGES}).batch(3)
    losses = _losses(clm, dataset, steps=10)
    assert losses[-1] < losses[0]
    prompts = {"text": ["Das ist", "C'est un très"], "language": ["de", "fr"]}
    generated = clm.generate(prompts, max_length=12, stop_token_ids=None)
    assert all(
        text.startswith(prompt.split()[0]) for text, prompt in zip(generated, prompts["text"])
    )
    # Reference: greedy decoding with the full (uncached) forward pass.
    inputs = clm.preprocessor.generate_preprocess(prompts, sequence_length=12)
    ids = inputs["token_ids"].numpy()
    mask = inputs["padding_mask"].numpy().astype(bool)
    for position in range(mask.sum(1).min(), 12):
        logits = clm(
            {
                "token_ids": ids,
                "padding_mask": np.ones_like(ids),
                "language_ids": inputs["language_ids"],
            }
        ).numpy()
        next_ids = logits[:, position - 1].argmax(-1)
        ids[:, position] = np.where(mask[:, position], ids[:, position], next_ids)
    expected = clm.preprocessor.generate_postprocess(
        {"token_ids": ids, "padding_mask": np.ones_like(ids)}
    )
    assert generated == list(expected)
    _round_trip(
        clm, tmp_path, prompts, predict=lambda model: model.generate(prompts, max_length=12)
    )
