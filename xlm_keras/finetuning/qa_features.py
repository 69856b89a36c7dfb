"""Span QA: question + context windows (doc stride) as model inputs, and
predicted spans back to answer text.

Layout of a window: `start question end end context-window end` (the pair
frame of `task_pipelines`). A long context gives several windows, each
starting `doc_stride` context pieces after the previous one.
"""

import dataclasses

import numpy as np
import tensorflow as tf

from xlm_keras.metrics import best_span


@dataclasses.dataclass
class QAFeatures:
    """Windows of a list of QA records.

    Attributes:
        x: dict of int32 [windows, seq] model inputs.
        labels: int32 [windows, 2] answer start/end positions in the window
            (0, 0: the first answer is not inside the window).
        example_index: int [windows], the record each window comes from.
        byte_spans: per window, int64 [seq, 2] UTF-8 byte span in the
            context of each position ((-1, -1) off the context).
        contexts: the records' contexts as UTF-8 bytes.
    """

    x: dict
    labels: np.ndarray
    example_index: np.ndarray
    byte_spans: list
    contexts: list


def _answer_bytes(record):
    """(start, end) UTF-8 byte span of the first answer, or None."""
    if not record["answers"]:
        return None
    start = record["answer_starts"][0]
    context = record["context"]
    start_byte = len(context[:start].encode("utf-8"))
    return start_byte, start_byte + len(record["answers"][0].encode("utf-8"))


def qa_features(spec, records, language_id=0):
    """Tokenise and window `records` (see the module docstring).

    Args:
        spec: `task_pipelines.TaskSpec` (sequence_length, doc_stride,
            max_query_length, frame ids).
        records: list of `task_data` QA records.
        language_id: int, the language's id in the tokenizer.

    Returns: `QAFeatures`.
    """
    tokenizer, length = spec.tokenizer, spec.sequence_length
    if spec.doc_stride < 1:
        raise ValueError(f"doc_stride must be >= 1 (context pieces between windows); got "
                         f"{spec.doc_stride}.")
    questions = tokenizer.tokenize([r["question"] for r in records])
    context_ids, starts, ends = tokenizer.tokenize_with_offsets([r["context"] for r in records])
    rows = {name: [] for name in ("token_ids", "padding_mask", "language_ids")}
    labels, example_index, byte_spans = [], [], []
    for index, record in enumerate(records):
        question = questions[index].numpy()[: spec.max_query_length]
        ids, begin, end = (t[index].numpy() for t in (context_ids, starts, ends))
        offset = len(question) + 3  # Position of the first context piece.
        budget = length - offset - 1
        if budget < 1:
            raise ValueError(
                f"sequence_length={length} leaves no room for the context after a "
                f"{len(question)}-piece question; raise it or lower max_query_length.")
        answer = _answer_bytes(record)
        for first in window_starts(len(ids), budget, spec.doc_stride):
            piece = slice(first, first + budget)
            window = ids[piece]
            tokens = np.full([length], spec.pad_id, np.int32)
            real = np.concatenate([[spec.start_id], question, [spec.end_id, spec.end_id],
                                   window, [spec.end_id]]).astype(np.int32)
            tokens[: len(real)] = real
            mask = (np.arange(length) < len(real)).astype(np.int32)
            spans = np.full([length, 2], -1, np.int64)
            spans[offset: offset + len(window)] = np.stack([begin[piece], end[piece]], 1)
            labels.append(_window_label(spans, answer))
            rows["token_ids"].append(tokens)
            rows["padding_mask"].append(mask)
            rows["language_ids"].append(mask * language_id)
            example_index.append(index)
            byte_spans.append(spans)
    names = ["token_ids", "padding_mask"] + ["language_ids"] * spec.use_language_ids
    x = {name: np.stack(rows[name]).astype(np.int32) for name in names}
    return QAFeatures(x, np.array(labels, np.int32).reshape(-1, 2), np.array(example_index),
                      byte_spans, [r["context"].encode("utf-8") for r in records])


def window_starts(num_pieces, budget, stride):
    """First context piece of each window: 0, stride, ... until a window of
    `budget` pieces reaches the end. A stride over `budget` steps by
    `budget`, so that no piece falls between two windows."""
    stride = min(stride, budget)
    starts = [0]
    while starts[-1] + budget < num_pieces:
        starts.append(starts[-1] + stride)
    return starts


def _window_label(spans, answer):
    """(start, end) positions of the answer if the window holds all of it."""
    if answer is None:
        return 0, 0
    inside = spans[:, 0] >= 0
    covers_start = inside & (spans[:, 0] <= answer[0]) & (spans[:, 1] > answer[0])
    covers_end = inside & (spans[:, 0] < answer[1]) & (spans[:, 1] >= answer[1])
    if not covers_start.any() or not covers_end.any():
        return 0, 0
    return int(np.argmax(covers_start)), int(len(spans) - 1 - np.argmax(covers_end[::-1]))


def qa_dataset(spec, features, training=False, language_index=0, input_context=None, skip=0):
    """Batches of `QAFeatures` for the trainer (see `task_pipelines`)."""
    slices = {"x": features.x, "labels": features.labels,
              "sample_weight": np.ones(features.labels.shape, np.float32),
              "language": np.full([len(features.labels)], language_index, np.int32)}
    dataset = tf.data.Dataset.from_tensor_slices(slices)
    if input_context is not None:
        dataset = dataset.shard(input_context.num_input_pipelines,
                                input_context.input_pipeline_id)
    if training:
        dataset = dataset.shuffle(len(features.labels), seed=spec.seed).repeat()
    return (dataset.batch(spec.batch_size, drop_remainder=training).skip(skip)
            .prefetch(tf.data.AUTOTUNE))


def predict_answers(features, logits, max_answer_length=30):
    """Best answer text per record from the model's QA logits.

    Args:
        features: `QAFeatures`.
        logits: float [windows, 2, seq], `XLMSpanQA` outputs.
        max_answer_length: int, longest answer in pieces.

    Returns: list of str, one per record ("" if no window has a span).
    """
    best = {}
    for window, (start_logits, end_logits) in enumerate(np.asarray(logits, np.float32)):
        spans = features.byte_spans[window]
        found = best_span(start_logits, end_logits, max_answer_length, valid=spans[:, 0] >= 0)
        if found is None:
            continue
        start, end, score = found
        index = int(features.example_index[window])
        if index not in best or score > best[index][0]:
            best[index] = (score, spans[start, 0], spans[end, 1])
    answers = []
    for index, context in enumerate(features.contexts):
        if index not in best:
            answers.append("")
            continue
        _, begin, end = best[index]
        answers.append(context[begin:end].decode("utf-8", errors="ignore").strip())
    return answers
