import json
import os

import keras
import numpy as np
import pytest
import sentencepiece as spm
import tensorflow as tf

from tests.helpers import tiny_backbone
from tests.sentencepiece_fixtures import LANGUAGES
from tests.sentencepiece_fixtures import PROBE_TEXTS
from xlm_keras.models import XLMTokenizer

# Texts that SentencePiece normalisation leaves unchanged and whose
# characters are all in the training corpus.
ROUND_TRIP_TEXTS = [
    "Hello world!",
    "Bonjour le monde, ça va ?",
    "Привет, мир!",
    "你好世界 北京",
    "مرحبا بالعالم!",
    "שלום עולם!",
    "नमस्ते दुनिया!",
    "I like pizza 🍕 and 😀",
]


# Built per test: the autouse `keras.utils.set_random_seed` resets TF's
# eager kernels, which frees SentencePiece resources made before it.
@pytest.fixture
def tokenizers(native_model_file, fairseq_model_file):
    return {
        "native": XLMTokenizer(native_model_file, languages=LANGUAGES),
        "fairseq": XLMTokenizer(fairseq_model_file, id_convention="fairseq"),
    }


def decoded(text):
    return [t.decode() for t in text.numpy()]


def test_native_ids_equal_sentencepiece(tokenizers, native_model_file):
    reference = spm.SentencePieceProcessor(model_file=native_model_file)
    tokenizer = tokenizers["native"]
    expected = reference.encode(PROBE_TEXTS)
    assert tokenizer(tf.constant(PROBE_TEXTS)).to_list() == expected
    assert tokenizer.tokenize(PROBE_TEXTS[0]).numpy().tolist() == expected[0]
    assert tokenizer.get_vocabulary() == [
        reference.id_to_piece(i) for i in range(reference.vocab_size())
    ]
    assert tokenizer.vocabulary_size() == reference.vocab_size()
    assert tokenizer.special_token_ids == [0, 1, 2, 3, 4]
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    assert [tokenizer.token_to_id(token) for token in specials] == [0, 1, 2, 3, 4]
    assert tokenizer.token_to_id("no such piece") == tokenizer.unk_token_id


def test_fairseq_ids_equal_hugging_face(tokenizers, fairseq_model_dir):
    transformers = pytest.importorskip("transformers")
    # transformers 5 ignores `vocab_file=`; `from_pretrained` converts the
    # directory's sentencepiece.bpe.model like the XLM-R checkpoints'.
    reference = transformers.XLMRobertaTokenizer.from_pretrained(fairseq_model_dir)
    tokenizer = tokenizers["fairseq"]
    ids = tokenizer(tf.constant(PROBE_TEXTS)).to_list()
    with_specials = [[tokenizer.start_token_id, *row, tokenizer.end_token_id] for row in ids]
    assert with_specials == [reference(text)["input_ids"] for text in PROBE_TEXTS]
    assert 3 in ids[PROBE_TEXTS.index("unseen ꙮ character")]  # <unk>
    assert tokenizer.get_vocabulary() == reference.convert_ids_to_tokens(range(len(reference)))
    assert tokenizer.vocabulary_size() == len(reference)
    assert tokenizer.mask_token_id == reference.mask_token_id == len(reference) - 1
    assert tokenizer.special_token_ids == sorted(reference.all_special_ids)
    for token in ["<s>", "<pad>", "</s>", "<unk>", "<mask>", "▁", "世"]:
        assert tokenizer.token_to_id(token) == reference.convert_tokens_to_ids(token)
        assert tokenizer.id_to_token(tokenizer.token_to_id(token)) == token
    assert tokenizer.token_to_id("no such piece") == reference.unk_token_id


@pytest.mark.parametrize("convention", ["native", "fairseq"])
def test_same_ids_eagerly_in_tf_data_and_tf_function(tokenizers, convention):
    tokenizer = tokenizers[convention]
    eager = [tokenizer(text).numpy().tolist() for text in PROBE_TEXTS]
    mapped = tf.data.Dataset.from_tensor_slices(PROBE_TEXTS).map(tokenizer)
    assert [ids.tolist() for ids in mapped.as_numpy_iterator()] == eager
    batched = tf.data.Dataset.from_tensor_slices(PROBE_TEXTS).batch(5).map(tokenizer)
    assert [row for batch in batched for row in batch.to_list()] == eager
    traced = tf.function(tokenizer.tokenize)(tf.constant(PROBE_TEXTS))
    assert traced.to_list() == eager
    assert traced.dtype == tf.int32


def test_sequence_length_pads_with_the_pad_id(fairseq_model_file):
    tokenizer = XLMTokenizer(fairseq_model_file, id_convention="fairseq", sequence_length=6)
    ids = tokenizer(tf.constant(["Hello world!", ""])).numpy()
    assert ids.shape == (2, 6)
    assert ids[1].tolist() == [tokenizer.pad_token_id] * 6


@pytest.mark.parametrize("convention", ["native", "fairseq"])
def test_detokenize_round_trips_and_skips_special_ids(tokenizers, convention):
    tokenizer = tokenizers[convention]
    ids = tokenizer(tf.constant(ROUND_TRIP_TEXTS))
    assert decoded(tokenizer.detokenize(ids)) == ROUND_TRIP_TEXTS
    framed = [[0, *row, 2, 1, 1, tokenizer.mask_token_id] for row in ids.to_list()]
    assert decoded(tokenizer.detokenize(tf.ragged.constant(framed))) == ROUND_TRIP_TEXTS
    assert tokenizer.detokenize(ids[0]).numpy().decode() == ROUND_TRIP_TEXTS[0]
    traced = tf.function(tokenizer.detokenize)(ids)
    assert decoded(traced) == ROUND_TRIP_TEXTS


