"""XLM's Moses pre-tokenisation in TensorFlow ops: raw text to the words BPE splits.

The same words as transformers' `XLMTokenizer._tokenize` before BPE, with only core
TensorFlow ops (RE2 rewrites, string splits, Unicode decoding), so the same function runs
eagerly, in `tf.function`, in `tf.data` and in a SavedModel that TF Serving loads.
"""

import tensorflow as tf

from xlm_keras.text.moses_normalize import PYTHON_SPACE
from xlm_keras.text.moses_normalize import is_one_of
from xlm_keras.text.moses_normalize import moses_pipeline
from xlm_keras.text.moses_normalize import normalize_romanian
from xlm_keras.text.moses_tokenize import moses_tokenize
from xlm_keras.text.python_unicode import MAX_STRIPPED_LENGTH
from xlm_keras.text.python_unicode import accent_stripping_table

#: Languages transformers segments with jieba, KyTea or pythainlp; their text comes
#: pre-segmented and is split on whitespace only (transformers' `bypass_tokenizer=True`).
PRESEGMENTED_LANGUAGES = ("zh", "ja", "th")


def remove_accents(texts):
    """Python's `"".join(c for c in NFD(text) if category(c) != "Mn")`, per code point.

    Args: texts: tf.string [B]. Returns: tf.string [B].
    """
    code_points, replacements = accent_stripping_table()
    chars = tf.strings.unicode_decode(texts, "UTF-8")
    flat = chars.flat_values
    code_points = tf.constant(code_points)
    index = tf.minimum(tf.searchsorted(code_points, flat), tf.size(code_points) - 1)
    found = tf.equal(tf.gather(code_points, index), flat)
    unchanged = tf.pad(flat[:, None], [[0, 0], [0, MAX_STRIPPED_LENGTH - 1]], constant_values=-1)
    expanded = tf.reshape(
        tf.where(found[:, None], tf.gather(tf.constant(replacements), index), unchanged), [-1]
    )
    rows = tf.repeat(chars.value_rowids(), MAX_STRIPPED_LENGTH)
    kept = expanded >= 0
    stripped = tf.RaggedTensor.from_value_rowids(
        tf.boolean_mask(expanded, kept), tf.boolean_mask(rows, kept), nrows=tf.size(texts, tf.int64)
    )
    return tf.strings.unicode_encode(stripped, "UTF-8")


def lowercase_without_accents(texts):
    """XLM's `lowercase_and_remove_accent` (as transformers has it): lower, NFD, drop Mn, lower."""
    texts = remove_accents(tf.strings.lower(texts, encoding="utf-8"))
    return tf.strings.lower(texts, encoding="utf-8")


def moses_words(texts, languages, *, lowercase_and_remove_accent=False):
    """XLM's Moses pre-tokenisation in TensorFlow ops.

    transformers' `XLMTokenizer._tokenize` up to BPE: `moses_pipeline` (Unicode punctuation,
    Moses punctuation normalisation, non-printing characters), Romanian preprocessing for
    "ro", Moses tokenisation with the language's rules (`escape=False`, no aggressive dash
    splits), then, for checkpoints trained so, lower case without accents. Languages whose
    rules sacremoses lacks fall back to its defaults (English non-breaking prefixes).
    Chinese, Japanese and Thai ("zh", "ja", "th") are split on whitespace only (neither
    normalised nor lower-cased), as transformers' `bypass_tokenizer=True` does: give them
    pre-segmented text (jieba, KyTea, pythainlp run outside the graph).

    Args:
        texts: tf.string [B].
        languages: tf.string [B] ISO codes (per text: they select the rules), or one code
            (a Python str or a scalar) for all.
        lowercase_and_remove_accent: lower-case and strip accents (transformers'
            `do_lowercase_and_remove_accent`).

    Returns: tf.RaggedTensor of tf.string [B, (words)].

    Example:
        >>> moses_words(tf.constant(["Hello, world!"]), "en").to_list()
        [[b'Hello', b',', b'world', b'!']]
    """
    texts = tf.convert_to_tensor(texts, tf.string)
    if texts.shape.rank != 1:
        raise ValueError(
            f"moses_words takes a batch of texts, tf.string [B]; got shape {texts.shape}. "
            "Wrap a single text in a list."
        )
    languages = tf.broadcast_to(tf.convert_to_tensor(languages, tf.string), tf.shape(texts))
    normalized = moses_pipeline(texts, languages)
    normalized = tf.where(tf.equal(languages, "ro"), normalize_romanian(normalized), normalized)
    words = moses_tokenize(normalized, languages)
    if lowercase_and_remove_accent:
        words = lowercase_without_accents(words)
    presegmented = tf.strings.regex_replace(texts, f"[{PYTHON_SPACE}]", " ")
    words = tf.where(is_one_of(languages, PRESEGMENTED_LANGUAGES), presegmented, words)
    return tf.strings.split(words)
