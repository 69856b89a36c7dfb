"""best_span against an exhaustive double loop, and its edge cases."""

import numpy as np
import pytest

from xlm_keras.metrics import best_span


def _brute_force(start_logits, end_logits, max_answer_length, valid):
    best = None
    for start in range(len(start_logits)):
        for end in range(start, min(start + max_answer_length, len(end_logits))):
            score = start_logits[start] + end_logits[end]
            if valid[start] and valid[end] and (best is None or score > best[2]):
                best = (start, end, float(score))
    return best


def test_matches_brute_force_on_random_logits():
    rng = np.random.default_rng(0)
    for trial in range(400):
        length = int(rng.integers(1, 30))
        start_logits, end_logits = rng.normal(size=(2, length))
        if trial % 4 == 0:  # Small integers: many ties.
            start_logits, end_logits = np.round(start_logits), np.round(end_logits)
        valid = rng.random(length) < rng.random()
        max_answer_length = int(rng.integers(1, length + 4))
        assert best_span(start_logits, end_logits, max_answer_length, valid) == _brute_force(
            start_logits, end_logits, max_answer_length, valid
        )


def test_defaults_to_all_positions_and_accepts_lists():
    assert best_span([0.0, 3.0, 1.0], [2.0, 0.0, 5.0], 2) == (1, 2, 8.0)
    assert best_span([0.0, 3.0, 1.0], [2.0, 0.0, 5.0], 3) == (1, 2, 8.0)
    assert best_span([0.0, 3.0, 1.0], [2.0, 0.0, 5.0], 1) == (2, 2, 6.0)


def test_invalid_positions_are_skipped_even_with_infinite_logits():
    start_logits = [np.inf, -np.inf, 0.0]
    end_logits = [np.inf, -np.inf, -np.inf]
    assert best_span(start_logits, end_logits, 3, [False, True, True]) == (1, 1, -np.inf)


@pytest.mark.parametrize(
    "start_logits, end_logits, valid, expected",
    [
        ([], [], None, None),
        ([1.0], [2.0], None, (0, 0, 3.0)),
        ([1.0], [2.0], [False], None),
        ([1.0, 2.0], [2.0, 1.0], [False, False], None),
    ],
)
def test_edge_cases(start_logits, end_logits, valid, expected):
    assert best_span(start_logits, end_logits, 4, valid) == expected


@pytest.mark.parametrize(
    "start_logits, end_logits, valid, max_answer_length, message",
    [
        ([1.0, 2.0], [1.0], None, 3, "1-D of one length"),
        ([[1.0]], [[1.0]], None, 3, "1-D of one length"),
        ([1.0], [1.0], [True, True], 3, "1-D of one length"),
        ([1.0], [1.0], None, 0, "max_answer_length` must be an int >= 1. Received: 0"),
        ([1.0], [1.0], None, 2.0, "Received: 2.0"),
    ],
)
def test_bad_inputs_are_rejected(start_logits, end_logits, valid, max_answer_length, message):
    with pytest.raises(ValueError, match=message):
        best_span(start_logits, end_logits, max_answer_length, valid)