def test_id_convention_is_checked_against_the_model(native_model_file, fairseq_model_file):
    with pytest.raises(ValueError, match='pass id_convention="fairseq"'):
        XLMTokenizer(fairseq_model_file)
    with pytest.raises(ValueError, match='pass id_convention="native"'):
        XLMTokenizer(native_model_file, id_convention="fairseq")
    with pytest.raises(ValueError, match="id_convention must be one of"):
        XLMTokenizer(native_model_file, id_convention="hf")


def test_language_ids_in_python_and_in_graph(tokenizers):
    tokenizer = tokenizers["native"]
    assert tokenizer.language_id("fr") == LANGUAGES.index("fr")
    with pytest.raises(ValueError, match=r"'xx'.*\['ar', 'en'"):
        tokenizer.language_id("xx")
    codes = tf.constant(["zh", "ar", "en"])
    expected = [LANGUAGES.index(code) for code in ["zh", "ar", "en"]]
    assert tokenizer.language_ids(codes).numpy().tolist() == expected
    assert tf.function(tokenizer.language_ids)(codes).numpy().tolist() == expected
    dataset = tf.data.Dataset.from_tensor_slices(codes).map(tokenizer.language_ids)
    assert list(dataset.as_numpy_iterator()) == expected
    assert tokenizer.language_ids(tf.constant("he")).dtype == tf.int32

    bad = tf.constant(["en", "xx"])
    known = "known codes: ar, en, fr, he, hi, ru, zh"
    with pytest.raises(tf.errors.InvalidArgumentError, match=known + r"(.|\n)*xx"):
        tokenizer.language_ids(bad)
    with pytest.raises(tf.errors.InvalidArgumentError, match=known):
        tf.function(tokenizer.language_ids)(bad)
    with pytest.raises(tf.errors.InvalidArgumentError, match=known):
        list(tf.data.Dataset.from_tensor_slices(bad).map(tokenizer.language_ids))
    with pytest.raises(ValueError, match="has no languages"):
        tokenizers["fairseq"].language_ids(codes)


def test_preset_round_trip(tokenizers, tmp_path):
    tokenizer = tokenizers["native"]
    tokenizer.save_to_preset(str(tmp_path))
    assets = tmp_path / "assets" / "tokenizer"
    # The languages in one place: tokenizer.json.
    assert json.loads((tmp_path / "tokenizer.json").read_text())["config"]["languages"] == LANGUAGES
    assert os.listdir(assets) == ["vocabulary.spm"]
    assert (assets / "vocabulary.spm").read_bytes() == tokenizer.proto

    loaded = XLMTokenizer.from_preset(str(tmp_path))
    assert loaded.get_config() == tokenizer.get_config()
    texts = tf.constant(PROBE_TEXTS)
    assert loaded(texts).to_list() == tokenizer(texts).to_list()
    assert loaded.language_id("zh") == tokenizer.language_id("zh")

    # A model preset next to the tokenizer (what training writes).
    backbone = tiny_backbone(
        tokenizer.vocabulary_size(), num_layers=1, num_languages=len(LANGUAGES)
    )
    backbone.save_to_preset(str(tmp_path))
    assert XLMTokenizer.from_preset(str(tmp_path)).languages == LANGUAGES


def test_a_tokenizer_without_languages(tokenizers, tmp_path):
    tokenizers["fairseq"].save_to_preset(str(tmp_path))
    loaded = XLMTokenizer.from_preset(str(tmp_path))
    assert loaded.id_convention == "fairseq"
    assert loaded.languages == []


def test_keras_model_save_and_load(native_model_file, tmp_path):
    tokenizer = XLMTokenizer(native_model_file, languages=LANGUAGES, sequence_length=8)
    inputs = keras.Input(shape=(), dtype="string")
    outputs = keras.layers.Embedding(tokenizer.vocabulary_size(), 4)(tokenizer(inputs))
    model = keras.Model(inputs, outputs)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    texts = tf.constant(PROBE_TEXTS)
    np.testing.assert_allclose(loaded(texts), model(texts))
    assert loaded.layers[1].languages == LANGUAGES


def test_saved_model_gives_the_same_ids_with_core_and_sentencepiece_ops(tokenizers, tmp_path):
    tokenizer = tokenizers["fairseq"]

    class Module(tf.Module):
        def __init__(self):
            self.tokenizer = tokenizer

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def tokenize(self, text):
            ids = self.tokenizer(text)
            return {
                "token_ids": ids.to_tensor(tokenizer.pad_token_id),
                "lengths": ids.row_lengths(),
            }

    path = str(tmp_path / "saved_model")
    tf.saved_model.save(Module(), path)
    restored = tf.saved_model.load(path)
    outputs = restored.signatures["serving_default"](text=tf.constant(PROBE_TEXTS))
    ids = tf.RaggedTensor.from_tensor(outputs["token_ids"], lengths=outputs["lengths"])
    assert ids.to_list() == tokenizer(tf.constant(PROBE_TEXTS)).to_list()

    graph = restored.signatures["serving_default"].graph.as_graph_def()
    ops = {node.op for node in graph.node}
    ops |= {node.op for function in graph.library.function for node in function.node_def}
    not_core = {op for op in ops if not hasattr(tf.raw_ops, op)}
    assert not_core <= {"SentencepieceOp", "SentencepieceTokenizeOp"}
    assert not {op for op in ops if "RoundRobin" in op or "PyFunc" in op}
