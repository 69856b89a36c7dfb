"""Old and new pipelines give identical tensors.

`tests/golden/before.npz` holds the tensors that the code before the
preprocessors (commit e868e93: hand-written packing in each pipeline)
produced from the bundled corpus and help-topic task, with the tokenizer in
`tests/golden/tokenizer` (trained on the sample corpus, 400 pieces, de/en/fr):
MLM/TLM/CLM batches, classification (single and pairs), tagging and QA
windows in both frames, and the serving `tokenize` signature. Every pipeline
now goes through the preprocessors and `packing.pack_text`; each tensor must
be unchanged.
"""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from xlm_keras.data import corpus
from xlm_keras.finetuning import qa_features as qa
from xlm_keras.finetuning.task_data import SAMPLE_TASK_DIR
from xlm_keras.finetuning.task_data import open_task_data
from xlm_keras.finetuning.task_pipelines import TaskSpec
from xlm_keras.finetuning.task_pipelines import task_dataset
from xlm_keras.models import XLMBackbone
from xlm_keras.models import XLMSpanQAPreprocessor
from xlm_keras.models import XLMTextClassifierPreprocessor
from xlm_keras.models import XLMTokenClassifierPreprocessor
from xlm_keras.models import XLMTokenizer
from xlm_keras.models import presets
from xlm_keras.pretraining import pipelines
from xlm_keras.serving import ServingModule

GOLDEN = os.path.join(os.path.dirname(__file__), "golden")
LANGUAGES = ["de", "en", "fr"]
FRAMES = (("xlm", True), ("roberta", False))  # (frame, language ids) as recorded.


@pytest.fixture(scope="module")
def before():
    with np.load(os.path.join(GOLDEN, "before.npz")) as arrays:
        return dict(arrays)


def _tokenizer():
    return XLMTokenizer.from_preset(os.path.join(GOLDEN, "tokenizer"))


def _flatten(prefix, tree, out):
    if isinstance(tree, dict):
        for key, value in tree.items():
            _flatten(f"{prefix}/{key}", value, out)
    else:
        out[prefix] = np.asarray(tree)
    return out


def _assert_same(before, prefix, tree):
    after = _flatten(prefix, tree, {})
    recorded = {k: v for k, v in before.items() if k == prefix or k.startswith(prefix + "/")}
    assert sorted(after) == sorted(recorded)
    for key, value in after.items():
        np.testing.assert_array_equal(value, recorded[key], err_msg=key)


@pytest.mark.parametrize("use_language_ids", [True, False])
@pytest.mark.parametrize("objective", ["mlm", "tlm", "clm"])
def test_pretraining_batches_are_unchanged(before, objective, use_language_ids):
    spec = pipelines.PipelineSpec(_tokenizer(), 32, 4, use_language_ids=use_language_ids, seed=7)
    make = getattr(pipelines, f"{objective}_dataset")
    batches = make(
        spec, corpus.SAMPLE_CORPUS_DIR, LANGUAGES, 0.5, split="test", evaluation=True
    ).take(2)
    for index, batch in enumerate(batches):
        _assert_same(before, f"{objective}_{int(use_language_ids)}_{index}", batch)


def _task_records():
    task = open_task_data(SAMPLE_TASK_DIR, "classification", ())
    pairs = [
        {"text": r["text"][:60], "text_pair": r["text"][60:], "label": r["label"]}
        for r in task.records("test", "fr")[:8]
    ]
    tags = [
        {
            "tokens": r["text"].split()[:20],
            "tags": [j % 3 for j in range(len(r["text"].split()[:20]))],
        }
        for r in task.records("test", "fr")[:8]
    ]
    tags.append({"tokens": ["", "x"], "tags": [1, 2]})
    return task, pairs, tags


@pytest.mark.parametrize("frame,use_language_ids", FRAMES)
def test_fine_tuning_batches_are_unchanged(before, frame, use_language_ids):
    tokenizer = _tokenizer()
    task, pairs, tags = _task_records()
    options = dict(sequence_length=48, frame=frame, use_language_ids=use_language_ids)
    spec = TaskSpec(XLMTextClassifierPreprocessor(tokenizer, **options), 8)
    for code in ("en", "de"):
        records = task.records("test", code)[:16]
        for index, batch in enumerate(task_dataset(spec, "classification", records, code, 1)):
            _assert_same(before, f"cls_{frame}_{code}_{index}", batch)
    for index, batch in enumerate(task_dataset(spec, "classification", pairs, "fr")):
        _assert_same(before, f"pair_{frame}_{index}", batch)
    spec = TaskSpec(XLMTokenClassifierPreprocessor(tokenizer, **options), 8)
    for index, batch in enumerate(task_dataset(spec, "tagging", tags, "fr")):
        _assert_same(before, f"tag_{frame}_{index}", batch)


@pytest.mark.parametrize("frame,use_language_ids", FRAMES)
def test_qa_windows_are_unchanged(before, frame, use_language_ids):
    with open(os.path.join(GOLDEN, "qa_records.json"), encoding="utf-8") as f:
        records = json.load(f)
    preprocessor = XLMSpanQAPreprocessor(
        _tokenizer(),
        sequence_length=24,
        frame=frame,
        use_language_ids=use_language_ids,
        doc_stride=5,
        max_query_length=6,
    )
    features = qa.qa_features(TaskSpec(preprocessor, 4), records, "de")
    _assert_same(
        before,
        f"qa_{frame}",
        {
            "x": features.x,
            "labels": features.labels,
            "example_index": features.example_index,
            "byte_spans": features.byte_spans,
        },
    )


@pytest.mark.parametrize("family", ["xlm", "roberta"])
def test_serving_tokenize_is_unchanged(before, family):
    keras.utils.set_random_seed(0)
    tokenizer = _tokenizer()
    config = dict(
        presets.backbone_config(f"{'xlm' if family == 'xlm' else 'xlm_roberta'}_tiny"),
        vocabulary_size=tokenizer.vocabulary_size(),
    )
    if family == "xlm":
        config["num_languages"] = 3
    module = ServingModule(XLMBackbone(**config), tokenizer, 32)
    texts = tf.constant(["Hallo Welt, wie geht es?", "", "Bonjour " * 40, "naïve café 🎉"])
    args = (texts, tf.constant(["de", "de", "fr", "en"])) if module.has_language_input else (texts,)
    _assert_same(before, f"serve_{family}", module.tokenize(*args))
