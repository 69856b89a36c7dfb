"""The front of the Python API: every documented misuse of a task,
preprocessor or sampler is one line naming the argument (`ValueError` or
`TypeError`, never a TensorFlow or Keras error from deep inside), and the
silent wrong answers are gone: a `(text, text_pair)` tuple is a pair,
`fill_mask` never proposes special tokens."""

import types

import numpy as np
import pytest
import tensorflow as tf

from tests.helpers import FAMILIES
from tests.helpers import tiny_backbone
from tests.helpers import tiny_seq2seq
from xlm_keras import XLMBeamSampler
from xlm_keras import XLMCausalLM
from xlm_keras import XLMCausalLMPreprocessor
from xlm_keras import XLMMaskedLM
from xlm_keras import XLMMaskedLMPreprocessor
from xlm_keras import XLMSeq2SeqLMPreprocessor
from xlm_keras import XLMTextClassifier
from xlm_keras import XLMTextClassifierPreprocessor
from xlm_keras import XLMTokenClassifierPreprocessor
from xlm_keras.models import XLMTokenizer
from xlm_keras.models import checks
from xlm_keras.serving import export

NAN, INF = float("nan"), float("inf")
QUERY = {"source": ["hello world"], "source_language": "en", "target_language": "fr"}


def _classifier(tokenizer):
    preprocessor = XLMTextClassifierPreprocessor(tokenizer, sequence_length=16)
    backbone = tiny_backbone(tokenizer.vocabulary_size(), num_languages=3)
    return XLMTextClassifier(backbone, num_classes=2, preprocessor=preprocessor)


def _masked_lm(tokenizer):
    preprocessor = XLMMaskedLMPreprocessor(tokenizer, sequence_length=16)
    backbone = tiny_backbone(tokenizer.vocabulary_size(), num_languages=3)
    return XLMMaskedLM(backbone, preprocessor=preprocessor)


def _causal_lm(tokenizer):
    preprocessor = XLMCausalLMPreprocessor(tokenizer, sequence_length=16)
    backbone = tiny_backbone(tokenizer.vocabulary_size(), num_languages=3, causal=True)
    model = XLMCausalLM(backbone, preprocessor=preprocessor)
    model.compile(jit_compile=False)
    return model


def _translator(tokenizer):
    preprocessor = XLMSeq2SeqLMPreprocessor(tokenizer, 16, 16)
    model = tiny_seq2seq(tokenizer.vocabulary_size(), preprocessor, num_languages=3)
    model.compile(jit_compile=False)
    return model


# model -> [(the argument the error must name, the misuse of `m`: the model,
# `m.preset` a preset directory, `m.out` a free directory)], as documented
# for each entry point in docs/reliability.md.
MISUSES = {
    "classifier": [
        ("`x`", lambda m: m.preprocessor([])),
        ("`x`", lambda m: m.preprocessor([1, 2])),
        ("text_pair", lambda m: m.preprocessor({"text": ["a", "b"], "text_pair": ["c"]})),
        ("language", lambda m: m.preprocessor({"text": ["a", "b"], "language": ["en"] * 3})),
        ("text", lambda m: m.preprocessor({"text": [["a"]]})),
        ("'language'", lambda m: m.preprocessor(["a"])),
        ("'language'", lambda m: m.predict({"text": ["a"]})),
        ("`x`", lambda m: m.predict([])),
        ("text_pair", lambda m: m.predict({"text": ["a", "b"], "text_pair": ["c"]})),
    ],
    "masked_lm": [
        ("`x`", lambda m: m.fill_mask([])),
        ("text", lambda m: m.fill_mask({"text": [], "language": "en"})),
        ("`x`", lambda m: m.fill_mask("a <mask> b")),
        ("top_k", lambda m: m.fill_mask({"text": ["a <mask>"], "language": "en"}, top_k=0)),
        ("top_k", lambda m: m.fill_mask({"text": ["a <mask>"], "language": "en"}, top_k=2.5)),
        ("`x`", lambda m: m.preprocessor([])),
    ],
    "causal_lm": [
        ("inputs", lambda m: m.generate({"text": [], "language": "en"})),
        ("max_length", lambda m: m.generate({"text": ["a"], "language": "en"}, max_length=0)),
        ("max_length", lambda m: m.generate({"text": ["a"], "language": "en"}, max_length=25)),
        ("sampler", lambda m: m.compile(sampler="bogus")),
    ],
    "translator": [
        ("source", lambda m: m.generate(dict(QUERY, source=[]))),
        ("max_length", lambda m: m.generate(QUERY, max_length=0)),
        ("max_length", lambda m: m.generate(QUERY, max_length=-5)),
        ("max_length", lambda m: m.generate(QUERY, max_length=200)),
        ("max_length", lambda m: m.generate(QUERY, max_length=2.5)),
        ("sampler", lambda m: m.compile(sampler="bogus")),
        ("target", lambda m: m.preprocessor(dict(QUERY, source=["a", "b"], target=["c"]))),
        ("target_language", lambda m: m.preprocessor(dict(QUERY, target_language=["fr"] * 2))),
        ("'source_language'", lambda m: m.generate({"source": ["a"], "target_language": "fr"})),
    ],
    # Sampler and export arguments (the export's before it loads anything).
    None: [
        ("num_beams", lambda m: XLMBeamSampler(num_beams=2.5)),
        ("num_beams", lambda m: XLMBeamSampler(num_beams=0)),
        ("length_penalty", lambda m: XLMBeamSampler(length_penalty=NAN)),
        ("length_penalty", lambda m: XLMBeamSampler(length_penalty=-1)),
        ("length_penalty", lambda m: XLMBeamSampler(length_penalty=INF)),
        ("length_penalty", lambda m: export(m.preset, m.out, length_penalty=NAN)),
        ("num_beams", lambda m: export(m.preset, m.out, num_beams=2.5)),
        ("top_k", lambda m: export(m.preset, m.out, top_k=0)),
    ],
}
BUILDERS = {
    "classifier": _classifier,
    "masked_lm": _masked_lm,
    "causal_lm": _causal_lm,
    "translator": _translator,
}


