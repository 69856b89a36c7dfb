"""Moses' text normalisation as XLM applies it, in TensorFlow ops.

The steps of transformers' `XLMTokenizer.moses_pipeline` (`replace_unicode_punct`,
sacremoses' `MosesPunctNormalizer(lang).normalize`, `remove_non_printing_char`) and its
Romanian preprocessing, written as RE2 rewrites (`tf.strings.regex_replace`) that run in a
graph. Python's `\\s` and `\\d` match Unicode whitespace and digits; the patterns here spell
them out (`PYTHON_SPACE`, `DIGIT`), since RE2's are ASCII only.
"""

import functools

import tensorflow as tf

from xlm_keras.text.python_unicode import category_class

#: The characters Python's `\\s`, `str.split()` and `str.strip()` treat as whitespace, as an
#: RE2 class body.
PYTHON_SPACE = (
    r"\t\n\x{b}\x{c}\r\x{1c}-\x{1f} \x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}"
    r"\x{202f}\x{205f}\x{3000}"
)


# transformers' replace_unicode_punct, in its order: (pattern, rewrite).
_UNICODE_PUNCTUATION = [
    ("，", ","),
    (f"。[{PYTHON_SPACE}]*", ". "),
    ("、", ","),
    ("”", '"'),
    ("“", '"'),
    ("∶", ":"),
    ("：", ":"),
    ("？", "?"),
    ("《", '"'),
    ("》", '"'),
    ("）", ")"),
    ("！", "!"),
    ("（", "("),
    ("；", ";"),
    ("１", "1"),
    ("」", '"'),
    ("「", '"'),
    ("０", "0"),
    ("３", "3"),
    ("２", "2"),
    ("５", "5"),
    ("６", "6"),
    ("９", "9"),
    ("７", "7"),
    ("８", "8"),
    ("４", "4"),
    (f"．[{PYTHON_SPACE}]*", ". "),
    ("～", "~"),
    ("’", "'"),
    ("…", "..."),
    ("━", "-"),
    ("〈", "<"),
    ("〉", ">"),
    ("【", "["),
    ("】", "]"),
    ("％", "%"),
]

# MosesPunctNormalizer's rules for every language, with its defaults (penn, quote commas,
# numbers), in its order. Its "letter ‘ letter" and "letter ’ letter" rules are left out:
# the unconditional ‘ and ’ rules after them give the same text.
_PUNCTUATION_ALL_LANGUAGES = (
    # Extra whitespace.
    ("\r", ""),
    (r"\(", " ("),
    (r"\)", ") "),
    (" +", " "),
    (r"\) ([.!:?;,])", r")\1"),
    (r"\( ", "("),
    (r" \)", ")"),
    ("(DIGIT) %", r"\1%"),
    (" :", ":"),
    (" ;", ";"),
    # Penn Treebank quotes.
    ("`", "'"),
    ("''", ' " '),
    # Unicode quotes and dashes.
    ("„", '"'),
    ("“", '"'),
    ("”", '"'),
    ("–", "-"),
    ("—", " - "),
    (" +", " "),
    ("´", "'"),
    ("‘", "'"),
    ("‚", "'"),
    ("’", "'"),
    ("''", '"'),
    ("´´", '"'),
    ("…", "..."),
    # French quotes.
    ("\u00a0«\u00a0", '"'),
    ("«\u00a0", '"'),
    ("«", '"'),
    ("\u00a0»\u00a0", '"'),
    ("\u00a0»", '"'),
    ("»", '"'),
    # Pseudo-spaces.
    ("\u00a0%", "%"),
    ("nº\u00a0", "nº "),
    ("\u00a0:", ":"),
    ("\u00a0ºC", " ºC"),
    ("\u00a0cm", " cm"),
    ("\u00a0\\?", "?"),
    ("\u00a0!", "!"),
    ("\u00a0;", ";"),
    (",\u00a0", ", "),
    (" +", " "),
)
_QUOTE_COMMAS_ENGLISH = [(r'"([,.]+)', r'\1"')]
_QUOTE_COMMAS_GERMAN_SPANISH_FRENCH = [(',"', '",'), (f'(\\.+)"([{PYTHON_SPACE}]*[^<])', r'"\1\2')]
_DECIMAL_COMMA_LANGUAGES = ("de", "es", "cz", "cs", "fr")
_NUMBERS_DECIMAL_COMMA = (("(DIGIT)\u00a0(DIGIT)", r"\1,\2"),)
_NUMBERS_DECIMAL_POINT = (("(DIGIT)\u00a0(DIGIT)", r"\1.\2"),)

