"""Fine-tuning batches from `task_data` records, for the trainer and for
evaluation, through the task's preprocessor. Every batch is the trainer's
dict:

    x: model inputs, int32 [batch, seq] each.
    labels: classification int32 [batch]; tagging int32 [batch, seq]
        (0 where ignored); qa int32 [batch, 2] (start, end positions).
    sample_weight: float32, the labels' shape; tagging: 1 on the first piece
        of each word, 0 elsewhere (XLM-R / BERT alignment).
    language: int32 [batch], index of the example's language in the run's
        language list (per-language metrics).
"""

import dataclasses

import numpy as np
import tensorflow as tf

from xlm_keras.models import XLMSpanQA
from xlm_keras.models import XLMTextClassifier
from xlm_keras.models import XLMTokenClassifier

# Task type (`task.type` in configs) -> task class.
TASK_CLASSES = {"classification": XLMTextClassifier, "tagging": XLMTokenClassifier, "qa": XLMSpanQA}
AUTOTUNE = tf.data.AUTOTUNE
SHUFFLE_BUFFER = 10_000


@dataclasses.dataclass
class TaskSpec:
    """What the task pipelines need.

    Attributes:
        preprocessor: the task's preprocessor (`XLMTextClassifierPreprocessor`,
            `XLMTokenClassifierPreprocessor` or `XLMSpanQAPreprocessor`),
            configured for the model (`preprocessor_for`).
        batch_size: int, examples per replica.
        seed: int, shuffling seed.
    """

    preprocessor: object
    batch_size: int
    seed: int = 0

    @property
    def tokenizer(self):
        return self.preprocessor.tokenizer

    @property
    def sequence_length(self):
        return self.preprocessor.sequence_length

    @property
    def use_language_ids(self):
        return self.preprocessor.use_language_ids


def preprocessor_for(model, tokenizer, sequence_length, **kwargs):
    """The model's own preprocessor class, with `tokenizer`, configured for
    the model (frame, language ids); `kwargs` go to the constructor (QA:
    `doc_stride`, `max_query_length`)."""
    preprocessor = model.preprocessor_cls(tokenizer, sequence_length=sequence_length, **kwargs)
    preprocessor.configure_for(model)
    return preprocessor


def _slices(task_type, records):
    if task_type == "classification":
        return {
            "text": [r["text"] for r in records],
            "text_pair": [r["text_pair"] for r in records],
            "label": np.array([r["label"] for r in records], np.int32),
        }
    return {
        "tokens": tf.ragged.constant([r["tokens"] for r in records], tf.string),
        "tags": tf.ragged.constant([r["tags"] for r in records], tf.int32),
    }


def _encode_fn(spec, task_type, language, language_index, has_pairs):
    preprocessor = spec.preprocessor

    @tf.autograph.experimental.do_not_convert
    def encode(batch):
        size = tf.shape(batch["tokens" if task_type == "tagging" else "text"])[0]
        if task_type == "classification":
            inputs = {"text": batch["text"], "language": language}
            if has_pairs:
                inputs["text_pair"] = batch["text_pair"]
            x = preprocessor(inputs)
            labels = batch["label"]
            weights = tf.ones([size], tf.float32)
        else:
            x, labels, weights = preprocessor(
                {"text": batch["tokens"], "language": language}, batch["tags"]
            )
        return {
            "x": x,
            "labels": labels,
            "sample_weight": weights,
            "language": tf.fill([size], tf.constant(language_index, tf.int32)),
        }

    return encode


def task_dataset(
    spec, task_type, records, language, language_index=0, training=False, input_context=None, skip=0
):
    """Batches of classification / tagging records (QA: `qa_dataset`).

    Args:
        records: list of `task_data` records of one language.
        language: str, the records' language code (its language id, when
            the model takes them).
        language_index: int, the `language` value of the batches.
        training: shuffle (seeded), repeat forever, drop the remainder.
        input_context: `tf.distribute.InputContext`: each input pipeline
            takes every n-th record.
        skip: batches to skip (resume).

    Returns: `tf.data.Dataset` of batches (see the module docstring).
    """
    if input_context is not None:
        records = records[input_context.input_pipeline_id :: input_context.num_input_pipelines]
    if not records:
        raise ValueError("No examples to batch: the data (or this worker's shard) is empty.")
    has_pairs = task_type == "classification" and any(r["text_pair"] for r in records)
    dataset = tf.data.Dataset.from_tensor_slices(_slices(task_type, records))
    if training:
        dataset = dataset.shuffle(min(len(records), SHUFFLE_BUFFER), seed=spec.seed).repeat()
    encode = _encode_fn(spec, task_type, language, language_index, has_pairs)
    dataset = dataset.batch(spec.batch_size, drop_remainder=training)
    return dataset.map(encode, num_parallel_calls=AUTOTUNE).skip(skip).prefetch(AUTOTUNE)
