"""The weights of an `XLMSeq2SeqLM` as a CTranslate2 `TransformerSpec`, one
translation direction at a time.

The mapping, side by side: our token table is CT2's embeddings (no
scaling); our position rows from `position_offset` on (fairseq's two
padding rows dropped; a sinusoidal table written out as learned rows),
plus the side's language embedding where the model has one, are CT2's
learned position encodings (token + position + language is summed before
the embedding LayerNorm in both, so folding the language row into every
position row is exact); post-LN blocks keep the embedding LayerNorm,
pre-LN blocks the final one; query, key and value are fused as CT2 reads
them; the tied table and the output bias are the output projection.
"""

import numpy as np

from xlm_keras.keras_hub_internals import attention_parts
from xlm_keras.keras_hub_internals import block_sublayers
from xlm_keras.layers.encoder_block import attention_dense

# Our activation -> CT2's `common_spec.Activation` name (Keras "gelu" is erf).
ACTIVATIONS = {"gelu": "GELU", "relu": "RELU"}


def ctranslate2_spec(model, vocabulary, *, source_language_id, target_language_id):
    """`ctranslate2.specs.TransformerSpec` of `model` (`XLMSeq2SeqLM` with
    the tied `"xlm"` output head), `vocabulary` [str] (one per token row)
    on both sides; with language embeddings, the encoder's fixed to
    `source_language_id` and the decoder's to `target_language_id` (int),
    else both None."""
    from ctranslate2.specs import common_spec
    from ctranslate2.specs import transformer_spec

    backbone = model.backbone
    spec = transformer_spec.TransformerSpec.from_config(
        (backbone.num_layers, backbone.num_decoder_layers),
        backbone.num_heads,
        pre_norm=backbone.normalize_first,
        activation=getattr(common_spec.Activation, ACTIVATIONS[backbone.activation]),
        layernorm_embedding=not backbone.normalize_first,
    )
    spec.config.layer_norm_epsilon = backbone.layer_norm_epsilon
    encoder = backbone.encoder
    _set_side(
        spec.encoder,
        spec.encoder.embeddings[0],
        encoder.embeddings,
        embedding_norm=encoder.embeddings_layer_norm,
        final_norm=encoder.final_layer_norm,
        language_id=source_language_id,
    )
    _set_side(
        spec.decoder,
        spec.decoder.embeddings,
        backbone.decoder_embeddings,
        embedding_norm=backbone.decoder_embeddings_layer_norm,
        final_norm=backbone.decoder_final_layer_norm,
        language_id=target_language_id,
    )
    layers = [*encoder.transformer_layers, *backbone.decoder_layers]
    for layer_spec, layer in zip([*spec.encoder.layer, *spec.decoder.layer], layers):
        _set_block(layer_spec, block_sublayers(layer))
    # The tied table [V, H] is already CT2's [out, in].
    spec.decoder.projection.weight = _numpy(backbone.token_embedding.embeddings)
    spec.decoder.projection.bias = _numpy(model.output_head.bias)
    spec.register_source_vocabulary(vocabulary)
    spec.register_target_vocabulary(vocabulary)
    return spec


def _set_side(side, token_spec, embeddings, *, embedding_norm, final_norm, language_id):
    """One side's `XLMEmbedding` and its LayerNorm (post-LN: after the
    embeddings; pre-LN: after the last block) into CT2's `side` spec."""
    token_spec.weight = _numpy(embeddings.token_embedding.embeddings)
    rows = position_rows(embeddings)
    if language_id is not None:
        rows = rows + _numpy(embeddings.language_embedding.embeddings)[language_id]
    side.position_encodings.encodings = rows
    side.scale_embeddings = False
    if embedding_norm is not None:
        _set_layer_norm(side.layernorm_embedding, embedding_norm)
    if final_norm is not None:
        _set_layer_norm(side.layer_norm, final_norm)


def position_rows(embeddings):
    """float32 [max_sequence_length, hidden]: the position embedding of
    positions `0 .. max_sequence_length-1` as `XLMEmbedding` adds it (CT2
    counts from row 0; ours from row `position_offset`)."""
    length, offset = embeddings.max_sequence_length, embeddings.position_offset
    if embeddings.position_embedding == "learned":
        return _numpy(embeddings.position_table.position_embeddings)[offset : offset + length]
    positions = np.arange(offset, offset + length, dtype="float32")[None]
    zeros = np.zeros((1, length, embeddings.hidden_dim), "float32")
    return _numpy(embeddings.position_table(zeros, positions=positions))[0]


def _set_block(layer_spec, parts):
    """A keras-hub block (`BlockSublayers`) into CT2's encoder or decoder
    layer spec: each LayerNorm is the one of its sublayer (after the
    residual post-LN, before the sublayer pre-LN, in both)."""
    _set_attention(layer_spec.self_attention, parts.self_attention, parts.self_attention_norm)
    if parts.cross_attention is not None:
        _set_attention(layer_spec.attention, parts.cross_attention, parts.cross_attention_norm)
    ffn = layer_spec.ffn
    for linear_spec, dense in (
        (ffn.linear_0, parts.feedforward_intermediate),
        (ffn.linear_1, parts.feedforward_output),
    ):
        _set_linear(linear_spec, dense.kernel, dense.bias)
    _set_layer_norm(ffn.layer_norm, parts.feedforward_norm)


def _set_attention(attention_spec, attention, norm):
    """A Keras `MultiHeadAttention` into CT2's: self-attention linears
    [query|key|value, output], cross-attention [query, key|value, output]."""
    parts = attention_parts(attention)
    query, key, value, output = (
        [_numpy(weight) for weight in attention_dense(dense)]
        for dense in (parts.query, parts.key, parts.value, parts.output)
    )
    fused = [[query, key, value]] if len(attention_spec.linear) == 2 else [[query], [key, value]]
    projections = [
        (np.concatenate([k for k, _ in group], 1), np.concatenate([b for _, b in group]))
        for group in fused
    ]
    for linear_spec, (kernel, bias) in zip(attention_spec.linear, [*projections, output]):
        _set_linear(linear_spec, kernel, bias)
    _set_layer_norm(attention_spec.layer_norm, norm)


def _set_linear(linear_spec, kernel, bias):
    """A Keras kernel [in, out] and bias into CT2's [out, in] weight."""
    linear_spec.weight = np.ascontiguousarray(_numpy(kernel).T)
    linear_spec.bias = _numpy(bias)


def _set_layer_norm(norm_spec, layer):
    norm_spec.gamma = _numpy(layer.gamma)
    norm_spec.beta = _numpy(layer.beta)


def _numpy(variable):
    return np.asarray(variable, "float32")
