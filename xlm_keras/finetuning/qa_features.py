"""Span QA: records to windows (through `XLMSpanQAPreprocessor`), their
batches for the trainer, and predicted spans back to answer text."""

import dataclasses

import numpy as np
import tensorflow as tf

from xlm_keras.models.xlm_span_qa_preprocessor import decode_answers


@dataclasses.dataclass
class QAFeatures:
    """Windows of a list of QA records.

    Attributes:
        x: dict of int32 [windows, seq] model inputs.
        labels: int32 [windows, 2] answer start/end positions in the window
            (0, 0: the first answer is not inside the window).
        example_index: int [windows], the record each window comes from.
        byte_spans: int64 [windows, seq, 2] UTF-8 byte span in the context
            of each position ((-1, -1) off the context).
        contexts: the records' contexts as UTF-8 bytes.
    """

    x: dict
    labels: np.ndarray
    example_index: np.ndarray
    byte_spans: np.ndarray
    contexts: list


def qa_features(spec, records, language):
    """Tokenise and window `records` with `spec.preprocessor`.

    Args:
        spec: `task_pipelines.TaskSpec` with an `XLMSpanQAPreprocessor`.
        records: list of `task_data` QA records (the first answer labels).
        language: str, the records' language code.

    Returns: `QAFeatures`.
    """
    contexts = [r["context"] for r in records]
    answers = [
        (r["answer_starts"][0], r["answers"][0]) if r["answers"] else (-1, "") for r in records
    ]
    windows = spec.preprocessor.windows(
        {
            "question": tf.constant([r["question"] for r in records], tf.string),
            "context": tf.constant(contexts, tf.string),
            "language": language,
        },
        {
            "answer_start": tf.constant([a[0] for a in answers], tf.int32),
            "answer": tf.constant([a[1] for a in answers], tf.string),
        },
    )
    return QAFeatures(
        {name: value.numpy() for name, value in windows["x"].items()},
        windows["labels"].numpy(),
        windows["example_index"].numpy(),
        windows["byte_spans"].numpy(),
        [c.encode("utf-8") for c in contexts],
    )


def qa_dataset(spec, features, training=False, language_index=0, input_context=None, skip=0):
    """Batches of `QAFeatures` for the trainer (see `task_pipelines`)."""
    slices = {
        "x": features.x,
        "labels": features.labels,
        "sample_weight": np.ones(features.labels.shape, np.float32),
        "language": np.full([len(features.labels)], language_index, np.int32),
    }
    # Row numbers are shuffled, then gathered: a checkpoint saves the
    # shuffle buffer (all the windows, were they shuffled themselves).
    rows = tf.data.Dataset.range(len(features.labels))
    if input_context is not None:
        rows = rows.shard(input_context.num_input_pipelines, input_context.input_pipeline_id)
    if training:
        rows = rows.shuffle(len(features.labels), seed=spec.seed).repeat()
    table = tf.nest.map_structure(tf.constant, slices)

    @tf.autograph.experimental.do_not_convert
    def gather(batch_rows):
        return tf.nest.map_structure(lambda values: tf.gather(values, batch_rows), table)

    return (
        rows.batch(spec.batch_size, drop_remainder=training)
        .map(gather)
        .skip(skip)
        .prefetch(tf.data.AUTOTUNE)
    )


def predict_answers(features, logits, max_answer_length=30):
    """Best answer text per record from the model's QA logits [windows, 2, seq]."""
    return decode_answers(
        features.example_index, features.byte_spans, logits, features.contexts, max_answer_length
    )
