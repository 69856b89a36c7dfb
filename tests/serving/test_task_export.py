"""Fine-tuned tasks exported with `classify` / `classify_pair` / `tag`: raw
text in, label names out, in a process without keras, keras_hub, xlm_keras
or tensorflow_text; answers equal the Keras model's, hostile input never
crashes the signatures."""

import json
import os
import shutil

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import run_child
from tests.helpers import sized_config
from tests.serving.test_exporter import CHILD
from tests.serving.test_exporter import MAX_LENGTH
from tests.serving.test_exporter import TEXT_LANGUAGES
from tests.serving.test_exporter import TEXTS
from xlm_keras import XLMBackbone
from xlm_keras import XLMMaskedLM
from xlm_keras import XLMTextClassifier
from xlm_keras import XLMTokenClassifier
from xlm_keras.finetuning.evaluation import predict_word_tags
from xlm_keras.finetuning.task_pipelines import TaskSpec
from xlm_keras.finetuning.task_pipelines import preprocessor_for
from xlm_keras.models import XLMTextClassifierPreprocessor
from xlm_keras.models import XLMTokenizer
from xlm_keras.serving import export
from xlm_keras.serving import sentencepiece_library
from xlm_keras.serving.exporter import check_signatures

pytestmark = pytest.mark.slow  # SavedModel exports, loaded in a fresh process.

TOPICS = ["writer", "calc", "impress_draw"]
TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]


def _spec(task, tokenizer):
    return TaskSpec(preprocessor_for(task, tokenizer, MAX_LENGTH), 8)


def _classify_reference(task, tokenizer, texts, pairs=None):
    """Softmax of the Keras model on each text alone, through the task's
    preprocessor (in Python)."""
    preprocessor = _spec(task, tokenizer).preprocessor
    logits = [
        task(
            preprocessor(
                {
                    "text": [text],
                    "language": [language],
                    **({} if pairs is None else {"text_pair": [pairs[i]]}),
                }
            ),
            training=False,
        )[0]
        for i, (text, language) in enumerate(zip(texts, TEXT_LANGUAGES))
    ]
    return tf.nn.softmax(np.stack(logits)).numpy()


@pytest.fixture(scope="module")
def exported(tokenizer_dir, tmp_path_factory):
    keras.utils.set_random_seed(0)  # Before any tokenizer (tensorflow/text#570).
    root = tmp_path_factory.mktemp("task_serving")
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    config = sized_config("xlm_tiny", tokenizer)
    # The classifier takes languages through centering only (no language
    # embeddings); the tagger through its language embeddings.
    classifier = XLMTextClassifier(
        XLMBackbone(**dict(config, use_language_embedding=False)),
        len(TOPICS),
        TOPICS,
        pooling="mean",
        language_centering=True,
    )
    rng = np.random.default_rng(0)
    classifier.centering.set_shifts(
        {
            i: rng.normal(size=classifier.backbone.hidden_dim).astype("float32")
            for i in range(len(tokenizer.languages))
        },
        tokenizer.language_id("en"),
    )
    tasks = {
        "classifier": classifier,
        "tagger": XLMTokenClassifier(XLMBackbone(**config), len(TAGS), TAGS),
    }
    result = {"paths": {}, "reference": {}}
    specs = {}
    for name, task in tasks.items():
        preset = root / f"{name}_preset"
        task.save_to_preset(str(preset))
        tokenizer.save_to_preset(str(preset))
        result["paths"][name] = export(
            str(preset), str(root / name), max_sequence_length=MAX_LENGTH
        )
        shutil.rmtree(preset)
        specs[name] = {
            "path": result["paths"][name],
            "texts": TEXTS,
            "languages": TEXT_LANGUAGES,
            "mask_texts": TEXTS[:4],
            "max_sequence_length": MAX_LENGTH,
            "vocabulary_size": tokenizer.vocabulary_size(),
            "known_languages": tokenizer.languages,
        }
    result["reference"]["classify"] = _classify_reference(tasks["classifier"], tokenizer, TEXTS)
    result["reference"]["classify_pair"] = _classify_reference(
        tasks["classifier"], tokenizer, TEXTS, TEXTS[::-1]
    )
    result["reference"]["tag"] = [
        predict_word_tags(
            tasks["tagger"], _spec(tasks["tagger"], tokenizer), [text.split()], language, TAGS
        )[0]
        for text, language in zip(TEXTS, TEXT_LANGUAGES)
    ]

    out = root / "child"
    out.mkdir()
    spec = {"library": sentencepiece_library(), "out": str(out), "models": specs}
    run_child(CHILD, spec, root / "spec.json")
    result["summary"] = json.loads((out / "summary.json").read_text())
    result["outputs"] = {name: dict(np.load(out / f"{name}.npz")) for name in tasks}
    return result


