"""`PieceVocabulary`: the id <-> piece lookups both XLM tokenizers share."""


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
