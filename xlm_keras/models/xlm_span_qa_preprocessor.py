"""`XLMSpanQAPreprocessor`: question + context to QA windows (doc stride),
answer labels, and predicted spans back to answer text."""

import keras
import numpy as np
import tensorflow as tf

from xlm_keras.keras_hub_internals import preprocessing_function
from xlm_keras.metrics import best_span
from xlm_keras.models.xlm_preprocessor import XLMPreprocessor
from xlm_keras.text.packing import pack_pair
from xlm_keras.text.packing import sentence_frame

QA_KEYS = ("question", "context", "language")


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMSpanQAPreprocessor(XLMPreprocessor):
    """Pack `start question end end context-window end`; a long context
    gives several windows, each `doc_stride` context pieces after the last
    (the last one reaches the context's end). In-graph (core TF ops and the
    tokenizer), so it runs in `tf.data` and SavedModels.

    Args:
        tokenizer, sequence_length, frame, use_language_ids: as
            `XLMPreprocessor`.
        doc_stride: int >= 1. Context pieces between window starts.
        max_query_length: int >= 1. Question pieces kept.

    Call arguments:
        x: dict with `question` and `context` tf.string [batch] (and
            `language`).
        y: optional dict with `answer_start` int [batch] (character offset
            in the context; -1 for no answer) and `answer` tf.string [batch].

    Returns: x, the windows' model inputs int32 [windows, sequence_length],
    or `(x, labels)` with labels int32 [windows, 2] (start, end positions;
    0, 0 when the window does not hold the whole answer).

    Example:
    >>> preprocessor = XLMSpanQAPreprocessor.from_preset("runs/qa/preset")
    >>> preprocessor({"question": ["Wo?"], "context": ["Köln liegt am Rhein."]})
    """

    def __init__(
        self,
        tokenizer,
        sequence_length=384,
        frame="xlm",
        use_language_ids=False,
        doc_stride=128,
        max_query_length=64,
        **kwargs,
    ):
        super().__init__(tokenizer, sequence_length, frame, use_language_ids, **kwargs)
        if doc_stride < 1 or max_query_length < 1:
            raise ValueError(
                "`doc_stride` and `max_query_length` must be >= 1. Received: "
                f"doc_stride={doc_stride!r}, max_query_length={max_query_length!r}"
            )
        self.doc_stride = doc_stride
        self.max_query_length = max_query_length

    @preprocessing_function
    def call(self, x, y=None, sample_weight=None):
        windows = self.windows(x, y)
        if y is None:
            return windows["x"]
        return keras.utils.pack_x_y_sample_weight(windows["x"], windows["labels"], sample_weight)

    def windows(self, x, y=None):
        """Every window of a batch, with what decoding needs.

        Returns: dict with `x` (model inputs int32 [W, seq]),
        `example_index` int32 [W] (the row each window comes from),
        `byte_spans` int64 [W, seq, 2] (each position's UTF-8 byte span in
        the context, (-1, -1) off the context) and, with `y`, `labels`
        int32 [W, 2].
        """
        if not isinstance(x, dict) or {"question", "context"} - set(x) or set(x) - set(QA_KEYS):
            raise ValueError(
                f"XLMSpanQAPreprocessor takes a dict with 'question' and 'context' (and "
                f"'language'). Received: {sorted(x) if isinstance(x, dict) else type(x)}."
            )
        tokenizer, length = self.tokenizer, self.sequence_length
        context = tf.convert_to_tensor(x["context"], tf.string)
        questions = tokenizer.tokenize(x["question"])[:, : self.max_query_length]
        context_ids, starts, ends = tokenizer.tokenize_with_offsets(context)
        num_pieces = tf.cast(context_ids.row_lengths(), tf.int32)
        offset = tf.cast(questions.row_lengths(), tf.int32) + 3  # First context position.
        budget = length - offset - 1
        check = tf.debugging.assert_positive(
            budget,
            message=f"sequence_length={length} leaves no room for the context after "
            "the question; raise it or lower max_query_length",
        )
        with tf.control_dependencies([check]):
            stride = tf.minimum(self.doc_stride, budget)
        count = 1 + tf.maximum(0, (num_pieces - budget + stride - 1) // stride)
        window_starts = tf.ragged.range(tf.zeros_like(count), count * stride, stride)
        example_index = tf.cast(window_starts.value_rowids(), tf.int32)
        first = window_starts.flat_values
        window_length = tf.minimum(
            tf.gather(budget, example_index), tf.gather(num_pieces, example_index) - first
        )
        pieces = tf.ragged.range(first, first + window_length)

        def take(values):
            return tf.gather(tf.gather(values, example_index), pieces, batch_dims=1)

        start_id, end_id = sentence_frame(self.frame, tokenizer)
        language_ids = self.language_ids(context, x.get("language"), ("context", "language"))
        if language_ids is not None:
            language_ids = tf.gather(language_ids, example_index)
        packed = pack_pair(
            tf.gather(questions, example_index),
            take(context_ids),
            length,
            start_id,
            end_id,
            tokenizer.pad_token_id,
            first_language_id=language_ids,
            second_language_id=language_ids,
        )
        window_offset = tf.gather(offset, example_index)
        off_context = tf.ragged.range(window_offset) * 0 - 1

        def spans(values):
            values = tf.concat([tf.cast(off_context, tf.int64), take(values)], axis=1)
            return values.to_tensor(-1, shape=[None, length])

        byte_spans = tf.stack([spans(starts), spans(ends)], axis=-1)
        outputs = {
            "x": self.model_inputs(packed),
            "example_index": example_index,
            "byte_spans": byte_spans,
        }
        if y is not None:
            outputs["labels"] = _window_labels(context, y, example_index, byte_spans)
        return outputs

    def get_config(self):
        config = super().get_config()
        config.update({"doc_stride": self.doc_stride, "max_query_length": self.max_query_length})
        return config


def _window_labels(context, y, example_index, byte_spans):
    """(start, end) positions of the answer in each window that holds all
    of it, else (0, 0): int32 [W, 2]."""
    answer_start = tf.cast(tf.convert_to_tensor(y["answer_start"]), tf.int32)
    has_answer = answer_start >= 0
    prefix = tf.strings.substr(
        context, tf.zeros_like(answer_start), tf.maximum(answer_start, 0), unit="UTF8_CHAR"
    )
    begin = tf.cast(tf.strings.length(prefix), tf.int64)
    end = begin + tf.cast(tf.strings.length(tf.convert_to_tensor(y["answer"], tf.string)), tf.int64)
    begin, end = (tf.gather(v, example_index)[:, tf.newaxis] for v in (begin, end))
    span_begin, span_end = byte_spans[..., 0], byte_spans[..., 1]
    inside = span_begin >= 0
    covers_begin = inside & (span_begin <= begin) & (span_end > begin)
    covers_end = inside & (span_begin < end) & (span_end >= end)
    found = (
        tf.gather(has_answer, example_index)
        & tf.reduce_any(covers_begin, axis=1)
        & tf.reduce_any(covers_end, axis=1)
    )
    first = tf.argmax(tf.cast(covers_begin, tf.int32), axis=1, output_type=tf.int32)
    last = (
        tf.shape(covers_end)[1]
        - 1
        - tf.argmax(tf.cast(tf.reverse(covers_end, [1]), tf.int32), axis=1, output_type=tf.int32)
    )
    return tf.where(found[:, tf.newaxis], tf.stack([first, last], axis=1), 0)


def decode_answers(example_index, byte_spans, logits, contexts, max_answer_length=30):
    """Best answer text per example over its windows.

    Args:
        example_index: int [W]; byte_spans: int [W, seq, 2] (`windows`).
        logits: float [W, 2, seq], `XLMSpanQA` outputs.
        contexts: the examples' contexts (str or UTF-8 bytes).
        max_answer_length: int, longest answer in pieces.

    Returns: list of str, one per context ("" if no window has a span).
    """
    best = {}
    byte_spans = np.asarray(byte_spans)
    for window, (start_logits, end_logits) in enumerate(np.asarray(logits, np.float32)):
        spans = byte_spans[window]
        found = best_span(start_logits, end_logits, max_answer_length, valid=spans[:, 0] >= 0)
        if found is None:
            continue
        start, end, score = found
        index = int(example_index[window])
        if index not in best or score > best[index][0]:
            best[index] = (score, spans[start, 0], spans[end, 1])
    answers = []
    for index, context in enumerate(contexts):
        if index not in best:
            answers.append("")
            continue
        context = context.encode("utf-8") if isinstance(context, str) else context
        _, begin, end = best[index]
        answers.append(context[begin:end].decode("utf-8", errors="ignore").strip())
    return answers
