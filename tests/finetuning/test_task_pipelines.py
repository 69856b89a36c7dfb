"""Fine-tuning batches through the preprocessors: text packing, word-piece
alignment (against a per-word SentencePiece reference), tag labels, and
sharded / repeated / single-pass datasets."""

import numpy as np
import pytest
import sentencepiece
import tensorflow as tf

from xlm_keras.finetuning import task_pipelines
from xlm_keras.finetuning.task_pipelines import TaskSpec
from xlm_keras.models import XLMTextClassifierPreprocessor
from xlm_keras.models import XLMTokenClassifierPreprocessor
from xlm_keras.models import XLMTokenizer
from xlm_keras.models.xlm_token_classifier_preprocessor import word_labels
from xlm_keras.text.packing import pack_pair
from xlm_keras.text.packing import pack_single

START, END, PAD = 0, 2, 1
WORDS = [
    ["Köln", "liegt", "am", "Rhein", "."],
    ["\u200b", "Un", "", "chien", "東京", "mange"],  # "\u200b" and "" give no pieces.
    [],
    ["Die", "Hauptstadt", "von", "Frankreich", "ist", "Paris", "und", "nicht", "Berlin"],
]


def _spec(
    tokenizer_dir,
    sequence_length=12,
    batch_size=2,
    use_language_ids=True,
    preprocessor_cls=XLMTextClassifierPreprocessor,
):
    preprocessor = preprocessor_cls(
        XLMTokenizer.from_preset(tokenizer_dir),
        sequence_length,
        frame="roberta",
        use_language_ids=use_language_ids,
    )
    return TaskSpec(preprocessor, batch_size)


def _processor(tokenizer_dir):
    return sentencepiece.SentencePieceProcessor(
        model_file=f"{tokenizer_dir}/assets/tokenizer/vocabulary.spm"
    )


def _reference_words(processor, words, sequence_length):
    """(token_ids [seq], first-piece positions [W]) by tokenizing each word alone."""
    ids, positions = [], []
    for word in words:
        pieces = processor.encode(word)
        position = 1 + len(ids)
        positions.append(position if pieces and position < sequence_length - 1 else -1)
        ids += pieces
    real = [START] + ids[: sequence_length - 2] + [END]
    return real + [PAD] * (sequence_length - len(real)), positions


@pytest.mark.parametrize("sequence_length", [6, 12, 40])
def test_pack_words_matches_per_word_sentencepiece(tokenizer_dir, sequence_length):
    preprocessor = _spec(
        tokenizer_dir, sequence_length, preprocessor_cls=XLMTokenClassifierPreprocessor
    ).preprocessor
    processor = _processor(tokenizer_dir)
    x, positions = preprocessor.pack_words(tf.ragged.constant(WORDS, tf.string), "fr")
    assert not processor.encode("\u200b") and not processor.encode("")
    width = max(len(words) for words in WORDS)
    assert positions.shape == (len(WORDS), width)
    for row, words in enumerate(WORDS):
        token_ids, expected = _reference_words(processor, words, sequence_length)
        np.testing.assert_array_equal(x["token_ids"][row], token_ids)
        np.testing.assert_array_equal(positions[row], expected + [-1] * (width - len(words)))
        real = np.array(token_ids) != PAD
        np.testing.assert_array_equal(x["padding_mask"][row], real)
        np.testing.assert_array_equal(x["language_ids"][row], 2 * real)
    if sequence_length == 12:  # Row 3 is truncated: its late words are cut off.
        assert positions[3, -1] == -1 and positions[3, 0] == 1


def test_word_labels_put_tags_on_first_pieces():
    positions = tf.constant([[1, -1, 3], [2, 4, -1]])
    tags = tf.constant([[4, 5, 6], [0, 3, 9]])
    labels, weights = word_labels(positions, tags, 6)
    np.testing.assert_array_equal(labels, [[0, 4, 0, 6, 0, 0], [0, 0, 0, 0, 3, 0]])
    np.testing.assert_array_equal(weights, [[0, 1, 0, 1, 0, 0], [0, 0, 1, 0, 1, 0]])
    assert weights.dtype == tf.float32


