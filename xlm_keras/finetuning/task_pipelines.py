"""Fine-tuning batches from `task_data` records, for the trainer and for
evaluation. Every batch is the trainer's dict:

    x: model inputs, int32 [batch, seq] each.
    labels: classification int32 [batch]; tagging int32 [batch, seq]
        (0 where ignored); qa int32 [batch, 2] (start, end positions).
    sample_weight: float32, the labels' shape; tagging: 1 on the first piece
        of each word, 0 elsewhere (XLM-R / BERT alignment).
    language: int32 [batch], index of the example's language in the run's
        language list (per-language metrics).

Sentences are framed like pretraining (`packing.sentence_frame`): XLM-R
`<s> a </s></s> b </s>`, XLM `</s> a </s></s> b </s>`.
"""

import dataclasses

import numpy as np
import tensorflow as tf

from xlm_keras.text.packing import pack_pair
from xlm_keras.text.packing import pack_single

AUTOTUNE = tf.data.AUTOTUNE
IGNORE = -1  # Tagging label of pieces that are not a word's first piece.
SHUFFLE_BUFFER = 10_000


@dataclasses.dataclass
class TaskSpec:
    """What the task pipelines need.

    Attributes:
        tokenizer: `XLMTokenizer`.
        sequence_length: int, tokens per example (specials included).
        batch_size: int, examples per replica.
        start_id, end_id: the sentence frame (`packing.sentence_frame`).
        use_language_ids: feed `language_ids` (models with language embeddings).
        seed: int, shuffling seed.
        doc_stride: int, QA: context tokens between window starts.
        max_query_length: int, QA: question pieces kept.
    """

    tokenizer: object
    sequence_length: int
    batch_size: int
    start_id: int
    end_id: int
    use_language_ids: bool = True
    seed: int = 0
    doc_stride: int = 128
    max_query_length: int = 64

    @property
    def pad_id(self):
        return self.tokenizer.pad_token_id


def _model_inputs(spec, packed):
    names = ["token_ids", "padding_mask"] + ["language_ids"] * spec.use_language_ids
    return {name: packed[name] for name in names}


def pack_texts(spec, text, text_pair=None, language_id=0):
    """tf.string [batch] (+ [batch] pairs) -> model inputs int32 [batch, seq]."""
    tokenizer = spec.tokenizer
    if text_pair is None:
        packed = pack_single(tokenizer.tokenize(text), spec.sequence_length, spec.start_id,
                             spec.end_id, spec.pad_id, language_id=language_id)
    else:
        packed = pack_pair(tokenizer.tokenize(text), tokenizer.tokenize(text_pair),
                           spec.sequence_length, spec.start_id, spec.end_id, spec.pad_id,
                           first_language_id=language_id, second_language_id=language_id)
    return _model_inputs(spec, packed)


def pack_words(spec, words, language_id=0):
    """Words ragged tf.string [batch, W] -> (model inputs int32 [batch, seq],
    word_positions int32 [batch, W]): each word's first piece position, -1
    for words cut by truncation or with no pieces."""
    pieces = spec.tokenizer.tokenize(words.flat_values)  # [N words, pieces]
    counts = tf.cast(pieces.row_lengths(), tf.int32)
    ids = tf.RaggedTensor.from_row_splits(pieces, words.row_splits).merge_dims(1, 2)
    word_rows = tf.cast(words.value_rowids(), tf.int32)
    row_start = tf.gather(tf.cast(ids.row_starts(), tf.int32), word_rows)
    position = tf.cumsum(counts, exclusive=True) - row_start + 1  # After the start token.
    valid = (counts > 0) & (position < spec.sequence_length - 1)
    positions = tf.RaggedTensor.from_row_splits(
        tf.where(valid, position, -1), words.row_splits).to_tensor(-1)
    packed = pack_single(ids, spec.sequence_length, spec.start_id, spec.end_id, spec.pad_id,
                         language_id=language_id)
    return _model_inputs(spec, packed), positions


def word_labels(word_positions, tags, sequence_length):
    """Tags int [batch, W] at `word_positions` -> (labels int32 [batch, seq]
    with `IGNORE` elsewhere clipped to 0, sample_weight float32 [batch, seq])."""
    valid = word_positions >= 0
    rows = tf.broadcast_to(tf.range(tf.shape(word_positions)[0])[:, None],
                           tf.shape(word_positions))
    indices = tf.stack([tf.boolean_mask(rows, valid),
                        tf.boolean_mask(word_positions, valid)], axis=1)
    labels = tf.tensor_scatter_nd_update(
        tf.fill([tf.shape(word_positions)[0], sequence_length], IGNORE), indices,
        tf.boolean_mask(tf.cast(tags, tf.int32), valid))
    return tf.maximum(labels, 0), tf.cast(labels != IGNORE, tf.float32)


def _slices(task_type, records):
    if task_type == "classification":
        return {"text": [r["text"] for r in records],
                "text_pair": [r["text_pair"] for r in records],
                "label": np.array([r["label"] for r in records], np.int32)}
    return {"tokens": tf.ragged.constant([r["tokens"] for r in records], tf.string),
            "tags": tf.ragged.constant([r["tags"] for r in records], tf.int32)}


def _encode_fn(spec, task_type, language_id, language_index, has_pairs):
    def encode(batch):
        size = tf.shape(batch["tokens" if task_type == "tagging" else "text"])[0]
        if task_type == "classification":
            x = pack_texts(spec, batch["text"], batch["text_pair"] if has_pairs else None,
                           language_id)
            labels = batch["label"]
            weights = tf.ones([size], tf.float32)
        else:
            x, positions = pack_words(spec, batch["tokens"], language_id)
            labels, weights = word_labels(positions, batch["tags"].to_tensor(0),
                                          spec.sequence_length)
        return {"x": x, "labels": labels, "sample_weight": weights,
                "language": tf.fill([size], tf.constant(language_index, tf.int32))}
    return encode


def task_dataset(spec, task_type, records, language_id, language_index=0, training=False,
                 input_context=None, skip=0):
    """Batches of classification / tagging records (QA: `qa_dataset`).

    Args:
        records: list of `task_data` records of one language.
        language_id: int, the language's id in the tokenizer (its language
            embedding; ignored without language ids).
        language_index: int, the `language` value of the batches.
        training: shuffle (seeded), repeat forever, drop the remainder.
        input_context: `tf.distribute.InputContext`: each input pipeline
            takes every n-th record.
        skip: batches to skip (resume).

    Returns: `tf.data.Dataset` of batches (see the module docstring).
    """
    if input_context is not None:
        records = records[input_context.input_pipeline_id::input_context.num_input_pipelines]
    if not records:
        raise ValueError("No examples to batch: the data (or this worker's shard) is empty.")
    has_pairs = task_type == "classification" and any(r["text_pair"] for r in records)
    dataset = tf.data.Dataset.from_tensor_slices(_slices(task_type, records))
    if training:
        dataset = dataset.shuffle(min(len(records), SHUFFLE_BUFFER), seed=spec.seed).repeat()
    encode = _encode_fn(spec, task_type, language_id, language_index, has_pairs)
    dataset = dataset.batch(spec.batch_size, drop_remainder=training)
    return dataset.map(encode, num_parallel_calls=AUTOTUNE).skip(skip).prefetch(AUTOTUNE)