# Sennrich's WMT16 normalise-romanian.py then remove-diacritics.py, as transformers'
# romanian_preprocessing applies them.
_ROMANIAN = [
    ("\u015e", "\u0218"),
    ("\u015f", "\u0219"),
    ("\u0162", "\u021a"),
    ("\u0163", "\u021b"),
    ("\u0218", "S"),
    ("\u0219", "s"),
    ("\u021a", "T"),
    ("\u021b", "t"),
    ("\u0102", "A"),
    ("\u0103", "a"),
    ("\u00c2", "A"),
    ("\u00e2", "a"),
    ("\u00ce", "I"),
    ("\u00ee", "i"),
]


@functools.cache
def _with_digits(rules):
    """The rules with "DIGIT" standing for Python's `\\d` (category Nd) spelt out."""
    digit = f"[{category_class(('Nd',))}]"
    return tuple((pattern.replace("DIGIT", digit), replacement) for pattern, replacement in rules)


def rewrite(texts, rules):
    """Apply `(pattern, rewrite)` RE2 rules in order, each to every match. tf.string [B]."""
    for pattern, replacement in rules:
        texts = tf.strings.regex_replace(texts, pattern, replacement)
    return texts


def strip_spaces(texts):
    """Python's `str.strip()`: remove leading and trailing Unicode whitespace."""
    return tf.strings.regex_replace(texts, f"^[{PYTHON_SPACE}]+|[{PYTHON_SPACE}]+$", "")


def is_one_of(languages, codes):
    """bool [B]: whether each language code is one of `codes`."""
    return tf.reduce_any(tf.equal(languages[:, None], tf.constant(codes)[None, :]), axis=1)


def normalize_punctuation(texts, languages):
    """sacremoses' `MosesPunctNormalizer(lang).normalize(text)`, lang per text.

    Args: texts: tf.string [B]; languages: tf.string [B].
    Returns: tf.string [B].
    """
    texts = rewrite(texts, _with_digits(_PUNCTUATION_ALL_LANGUAGES))
    texts = tf.where(
        tf.equal(languages, "en"),
        rewrite(texts, _QUOTE_COMMAS_ENGLISH),
        tf.where(
            is_one_of(languages, ("de", "es", "fr")),
            rewrite(texts, _QUOTE_COMMAS_GERMAN_SPANISH_FRENCH),
            texts,
        ),
    )
    texts = tf.where(
        is_one_of(languages, _DECIMAL_COMMA_LANGUAGES),
        rewrite(texts, _with_digits(_NUMBERS_DECIMAL_COMMA)),
        rewrite(texts, _with_digits(_NUMBERS_DECIMAL_POINT)),
    )
    return strip_spaces(texts)


def moses_pipeline(texts, languages):
    """transformers' `XLMTokenizer.moses_pipeline(text, lang)`, lang per text.

    Unicode punctuation to ASCII, Moses punctuation normalisation, then removal of control,
    format, private-use and unassigned characters (Python's categories C*).

    Args: texts: tf.string [B]; languages: tf.string [B].
    Returns: tf.string [B].
    """
    texts = rewrite(texts, _UNICODE_PUNCTUATION)
    texts = normalize_punctuation(texts, languages)
    non_printing = category_class(("Cc", "Cf", "Co", "Cn"))
    return tf.strings.regex_replace(texts, f"[{non_printing}]", "")


def normalize_romanian(texts):
    """transformers' `romanian_preprocessing`: cedillas to commas, then no diacritics."""
    return rewrite(texts, _ROMANIAN)
