"""One XLM Transformer block: keras-hub's encoder block, optionally causal."""

import keras
import tensorflow as tf
from keras import ops
from keras_hub.layers import TransformerEncoder

from xlm_keras.keras_hub_internals import attention_parts
from xlm_keras.keras_hub_internals import block_sublayers
from xlm_keras.layers.dropout import dropout_with
from xlm_keras.layers.encoder_block import MASKED
from xlm_keras.layers.encoder_block import TokenLayout
from xlm_keras.layers.encoder_block import additive_key_mask
from xlm_keras.layers.encoder_block import block


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
        query_positions: int [batch, P] or None: return the block's output
            only at these positions. In float32 the queries, the output
            projection and the feed-forward then run on those P rows alone
            (every position stays a key and a value); mixed precision
            computes every position and gathers.

    Returns: float [batch, seq, hidden], or [batch, P, hidden].

    In float32 the block runs as `encoder_block.block` (2-D matmuls on
    the keras-hub sublayers' weights) with `hash_dropout` at keras-hub's
    three dropout sites, seeded by those dropout layers' seed generators
    (the Keras Philox masks that keras-hub's block draws took about a tenth
    of an XLA pretraining step on CPU; README "Training speed"). Other
    dtypes (mixed precision) run keras-hub's block.

    `call_with_cache` runs new positions against cached keys and values
    (causal generation).
    """

    def __init__(self, causal=False, **kwargs):
        super().__init__(**kwargs)
        self.causal = causal

    def call(self, inputs, padding_mask=None, training=None, query_positions=None):
        if padding_mask is None:
            padding_mask = tf.ones(tf.shape(inputs)[:2], tf.int32)
        length = tf.shape(inputs)[1]
        if self.compute_dtype != "float32":
            attention_mask = None
            if self.causal:
                visible = _causal_visibility(length)
                attention_mask = tf.broadcast_to(visible, [tf.shape(inputs)[0], length, length])
            outputs = super().call(
                inputs, padding_mask=padding_mask, attention_mask=attention_mask, training=training
            )
            if query_positions is None:
                return outputs
            return tf.gather(outputs, query_positions, batch_dims=1)
        key_mask = additive_key_mask(padding_mask)
        if self.causal:
            visible = _causal_visibility(length, query_positions)
            key_mask += tf.where(visible, 0.0, MASKED)[:, None]
        layout = TokenLayout(padding_mask)
        dropout = dropout_with if training else None
        rows = block(self, layout.rows(inputs), key_mask, layout, dropout, query_positions)
        return layout.selected(query_positions).grid(rows)

    def call_with_cache(self, inputs, cache, cache_update_index):
        """Causal attention of `inputs` at positions `cache_update_index ..`
        over the cache, inference only.

        Args:
            inputs: float [batch, new, hidden].
            cache: float [batch, 2, max_length, num_heads, head_dim], keys
                and values of every position (only those before
                `cache_update_index + new` are read).
            cache_update_index: int scalar, the position of `inputs[:, 0]`.

        Returns: (outputs float [batch, new, hidden], the updated cache).
        """
        parts = block_sublayers(self)
        attention = attention_parts(parts.self_attention)
        residual = inputs
        x = parts.self_attention_norm(inputs) if self.normalize_first else inputs
        query = attention.query(x)  # [batch, new, heads, head_dim]
        start = [0, cache_update_index, 0, 0]
        keys = ops.slice_update(cache[:, 0], start, attention.key(x))
        values = ops.slice_update(cache[:, 1], start, attention.value(x))
        scores = ops.einsum("bqhd,bkhd->bhqk", query, keys) * attention.inverse_sqrt_head_dim
        query_positions = cache_update_index + ops.arange(ops.shape(inputs)[1])
        visible = ops.arange(ops.shape(keys)[1])[None, :] <= query_positions[:, None]
        scores = ops.where(visible[None, None], scores, -1e9)
        weights = ops.softmax(ops.cast(scores, "float32"), axis=-1)
        x = ops.einsum("bhqk,bkhd->bqhd", ops.cast(weights, values.dtype), values)
        x = attention.output(x) + residual
        if not self.normalize_first:
            x = parts.self_attention_norm(x)
        residual = x
        if self.normalize_first:
            x = parts.feedforward_norm(x)
        x = parts.feedforward_output(parts.feedforward_intermediate(x)) + residual
        if not self.normalize_first:
            x = parts.feedforward_norm(x)
        return x, ops.stack([keys, values], axis=1)

    def get_config(self):
        config = super().get_config()
        config["causal"] = self.causal
        return config


def _causal_visibility(length, query_positions=None):
    """bool [1, length, length] (every position queries), or [batch, P,
    length] for `query_positions` [batch, P]: query position >= key
    position."""
    keys = tf.range(length)
    queries = keys[None] if query_positions is None else tf.cast(query_positions, tf.int32)
    return queries[:, :, None] >= keys[None, None, :]
