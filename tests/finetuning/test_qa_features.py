"""Span QA features: window coverage, answer labels checked through their
byte spans, and a logits -> answer text round trip."""

import numpy as np
import pytest
import tensorflow as tf

from xlm_keras.finetuning import qa_features as qa
from xlm_keras.finetuning.task_pipelines import TaskSpec
from xlm_keras.models import XLMSpanQAPreprocessor
from xlm_keras.models import XLMTokenizer

CONTEXTS = [
    ("Köln liegt am Rhein und hat einen großen Dom mit zwei Türmen aus Stein", "Köln"),
    ("La crème brûlée est un dessert français très célèbre à Paris et à Lyon", "dessert"),
    ("The old bridge crosses the river near the small town of Athens in Αθήνα", "Αθήνα"),
    ("Die Stadt Zürich liegt am See und ist sehr schön im Sommer", "am See"),
    ("Short context", "context"),
]


def _records():
    records = [
        {
            "id": str(i),
            "question": "Wo ist es denn genau?",
            "context": context,
            "answers": [answer],
            "answer_starts": [context.index(answer)],
        }
        for i, (context, answer) in enumerate(CONTEXTS)
    ]
    return records + [
        {
            "id": "none",
            "question": "Was?",
            "context": CONTEXTS[0][0],
            "answers": [],
            "answer_starts": [],
        }
    ]


def _spec(tokenizer_dir, sequence_length=24, doc_stride=4):
    preprocessor = XLMSpanQAPreprocessor(
        XLMTokenizer.from_preset(tokenizer_dir),
        sequence_length,
        frame="roberta",
        use_language_ids=True,
        doc_stride=doc_stride,
        max_query_length=6,
    )
    return TaskSpec(preprocessor, 4)


@pytest.mark.parametrize(
    "sequence_length,doc_stride", [(16, 3), (16, 8), (16, 20), (13, 1), (40, 2)]
)
def test_windows_cover_every_context_piece_once_per_stride(
    tokenizer_dir, sequence_length, doc_stride
):
    spec = _spec(tokenizer_dir, sequence_length, doc_stride)
    records = _records()
    features = qa.qa_features(spec, records, "en")
    tokenizer = spec.tokenizer
    _, begins, ends = tokenizer.tokenize_with_offsets([r["context"] for r in records])
    for index, record in enumerate(records):
        pieces = list(zip(begins[index].numpy(), ends[index].numpy()))
        windows = [
            [tuple(span) for span in features.byte_spans[w] if span[0] >= 0]
            for w in np.flatnonzero(features.example_index == index)
        ]
        budget = sequence_length - 3 - min(len(tokenizer.tokenize(record["question"])), 6) - 1
        firsts = [pieces.index(window[0]) for window in windows if window]
        assert all(b - a == min(doc_stride, budget) for a, b in zip(firsts, firsts[1:]))
        assert all(
            window == pieces[first : first + budget] for window, first in zip(windows, firsts)
        )
        assert set().union(*map(set, windows)) == set(pieces)  # Every piece is in a window.
        assert len(windows) == 1 or firsts[-2] + budget < len(pieces)  # None past the end.


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
        assert inside[first : last + 1].all()
        assert features.x["token_ids"][window, first - 2 : first].tolist() == [2, 2]
        assert features.x["token_ids"][window, last + 1] == 2
        if not record["answers"]:
            assert (start, end) == (0, 0)
            continue
        begin = len(record["context"][: record["answer_starts"][0]].encode("utf-8"))
        stop = begin + len(record["answers"][0].encode("utf-8"))
        holds = spans[first, 0] <= begin and spans[last, 1] >= stop
        if holds:
            assert first <= start <= end <= last
            text = context[spans[start, 0] : spans[end, 1]].decode("utf-8")
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
    features = qa.qa_features(spec, records, "en")
    if sequence_length == 24:
        assert len(features.labels) > 2 * len(records)  # Long contexts have several windows.
    _check_features(spec, records, features, every_answer=doc_stride < 10)
    np.testing.assert_array_equal(features.x["language_ids"], features.x["padding_mask"])  # en = 1


def test_predicted_answers_round_trip(tokenizer_dir):
    spec = _spec(tokenizer_dir)
    records = _records()[:-1]
    features = qa.qa_features(spec, records, "de")
    logits = np.zeros([len(features.labels), 2, spec.sequence_length], np.float32)
    for window, (start, end) in enumerate(features.labels):
        logits[window, 0, start] = logits[window, 1, end] = 10.0
    answers = qa.predict_answers(features, logits)
    assert answers == [record["answers"][0] for record in records]


def test_question_too_long_for_the_sequence_is_an_error(tokenizer_dir):
    with pytest.raises(tf.errors.InvalidArgumentError, match="no room"):
        qa.qa_features(_spec(tokenizer_dir, sequence_length=9), _records()[:1], "de")
    with pytest.raises(ValueError, match="doc_stride"):
        _spec(tokenizer_dir, doc_stride=0)
