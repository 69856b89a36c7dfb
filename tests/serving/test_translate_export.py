"""`XLMSeq2SeqLM` exported with `translate`: raw sources in, translations
and scores out, in a process without keras, keras_hub, xlm_keras or
tensorflow_text; the same strings as `generate()` (greedy and beam search),
hostile input never crashes the signature."""

import json
import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import run_child
from tests.helpers import tiny_translator
from tests.serving.test_exporter import TEXT_LANGUAGES
from tests.serving.test_exporter import TEXTS
from xlm_keras import XLMBeamSampler
from xlm_keras.models import XLMTokenizer
from xlm_keras.serving import export
from xlm_keras.serving import sentencepiece_library
from xlm_keras.serving.exporter import SIGNATURES_FILE
from xlm_keras.serving.exporter import check_signatures
from xlm_keras.serving.translation_module import SOURCE_BUCKET
from xlm_keras.serving.translation_module import bucket_sources

pytestmark = pytest.mark.slow  # SavedModel exports, loaded in a fresh process.

CHILD = os.path.join(os.path.dirname(__file__), "translate_child.py")
SOURCE_LENGTH, DECODE_LENGTH = 16, 8
TARGET_LANGUAGES = ["en", "fr", "de", "de", "fr", "en"]
# name -> (language embeddings, XLM-R positions, num_beams, export options):
# XLM beam search, XLM greedy with XLA for small requests (the 6 texts; the
# hostile batches of 128 run the graph), XLM-R (plain sources) greedy in
# float32 and with bfloat16 decoding.
MODELS = {
    "xlm_beam": (True, False, 3, {}),
    "xlm_greedy_xla": (True, False, 1, {"jit_compile": True}),
    "xlm_r_greedy": (False, True, 1, {}),
    "xlm_r_greedy_bfloat16": (False, True, 1, {"decoder_dtype": "bfloat16"}),
}


def _model(tokenizer, languages, roberta):
    return tiny_translator(tokenizer, SOURCE_LENGTH, DECODE_LENGTH, languages, roberta)


@pytest.fixture(scope="module")
def exported(tokenizer_dir, tmp_path_factory):
    keras.utils.set_random_seed(0)  # Before any tokenizer (tensorflow/text#570).
    root = tmp_path_factory.mktemp("translate")
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    result = {"paths": {}, "reference": {}}
    specs = {}
    for name, (languages, roberta, beams, options) in MODELS.items():
        model = _model(tokenizer, languages, roberta)
        preset = root / f"{name}_preset"
        model.save_to_preset(str(preset))
        request = {"source": TEXTS}
        if languages:
            request.update(source_language=TEXT_LANGUAGES, target_language=TARGET_LANGUAGES)
        model.compile(sampler=XLMBeamSampler(num_beams=beams) if beams > 1 else "greedy")
        result["reference"][name] = list(model.generate(request, max_length=DECODE_LENGTH))
        # Sources cut where `generate()` cuts them by default: at the
        # preprocessor's SOURCE_LENGTH, not the position table (TEXTS[4] is
        # longer than both).
        result["paths"][name] = export(str(preset), str(root / name), num_beams=beams, **options)
        result["parameters"] = result.get("parameters", {})
        result["parameters"][name] = (model.count_params(), model.backbone.token_embedding)
        specs[name] = {
            "path": result["paths"][name],
            "texts": TEXTS,
            "source_languages": TEXT_LANGUAGES if languages else None,
            "target_languages": TARGET_LANGUAGES if languages else None,
            "known_languages": tokenizer.languages,
        }
    spec = {"library": sentencepiece_library(), "out": str(root / "summary.json"), "models": specs}
    run_child(CHILD, spec, root / "spec.json")
    result["summary"] = json.loads((root / "summary.json").read_text())
    return result


def test_loads_without_keras_or_tensorflow_text(exported):
    assert exported["summary"]["modules"] == []
    for name, (_, _, _, options) in MODELS.items():
        assert exported["summary"][name]["signatures"] == ["serving_default", "translate"]
        # A jit_compile export adds one batch-1 source per 16-token bucket (one here).
        extra = ["translate"] if options.get("jit_compile") else []
        assert exported["summary"][name]["warmup"] == ["serving_default", "translate", *extra]


