"""The best answer span from a QA head's start and end logits."""

import numpy as np


def best_span(start_logits, end_logits, max_answer_length, valid=None):
    """The span maximising `start_logits[start] + end_logits[end]`.

    Candidates have `start <= end < start + max_answer_length` with both ends
    valid; all T * max_answer_length of them are scored at once.

    Args:
        start_logits, end_logits: float [T].
        max_answer_length: int >= 1, the most tokens in a span.
        valid: optional bool [T], the positions a span may start or end at
            (the context tokens); all positions when None.

    Returns: `(start, end, score)` with `end` inclusive, or None when no span
    is valid. Ties go to the smallest start, then the smallest end.
    """
    start_logits = np.asarray(start_logits, dtype=np.float64)
    end_logits = np.asarray(end_logits, dtype=np.float64)
    length = start_logits.shape[0] if start_logits.ndim == 1 else -1
    valid = np.ones(max(length, 0), bool) if valid is None else np.asarray(valid, bool)
    if length < 0 or end_logits.shape != (length,) or valid.shape != (length,):
        raise ValueError(
            "`start_logits`, `end_logits` and `valid` must be 1-D of one length T. "
            f"Received shapes {start_logits.shape}, {end_logits.shape}, {valid.shape}."
        )
    if isinstance(max_answer_length, bool) or not (
        isinstance(max_answer_length, (int, np.integer)) and max_answer_length >= 1
    ):
        raise ValueError(
            f"`max_answer_length` must be an int >= 1. Received: {max_answer_length!r}"
        )
    # ends[start, offset] = start + offset: int [T, L].
    ends = np.arange(length)[:, None] + np.arange(min(max_answer_length, length))
    allowed = (ends < length) & valid[:, None] & valid[np.minimum(ends, length - 1)]
    starts, offsets = np.nonzero(allowed)  # Row-major: by start, then by end.
    if starts.size == 0:
        return None
    ends = starts + offsets
    scores = start_logits[starts] + end_logits[ends]
    best = np.argmax(scores)
    return int(starts[best]), int(ends[best]), float(scores[best])
