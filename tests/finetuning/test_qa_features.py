"""Span QA features: window coverage, answer labels checked through their
byte spans, and a logits -> answer text round trip."""

import numpy as np
import pytest

from xlm_keras.finetuning import qa_features as qa
from xlm_keras.finetuning.task_pipelines import TaskSpec
from xlm_keras.models import XLMTokenizer

CONTEXTS = [
    ("Köln liegt am Rhein und hat einen großen Dom mit zwei Türmen aus Stein", "Köln"),
    ("La crème brûlée est un dessert français très célèbre à Paris et à Lyon", "dessert"),
    ("The old bridge crosses the river near the small town of Athens in Αθήνα", "Αθήνα"),
    ("Die Stadt Zürich liegt am See und ist sehr schön im Sommer", "am See"),
    ("Short context", "context"),
]


def _records():
    records = [{"id": str(i), "question": "Wo ist es denn genau?", "context": context,
                "answers": [answer], "answer_starts": [context.index(answer)]}
               for i, (context, answer) in enumerate(CONTEXTS)]
    return records + [{"id": "none", "question": "Was?", "context": CONTEXTS[0][0],
                       "answers": [], "answer_starts": []}]


def _spec(tokenizer_dir, sequence_length=24, doc_stride=4):
    return TaskSpec(XLMTokenizer.from_preset(tokenizer_dir), sequence_length, 4, 0, 2,
                    doc_stride=doc_stride, max_query_length=6)


@pytest.mark.parametrize("num_pieces", [0, 1, 7, 8, 9, 23])
@pytest.mark.parametrize("budget,stride", [(8, 3), (8, 8), (8, 20), (1, 1), (5, 2)])
def test_window_starts_cover_every_piece(num_pieces, budget, stride):
    starts = qa.window_starts(num_pieces, budget, stride)
    assert starts[0] == 0
    assert all(b - a == min(stride, budget) for a, b in zip(starts, starts[1:]))
    covered = set()
    for start in starts:
        covered.update(range(start, start + budget))
    assert covered >= set(range(num_pieces))
    assert len(starts) == 1 or starts[-2] + budget < num_pieces  # No window past the end.


def _check_features(spec, records, features, every_answer):
    length = spec.sequence_length
    assert features.x["token_ids"].shape == (len(features.labels), length)
    assert sorted(set(features.example_index)) == list(range(len(records)))
    for window, (start, end) in enumerate(features.labels):
        record = records[features.example_index[window]]
        spans = features.byte_spans[window]
        context = record["context"].encode("utf-8")
        inside = spans[:, 0] >= 0
        # Context pieces follow `start question end end`, then one end token.
        first = int(np.argmax(inside))
        last = int(len(inside) - 1 - np.argmax(inside[::-1]))
        assert inside[first:last + 1].all()
        assert features.x["token_ids"][window, first - 2:first].tolist() == [2, 2]
        assert features.x["token_ids"][window, last + 1] == 2
        if not record["answers"]:
            assert (start, end) == (0, 0)
            continue
        begin = len(record["context"][:record["answer_starts"][0]].encode("utf-8"))
        stop = begin + len(record["answers"][0].encode("utf-8"))
        holds = spans[first, 0] <= begin and spans[last, 1] >= stop
        if holds:
            assert first <= start <= end <= last
            text = context[spans[start, 0]:spans[end, 1]].decode("utf-8")
            assert text.strip() == record["answers"][0]
        else:
            assert (start, end) == (0, 0)
    for index, record in enumerate(records):
        if every_answer and record["answers"]:  # Windows overlap enough for the answers.
            assert features.labels[features.example_index == index].any()


@pytest.mark.parametrize("sequence_length,doc_stride", [(24, 4), (20, 100), (64, 3)])
def test_labels_point_at_the_answer_bytes(tokenizer_dir, sequence_length, doc_stride):
    spec = _spec(tokenizer_dir, sequence_length, doc_stride)
    records = _records()
    features = qa.qa_features(spec, records, language_id=1)
    if sequence_length == 24:
        assert len(features.labels) > 2 * len(records)  # Long contexts have several windows.
    _check_features(spec, records, features, every_answer=doc_stride < 10)
    np.testing.assert_array_equal(features.x["language_ids"], features.x["padding_mask"])


def test_predicted_answers_round_trip(tokenizer_dir):
    spec = _spec(tokenizer_dir)
    records = _records()[:-1]
    features = qa.qa_features(spec, records)
    logits = np.zeros([len(features.labels), 2, spec.sequence_length], np.float32)
    for window, (start, end) in enumerate(features.labels):
        logits[window, 0, start] = logits[window, 1, end] = 10.0
    answers = qa.predict_answers(features, logits)
    assert answers == [record["answers"][0] for record in records]


def test_question_too_long_for_the_sequence_is_an_error(tokenizer_dir):
    with pytest.raises(ValueError, match="no room"):
        qa.qa_features(_spec(tokenizer_dir, sequence_length=9), _records()[:1])
    with pytest.raises(ValueError, match="doc_stride"):
        qa.qa_features(_spec(tokenizer_dir, doc_stride=0), _records()[:1])