@pytest.mark.parametrize("max_length", [16, 40, 64])
def test_bucket_sources_fill_every_bucket(tokenizer_dir, max_length):
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    packed = [
        min(len(tokenizer(text)) + 2, max_length) for text in bucket_sources(tokenizer, max_length)
    ]
    buckets = [-(-length // SOURCE_BUCKET) * SOURCE_BUCKET for length in packed]
    expected = list(range(SOURCE_BUCKET, max_length + SOURCE_BUCKET, SOURCE_BUCKET))
    assert [min(bucket, max_length) for bucket in buckets] == [
        min(bucket, max_length) for bucket in expected
    ]


@pytest.mark.parametrize("name", list(MODELS))
def test_translations_match_generate(exported, name):
    """Exactly `generate()`'s strings in float32; with bfloat16 decoding
    (8 significant bits, whose round-off flips the near ties of a random
    model's argmax) one string per source (`tests/inference/test_decoder.py`
    bounds its logits)."""
    translations = exported["summary"][name]["translations"]
    if MODELS[name][3].get("decoder_dtype", "float32") == "float32":
        assert translations == exported["reference"][name]
    assert len(translations) == len(TEXTS) and all(isinstance(t, str) for t in translations)
    assert len(set(translations)) > 1  # The weights tell sources apart.
    scores = np.array(exported["summary"][name]["scores"])
    assert scores.shape == (len(TEXTS),) and (scores < 0).all()


def test_export_options_are_opt_in_and_recorded(exported):
    for name, (_, _, _, options) in MODELS.items():
        with open(os.path.join(exported["paths"][name], SIGNATURES_FILE)) as f:
            facts = json.load(f)["model"]
        assert facts["jit_compile"] is options.get("jit_compile", False)
        assert facts["decoder_dtype"] == options.get("decoder_dtype", "float32")


def test_signatures_json(exported):
    with open(os.path.join(exported["paths"]["xlm_beam"], SIGNATURES_FILE)) as f:
        description = json.load(f)
    translate = description["signatures"]["translate"]
    assert sorted(translate["inputs"]) == ["source_language", "target_language", "text"]
    assert {
        name: (tensor["dtype"], tensor["shape"]) for name, tensor in translate["outputs"].items()
    } == {"score": ("float32", [-1]), "translation": ("string", [-1])}
    assert description["model"]["num_beams"] == 3
    assert description["model"]["max_decode_length"] == DECODE_LENGTH
    assert description["model"]["max_sequence_length"] == SOURCE_LENGTH
    assert description["ops"]["sentencepiece"] == [
        "SentencepieceDetokenizeOp",
        "SentencepieceOp",
        "SentencepieceTokenizeOp",
    ]
    with open(os.path.join(exported["paths"]["xlm_r_greedy"], SIGNATURES_FILE)) as f:
        assert sorted(json.load(f)["signatures"]["translate"]["inputs"]) == ["text"]


@pytest.mark.parametrize("name", list(MODELS))
def test_decoder_weights_are_saved_once(exported, name):
    """The export saves the decoder's weights fused (`DecodingWeights`), not
    also as the model's: every parameter once, plus the transposed token
    table."""
    parameters, table = exported["parameters"][name]
    checkpoint = os.path.join(exported["paths"][name], "variables", "variables")
    saved = sum(
        int(np.prod(shape))
        for name, shape in tf.train.list_variables(checkpoint)
        if name != "_CHECKPOINTABLE_OBJECT_GRAPH"
    )
    assert saved == parameters + int(np.prod(table.embeddings.shape))


def test_unknown_language_fails_with_the_known_codes(exported):
    message = exported["summary"]["xlm_beam"]["unknown_language"]
    assert message is not None and "known codes: de, en, fr" in message and "xx" in message


@pytest.mark.parametrize("name", list(MODELS))
def test_hostile_inputs(exported, name):
    report = exported["summary"][name]["hostile"]
    assert report["inputs"] >= 500
    assert report["crashes"] == []
    assert report["bad_outputs"] == []
    assert report["expected_errors"] == (20 if MODELS[name][0] else 0)


def test_translation_models_serve_translate_only(tokenizer_dir):
    model = _model(XLMTokenizer.from_preset(tokenizer_dir), False, True)
    assert check_signatures(None, model) == ["translate"]
    with pytest.raises(ValueError, match="`embed` needs an encoder-only model"):
        check_signatures(["embed"], model)
