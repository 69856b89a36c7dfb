"""`XLMBPETokenizer` against transformers' `XLMTokenizer` on BPE codes
learned on the sample corpus, in both file formats."""

import pytest
import tensorflow as tf

from tests import bpe_fixtures
from tests.helpers import tiny_backbone
from xlm_keras.convert.bpe_files import fastbpe_vocabulary
from xlm_keras.models import XLMBPETokenizer
from xlm_keras.models import XLMMaskedLMPreprocessor
from xlm_keras.models import XLMTokenClassifierPreprocessor
from xlm_keras.models import XLMTokenizer
from xlm_keras.models.preset_files import check_tokenizer_fits
from xlm_keras.models.xlm_bpe_tokenizer import SPECIAL_TOKENS
from xlm_keras.text.bpe import bpe_pieces
from xlm_keras.text.bpe import merge_ranks
from xlm_keras.text.moses import PRESEGMENTED_LANGUAGES
from xlm_keras.text.packing import pack_text


@pytest.fixture(scope="module")
def bpe_dir(tmp_path_factory):
    return bpe_fixtures.sample_bpe_files(str(tmp_path_factory.mktemp("bpe")))


@pytest.fixture(scope="module")
def test_lines():
    return bpe_fixtures.sample_lines("test", limit=20)


def _tokenizers(bpe_dir, languages, lowercase=False):
    """The tokenizer from transformers' files and from fastBPE's."""
    return {
        "vocab.json + merges.txt": XLMBPETokenizer(
            vocabulary=f"{bpe_dir}/vocab.json",
            merges=f"{bpe_dir}/merges.txt",
            languages=languages,
            lowercase_and_remove_accent=lowercase,
        ),
        "codes + vocab": XLMBPETokenizer(
            vocabulary=fastbpe_vocabulary(f"{bpe_dir}/vocab"),
            merges=f"{bpe_dir}/codes",
            languages=languages,
            lowercase_and_remove_accent=lowercase,
        ),
    }


@pytest.mark.parametrize("lowercase", [False, True])
def test_ids_equal_transformers_on_every_language(bpe_dir, test_lines, lowercase):
    languages = sorted(test_lines)
    reference = bpe_fixtures.hf_tokenizer(bpe_dir, languages, lowercase=lowercase)
    codes = [code for code in languages for _ in test_lines[code]]
    lines = [line for code in languages for line in test_lines[code]]
    expected = [
        reference.convert_tokens_to_ids(
            reference._tokenize(line, lang=code, bypass_tokenizer=code in PRESEGMENTED_LANGUAGES)
        )
        for line, code in zip(lines, codes)
    ]
    assert any(reference.unk_token_id in ids for ids in expected)  # Unseen characters.
    for name, tokenizer in _tokenizers(bpe_dir, languages, lowercase).items():
        got = tokenizer.tokenize(tf.constant(lines), tf.constant(codes)).to_list()
        wrong = [(code, line) for code, line, a, b in zip(codes, lines, got, expected) if a != b]
        assert not wrong, (name, wrong[:3])


def test_merges_overlapping_pairs_left_to_right():
    # "a a a a a</w>": the runs of "a a" merge from the left (aa, aa, a</w>),
    # and "a a</w>" waits for its rank after "a a" in "aaaa".
    ranks = merge_ranks([("a", "a"), ("a", "a</w>")])
    pieces = bpe_pieces(tf.ragged.constant([["aaaaa", "aaaa"], []]), ranks)
    assert pieces.to_list() == [[b"aa", b"aa", b"a</w>", b"aa", b"aa</w>"], []]


def test_detokenize_as_transformers(bpe_dir, test_lines):
    lines = test_lines["fr"][:5]
    reference = bpe_fixtures.hf_tokenizer(bpe_dir, ["fr"])
    tokenizer = _tokenizers(bpe_dir, ["fr"])["vocab.json + merges.txt"]
    ids = tokenizer.tokenize(lines)
    framed = tf.concat([tf.fill([ids.nrows(), 1], 0), ids, tf.fill([ids.nrows(), 1], 1)], 1)
    expected = [
        reference.convert_tokens_to_string(
            reference.convert_ids_to_tokens(row, skip_special_tokens=True)
        )
        for row in ids.to_list()
    ]
    assert [t.decode() for t in tokenizer.detokenize(framed).numpy()] == expected


