"""Exact match and token F1 of extracted answers, as SQuAD v1.1 and MLQA score them.

`language=None` is the SQuAD v1.1 script (XQuAD uses it for every
language): lowercase, drop ASCII punctuation and the English articles
a/an/the, collapse whitespace. A language code selects MLQA's variant: drop
Unicode punctuation (categories P*) and ASCII punctuation, then that
language's articles:

    en          a an the
    es          un una unos unas el la los las
    de          ein eine einem einen einer eines der die das des dem den
    vi          của là cái chiếc những
    ar          every "ال", anywhere in a word (as MLQA's script does)
    hi, zh, ja  none

For `zh` and `ja` the answer is then split into single CJK characters and
whitespace-separated runs of everything else (MLQA's "mixed segmentation"),
so both F1 and exact match ignore spaces between CJK characters. The CJK
characters are ideographs (U+3400-4DBF, U+4E00-9FFF, U+F900-FAFF) and kana
(U+3040-30FF), a superset of MLQA's U+4E00-9FA5.
"""

import re
import string
import unicodedata
from collections import Counter

_ASCII_PUNCTUATION = frozenset(string.punctuation)


def _articles(*words):
    return re.compile(r"\b(" + "|".join(words) + r")\b")


_ARTICLES = {
    "en": _articles("a", "an", "the"),
    "es": _articles("un", "una", "unos", "unas", "el", "la", "los", "las"),
    "de": _articles(
        "ein", "eine", "einem", "einen", "einer", "eines", "der", "die", "das", "des", "dem", "den"
    ),
    "vi": _articles("của", "là", "cái", "chiếc", "những"),
    "ar": re.compile("ال"),
    "hi": None,
    "zh": None,
    "ja": None,
}
_MIXED_SEGMENTATION = ("zh", "ja")
_CJK = re.compile("([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff])")


def normalize_answer(text, language=None):
    """SQuAD v1.1 (`language=None`) or MLQA normalisation of one answer.

    Args:
        text: str.
        language: None, or one of en es de vi ar hi zh ja.

    Returns: str, its tokens joined by single spaces.
    """
    if language is not None and language not in _ARTICLES:
        raise ValueError(
            f"No MLQA normalisation for language={language!r}. Use one of "
            f"{sorted(_ARTICLES)}, or language=None for SQuAD v1.1's."
        )
    articles = _ARTICLES["en"] if language is None else _ARTICLES[language]
    text = "".join(
        char
        for char in text.lower()
        if char not in _ASCII_PUNCTUATION
        and (language is None or not unicodedata.category(char).startswith("P"))
    )
    if articles is not None:
        text = articles.sub(" ", text)
    if language in _MIXED_SEGMENTATION:
        text = _CJK.sub(r" \1 ", text)
    return " ".join(text.split())


def _check_answers(answers):
    if isinstance(answers, str) or not answers:
        raise ValueError(
            f"`answers` must be a non-empty list of gold answer strings. Received: "
            f"{answers!r}. Wrap a single answer in a list."
        )


def _token_f1(prediction_tokens, answer_tokens):
    common = sum((Counter(prediction_tokens) & Counter(answer_tokens)).values())
    if common == 0:
        return 0.0
    precision = common / len(prediction_tokens)
    recall = common / len(answer_tokens)
    return 2 * precision * recall / (precision + recall)


def exact_match(prediction, answers, language=None):
    """1.0 if the normalised prediction equals any normalised gold answer, else 0.0.

    Args:
        prediction: str.
        answers: non-empty list of str, the gold answers.
        language: as in `normalize_answer`.
    """
    _check_answers(answers)
    normalized = normalize_answer(prediction, language)
    return float(any(normalized == normalize_answer(answer, language) for answer in answers))


def f1_score(prediction, answers, language=None):
    """Best token-overlap F1 (0..1) of the prediction against any gold answer.

    Tokens are the normalised text split on spaces; an empty prediction or
    answer scores 0.0, as in the SQuAD v1.1 script.

    Args: as `exact_match`.
    """
    _check_answers(answers)
    prediction_tokens = normalize_answer(prediction, language).split()
    return max(
        _token_f1(prediction_tokens, normalize_answer(answer, language).split())
        for answer in answers
    )


def squad_metrics(predictions, references, language=None):
    """Mean exact match and F1 over a data set, in percent.

    Args:
        predictions: dict, question id -> predicted answer str. Ids missing
            here score 0 (as in the official scripts); ids not in
            `references` are ignored.
        references: dict, question id -> non-empty list of gold answer str.
        language: as in `normalize_answer`.

    Returns: dict with `exact_match` and `f1` in 0..100 (0.0 when
    `references` is empty) and `count`, the number of references.
    """
    exact, f1 = 0.0, 0.0
    for question_id, answers in references.items():
        if question_id in predictions:
            exact += exact_match(predictions[question_id], answers, language)
            f1 += f1_score(predictions[question_id], answers, language)
    count = len(references)
    scale = 100.0 / count if count else 0.0
    return {"exact_match": exact * scale, "f1": f1 * scale, "count": count}
