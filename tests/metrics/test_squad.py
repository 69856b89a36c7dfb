"""normalize_answer / exact_match / f1_score / squad_metrics against values
worked out by hand from the SQuAD v1.1 and MLQA evaluation scripts."""

import pytest

from xlm_keras.metrics import exact_match
from xlm_keras.metrics import f1_score
from xlm_keras.metrics import normalize_answer
from xlm_keras.metrics import squad_metrics


@pytest.mark.parametrize(
    "text, language, normalized",
    [
        ("The  Quick, brown\tfox!", None, "quick brown fox"),
        ("An apple a day", None, "apple day"),
        ("Theatre Anne", None, "theatre anne"),
        ("«Hola» ¿qué?", None, "«hola» ¿qué"),
        ("«Hola» ¿qué?", "es", "hola qué"),
        ("El Museo del Prado", "es", "museo del prado"),
        ("Los Ángeles, unas casas", "es", "ángeles casas"),
        ("Die Geschichte des Landes", "de", "geschichte landes"),
        ("The «end».", "en", "end"),
        ("những cái bàn", "vi", "bàn"),
        ("الكتاب", "ar", "كتاب"),
        ("北京大学。", "zh", "北 京 大 学"),
        ("2008年 北京 Olympics", "zh", "2008 年 北 京 olympics"),
        ("東京タワー", "ja", "東 京 タ ワ ー"),
        ("", None, ""),
    ],
)
def test_normalize_answer(text, language, normalized):
    assert normalize_answer(text, language) == normalized


def test_unknown_language_is_rejected():
    with pytest.raises(ValueError, match="language='fr'.*language=None"):
        normalize_answer("le chat", "fr")


@pytest.mark.parametrize(
    "prediction, answers, language, expected",
    [
        ("the Eiffel Tower.", ["Eiffel tower"], None, 1.0),
        ("Eiffel", ["Eiffel Tower", "eiffel"], None, 1.0),
        ("Paris France", ["Paris"], None, 0.0),
        ("", ["Paris"], None, 0.0),
        ("El Prado", ["Prado"], "es", 1.0),
        ("El Prado", ["Prado"], None, 0.0),
        ("北京 大学", ["北京大学"], "zh", 1.0),
        ("北京 大学", ["北京大学"], None, 0.0),
    ],
)
def test_exact_match(prediction, answers, language, expected):
    assert exact_match(prediction, answers, language) == expected


@pytest.mark.parametrize(
    "prediction, answers, language, expected",
    [
        # [cat sat on mat] vs [cat on mat]: P 3/4, R 1.
        ("the cat sat on the mat", ["a cat on a mat"], None, 6 / 7),
        # Best of [york] (F1 1/2) and [new york city hall] (P 1, R 3/4).
        ("new york city", ["York", "New York City Hall"], None, 6 / 7),
        # Counts are clipped: common = {dog: 1, cat: 1}.
        ("dog dog cat", ["dog cat cat"], None, 2 / 3),
        ("", ["Paris"], None, 0.0),
        ("Paris", ["Paris"], None, 1.0),
        # [casa blanca] vs [casa]: P 1/2, R 1.
        ("la casa blanca", ["una casa"], "es", 2 / 3),
        # [la casa blanca] vs [una casa]: P 1/3, R 1/2.
        ("la casa blanca", ["una casa"], None, 2 / 5),
        # 北 京 大 学 vs 清 华 大 学: two common characters out of four.
        ("北京大学", ["清华大学"], "zh", 1 / 2),
        ("北京大学", ["清华大学"], None, 0.0),
    ],
)
def test_f1_score(prediction, answers, language, expected):
    assert f1_score(prediction, answers, language) == pytest.approx(expected)


def test_answer_that_normalizes_to_nothing():
    # As in the SQuAD v1.1 script: empty strings are equal, but F1 needs a common token.
    assert exact_match("The", ["a"]) == 1.0
    assert f1_score("The", ["a"]) == 0.0


@pytest.mark.parametrize("answers", ["Paris", []])
def test_answers_must_be_a_non_empty_list(answers):
    with pytest.raises(ValueError, match="non-empty list"):
        f1_score("Paris", answers)


def test_squad_metrics_counts_missing_predictions_as_zero():
    predictions = {"q1": "Eiffel Tower", "q2": "the cat sat on the mat", "q4": "unused"}
    references = {"q1": ["the Eiffel Tower"], "q2": ["a cat on a mat"], "q3": ["Paris"]}
    result = squad_metrics(predictions, references)
    assert result == {
        "exact_match": pytest.approx(100 / 3),
        "f1": pytest.approx(100 * (1 + 6 / 7) / 3),
        "count": 3,
    }


def test_squad_metrics_uses_the_language():
    result = squad_metrics({"q": "北京大学"}, {"q": ["清华大学"]}, language="zh")
    assert result == {"exact_match": 0.0, "f1": pytest.approx(50.0), "count": 1}


def test_squad_metrics_without_references():
    assert squad_metrics({}, {}) == {"exact_match": 0.0, "f1": 0.0, "count": 0}
