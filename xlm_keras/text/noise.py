"""XLM's denoising noise for auto-encoding (Lample et al. 2018; XLM's
`word_shuffle`, `word_dropout`, `word_blank`), at word level, in graph.

A word is a SentencePiece piece starting with `▁` and the pieces after it
up to the next such piece (a row's first piece always starts a word). The
noise runs on a sentence's pieces before framing, so the frame's special
tokens are added afterwards and never touched.
"""

import tensorflow as tf

WORD_START = "\u2581"


def word_start_table(tokenizer):
    """bool [vocabulary_size]: which ids begin a word (`▁` pieces and the
    special tokens). A vocabulary without `▁` pieces (XLM's BPE, whose words
    end in `</w>` instead) is refused: its word starts depend on the piece
    before, which a table by id cannot say."""
    vocabulary = tokenizer.get_vocabulary()
    if not any(piece.startswith(WORD_START) for piece in vocabulary):
        raise ValueError(
            f"Denoising (the auto-encoding and back-translation noise) needs a SentencePiece "
            f"vocabulary whose words start with '{WORD_START}'; {type(tokenizer).__name__} has "
            "none (XLM's BPE marks word ends with </w>). Train the translation model from a "
            "SentencePiece preset, or use only supervised objectives."
        )
    specials = set(tokenizer.special_token_ids)
    return tf.constant(
        [piece.startswith(WORD_START) or i in specials for i, piece in enumerate(vocabulary)]
    )


def add_noise(
    token_ids, is_word_start, seed, mask_id, shuffle_distance=3.0, dropout=0.1, blank=0.1
):
    """Shuffle, drop and blank the words of each sentence.

    As XLM: each word gets the score `position + uniform(0, shuffle_distance)`
    and the words are sorted by it (so no word moves `shuffle_distance` or
    more positions); each word is dropped with probability `dropout`, but a
    sentence keeps at least one word (the one least likely to drop); each
    kept word is replaced by one `mask_id` with probability `blank`.

    Args:
        token_ids: int32 RaggedTensor [batch, None], piece ids of sentences.
        is_word_start: bool [vocabulary_size] (`word_start_table`).
        seed: int32 [2], the stateless random seed (same seed, same noise).
        mask_id: int, the blank.
        shuffle_distance: float >= 0 (XLM's `word_shuffle`; 0 = no shuffle).
        dropout, blank: floats in [0, 1).

    Returns: int32 RaggedTensor [batch, None].
    """
    token_ids = tf.cast(token_ids, tf.int32)
    batch_size = token_ids.nrows(out_type=tf.int32)
    flat = token_ids.flat_values
    rows = tf.cast(token_ids.value_rowids(), tf.int32)
    starts = tf.logical_or(
        tf.gather(is_word_start, flat),
        tf.range(tf.size(flat)) == tf.gather(tf.cast(token_ids.row_splits, tf.int32), rows),
    )
    word = tf.cumsum(tf.cast(starts, tf.int32)) - 1  # Word of each piece, over the batch.
    word_row = tf.boolean_mask(rows, starts)
    num_words = tf.size(word_row)
    first_word = tf.math.unsorted_segment_min(tf.range(num_words), word_row, batch_size)
    word_position = tf.range(num_words) - tf.gather(first_word, word_row)
    shuffle_noise, drop_noise, blank_noise = tf.unstack(
        tf.random.stateless_uniform([3, num_words], seed=seed)
    )

    keep = drop_noise >= dropout
    kept = tf.math.unsorted_segment_sum(tf.cast(keep, tf.int32), word_row, batch_size)
    likeliest = tf.math.unsorted_segment_max(drop_noise, word_row, batch_size)
    keep = tf.logical_or(
        keep,
        tf.logical_and(
            drop_noise == tf.gather(likeliest, word_row), tf.gather(kept, word_row) == 0
        ),
    )
    blanked = tf.logical_and(keep, blank_noise < blank)

    score = tf.cast(word_position, tf.float64) + shuffle_distance * tf.cast(
        shuffle_noise, tf.float64
    )
    # Rows stay apart (a row's scores are < its length + distance); a stable
    # sort keeps each word's pieces in order.
    row_span = tf.cast(tf.size(flat), tf.float64) + shuffle_distance + 1.0
    piece_key = tf.cast(rows, tf.float64) * row_span + tf.gather(score, word)
    order = tf.argsort(piece_key, stable=True)
    flat, rows, word, starts = (tf.gather(t, order) for t in (flat, rows, word, starts))

    is_blanked = tf.gather(blanked, word)
    survives = tf.logical_and(
        tf.gather(keep, word), tf.logical_or(tf.logical_not(is_blanked), starts)
    )
    flat = tf.where(is_blanked, mask_id, flat)
    return tf.RaggedTensor.from_value_rowids(
        tf.boolean_mask(flat, survives), tf.boolean_mask(rows, survives), nrows=batch_size
    )
