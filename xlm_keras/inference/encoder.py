"""An `XLMBackbone`'s hidden states at inference, in fewer graph ops.

The same weights and the same arithmetic as keras-hub's layers (outputs
equal to float round-off), written as one graph of 2-D `MatMul` +
`BiasAdd` (which TensorFlow's CPU graph optimiser fuses), one additive key
mask per request and a plain LayerNorm. Against keras-hub's block (what
`XLMTransformerLayer` ran before it took `layers.encoder_block.block` as its forward pass)
a batch-1 sentence of the XLM-R 6 x 512 layout ran in about 0.92x the time
on 2 CPU cores (in-process, interleaved; batch 32 the same within noise,
its time is in the matmuls): about 1,000 graph ops against 860 here (mask
merging, casts, 3-D einsum reshapes). `block` is now also the Keras
layer's forward pass (with dropout in training); `token_states` adds the
option of dropping the padding from every dense layer. Used by the serving
signatures and by the Python inference paths (`encode_sentences`, task
`predict` on raw text).
"""

import tensorflow as tf

from xlm_keras.layers.encoder_block import TokenLayout
from xlm_keras.layers.encoder_block import additive_key_mask
from xlm_keras.layers.encoder_block import block
from xlm_keras.layers.encoder_block import layer_norm


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
    rows, layout = token_states(backbone, inputs)
    return layout.grid(rows)


def token_states(backbone, inputs, drop_padding=False):
    """The hidden states of `hidden_states` as rows: (float32 [N, H],
    `TokenLayout`). For `covers(backbone)` backbones.

    With `drop_padding` the rows are only the tokens (N = the number of
    ones in `padding_mask`): every dense layer then skips the padding, and
    only attention sees the [B, T] grid. Not for XLA (N is dynamic).
    """
    x = backbone.embeddings(
        inputs["token_ids"],
        position_ids=inputs.get("position_ids"),
        language_ids=inputs.get("language_ids"),
    )
    layout = TokenLayout(inputs["padding_mask"], drop_padding)
    # Rows: every dense layer is then one 2-D MatMul.
    x = layout.rows(x)
    if backbone.embeddings_layer_norm is not None:
        x = layer_norm(x, backbone.embeddings_layer_norm)
    key_mask = additive_key_mask(inputs["padding_mask"])
    for layer in backbone.transformer_layers:
        x = block(layer, x, key_mask, layout)
    if backbone.final_layer_norm is not None:
        x = layer_norm(x, backbone.final_layer_norm)
    return x, layout
