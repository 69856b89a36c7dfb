"""`XLMTokenClassifierPreprocessor`: words (and word tags) to tagger inputs."""

import keras
import tensorflow as tf

from xlm_keras.keras_hub_internals import preprocessing_function
from xlm_keras.models.xlm_preprocessor import XLMPreprocessor
from xlm_keras.models.xlm_preprocessor import item_languages
from xlm_keras.text.packing import pack_single
from xlm_keras.text.packing import sentence_frame

IGNORE = -1  # Label of pieces that are not a word's first piece.


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMTokenClassifierPreprocessor(XLMPreprocessor):
    """Tokenise words and pack them as one sentence; a word's tag goes to
    its first piece (XLM-R / BERT alignment), the other pieces carry none.

    Args: as `XLMPreprocessor`.

    Call arguments:
        x: words, ragged tf.string [batch, words] (or lists of lists of
            str), or sentences tf.string [batch] split on whitespace; or a
            dict with `text` (either form) and `language`.
        y: optional tags int [batch, words] (ragged or lists of lists).
        sample_weight: must be None (it is made from the alignment).

    Returns: x (`token_ids`, `padding_mask`, `language_ids` when taken;
    int32 [batch, sequence_length]) or `(x, labels, sample_weight)` with
    labels int32 [batch, sequence_length] (0 where ignored) and
    sample_weight float32 (1 on each word's first piece).

    Example:
    >>> preprocessor = XLMTokenClassifierPreprocessor.from_preset("runs/ner/preset")
    >>> x, labels, weights = preprocessor([["Anna", "wohnt", "in", "Köln"]], [[1, 0, 0, 3]])
    """

    text_rank = 2  # Sentences [batch], or words [batch, words].

    @preprocessing_function
    def call(self, x, y=None, sample_weight=None):
        if sample_weight is not None:
            raise ValueError(
                "XLMTokenClassifierPreprocessor weights the first piece of each "
                "word itself; pass no sample_weight."
            )
        text, _, language = self.split_inputs(x)
        words = self.words(text)
        inputs, word_positions = self.pack_words(words, language)
        if y is None:
            return inputs
        if isinstance(y, tf.RaggedTensor):
            y = y.to_tensor(0)
        labels, weights = word_labels(word_positions, y, self.sequence_length)
        return inputs, labels, weights

    def words(self, text):
        """Words ragged tf.string [batch, words] of `text`: words as they
        are, sentences split on whitespace (invalid UTF-8 replaced)."""
        if not isinstance(text, tf.RaggedTensor):
            text = tf.convert_to_tensor(text, tf.string)
            if text.shape.rank == 0:
                text = text[tf.newaxis]
            if text.shape.rank == 2:
                return tf.RaggedTensor.from_tensor(text)
            text = tf.strings.unicode_transcode(text, "UTF-8", "UTF-8", errors="replace")
            return tf.strings.split(text)
        return text

    def pack_words(self, words, language=None):
        """Words ragged tf.string [batch, W] -> (model inputs int32
        [batch, seq], word_positions int32 [batch, W]): each word's first
        piece position, -1 for words cut by truncation or with no pieces."""
        length = self.sequence_length
        pieces = self.tokenizer.tokenize(  # [N words, pieces]
            words.flat_values, item_languages(language, words.nrows(), words.value_rowids())
        )
        counts = tf.cast(pieces.row_lengths(), tf.int32)
        ids = tf.RaggedTensor.from_row_splits(pieces, words.row_splits).merge_dims(1, 2)
        word_rows = tf.cast(words.value_rowids(), tf.int32)
        row_start = tf.gather(tf.cast(ids.row_starts(), tf.int32), word_rows)
        position = tf.cumsum(counts, exclusive=True) - row_start + 1  # After the start token.
        valid = (counts > 0) & (position < length - 1)
        positions = tf.RaggedTensor.from_row_splits(
            tf.where(valid, position, -1), words.row_splits
        ).to_tensor(-1)
        start_id, end_id = sentence_frame(self.frame, self.tokenizer)
        language_ids = self.language_ids(words.row_lengths(), language)
        packed = pack_single(
            ids, length, start_id, end_id, self.tokenizer.pad_token_id, language_id=language_ids
        )
        return self.model_inputs(packed), positions


def word_labels(word_positions, tags, sequence_length):
    """Tags int [batch, W] at `word_positions` -> (labels int32 [batch, seq]
    with `IGNORE` elsewhere clipped to 0, sample_weight float32 [batch, seq])."""
    valid = word_positions >= 0
    rows = tf.broadcast_to(tf.range(tf.shape(word_positions)[0])[:, None], tf.shape(word_positions))
    indices = tf.stack(
        [tf.boolean_mask(rows, valid), tf.boolean_mask(word_positions, valid)], axis=1
    )
    labels = tf.tensor_scatter_nd_update(
        tf.fill([tf.shape(word_positions)[0], sequence_length], IGNORE),
        indices,
        tf.boolean_mask(tf.cast(tags, tf.int32), valid),
    )
    return tf.maximum(labels, 0), tf.cast(labels != IGNORE, tf.float32)