@pytest.mark.parametrize("kind", list(MISUSES))
def test_each_documented_misuse_is_one_named_line(kind, tokenizer_dir, tmp_path):
    if kind is None:
        model = types.SimpleNamespace(preset=tokenizer_dir, out=str(tmp_path))
    else:
        model = BUILDERS[kind](XLMTokenizer.from_preset(tokenizer_dir))
    problems = []
    for index, (name, misuse) in enumerate(MISUSES[kind]):
        try:
            misuse(model)
        except (ValueError, TypeError) as error:
            message = str(error)
            if isinstance(error, tf.errors.OpError) or name not in message:
                problems.append(f"{index}: {type(error).__name__} not naming {name}: {message}")
            elif len(message.splitlines()) != 1:
                problems.append(f"{index}: more than one line: {message}")
        except Exception as error:  # noqa: BLE001 - the point is which type it is.
            problems.append(f"{index} ({name}): {type(error).__name__}: {str(error)[:300]}")
        else:
            problems.append(f"{index} ({name}): accepted")
    assert not problems, "\n".join(problems)


def test_a_text_pair_tuple_is_a_pair_not_a_label(tokenizer_dir):
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    preprocessor = XLMTextClassifierPreprocessor(tokenizer, sequence_length=16)
    backbone = tiny_backbone(tokenizer.vocabulary_size(), **FAMILIES["roberta"])
    XLMTextClassifier(backbone, num_classes=2, preprocessor=preprocessor)  # No language ids.
    pair = preprocessor((["a b c"], ["d e f"]))
    as_dict = preprocessor({"text": ["a b c"], "text_pair": ["d e f"]})
    assert isinstance(pair, dict)
    np.testing.assert_array_equal(pair["token_ids"], as_dict["token_ids"])
    # With labels, the tuple stays the pair and the labels stay labels.
    x, y = preprocessor((["a b c"], ["d e f"]), [1])
    np.testing.assert_array_equal(x["token_ids"], as_dict["token_ids"])
    np.testing.assert_array_equal(y, [1])
    x, y = preprocessor((["a b c"], [1]))  # keras-hub's `(x, y)`.
    np.testing.assert_array_equal(y, [1])


def test_one_language_code_serves_the_whole_batch(tokenizer_dir):
    preprocessor = _classifier(XLMTokenizer.from_preset(tokenizer_dir)).preprocessor
    one = preprocessor({"text": ["a", "b", "c"], "language": ["fr"]})
    each = preprocessor({"text": ["a", "b", "c"], "language": ["fr"] * 3})
    np.testing.assert_array_equal(one["language_ids"], each["language_ids"])


def test_words_and_tags_of_the_tagger_are_not_a_pair(tokenizer_dir):
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    preprocessor = XLMTokenClassifierPreprocessor(tokenizer, sequence_length=16)
    x, labels, weights = preprocessor(([["Anna", "wohnt"]], [[1, 0]]))
    assert x["token_ids"].shape == labels.shape == weights.shape == (1, 16)


def test_fill_mask_never_proposes_special_tokens(tokenizer_dir):
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    model = _masked_lm(tokenizer)
    special = tokenizer.special_token_ids
    bias = np.zeros(tokenizer.vocabulary_size(), "float32")
    bias[special] = 100.0  # The head now prefers every special token.
    model.masked_lm_head.bias.assign(bias)
    filled = model.fill_mask({"text": ["a <mask> b <mask>"], "language": "en"}, top_k=10**6)
    assert len(filled[0]) == 2
    for proposals in filled[0]:
        tokens = [token for token, _ in proposals]
        assert len(tokens) == tokenizer.vocabulary_size() - len(special)
        assert not set(tokens) & set(tokenizer.special_tokens)
        assert sum(p for _, p in proposals) == pytest.approx(1.0, abs=1e-4)


@pytest.mark.parametrize(
    "value, message",
    [
        ([], "is empty"),
        ("one", None),
        (["a", 2], "element of type int"),
        (np.array([[b"a"]]), "2-D"),
        (tf.constant([1, 2]), "int32"),
        ({"text": ["a"], "language": ["en", "fr"]}, "one language code for all rows"),
        ({"text": ["a", "b"], "text_pair": "c"}, "same number of rows"),
        ((["a"], ["b", "c"]), "same number of rows"),
    ],
)
def test_check_raw_text(value, message):
    if message is None:
        checks.check_raw_text(value)
        with pytest.raises(TypeError, match="Wrap it in a list"):
            checks.check_raw_text(value, allow_scalar=False)
        return
    with pytest.raises((ValueError, TypeError), match=message):
        checks.check_raw_text(value)


def test_check_number_and_int():
    assert checks.check_number(0, "length_penalty", low=0) == 0.0
    assert checks.check_int(3, "num_beams", 1) == 3
    for bad in (NAN, INF, -INF, True, "1", None):
        with pytest.raises(ValueError, match="`x` must be a finite number"):
            checks.check_number(bad, "x")
    for bad in (0, 2.5, True, np.float32(2), None):
        with pytest.raises(ValueError, match=r"`n` must be an int >= 1"):
            checks.check_int(bad, "n", 1)
    assert checks.check_int(np.int64(2), "n", 1, 4) == 2
