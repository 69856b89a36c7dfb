"""Moses' word tokenizer in TensorFlow ops: sacremoses' `MosesTokenizer(lang).tokenize`.

As transformers' `XLMTokenizer.moses_tokenize` calls it (`escape=False`, no aggressive dash
splits, no protected patterns). The character rules are RE2 rewrites with sacremoses'
Perl-property classes (`moses_data`). The non-breaking prefix rule is per token: the text
is split into a ragged tensor, each token ending in "." is checked against the language's
prefixes and its neighbour, and the tokens are joined again.

sacremoses marks runs of dots with a letter placeholder (`DOTDOTMULTI`) so that the later
rules leave them alone; here they stay dots, padded with spaces as the placeholder is, and
the prefix rule skips tokens made of dots only, which is the one rule that would see them.
"""

import functools

import tensorflow as tf

from xlm_keras.text import moses_data
from xlm_keras.text.moses_normalize import PYTHON_SPACE
from xlm_keras.text.moses_normalize import is_one_of
from xlm_keras.text.moses_normalize import rewrite
from xlm_keras.text.moses_normalize import strip_spaces

_ALNUM = moses_data.IS_ALNUM
_ALPHA = moses_data.IS_ALPHA
_NUMBER = moses_data.IS_N

_PAD_NOT_ALNUM = [(f"([^{_ALNUM}{PYTHON_SPACE}.'`,\\-])", r" \1 ")]
# sacremoses counts Hangul as letters for Korean only.
_PAD_NOT_ALNUM_KOREAN = [(f"([^{_ALNUM}{moses_data.HANGUL}{PYTHON_SPACE}.'`,\\-])", r" \1 ")]
_MULTIDOTS_AND_COMMAS = [
    (r"\.\.+", r" \0 "),
    (f"([^{_NUMBER}]),", r"\1 , "),
    (f",([^{_NUMBER}])", r" , \1"),
    (f"([{_NUMBER}]),$", r"\1 , "),
]
_APOSTROPHES_ENGLISH = [
    (f"([^{_ALPHA}])'([^{_ALPHA}])", r"\1 ' \2"),
    (f"([^{_ALPHA}{_NUMBER}])'([{_ALPHA}])", r"\1 ' \2"),
    (f"([{_ALPHA}])'([^{_ALPHA}])", r"\1 ' \2"),
    (f"([{_ALPHA}])'([{_ALPHA}])", r"\1 '\2"),
    (f"([{_NUMBER}])'(s)", r"\1 '\2"),
]
_APOSTROPHES_FRENCH_ITALIAN = [
    (f"([^{_ALPHA}])'([^{_ALPHA}])", r"\1 ' \2"),
    (f"([^{_ALPHA}])'([{_ALPHA}])", r"\1 ' \2"),
    (f"([{_ALPHA}])'([^{_ALPHA}])", r"\1 ' \2"),
    (f"([{_ALPHA}])'([{_ALPHA}])", r"\1' \2"),
]
_APOSTROPHES_OTHER = [("'", " ' ")]
_TRAILING_PERIOD_QUOTE = [(r"\.' ?$", " . ' ")]

_PLAIN, _NUMERIC_ONLY = 1, 2
_PREFIX_LANGUAGES = tuple(sorted(moses_data.NONBREAKING_PREFIXES))


@functools.cache
def prefix_table():
    """(keys, kinds): "language<TAB>prefix" and its kind, for every listed prefix."""
    keys, kinds = [], []
    for language, lists in sorted(moses_data.NONBREAKING_PREFIXES.items()):
        for kind, prefixes in zip((_PLAIN, _NUMERIC_ONLY), lists):
            keys += [f"{language}\t{prefix}" for prefix in prefixes.split()]
            kinds += [kind] * len(prefixes.split())
    return keys, kinds


_HASH_BUCKETS = 2**63 - 1


