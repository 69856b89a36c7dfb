"""XLM's language-model output layer: the tied token table plus a bias."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMPredictionHead(keras.layers.Layer):
    """Logits `h @ E^T + b` with `E` the backbone's token table (XLM's
    `pred_layer.proj`, weight tied to the embeddings, own bias).

    Args:
        token_embedding: the backbone's `ReversibleEmbedding`.

    Call arguments:
        inputs: float [batch, seq, hidden].
        mask_positions: int [batch, targets] or None. When given, logits are
            computed only at these positions (the fast path for MLM/TLM).

    Returns: float [batch, targets or seq, vocabulary_size].
    """

    def __init__(self, token_embedding, **kwargs):
        super().__init__(**kwargs)
        self.token_embedding = token_embedding

    def build(self, inputs_shape, mask_positions_shape=None):
        self.bias = self.add_weight(
            name="output_bias", shape=(self.token_embedding.input_dim,), initializer="zeros"
        )
        self.built = True

    def call(self, inputs, mask_positions=None):
        if mask_positions is not None:
            positions = ops.expand_dims(ops.cast(mask_positions, "int32"), -1)
            inputs = ops.take_along_axis(inputs, positions, axis=1)
        logits = self.token_embedding(inputs, reverse=True)
        return ops.cast(logits, self.compute_dtype) + self.bias

    def compute_output_shape(self, inputs_shape, mask_positions_shape=None):
        length = inputs_shape[1] if mask_positions_shape is None else (mask_positions_shape[1])
        return (inputs_shape[0], length, self.token_embedding.input_dim)
