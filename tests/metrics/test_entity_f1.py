"""entity_spans / entity_f1: conlleval span rules, hand-computed scores, and
agreement with seqeval's default mode on random tag sequences."""

import random

import pytest
from seqeval.metrics import f1_score
from seqeval.metrics import precision_score
from seqeval.metrics import recall_score
from seqeval.metrics.sequence_labeling import get_entities
from seqeval.metrics.sequence_labeling import precision_recall_fscore_support

from xlm_keras.metrics import entity_f1
from xlm_keras.metrics import entity_spans


@pytest.mark.parametrize(
    "tags, spans",
    [
        ([], []),
        (["O", "O"], []),
        (["B-PER", "I-PER", "O", "B-LOC"], [("PER", 0, 2), ("LOC", 3, 4)]),
        (["O", "I-PER", "I-PER", "O"], [("PER", 1, 3)]),
        (["B-PER", "I-LOC", "I-LOC"], [("PER", 0, 1), ("LOC", 1, 3)]),
        (["B-PER", "B-PER", "I-PER"], [("PER", 0, 1), ("PER", 1, 3)]),
        (["I-PER", "B-PER"], [("PER", 0, 1), ("PER", 1, 2)]),
        (
            ["S-PER", "B-LOC", "I-LOC", "E-LOC", "E-LOC", "I-LOC"],
            [("PER", 0, 1), ("LOC", 1, 4), ("LOC", 4, 5), ("LOC", 5, 6)],
        ),
        (["B-MISC-X", "I-MISC-X"], [("MISC-X", 0, 2)]),
    ],
)
def test_spans_follow_conlleval(tags, spans):
    assert entity_spans(tags) == spans


@pytest.mark.parametrize("tag", ["X-PER", "B_PER", "B-", "PER", "", None])
def test_unknown_tag_names_the_tag(tag):
    with pytest.raises(ValueError, match=f"Tag {tag!r} at position 1"):
        entity_spans(["O", tag])


def test_boundary_or_type_mismatch_is_wrong():
    true = [["B-PER", "I-PER", "O", "B-LOC", "I-LOC", "I-LOC"], ["B-ORG", "I-ORG"]]
    predicted = [["B-PER", "O", "O", "O", "B-LOC", "I-LOC"], ["B-PER", "I-PER"]]
    result = entity_f1(true, predicted)
    assert (result["true_entities"], result["predicted_entities"], result["correct_entities"]) == (
        3,
        3,
        0,
    )
    assert (result["precision"], result["recall"], result["f1"]) == (0.0, 0.0, 0.0)
    assert result["per_type"]["ORG"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}


def test_micro_and_per_type_scores():
    true = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O", "B-PER"]]
    predicted = [["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG", "O", "O"]]
    result = entity_f1(true, predicted)
    # true: PER, LOC | ORG, PER; predicted: PER, ORG | ORG; correct: PER | ORG.
    assert (result["true_entities"], result["predicted_entities"], result["correct_entities"]) == (
        4,
        3,
        2,
    )
    assert result["precision"] == pytest.approx(2 / 3)
    assert result["recall"] == pytest.approx(1 / 2)
    assert result["f1"] == pytest.approx(4 / 7)
    assert result["per_type"] == {
        "LOC": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1},
        "ORG": {"precision": 0.5, "recall": 1.0, "f1": pytest.approx(2 / 3), "support": 1},
        "PER": {"precision": 1.0, "recall": 0.5, "f1": pytest.approx(2 / 3), "support": 2},
    }


def test_i_after_o_and_adjacent_entities_count_as_separate_entities():
    true = [["O", "I-PER", "B-PER", "B-PER"]]
    result = entity_f1(true, [["O", "B-PER", "B-PER", "I-PER"]])
    # true: (1,2) (2,3) (3,4); predicted: (1,2) (2,4).
    assert (result["correct_entities"], result["precision"], result["recall"]) == (1, 0.5, 1 / 3)


@pytest.mark.parametrize("true, predicted", [([], []), ([[]], [[]]), ([["O"]], [["O"]])])
def test_no_entities_scores_zero(true, predicted):
    assert entity_f1(true, predicted) == {
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "true_entities": 0,
        "predicted_entities": 0,
        "correct_entities": 0,
        "per_type": {},
    }


def test_length_mismatch_names_the_sentence():
    with pytest.raises(ValueError, match="Sentence 1 has 2 true tags but 1 predicted"):
        entity_f1([["O"], ["O", "O"]], [["O"], ["O"]])
    with pytest.raises(ValueError, match="2 true sentences but 1 predicted"):
        entity_f1([["O"], ["O"]], [["O"]])


def _random_tags(rng, prefixes, length):
    return [
        "O" if rng.random() < 0.4 else f"{rng.choice(prefixes)}-{rng.choice('ABC')}"
        for _ in range(length)
    ]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("prefixes", ["BI", "BIES"])
def test_matches_seqeval_on_random_sequences(prefixes):
    rng = random.Random(0)
    for _ in range(300):
        lengths = [rng.randint(0, 10) for _ in range(rng.randint(1, 4))]
        true = [_random_tags(rng, prefixes, length) for length in lengths]
        predicted = [_random_tags(rng, prefixes, length) for length in lengths]
        for tags in true + predicted:
            assert entity_spans(tags) == [
                (entity_type, start, end + 1) for entity_type, start, end in get_entities(tags)
            ]
        result = entity_f1(true, predicted)
        assert result["precision"] == pytest.approx(precision_score(true, predicted))
        assert result["recall"] == pytest.approx(recall_score(true, predicted))
        assert result["f1"] == pytest.approx(f1_score(true, predicted))
        precision, recall, f1, support = precision_recall_fscore_support(true, predicted)
        per_type = result["per_type"]
        assert [per_type[t]["precision"] for t in per_type] == pytest.approx(list(precision))
        assert [per_type[t]["recall"] for t in per_type] == pytest.approx(list(recall))
        assert [per_type[t]["f1"] for t in per_type] == pytest.approx(list(f1))
        assert [per_type[t]["support"] for t in per_type] == list(support)
