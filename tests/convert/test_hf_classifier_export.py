"""Fine-tuned Hugging Face XLM-R heads go `xlm-convert` -> `xlm-export` ->
`classify` / `tag` (the README's three commands) and answer Hugging Face's
labels for raw text."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
import transformers

from tests.convert import reference_models as ref
from xlm_keras import XLMTextClassifier
from xlm_keras import XLMTokenClassifier
from xlm_keras.convert import convert_checkpoint
from xlm_keras.serving import export
from xlm_keras.serving import sentencepiece_library

pytestmark = pytest.mark.slow  # Converts, exports and loads in fresh processes.

LABELS = ["negative", "neutral", "positive"]
TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
CHILD = os.path.join(os.path.dirname(__file__), "signatures_child.py")


def _run(*command):
    result = subprocess.run([sys.executable, *command], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _reference(model_cls, labels, tmp_path):
    """A random HF XLM-R task model over a tiny SentencePiece vocabulary, and
    its tokenizer (saved under tmp_path/hf by `_serve`)."""
    hf_dir = tmp_path / "hf"
    hf_dir.mkdir()
    ref.write_sentencepiece(hf_dir)
    config = ref.xlm_roberta_config(
        vocab_size=52,
        max_position_embeddings=66,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={name: i for i, name in enumerate(labels)},
    )
    return (
        ref.randomize(model_cls(config)),
        transformers.XLMRobertaTokenizer.from_pretrained(str(hf_dir)),
    )


def _serve(hf_model, tmp_path, requests, with_clis=True):
    """Save, convert, export (with the CLIs, or their library calls); the
    signatures' answers to `requests` from a TensorFlow-only process."""
    hf_model.save_pretrained(tmp_path / "hf")
    if with_clis:
        _run(
            "-m",
            "xlm_keras.cli.convert",
            "--source=hf",
            f"--input={tmp_path / 'hf'}",
            f"--output={tmp_path / 'preset'}",
        )
        _run(
            "-m",
            "xlm_keras.cli.export",
            f"--preset={tmp_path / 'preset'}",
            f"--export_dir={tmp_path / 'models'}",
            f"--signatures={','.join(requests)}",
        )
    else:
        convert_checkpoint("hf", str(tmp_path / "hf"), str(tmp_path / "preset"))
        export(str(tmp_path / "preset"), str(tmp_path / "models"), signatures=list(requests))
    (tmp_path / "requests.json").write_text(json.dumps(requests))
    return json.loads(
        _run(
            CHILD,
            str(tmp_path / "models" / "1"),
            sentencepiece_library(),
            str(tmp_path / "requests.json"),
        )
    )


def _spread_logits(hf_model, encoded):
    """Random encoders give every text nearly the same <s> state, so one
    label would win everywhere: center and scale the output layer on these
    texts' pooled features so that the labels differ."""
    classifier = hf_model.classifier
    with torch.no_grad():
        hidden = hf_model.roberta(**encoded).last_hidden_state[:, 0]
        pooled = torch.tanh(classifier.dense(hidden))
        centered = pooled - pooled.mean(0)
        classifier.out_proj.weight.mul_(1.0 / centered.std())
        classifier.out_proj.bias.copy_(-classifier.out_proj.weight @ pooled.mean(0))


def test_exported_classify_answers_hugging_face_labels(tmp_path):
    hf_model, hf_tokenizer = _reference(
        transformers.XLMRobertaForSequenceClassification, LABELS, tmp_path
    )
    texts, pairs = ref.SENTENCES, ref.SENTENCES[::-1]
    _spread_logits(hf_model, hf_tokenizer(texts, padding=True, return_tensors="pt"))
    expected = {}
    for name, encoded in (
        ("classify", hf_tokenizer(texts, padding=True, return_tensors="pt")),
        ("classify_pair", hf_tokenizer(texts, pairs, padding=True, return_tensors="pt")),
    ):
        with torch.no_grad():
            expected[name] = torch.softmax(hf_model(**encoded).logits, -1).numpy()
    assert len({int(i) for i in expected["classify"].argmax(-1)}) > 1

    served = _serve(
        hf_model,
        tmp_path,
        {"classify": {"text": texts}, "classify_pair": {"text": texts, "text_pair": pairs}},
    )

    for name, probabilities in expected.items():
        assert served[name]["label"] == [LABELS[i] for i in probabilities.argmax(-1)], name
        np.testing.assert_allclose(served[name]["probabilities"], probabilities, atol=1e-4)
    # The converted preset also takes raw text in Keras (its preprocessor
    # comes from the converted tokenizer).
    classifier = XLMTextClassifier.from_preset(str(tmp_path / "preset"))
    for name, inputs in (
        ("classify", texts),
        ("classify_pair", {"text": texts, "text_pair": pairs}),
    ):
        logits = classifier.predict(inputs, verbose=0)
        np.testing.assert_allclose(
            torch.softmax(torch.tensor(logits), -1).numpy(), expected[name], atol=1e-4
        )


def test_exported_tag_answers_hugging_face_tags(tmp_path):
    """`tag` labels each word by its first piece, as HF's word_ids do."""
    hf_model, hf_tokenizer = _reference(
        transformers.XLMRobertaForTokenClassification, TAGS, tmp_path
    )
    words = [text.split() for text in ref.SENTENCES]
    encoded = hf_tokenizer(words, is_split_into_words=True, padding=True, return_tensors="pt")
    with torch.no_grad():
        predicted = hf_model(**encoded).logits.argmax(-1).numpy()
    expected = []
    for row in range(len(words)):
        first_pieces = {}
        for position, word in enumerate(encoded.word_ids(row)):
            if word is not None:
                first_pieces.setdefault(word, position)
        expected.append([TAGS[predicted[row, first_pieces[w]]] for w in range(len(words[row]))])
    assert len({tag for row in expected for tag in row}) > 1

    served = _serve(hf_model, tmp_path, {"tag": {"text": ref.SENTENCES}}, with_clis=False)

    for row, tags in enumerate(expected):
        assert served["tag"]["tags"][row][: len(tags)] == tags, ref.SENTENCES[row]
    assert (
        XLMTokenClassifier.from_preset(str(tmp_path / "preset")).predict(ref.SENTENCES) == expected
    )
