"""XLM's denoising noise: the vectorised ragged version equals XLM's
per-sentence algorithm on the same random numbers, is seeded, keeps the
shuffle within its distance, keeps a word per sentence and leaves the frame
to packing."""

import numpy as np
import pytest
import tensorflow as tf

from xlm_keras.text.noise import add_noise

MASK = 99
# Word starts: even ids begin a word, odd ids continue one (a toy vocabulary).
IS_WORD_START = tf.constant([i % 2 == 0 for i in range(100)])
SENTENCES = [
    [10, 11, 13, 20, 30, 31, 40, 50, 60, 61, 70],
    [4],
    [],
    [21, 6, 8, 9, 12, 14, 16],
    [2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24],
]


def _words(sentence):
    words = []
    for position, piece in enumerate(sentence):
        if piece % 2 == 0 or position == 0:
            words.append([])
        words[-1].append(piece)
    return words


def _reference(sentences, seed, distance, dropout, blank):
    """XLM's algorithm, sentence by sentence, on the random numbers that
    `add_noise` draws (one uniform triple per word of the batch)."""
    sentence_words = [_words(s) for s in sentences]
    total = sum(len(w) for w in sentence_words)
    shuffle_u, drop_u, blank_u = tf.random.stateless_uniform([3, total], seed=seed).numpy()
    outputs, offset = [], 0
    for words in sentence_words:
        n = len(words)
        u = slice(offset, offset + n)
        offset += n
        order = np.argsort(np.arange(n) + distance * shuffle_u[u].astype(np.float64), kind="stable")
        keep = drop_u[u] >= dropout
        if n and not keep.any():
            keep[np.argmax(drop_u[u])] = True
        out = []
        for w in order:
            if keep[w]:
                out.extend([MASK] if blank_u[u][w] < blank else words[w])
        outputs.append(out)
    return outputs


@pytest.mark.parametrize(
    "distance,dropout,blank", [(3.0, 0.1, 0.1), (0.0, 0.5, 0.0), (5.0, 0.0, 0.5), (3.0, 0.9, 0.2)]
)
def test_equals_xlm_algorithm_on_the_same_random_numbers(distance, dropout, blank):
    for seed in range(5):
        noisy = add_noise(
            tf.ragged.constant(SENTENCES, tf.int32),
            IS_WORD_START,
            [seed, 7],
            MASK,
            distance,
            dropout,
            blank,
        )
        assert noisy.to_list() == _reference(SENTENCES, [seed, 7], distance, dropout, blank)


def test_same_seed_same_noise_and_exact_output():
    batch = tf.ragged.constant(SENTENCES, tf.int32)
    first = add_noise(batch, IS_WORD_START, [1, 2], MASK).to_list()
    assert add_noise(batch, IS_WORD_START, [1, 2], MASK).to_list() == first
    assert add_noise(batch, IS_WORD_START, [1, 3], MASK).to_list() != first
    # XLM's defaults (distance 3, dropout 0.1, blank 0.1), recorded once.
    assert first == [
        [20, 50, 30, 31, 70, 60, 61],
        [4],
        [],
        [6, 21, 8, 9, 12, 14, 16],
        [99, 2, 6, 8, 10, 12, 14, 16, 20, 18, 22, 24],
    ]


def test_shuffle_moves_no_word_by_its_distance_or_more():
    sentence = list(range(0, 80, 2))  # 40 one-piece words, each id its position * 2.
    for seed in range(20):
        noisy = add_noise(
            tf.ragged.constant([sentence], tf.int32),
            IS_WORD_START,
            [seed, 0],
            MASK,
            shuffle_distance=3.0,
            dropout=0.0,
            blank=0.0,
        )
        moved = [abs(position - piece // 2) for position, piece in enumerate(noisy[0].numpy())]
        assert max(moved) < 3 and sorted(noisy[0].numpy().tolist()) == sentence


def test_every_sentence_keeps_a_word_and_packing_adds_the_frame():
    from xlm_keras.text.packing import pack_single

    batch = tf.ragged.constant([s for s in SENTENCES if s], tf.int32)
    noisy = add_noise(batch, IS_WORD_START, [0, 0], MASK, dropout=0.99)
    assert all(len(row) >= 1 for row in noisy.to_list())
    packed = pack_single(noisy, 16, start_id=0, end_id=2, pad_id=1)
    lengths = packed["padding_mask"].numpy().sum(1)
    ids = packed["token_ids"].numpy()
    assert (ids[:, 0] == 0).all() and (ids[np.arange(len(ids)), lengths - 1] == 2).all()


def test_a_vocabulary_without_word_start_marks_is_refused():
    """XLM's BPE pieces end words with </w>: no table by id can say where
    its words start, so denoising refuses it instead of treating every
    sentence as one word."""
    from xlm_keras.models import XLMBPETokenizer
    from xlm_keras.text.noise import word_start_table

    vocabulary = {"<s>": 0, "</s>": 1, "<pad>": 2, "<unk>": 3}
    vocabulary.update({f"<special{i}>": 4 + i for i in range(10)})
    vocabulary.update({"l": 14, "o": 15, "lo": 16, "w</w>": 17, "low</w>": 18})
    tokenizer = XLMBPETokenizer(vocabulary=vocabulary, merges=["l o", "lo w</w>"])
    with pytest.raises(ValueError, match="SentencePiece vocabulary whose words start"):
        word_start_table(tokenizer)
