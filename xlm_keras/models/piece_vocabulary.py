"""`PieceVocabulary`: the id <-> piece lookups both XLM tokenizers share."""

import tensorflow as tf

from xlm_keras.keras_hub_internals import convert_to_ragged_batch


class PieceVocabulary:
    """Mixin of the XLM tokenizers over `_vocabulary_by_id` (pieces in id
    order) and `_id_by_token` (piece -> id); the class provides
    `_check_vocabulary`, `mask_token_id`, `unk_token_id` and
    `special_token_ids`."""

    def masking_ids(self):
        """The ids `text.masking.mask_tokens` takes from the tokenizer, by
        its argument names: `mask_id`, `vocabulary_size`, `special_ids`."""
        return {
            "mask_id": self.mask_token_id,
            "vocabulary_size": self.vocabulary_size(),
            "special_ids": self.special_token_ids,
        }

    def vocabulary_size(self):
        """Number of model ids (embedding rows)."""
        self._check_vocabulary()
        return len(self._vocabulary_by_id)

    def get_vocabulary(self):
        """Pieces in model-id order."""
        self._check_vocabulary()
        return list(self._vocabulary_by_id)

    def id_to_token(self, id):
        """Piece of the model id `id`."""
        self._check_vocabulary()
        if not 0 <= id < self.vocabulary_size():
            raise ValueError(f"`id` must be in [0, {self.vocabulary_size() - 1}]; got {id}.")
        return self._vocabulary_by_id[id]

    def token_to_id(self, token):
        """Model id of `token`; `unk_token_id` if it is not in the vocabulary."""
        self._check_vocabulary()
        if hasattr(token, "numpy"):
            token = token.numpy()
        if isinstance(token, bytes):
            token = token.decode("utf-8")
        return self._id_by_token.get(token, self.unk_token_id)

    def _ids_without_specials(self, inputs):
        """`detokenize`'s first step: `(ids, unbatched)`, the ids of `inputs`
        (int [None] or [batch, None], dense or ragged) as tf.RaggedTensor
        int32 [batch, None] without the special tokens' ids."""
        ids, unbatched, _ = convert_to_ragged_batch(inputs)
        ids = tf.cast(ids, "int32")
        specials = tf.constant(self.special_token_ids, "int32")
        is_piece = tf.ragged.map_flat_values(
            lambda flat: tf.reduce_all(flat[:, tf.newaxis] != specials, axis=1), ids
        )
        return tf.ragged.boolean_mask(ids, is_piece), unbatched