def test_task_signatures_load_without_keras_or_tensorflow_text(exported):
    assert exported["summary"]["modules"] == []
    common = ["embed", "encode", "serving_default", "tokenize"]
    assert exported["summary"]["classifier"]["signatures"] == sorted(
        common + ["classify", "classify_pair"]
    )
    assert exported["summary"]["tagger"]["signatures"] == sorted(common + ["tag"])
    assert exported["summary"]["classifier"]["warmup"] == sorted(
        common + ["classify", "classify_pair"]
    )


@pytest.mark.parametrize("signature", ["classify", "classify_pair"])
def test_classify_answers_label_names_like_keras(exported, signature):
    outputs = exported["outputs"]["classifier"]
    reference = exported["reference"][signature]
    np.testing.assert_allclose(outputs[f"{signature}/probabilities"], reference, atol=1e-5)
    labels = [TOPICS[i] for i in reference.argmax(-1)]
    assert [label.decode() for label in outputs[f"{signature}/label"]] == labels
    np.testing.assert_array_equal(outputs[f"{signature}/label_id"], reference.argmax(-1))


def test_tag_answers_one_tag_per_word_like_keras(exported):
    outputs = exported["outputs"]["tagger"]
    for row, (text, tags) in enumerate(zip(TEXTS, exported["reference"]["tag"])):
        words = text.split()
        assert [w.decode() for w in outputs["tag/words"][row][: len(words)]] == words
        assert [t.decode() for t in outputs["tag/tags"][row][: len(words)]] == tags
        assert all(t == b"" for t in outputs["tag/tags"][row][len(words) :])
        assert all(i == -1 for i in outputs["tag/tag_ids"][row][len(words) :])


@pytest.mark.parametrize("name", ["classifier", "tagger"])
def test_hostile_inputs_never_crash_the_task_signatures(exported, name):
    report = exported["summary"][name]["hostile"]
    assert report["crashes"] == [] and report["bad_outputs"] == []
    assert report["inputs"] > 1500


def test_signatures_need_the_right_task():
    masked_lm = XLMMaskedLM.from_preset("xlm_tiny")
    with pytest.raises(ValueError, match="`classify` needs an XLMTextClassifier"):
        check_signatures(["classify"], masked_lm)
    with pytest.raises(ValueError, match="`tag` needs an XLMTokenClassifier"):
        check_signatures(["tag"], masked_lm)


def test_signatures_json_lists_label_names(exported):
    with open(os.path.join(exported["paths"]["classifier"], "signatures.json")) as f:
        model = json.load(f)["model"]
    assert model["task"] == "XLMTextClassifier" and model["label_names"] == TOPICS


def test_classify_cuts_long_texts_where_predict_does(tokenizer_dir, tmp_path):
    """Exported without `max_sequence_length`, `classify` cuts a text where
    the preset's preprocessor (and so `predict`) cuts it, not at the
    model's position table."""
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    config = sized_config("xlm_tiny", tokenizer, use_language_embedding=False)
    predict_length = 12
    classifier = XLMTextClassifier(
        XLMBackbone(**config),
        len(TOPICS),
        TOPICS,
        preprocessor=XLMTextClassifierPreprocessor(tokenizer, sequence_length=predict_length),
    )
    preset = str(tmp_path / "preset")
    classifier.save_to_preset(preset)
    path = export(preset, str(tmp_path / "export"), signatures=["classify"], warmup=False)
    text = TEXTS[4]  # Whole within the position table, cut by the preprocessor.
    assert predict_length < len(tokenizer(text)) + 2 <= config["max_sequence_length"]

    served = tf.saved_model.load(path).signatures["classify"](text=tf.constant([text]))
    expected = tf.nn.softmax(classifier.predict([text])).numpy()
    np.testing.assert_allclose(served["probabilities"].numpy(), expected, atol=1e-5)
    with open(os.path.join(path, "signatures.json")) as f:
        assert json.load(f)["model"]["max_sequence_length"] == predict_length