def prefix_kinds(language_prefixes):
    """Look "language<TAB>prefix" strings up in the prefix lists, without a table resource.

    Keys are sorted by their 64-bit fingerprint and searched with `tf.searchsorted`; a hit
    is confirmed by comparing the strings, so a fingerprint collision cannot mislabel.

    Args: language_prefixes: tf.string [N].
    Returns: int32 [N]: 1 plain prefix, 2 prefix before numbers only, 0 neither.
    """
    keys, kinds = prefix_table()
    keys = tf.constant(keys)
    key_hashes = tf.strings.to_hash_bucket_fast(keys, _HASH_BUCKETS)
    order = tf.argsort(key_hashes)
    query_hashes = tf.strings.to_hash_bucket_fast(language_prefixes, _HASH_BUCKETS)
    index = tf.searchsorted(tf.gather(key_hashes, order), query_hashes)
    candidate = tf.gather(order, tf.minimum(index, len(kinds) - 1))
    found = tf.equal(tf.gather(keys, candidate), language_prefixes)
    return tf.where(found, tf.gather(tf.constant(kinds), candidate), 0)


def _full_match(tokens, pattern):
    return tf.strings.regex_full_match(tokens, "(?s)" + pattern)


def keep_nonbreaking_periods(texts, languages):
    """sacremoses' `handles_nonbreaking_prefixes`: split the final "." off a token unless...

    the token's prefix has a "." and a letter, or is a plain non-breaking prefix of the
    language, or the next token starts with a lower-case letter, or the prefix is a
    numeric-only prefix and the next token starts with a digit. Languages without a list
    use English's.

    Args: texts: tf.string [B], tokens separated by spaces; languages: tf.string [B].
    Returns: tf.string [B], tokens joined by single spaces.
    """
    tokens = tf.strings.split(texts)
    flat = tokens.flat_values
    rows = tokens.value_rowids()
    token_languages = tf.gather(languages, rows)
    position = tf.range(tf.size(flat, out_type=tf.int64)) - tf.gather(tokens.row_starts(), rows)
    is_last = tf.equal(position, tf.gather(tokens.row_lengths(), rows) - 1)
    following = tf.concat([flat[1:], [""]], axis=0)
    prefix = tf.strings.regex_replace(flat, r"\.$", "")

    ends_with_period = _full_match(flat, r".+\.") & ~_full_match(flat, r"\.+")
    prefix_language = tf.where(is_one_of(token_languages, _PREFIX_LANGUAGES), token_languages, "en")
    kind = prefix_kinds(prefix_language + "\t" + prefix)
    has_letter = tf.where(
        tf.equal(token_languages, "ko"),
        _full_match(prefix, f".*[{_ALPHA}{moses_data.HANGUL}].*"),
        _full_match(prefix, f".*[{_ALPHA}].*"),
    )
    dotted_word = _full_match(prefix, r".*\..*") & has_letter
    next_lower = ~is_last & _full_match(following, f"[{moses_data.IS_LOWER}].*")
    next_number = ~is_last & _full_match(following, "[0-9].*")
    keep = (
        dotted_word
        | tf.equal(kind, _PLAIN)
        | next_lower
        | (tf.equal(kind, _NUMERIC_ONLY) & next_number)
    )
    flat = tf.where(ends_with_period & ~keep, prefix + " .", flat)
    return tf.strings.reduce_join(tokens.with_flat_values(flat), axis=1, separator=" ")


def moses_tokenize(texts, languages):
    """`MosesTokenizer(lang).tokenize(text, escape=False, return_str=True)`, lang per text.

    Args: texts: tf.string [B], normalised (`moses_normalize.moses_pipeline`);
        languages: tf.string [B].
    Returns: tf.string [B], the tokens joined by single spaces.
    """
    texts = tf.strings.regex_replace(texts, f"[{PYTHON_SPACE}]+", " ")
    texts = strip_spaces(tf.strings.regex_replace(texts, r"[\x00-\x1f]", ""))
    korean = tf.equal(languages, "ko")
    texts = tf.where(korean, rewrite(texts, _PAD_NOT_ALNUM_KOREAN), rewrite(texts, _PAD_NOT_ALNUM))
    texts = rewrite(texts, _MULTIDOTS_AND_COMMAS)
    texts = tf.where(
        tf.equal(languages, "en"),
        rewrite(texts, _APOSTROPHES_ENGLISH),
        tf.where(
            is_one_of(languages, ("fr", "it")),
            rewrite(texts, _APOSTROPHES_FRENCH_ITALIAN),
            rewrite(texts, _APOSTROPHES_OTHER),
        ),
    )
    texts = keep_nonbreaking_periods(texts, languages)
    return rewrite(texts, _TRAILING_PERIOD_QUOTE)
