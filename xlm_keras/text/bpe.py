"""XLM's byte-pair encoding in TensorFlow core ops: words to BPE pieces.

XLM (fastBPE, transformers' `XLMTokenizer.bpe`) splits a word into
characters, marks the last one with `</w>`, then repeatedly merges the
adjacent pair of lowest rank (its line in `merges.txt` / `codes`), every
occurrence of it left to right, until no pair of the word has a rank.

Here all the distinct words of a batch merge at once: one loop step merges
each word's best pair, so the loop runs as many steps as the longest
word needs merges, each step a handful of vectorised ops over every piece.
"""

import tensorflow as tf

WORD_END = "</w>"
# Rank of a pair that is not a merge: above every real rank.
NO_MERGE = tf.int32.max


def merge_ranks(merges):
    """A static table "first second" -> rank (int32) of `merges`.

    Args:
        merges: list of (first, second) piece pairs, in rank order.
    """
    keys = [f"{first} {second}" for first, second in merges]
    return tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(
            tf.constant(keys, tf.string), tf.range(len(keys), dtype=tf.int32)
        ),
        default_value=NO_MERGE,
    )


def bpe_words(words, ranks):
    """BPE pieces of each word.

    Args:
        words: tf.string [num_words], non-empty words.
        ranks: the table of `merge_ranks`.

    Returns: tf.RaggedTensor tf.string [num_words, (pieces)]; a word's last
    piece ends with `</w>`.
    """
    characters = tf.strings.unicode_split(words, "UTF-8")
    flat = characters.flat_values
    word_ids = tf.cast(characters.value_rowids(), tf.int32)
    num_words = tf.shape(words)[0]
    is_last = tf.concat([word_ids[1:] != word_ids[:-1], tf.ones([1], tf.bool)], 0)[: tf.size(flat)]
    pieces = tf.where(is_last, tf.strings.join([flat, WORD_END]), flat)

    def merge_step(pieces, word_ids, merged):
        del merged
        following = tf.concat([pieces[1:], [""]], 0)
        same_word = tf.concat([word_ids[1:] == word_ids[:-1], [False]], 0)
        rank = tf.where(
            same_word, ranks.lookup(tf.strings.join([pieces, following], " ")), NO_MERGE
        )
        best = tf.math.unsorted_segment_min(rank, word_ids, num_words)
        match = (rank < NO_MERGE) & (rank == tf.gather(best, word_ids))
        taken = _left_to_right(match)
        joined = tf.where(taken, tf.strings.join([pieces, following]), pieces)
        keep = tf.logical_not(tf.concat([[False], taken[:-1]], 0))
        return (
            tf.boolean_mask(joined, keep),
            tf.boolean_mask(word_ids, keep),
            tf.reduce_any(match),
        )

    pieces, word_ids, _ = tf.while_loop(
        lambda pieces, word_ids, merged: merged,
        merge_step,
        (pieces, word_ids, tf.size(pieces) > 1),
        shape_invariants=(tf.TensorShape([None]), tf.TensorShape([None]), tf.TensorShape([])),
    )
    return tf.RaggedTensor.from_value_rowids(
        pieces, tf.cast(word_ids, tf.int64), nrows=tf.cast(num_words, tf.int64)
    )


def _left_to_right(match):
    """bool [n]: the matches merged when a pair repeats with overlaps
    (`a a a` merging `a a`): in each run of consecutive matches, those at
    an even offset from the run's start, as a left-to-right scan takes."""
    n = tf.size(match)
    positions = tf.range(n)
    run_ids = tf.cumsum(tf.cast(tf.logical_not(match), tf.int32))
    starts = tf.math.unsorted_segment_min(tf.where(match, positions, n), run_ids, n + 1)
    return match & ((positions - tf.gather(starts, run_ids)) % 2 == 0)


def bpe_pieces(words, ranks):
    """BPE pieces of words, each distinct word merged once per call.

    Args:
        words: tf.RaggedTensor tf.string [batch, (words)].
        ranks: the table of `merge_ranks`.

    Returns: tf.RaggedTensor tf.string [batch, (pieces)].
    """
    words = tf.ragged.boolean_mask(words, tf.strings.length(words) > 0)
    distinct, index = tf.unique(words.flat_values)
    pieces = tf.gather(bpe_words(distinct, ranks), index)
    return words.with_flat_values(pieces).merge_dims(1, 2)