def test_special_ids_as_xlm_and_preset_round_trip(bpe_dir, tmp_path):
    tokenizer = _tokenizers(bpe_dir, ["en", "fr"])["vocab.json + merges.txt"]
    reference = bpe_fixtures.hf_tokenizer(bpe_dir, ["en", "fr"])
    assert (tokenizer.start_token_id, tokenizer.end_token_id) == (
        reference.bos_token_id,
        reference.sep_token_id,
    )
    assert (tokenizer.pad_token_id, tokenizer.unk_token_id, tokenizer.mask_token_id) == (
        reference.pad_token_id,
        reference.unk_token_id,
        reference.mask_token_id,
    )
    assert tokenizer.special_token_ids == list(range(len(SPECIAL_TOKENS)))
    tokenizer.save_to_preset(str(tmp_path))
    reloaded = XLMTokenizer.from_preset(str(tmp_path))  # The class tokenizer.json names.
    assert isinstance(reloaded, XLMBPETokenizer)
    assert reloaded.languages == ["en", "fr"]
    text = ["Le café est très chaud ce matin."]
    assert reloaded.tokenize(text).to_list() == tokenizer.tokenize(text).to_list()
    assert reloaded.language_ids(tf.constant(["fr"])).numpy().tolist() == [1]
    relisted = reloaded.with_languages(["de"])  # Language centering of a task's languages.
    assert relisted.language_id("de") == 0
    assert relisted.tokenize(text).to_list() == tokenizer.tokenize(text).to_list()


def test_refuses_a_vocabulary_without_xlm_special_ids():
    with pytest.raises(ValueError, match=r"XLM's special tokens need XLM's ids"):
        XLMBPETokenizer(vocabulary={"<pad>": 0, "<s>": 1, "</s>": 2, "<unk>": 3}, merges=[])


def test_a_pair_is_tokenized_with_each_sentence_language(bpe_dir):
    tokenizer = _tokenizers(bpe_dir, ["en", "fr"])["vocab.json + merges.txt"]
    french = tokenizer.tokenize(["l'homme"], "fr").to_list()[0]
    assert french != tokenizer.tokenize(["l'homme"], "en").to_list()[0]  # Moses' apostrophes.
    english = tokenizer.tokenize(["I'm here"], "en").to_list()[0]
    packed = pack_text(
        tokenizer,
        tf.constant(["I'm here"]),
        32,
        "xlm",
        text_pair=tf.constant(["l'homme"]),
        language=tf.constant(["en"]),
        pair_language=tf.constant(["fr"]),
    )
    end = tokenizer.end_token_id
    expected = [end, *english, end, end, *french, end]
    assert packed["token_ids"][0, : len(expected)].numpy().tolist() == expected


def test_words_and_masked_text_are_tokenized_in_their_language(bpe_dir):
    tokenizer = _tokenizers(bpe_dir, ["en", "fr"])["vocab.json + merges.txt"]
    french = tokenizer.tokenize(["l'homme"], "fr").to_list()[0]
    tagger = XLMTokenClassifierPreprocessor(tokenizer, sequence_length=16)
    inputs, _ = tagger.pack_words(tf.ragged.constant([["l'homme"]]), tf.constant(["fr"]))
    assert inputs["token_ids"][0, 1 : 1 + len(french)].numpy().tolist() == french
    masked = XLMMaskedLMPreprocessor(tokenizer, sequence_length=16).fill_mask_inputs(
        {"text": tf.constant(["l'homme <mask>"]), "language": tf.constant(["fr"])}
    )
    expected = [*french, tokenizer.mask_token_id]
    assert masked["token_ids"][0, 1 : 1 + len(expected)].numpy().tolist() == expected


def test_a_vocabulary_of_another_size_is_refused_naming_vocab_json(bpe_dir, tmp_path):
    tokenizer = _tokenizers(bpe_dir, [])["vocab.json + merges.txt"]
    backbone = tiny_backbone(tokenizer.vocabulary_size() + 1, num_languages=1)
    with pytest.raises(ValueError, match=r"vocab\.json gives \d+ token ids"):
        check_tokenizer_fits(tokenizer, backbone, str(tmp_path))
