"""An `XLMBackbone`'s hidden states at inference, in fewer graph ops.

The same weights and the same arithmetic as the Keras layers (outputs equal
to float round-off; bit-equal on CPU in the tests), written as one graph of
2-D `MatMul` + `BiasAdd` (which TensorFlow's CPU graph optimiser fuses),
one additive key mask per request and a plain LayerNorm. On 2 CPU cores a
batch-1 sentence of the XLM-R 6 x 512 layout runs in about 0.92x the time
of the Keras call (in-process, interleaved; batch 32 the same within noise,
its time is in the matmuls): the Keras path spends much of a
short sentence on per-op overhead (about 1,000 graph ops against 860 here:
mask merging, casts, 3-D einsum reshapes). Used by the serving signatures
and by the Python inference paths (`encode_sentences`, task `predict` on
raw text); training keeps the Keras layers (dropout, gradients).
"""

import tensorflow as tf

# Keras' masked softmax adds this to masked keys; exp() of it is exactly 0.
_MASKED = -1e9


def covers(backbone):
    """Whether `hidden_states` runs its own graph for `backbone`:
    bidirectional attention in float32 (a causal or mixed-precision backbone
    runs its Keras layers)."""
    return not backbone.causal and backbone.compute_dtype == "float32"


def hidden_states(backbone, inputs):
    """float32 [B, T, H]: `backbone(inputs, training=False)`.

    Args:
        backbone: `XLMBackbone`.
        inputs: dict of int32 [B, T]: `token_ids`, `padding_mask`, and
            `language_ids` / `position_ids` as the backbone takes them.
    """
    if not covers(backbone):
        return tf.cast(backbone(inputs, training=False), tf.float32)
    token_ids = inputs["token_ids"]
    batch, length = tf.shape(token_ids)[0], tf.shape(token_ids)[1]
    x = backbone.embeddings(token_ids, position_ids=inputs.get("position_ids"),
                            language_ids=inputs.get("language_ids"))
    if backbone.embeddings_layer_norm is not None:
        x = _layer_norm(x, backbone.embeddings_layer_norm)
    # [B * T, H] rows: every dense layer is then one 2-D MatMul.
    x = tf.reshape(x, [-1, backbone.hidden_dim])
    # [B, 1, 1, T]: added to every head's and query's scores.
    key_mask = (1.0 - tf.cast(inputs["padding_mask"], tf.float32))[:, None, None, :] * _MASKED
    for layer in backbone.transformer_layers:
        x = _block(layer, x, key_mask, batch, length)
    if backbone.final_layer_norm is not None:
        x = _layer_norm(x, backbone.final_layer_norm)
    return tf.reshape(x, [batch, length, backbone.hidden_dim])


def _block(layer, x, key_mask, batch, length):
    """One `XLMTransformerLayer` (post-LN or pre-LN) on x [B * T, H]."""
    residual = x
    if layer.normalize_first:
        x = _layer_norm(x, layer._self_attention_layer_norm)
    x = _attention(layer._self_attention_layer, x, key_mask, batch, length) + residual
    if not layer.normalize_first:
        x = _layer_norm(x, layer._self_attention_layer_norm)
    residual = x
    if layer.normalize_first:
        x = _layer_norm(x, layer._feedforward_layer_norm)
    intermediate = layer._feedforward_intermediate_dense
    x = intermediate.activation(_dense(x, intermediate.kernel, intermediate.bias))
    output = layer._feedforward_output_dense
    x = _dense(x, output.kernel, output.bias) + residual
    if not layer.normalize_first:
        x = _layer_norm(x, layer._feedforward_layer_norm)
    return x


def _attention(attention, x, key_mask, batch, length):
    """Keras `MultiHeadAttention` (self-attention, no dropout) on x [B * T, H]."""
    heads, head_dim = attention._num_heads, attention._key_dim
    width = heads * head_dim

    def project(dense):  # EinsumDense [H, heads, head_dim] -> [B, heads, T, head_dim].
        kernel = tf.reshape(dense.kernel, [-1, width])
        heads_last = tf.reshape(_dense(x, kernel, tf.reshape(dense.bias, [width])),
                                [batch, length, heads, head_dim])
        return tf.transpose(heads_last, [0, 2, 1, 3])

    # Keras scales the query before the product; the same order, the same round-off.
    query = project(attention._query_dense) * attention._inverse_sqrt_key_dim
    scores = tf.matmul(query, project(attention._key_dense), transpose_b=True) + key_mask
    mixed = tf.matmul(tf.nn.softmax(scores), project(attention._value_dense))
    mixed = tf.reshape(tf.transpose(mixed, [0, 2, 1, 3]), [-1, width])
    output = attention._output_dense
    return _dense(mixed, tf.reshape(output.kernel, [width, -1]), output.bias)


def _dense(x, kernel, bias):
    return tf.nn.bias_add(tf.matmul(x, kernel), bias)


def _layer_norm(x, layer):
    """Keras' LayerNormalization over the last axis, in its operation order."""
    mean, variance = tf.nn.moments(x, axes=[-1], keepdims=True)
    scale = tf.math.rsqrt(variance + layer.epsilon) * layer.gamma
    return x * scale + (layer.beta - mean * scale)