def test_text_classifier_preprocessor_single_and_pair(tokenizer_dir):
    preprocessor = _spec(tokenizer_dir, 16, use_language_ids=False).preprocessor
    processor = _processor(tokenizer_dir)
    first = ["Köln liegt am Rhein.", "Un chien mange une pomme rouge et verte aujourd'hui."]
    second = ["Der Rhein ist ein Fluss.", ""]
    ids = [
        tf.ragged.constant([processor.encode(t) for t in texts], tf.int32)
        for texts in (first, second)
    ]
    single = preprocessor(first)
    expected = pack_single(ids[0], 16, START, END, PAD)
    assert set(single) == {"token_ids", "padding_mask"}
    for name in single:
        np.testing.assert_array_equal(single[name], expected[name])
    preprocessor.use_language_ids = True
    pair = preprocessor({"text": first, "text_pair": second, "language": "en"})
    expected = pack_pair(
        ids[0], ids[1], 16, START, END, PAD, first_language_id=1, second_language_id=1
    )
    for name in ("token_ids", "padding_mask", "language_ids"):
        np.testing.assert_array_equal(pair[name], expected[name])


def _classification_records(count):
    # The label is the record's index, so batches tell which records they hold.
    return [{"text": f"Satz {i}", "text_pair": "", "label": i} for i in range(count)]


def test_training_dataset_shards_repeats_and_drops_the_remainder(tokenizer_dir):
    spec = _spec(tokenizer_dir, 8, batch_size=2)
    records = _classification_records(10)
    shards = []
    for pipeline in range(2):
        context = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=pipeline)
        dataset = task_pipelines.task_dataset(
            spec, "classification", records, "en", 3, training=True, input_context=context
        )
        batches = list(dataset.take(5))  # 10 examples: two passes over 5 records.
        assert all(b["labels"].shape == (2,) for b in batches)
        assert all((b["language"].numpy() == 3).all() for b in batches)
        assert batches[0]["x"]["token_ids"].shape == (2, 8)
        labels = np.concatenate([b["labels"].numpy() for b in batches])
        assert sorted(labels[:5]) == sorted(labels[5:])  # Each pass sees the shard once.
        shards.append(set(labels[:5]))
    assert not shards[0] & shards[1]
    assert shards[0] | shards[1] == set(range(10))


def test_evaluation_dataset_yields_every_example_once(tokenizer_dir):
    spec = _spec(tokenizer_dir, 8, batch_size=2)
    batches = list(
        task_pipelines.task_dataset(spec, "classification", _classification_records(5), "en")
    )
    assert [len(b["labels"]) for b in batches] == [2, 2, 1]
    np.testing.assert_array_equal(np.concatenate([b["labels"] for b in batches]), range(5))
    assert all((b["sample_weight"].numpy() == 1).all() for b in batches)


def test_tagging_dataset_labels_first_pieces(tokenizer_dir):
    spec = _spec(tokenizer_dir, 12, batch_size=4, preprocessor_cls=XLMTokenClassifierPreprocessor)
    processor = _processor(tokenizer_dir)
    records = [
        {"tokens": words, "tags": [(i % 3) + 1 for i in range(len(words))]}
        for words in (WORDS[0], ["Un", "chien", "mange"], WORDS[3])
    ]
    batch = next(iter(task_pipelines.task_dataset(spec, "tagging", records, "de")))
    for row, record in enumerate(records):
        token_ids, positions = _reference_words(processor, record["tokens"], 12)
        np.testing.assert_array_equal(batch["x"]["token_ids"][row], token_ids)
        labels = np.zeros(12, np.int32)
        weights = np.zeros(12, np.float32)
        for position, tag in zip(positions, record["tags"]):
            if position >= 0:
                labels[position], weights[position] = tag, 1
        np.testing.assert_array_equal(batch["labels"][row], labels)
        np.testing.assert_array_equal(batch["sample_weight"][row], weights)


def test_empty_shard_is_an_error(tokenizer_dir):
    context = tf.distribute.InputContext(num_input_pipelines=4, input_pipeline_id=3)
    with pytest.raises(ValueError, match="empty"):
        task_pipelines.task_dataset(
            _spec(tokenizer_dir),
            "classification",
            _classification_records(3),
            "de",
            input_context=context,
        )
