"""One XLM Transformer block: keras-hub's encoder block, optionally causal."""

import keras
from keras import ops
from keras_hub.layers import TransformerEncoder


@keras.saving.register_keras_serializable(package="xlm_keras")
class XLMTransformerLayer(TransformerEncoder):
    """keras-hub `TransformerEncoder` with an optional causal mask.

    Post-LN (`normalize_first=False`, XLM and XLM-R base/large) or pre-LN
    (`normalize_first=True`, XLM-R XL/XXL). With `causal=True` position `i`
    attends only to positions `<= i` (XLM's CLM).

    Args:
        causal: bool. Mask future positions.
        **kwargs: every `keras_hub.layers.TransformerEncoder` argument.

    Call arguments:
        inputs: float [batch, seq, hidden].
        padding_mask: bool/int [batch, seq], 1 for real tokens.

    Returns: float [batch, seq, hidden].
    """

    def __init__(self, causal=False, **kwargs):
        super().__init__(**kwargs)
        self.causal = causal

    def call(self, inputs, padding_mask=None, training=None):
        attention_mask = None
        if self.causal:
            length = ops.shape(inputs)[1]
            positions = ops.arange(length)
            causal = ops.expand_dims(positions, 1) >= ops.expand_dims(positions, 0)
            attention_mask = ops.broadcast_to(
                ops.expand_dims(causal, 0), (ops.shape(inputs)[0], length, length)
            )
        return super().call(
            inputs,
            padding_mask=padding_mask,
            attention_mask=attention_mask,
            training=training,
        )

    def get_config(self):
        config = super().get_config()
        config["causal"] = self.causal
        return config
