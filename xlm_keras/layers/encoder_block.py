"""The encoder block's forward pass, shared by training and inference.

`XLMTransformerLayer` runs `block` in training (with dropout) and the
inference paths (`xlm_keras.inference.encoder`) run it without: the same
weights and the same arithmetic as keras-hub's `TransformerEncoder`
(outputs equal to float round-off), written as 2-D `MatMul` + `BiasAdd`
(which TensorFlow's CPU graph optimiser fuses), one additive key mask and a
plain LayerNorm. Rows [N, H] stand for a [B, T, H] grid through
`TokenLayout`.
"""

import keras
import tensorflow as tf

from xlm_keras.keras_hub_internals import attention_parts
from xlm_keras.keras_hub_internals import block_sublayers

# Keras' masked softmax adds this to masked keys; exp() of it is exactly 0.
MASKED = -1e9


class TokenLayout:
    """Where the rows [N, W] of a batch sit in its [B, T, W] grid: every
    position (N = B * T, row-major), or only the tokens (`drop_padding`).

    Args:
        padding_mask: int/bool [B, T].
        drop_padding: bool.
    """

    def __init__(self, padding_mask, drop_padding=False):
        self.batch, self.length = tf.shape(padding_mask)[0], tf.shape(padding_mask)[1]
        # [N, 1] int64 flat positions of the tokens, or None for all positions.
        self.index = (
            tf.where(tf.reshape(tf.cast(padding_mask, tf.bool), [-1])) if drop_padding else None
        )

    def rows(self, grid):
        """[B, T, W] -> [N, W]."""
        flat = tf.reshape(grid, [-1, grid.shape[-1]])
        return flat if self.index is None else tf.gather_nd(flat, self.index)

    def select(self, rows, positions):
        """[N, W] -> [B * P, W]: the rows at `positions` int [B, P] (all
        rows when `positions` is None)."""
        if positions is None:
            return rows
        picked = tf.gather(self.grid(rows), positions, batch_dims=1)
        return tf.reshape(picked, [-1, rows.shape[-1]])

    def selected(self, positions):
        """The layout of `select(rows, positions)`'s rows: every position of
        a [B, P] grid (this layout when `positions` is None)."""
        return self if positions is None else TokenLayout(tf.ones_like(positions))

    def grid(self, rows):
        """[N, W] -> [B, T, W], zeros at dropped padding."""
        width = rows.shape[-1]
        if self.index is not None:
            rows = tf.scatter_nd(self.index, rows, [self.batch * self.length, width])
        return tf.reshape(rows, [self.batch, self.length, width])


def block(layer, x, key_mask, layout, dropout=None, query_positions=None):
    """One `XLMTransformerLayer` (post-LN or pre-LN) on rows x [N, H];
    `key_mask` float32 [B or 1, 1, 1 or Q, T] is added to the attention
    scores (Q: T, or P with `query_positions`).

    `dropout`: None (inference), or `fn(dropout_layer, x) -> x` applied
    where the Keras block applies its dropout layers (attention
    probabilities, attention output, feed-forward output).
    `query_positions`: None, or int [B, P]: the block's output only at those
    positions, rows [B * P, H]: every position still serves as a key and a
    value, but queries, the output projection and the feed-forward run on
    P rows per sequence.
    """
    drop = dropout or (lambda _, x: x)
    parts = block_sublayers(layer)
    residual = layout.select(x, query_positions)
    if layer.normalize_first:
        x = layer_norm(x, parts.self_attention_norm)
    x = _attention(parts.self_attention, x, key_mask, layout, drop, query_positions)
    x = drop(parts.self_attention_dropout, x) + residual
    if not layer.normalize_first:
        x = layer_norm(x, parts.self_attention_norm)
    residual = x
    if layer.normalize_first:
        x = layer_norm(x, parts.feedforward_norm)
    intermediate = parts.feedforward_intermediate
    x = activation_of(intermediate)(dense(x, intermediate.kernel, intermediate.bias))
    output = parts.feedforward_output
    x = drop(parts.feedforward_dropout, dense(x, output.kernel, output.bias)) + residual
    if not layer.normalize_first:
        x = layer_norm(x, parts.feedforward_norm)
    return x


def _attention(attention, x, key_mask, layout, drop, query_positions=None):
    """Keras `MultiHeadAttention` (self-attention) on rows x [N, H]; `drop`
    applies its dropout to the attention probabilities. With
    `query_positions` [B, P] only those rows query; the output is then
    [B * P, H]."""
    attention = attention_parts(attention)
    heads, head_dim = attention.num_heads, attention.head_dim
    width = heads * head_dim

    def project(einsum_dense, rows, rows_layout):
        # EinsumDense [H, heads, head_dim] -> [B, heads, T, head_dim].
        grid = rows_layout.grid(dense(rows, *attention_dense(einsum_dense)))
        heads_last = tf.reshape(grid, [rows_layout.batch, rows_layout.length, heads, head_dim])
        return tf.transpose(heads_last, [0, 2, 1, 3])

    queries = layout.selected(query_positions)
    query_rows = layout.select(x, query_positions)
    # Keras scales the query before the product; the same order, the same round-off.
    query = project(attention.query, query_rows, queries) * attention.inverse_sqrt_head_dim
    keys = project(attention.key, x, layout)
    scores = tf.matmul(query, keys, transpose_b=True) + key_mask
    probabilities = drop(attention.dropout, tf.nn.softmax(scores))
    mixed = tf.matmul(probabilities, project(attention.value, x, layout))
    mixed = tf.reshape(tf.transpose(mixed, [0, 2, 1, 3]), [queries.batch, queries.length, width])
    return dense(queries.rows(mixed), *attention_dense(attention.output))


def additive_key_mask(padding_mask):
    """float32 [B, 1, 1, T] of padding_mask [B, T]: 0 at tokens, `MASKED` at
    padding; added to every head's and query's attention scores."""
    return (1.0 - tf.cast(padding_mask, tf.float32))[:, None, None, :] * MASKED


def attention_dense(einsum_dense):
    """An attention `EinsumDense` (kernel [H, heads, head_dim] or [heads,
    head_dim, H]) as a 2-D (kernel [in, out], bias [out])."""
    bias = tf.reshape(einsum_dense.bias, [-1])
    return tf.reshape(einsum_dense.kernel, [-1, bias.shape[0]]), bias


def activation_of(layer):
    """A Dense layer's activation; exact GELU in its erf form, which
    TensorFlow's CPU graph optimiser fuses (about 2x faster than
    `tf.nn.gelu`'s erfc form, equal to 1e-6)."""
    if layer.activation is keras.activations.gelu:
        return _gelu
    return layer.activation


def _gelu(x):
    return 0.5 * x * (1.0 + tf.math.erf(x * 0.7071067811865476))


def dense(x, kernel, bias):
    return tf.nn.bias_add(tf.matmul(x, kernel), bias)


def layer_norm(x, layer):
    """Keras' LayerNormalization over the last axis, in its operation order."""
    mean, variance = tf.nn.moments(x, axes=[-1], keepdims=True)
    scale = tf.math.rsqrt(variance + layer.epsilon) * layer.gamma
    return x * scale + (layer.beta - mean * scale)
