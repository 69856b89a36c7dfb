"""XLM-R's language-model head at every position."""

import keras
from keras import ops
from keras_hub.layers import MaskedLMHead

from xlm_keras.keras_hub_internals import lm_head_parts


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMRobertaLMHead(MaskedLMHead):
    """keras-hub `MaskedLMHead` (dense, GELU, LayerNorm, tied projection +
    bias) whose `mask_positions` is optional: without it the logits cover
    every position (a decoder's output).

    Args: as `keras_hub.layers.MaskedLMHead`.

    Call arguments:
        inputs: float [batch, seq, hidden].
        mask_positions: int [batch, targets] or None.

    Returns: float [batch, targets or seq, vocabulary_size].
    """

    def call(self, inputs, mask_positions=None):
        if mask_positions is not None:
            return super().call(inputs, mask_positions)
        parts = lm_head_parts(self)
        x = parts.norm(parts.dense(inputs))
        outputs = ops.cast(self.token_embedding(x, reverse=True), self.compute_dtype)
        return outputs + parts.bias

    def compute_output_shape(self, inputs_shape, mask_positions_shape=None):
        length = inputs_shape[1] if mask_positions_shape is None else mask_positions_shape[1]
        return (inputs_shape[0], length, self.token_embedding.input_dim)
