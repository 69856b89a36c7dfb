"""Token + position + language embeddings of the XLM family."""

import keras
from keras import ops
from keras_hub.layers import PositionEmbedding
from keras_hub.layers import SinePositionEncoding

from xlm_keras.layers.token_embedding import TokenEmbedding


def uses_language_embedding(num_languages, use_language_embedding=True):
    """XLM's rule (Hugging Face's `n_langs > 1 and use_lang_emb`): a model
    adds language embeddings only with several languages and
    `use_language_embedding`."""
    return bool(use_language_embedding) and num_languages > 1


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMEmbedding(keras.layers.Layer):
    """Sum of token, position and (optionally) language embeddings.

    No scaling is applied (XLM and XLM-R add the raw tables).

    Args:
        vocabulary_size: int. Rows of the token table.
        hidden_dim: int. Width of every table.
        max_sequence_length: int. Longest sequence the position table covers.
        position_embedding: `"learned"` (a trained table) or `"sinusoidal"`
            (XLM's fixed table: sin on even, cos on odd features).
        position_offset: int. Added to every position id before the lookup.
            XLM-R (fairseq) starts real tokens at `padding_idx + 1 = 2`, so
            its learned table has `max_sequence_length + 2` rows.
        num_language_embeddings: int. Rows of the language table; 0 for none.
        embeddings_initializer: initializer of the learned tables.

    Call arguments:
        token_ids: int [batch, seq].
        position_ids: int [batch, seq] or None (then `0 .. seq-1`); counted
            from 0, the offset is added here.
        language_ids: int [batch, seq]; required iff there is a language table.

    Returns: float [batch, seq, hidden_dim].

    Example:
    >>> layer = XLMEmbedding(100, 8, 16, num_language_embeddings=2)
    >>> ids = np.ones((2, 5), "int32")
    >>> layer(ids, language_ids=ids).shape
    TensorShape([2, 5, 8])
    """

    def __init__(
        self,
        vocabulary_size,
        hidden_dim,
        max_sequence_length,
        position_embedding="learned",
        position_offset=0,
        num_language_embeddings=0,
        embeddings_initializer="glorot_uniform",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if position_embedding not in ("learned", "sinusoidal"):
            raise ValueError(
                "`position_embedding` must be 'learned' or 'sinusoidal'. "
                f"Received: position_embedding={position_embedding!r}"
            )
        self.vocabulary_size = vocabulary_size
        self.hidden_dim = hidden_dim
        self.max_sequence_length = max_sequence_length
        self.position_embedding = position_embedding
        self.position_offset = position_offset
        self.num_language_embeddings = num_language_embeddings
        self.embeddings_initializer = keras.initializers.get(embeddings_initializer)

        self.token_embedding = TokenEmbedding(
            vocabulary_size,
            hidden_dim,
            embeddings_initializer=self._clone_initializer(),
            dtype=self.dtype_policy,
            name="token_embedding",
        )
        if position_embedding == "learned":
            self.position_table = PositionEmbedding(
                sequence_length=max_sequence_length + position_offset,
                initializer=self._clone_initializer(),
                dtype=self.dtype_policy,
                name="position_embedding",
            )
        else:
            self.position_table = SinePositionEncoding(
                dtype=self.dtype_policy, name="position_embedding"
            )
        self.language_embedding = None
        if num_language_embeddings:
            self.language_embedding = keras.layers.Embedding(
                num_language_embeddings,
                hidden_dim,
                embeddings_initializer=self._clone_initializer(),
                dtype=self.dtype_policy,
                name="language_embedding",
            )

    def _clone_initializer(self):
        return self.embeddings_initializer.__class__.from_config(
            self.embeddings_initializer.get_config()
        )

    def build(self, token_ids_shape, position_ids_shape=None, language_ids_shape=None):
        self.token_embedding.build(token_ids_shape)
        embedded_shape = tuple(token_ids_shape) + (self.hidden_dim,)
        self.position_table.build(embedded_shape)
        if self.language_embedding is not None:
            self.language_embedding.build(token_ids_shape)
        self.built = True

    def call(self, token_ids, position_ids=None, language_ids=None):
        embedded = self.token_embedding(token_ids)
        if position_ids is None:
            position_ids = ops.expand_dims(ops.arange(ops.shape(token_ids)[1]), 0)
        position_ids = ops.cast(position_ids, "int32") + self.position_offset
        if self.position_embedding == "sinusoidal":
            position_ids = ops.cast(position_ids, self.compute_dtype)
        embedded = embedded + self.position_table(embedded, positions=position_ids)
        if self.language_embedding is not None:
            embedded = embedded + self.language_embedding(language_ids)
        return embedded

    def compute_output_shape(self, token_ids_shape, *args, **kwargs):
        return tuple(token_ids_shape) + (self.hidden_dim,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "vocabulary_size": self.vocabulary_size,
                "hidden_dim": self.hidden_dim,
                "max_sequence_length": self.max_sequence_length,
                "position_embedding": self.position_embedding,
                "position_offset": self.position_offset,
                "num_language_embeddings": self.num_language_embeddings,
                "embeddings_initializer": keras.initializers.serialize(self.embeddings_initializer),
            }
        )
        return config
