"""A fine-tuned Hugging Face XLM-R classifier goes `xlm-convert` ->
`xlm-export` -> `classify` (the README's three commands) and answers Hugging
Face's labels for raw text, single and paired."""

import json
import os
import subprocess
import sys

import numpy as np
import torch
import transformers

from tests.convert import reference_models as ref
from xlm_keras.serving import sentencepiece_library

LABELS = ["negative", "neutral", "positive"]
CHILD = os.path.join(os.path.dirname(__file__), "classify_child.py")


def _run(*command):
    result = subprocess.run([sys.executable, *command], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


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
    hf_dir = tmp_path / "hf"
    config = ref.xlm_roberta_config(
        vocab_size=52, max_position_embeddings=66, num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)), label2id={name: i for i, name in enumerate(LABELS)})
    hf_model = ref.randomize(transformers.XLMRobertaForSequenceClassification(config))
    hf_dir.mkdir()
    ref.write_sentencepiece(hf_dir)
    hf_tokenizer = transformers.XLMRobertaTokenizer.from_pretrained(str(hf_dir))
    texts, pairs = ref.SENTENCES, ref.SENTENCES[::-1]
    _spread_logits(hf_model, hf_tokenizer(texts, padding=True, return_tensors="pt"))
    hf_model.save_pretrained(hf_dir)
    expected = {}
    for name, encoded in (("classify", hf_tokenizer(texts, padding=True, return_tensors="pt")),
                          ("classify_pair", hf_tokenizer(texts, pairs, padding=True,
                                                         return_tensors="pt"))):
        with torch.no_grad():
            expected[name] = torch.softmax(hf_model(**encoded).logits, -1).numpy()
    assert len({int(i) for i in expected["classify"].argmax(-1)}) > 1

    _run("-m", "xlm_keras.cli.convert", "--source=hf", f"--input={hf_dir}",
         f"--output={tmp_path / 'preset'}")
    _run("-m", "xlm_keras.cli.export", f"--preset={tmp_path / 'preset'}",
         f"--export_dir={tmp_path / 'models'}", "--signatures=classify,classify_pair")
    (tmp_path / "texts.json").write_text(json.dumps({"texts": texts, "pairs": pairs}))
    served = json.loads(_run(CHILD, str(tmp_path / "models" / "1"), sentencepiece_library(),
                             str(tmp_path / "texts.json")))

    for name, probabilities in expected.items():
        assert served[name]["label"] == [LABELS[i] for i in probabilities.argmax(-1)], name
        np.testing.assert_allclose(served[name]["probabilities"], probabilities, atol=1e-4)
