"""The tables behind moses_words: the shipped Moses data equals sacremoses', the Unicode
classes equal Python's, the prefix lookup finds every key, accent removal equals Python's."""

import re
import unicodedata

import pytest
import tensorflow as tf
from sacremoses.corpus import NonbreakingPrefixes
from sacremoses.tokenize import MosesTokenizer

from xlm_keras.text import moses_data
from xlm_keras.text.moses import remove_accents
from xlm_keras.text.moses_normalize import PYTHON_SPACE
from xlm_keras.text.moses_tokenize import prefix_kinds
from xlm_keras.text.moses_tokenize import prefix_table
from xlm_keras.text.python_unicode import accent_stripping_table
from xlm_keras.text.python_unicode import category_class


def _class_chars(body):
    """The characters of an RE2 class body written as \\x{..} items."""
    chars = set()
    for low, high in re.findall(r"\\x\{([0-9a-f]+)\}(?:-\\x\{([0-9a-f]+)\})?", body):
        chars.update(map(chr, range(int(low, 16), int(high or low, 16) + 1)))
    return chars


@pytest.mark.parametrize(
    "name, sacremoses_chars",
    [
        ("IS_N", MosesTokenizer.IsN),
        ("IS_ALNUM", MosesTokenizer.IsAlnum),
        ("IS_ALPHA", MosesTokenizer.IsAlpha),
        ("IS_LOWER", MosesTokenizer.IsLower),
    ],
)
def test_character_classes_are_sacremoses(name, sacremoses_chars):
    assert _class_chars(getattr(moses_data, name)) == set(sacremoses_chars)


def test_korean_letters_are_sacremoses():
    korean = MosesTokenizer("ko")
    hangul = _class_chars(moses_data.HANGUL)
    assert set(korean.IsAlpha) == set(MosesTokenizer.IsAlpha) | hangul
    assert set(korean.IsAlnum) == set(MosesTokenizer.IsAlnum) | hangul


def test_prefix_lists_are_sacremoses():
    for language, (plain, numeric_only) in moses_data.NONBREAKING_PREFIXES.items():
        lines = list(NonbreakingPrefixes().words(language))
        expected_numeric = {line.split()[0] for line in lines if "#NUMERIC_ONLY#" in line}
        expected_plain = {line for line in lines if " " not in line} - expected_numeric
        assert (set(plain.split()), set(numeric_only.split())) == (
            expected_plain,
            expected_numeric,
        ), language
    assert {"en", "fr", "de", "es", "el", "ru", "pl", "cs", "nl", "it", "pt", "ro"} <= set(
        moses_data.NONBREAKING_PREFIXES
    )


def test_prefix_kinds_finds_every_key_and_nothing_else():
    keys, expected_kinds = prefix_table()
    kinds = prefix_kinds(tf.constant(keys)).numpy().tolist()
    assert kinds == expected_kinds
    assert set(kinds) == {1, 2}
    misses = ["en\tNoSuchPrefix", "xx\tMr", "Mr", "", "en\tmr", "fr\tMr"]
    assert prefix_kinds(tf.constant(misses)).numpy().tolist() == [0] * len(misses)
    hashes = tf.strings.to_hash_bucket_fast(keys, 2**63 - 1).numpy()
    assert len(set(hashes.tolist())) == len(keys)


def test_python_space_is_what_python_calls_whitespace():
    candidates = [
        chr(point)
        for point in range(0x110000)
        if unicodedata.category(chr(point)) in ("Zs", "Zl", "Zp", "Cc", "Cf")
    ]
    matches = tf.strings.regex_full_match(candidates, f"[{PYTHON_SPACE}]").numpy().tolist()
    assert [char for char, match in zip(candidates, matches) if match] == [
        char for char in candidates if char.isspace()
    ]


def test_digit_class_is_python_regex_digit():
    chars = _class_chars(category_class(("Nd",)))
    assert chars == {chr(p) for p in range(0x110000) if re.fullmatch(r"\d", chr(p))}


def test_remove_accents_is_python_nfd_without_marks():
    code_points, _ = accent_stripping_table()
    text = "".join(map(chr, code_points)) + "Ça ÉTÉ naïve Ωμέγα 한국어 İ ǅ ﬁ x"
    expected = "".join(
        c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn"
    )
    assert remove_accents(tf.constant([text, ""])).numpy().tolist() == [expected.encode(), b""]
