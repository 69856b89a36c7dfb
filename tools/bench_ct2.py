"""CTranslate2 for tools/bench_translate.py: our `XLMSeq2SeqLM` preset
converted into a CTranslate2 model, checked to be the same model, and
translated with.

`ct2_spec` writes the preset's weights into a post-LN `TransformerSpec`
(GELU, learned positions without fairseq's two padding rows, embedding
LayerNorms, no embedding scaling, fused attention projections, the tied
projection and bias) with our vocabulary in id order (padded with filler
tokens to the token table's rows); `convert_checked` saves it once in
float32 and keeps it only when CT2's float32 greedy ids equal
`XLMSeq2SeqLM.generate`'s on a few sentences. `translator_call` tokenises
with the `sentencepiece` package, frames sources as ours (`<s> x </s>`),
runs `Translator.translate_batch` on the CPU (default threads, one
translation at a time) with `compute_type` float32 or int8 (weights
quantised when loaded) and detokenises with `sentencepiece`.

CTranslate2 4.8 (`ctranslate2` in the `bench` extra), imported only when
used. The tools import this module as a neighbour (`import bench_ct2`).
"""

import os

import numpy as np

# The layout `ct2_spec` maps (the preset bench_translate makes).
CT2_LAYOUT = {
    "lm_head": "xlm",
    "normalize_first": False,
    "position_embedding": "learned",
    "activation": "gelu",
    "has_language_embedding": False,
}
# Pieces our detokenisation drops (`XLMTokenizer.special_token_ids`).
SPECIAL_PIECES = ("<s>", "<pad>", "</s>", "<unk>", "<mask>")
# Sentences on which CTranslate2's greedy ids must equal ours.
CHECK_TEXTS = 4


def convert_checked(preset_dir, spm_file, texts, new_tokens, output_dir):
    """Convert the preset in `preset_dir` to CTranslate2 in `output_dir`
    (float32), kept only once CT2's greedy ids of the first `CHECK_TEXTS`
    of `texts` equal ours (`check_ct2_matches`, `new_tokens` each).
    `spm_file`: the SentencePiece model of the preset's tokenizer."""
    import sentencepiece

    from xlm_keras import XLMSeq2SeqLM

    model = XLMSeq2SeqLM.from_preset(preset_dir)
    vocabulary = ct2_vocabulary(model)
    staging = f"{output_dir}.partial"
    save_ct2(model, vocabulary, staging)
    processor = sentencepiece.SentencePieceProcessor(model_file=spm_file)
    check_ct2_matches(model, staging, vocabulary, processor, texts[:CHECK_TEXTS], new_tokens)
    os.replace(staging, output_dir)


def ct2_vocabulary(model):
    """[str] one token per row of `model`'s token table: its tokenizer's
    vocabulary in id order, then unique filler tokens."""
    vocabulary = model.preprocessor.tokenizer.get_vocabulary()
    size = model.backbone.vocabulary_size
    vocabulary += [f"<filler_{i}>" for i in range(len(vocabulary), size)]
    assert len(set(vocabulary)) == size, "a filler token is also a piece"
    return vocabulary


def save_ct2(model, vocabulary, output_dir):
    """Write `ct2_spec(model, vocabulary)` in float32 to `output_dir`."""
    spec = ct2_spec(model, vocabulary)
    spec.validate()
    spec.optimize(quantization=None)
    os.makedirs(output_dir, exist_ok=True)
    spec.save(output_dir)


def ct2_spec(model, vocabulary):
    """`ctranslate2.specs.TransformerSpec` holding `model`'s weights
    (`XLMSeq2SeqLM` of `CT2_LAYOUT`), `vocabulary` on both sides."""
    from ctranslate2.specs import common_spec
    from ctranslate2.specs import transformer_spec

    from xlm_keras.keras_hub_internals import block_sublayers

    _check_ct2_layout(model)
    backbone = model.backbone
    spec = transformer_spec.TransformerSpec.from_config(
        (backbone.num_layers, backbone.num_decoder_layers),
        backbone.num_heads,
        pre_norm=False,
        activation=common_spec.Activation.GELU,  # Erf, as Keras' "gelu".
        layernorm_embedding=True,
    )
    spec.config.layer_norm_epsilon = backbone.layer_norm_epsilon
    encoder = backbone.encoder
    _set_ct2_embeddings(
        spec.encoder, spec.encoder.embeddings[0], encoder.embeddings, encoder.embeddings_layer_norm
    )
    _set_ct2_embeddings(
        spec.decoder,
        spec.decoder.embeddings,
        backbone.decoder_embeddings,
        backbone.decoder_embeddings_layer_norm,
    )
    layers = [*encoder.transformer_layers, *backbone.decoder_layers]
    for layer_spec, layer in zip([*spec.encoder.layer, *spec.decoder.layer], layers):
        _set_ct2_block(layer_spec, block_sublayers(layer))
    # The tied table [V, H] is already CT2's [out, in].
    spec.decoder.projection.weight = _numpy(backbone.token_embedding.embeddings)
    spec.decoder.projection.bias = _numpy(model.output_head.bias)
    spec.register_source_vocabulary(vocabulary)
    spec.register_target_vocabulary(vocabulary)
    return spec


def _check_ct2_layout(model):
    backbone = model.backbone
    layout = {name: getattr(backbone, name) for name in CT2_LAYOUT if name != "lm_head"}
    layout["lm_head"] = model.lm_head
    if layout != CT2_LAYOUT:
        raise ValueError(
            f"ct2_spec converts models of layout {CT2_LAYOUT}; the preset has {layout}. "
            "A --workdir made before the CTranslate2 paths holds XLM-R's LM head (dense, "
            "GELU and LayerNorm before the projection), which TransformerSpec cannot hold: "
            "delete the workdir to rebuild it."
        )


def _set_ct2_embeddings(side, token_spec, embeddings, layer_norm):
    """One side's `XLMEmbedding` and its LayerNorm into CT2's `side` spec."""
    token_spec.weight = _numpy(embeddings.token_embedding.embeddings)
    # CT2 counts positions from row 0; ours from row `position_offset` (fairseq's padding).
    table = _numpy(embeddings.position_table.position_embeddings)
    side.position_encodings.encodings = table[embeddings.position_offset :]
    _set_layer_norm(side.layernorm_embedding, layer_norm)
    side.scale_embeddings = False


def _set_ct2_block(layer_spec, parts):
    """A post-LN keras-hub block (`BlockSublayers`) into CT2's encoder or
    decoder layer spec: each LayerNorm is the one after its residual."""
    _set_ct2_attention(layer_spec.self_attention, parts.self_attention, parts.self_attention_norm)
    if parts.cross_attention is not None:
        _set_ct2_attention(layer_spec.attention, parts.cross_attention, parts.cross_attention_norm)
    ffn = layer_spec.ffn
    for linear_spec, dense in (
        (ffn.linear_0, parts.feedforward_intermediate),
        (ffn.linear_1, parts.feedforward_output),
    ):
        _set_linear(linear_spec, dense.kernel, dense.bias)
    _set_layer_norm(ffn.layer_norm, parts.feedforward_norm)


def _set_ct2_attention(attention_spec, attention, norm):
    """A Keras `MultiHeadAttention` into CT2's: self-attention linears
    [query|key|value, output], cross-attention [query, key|value, output]."""
    from xlm_keras.keras_hub_internals import attention_parts
    from xlm_keras.layers.encoder_block import attention_dense

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


def check_ct2_matches(model, ct2_dir, vocabulary, processor, texts, new_tokens):
    """Raise unless CTranslate2's float32 greedy ids of `texts` equal
    `model`'s (`ours_greedy_ids`): the conversion in `ct2_dir` is the same
    model. `processor`: the `sentencepiece` model of `model`'s tokenizer."""
    import ctranslate2

    translator = ctranslate2.Translator(ct2_dir, device="cpu", compute_type="float32")
    sources = ct2_sources(processor, texts, model.preprocessor.encoder_sequence_length)
    ids = {token: i for i, token in enumerate(vocabulary)}
    theirs = np.array(
        [[ids[t] for t in pieces] for pieces in ct2_translate(translator, sources, 1, new_tokens)]
    )
    ours = ours_greedy_ids(model, texts, new_tokens)
    for text, row, ct2_row in zip(texts, ours, theirs):
        if not np.array_equal(row, ct2_row):
            raise RuntimeError(
                f"CTranslate2's float32 greedy ids differ from XLMSeq2SeqLM.generate's on "
                f"{text!r}: ours {row.tolist()}, CTranslate2 {ct2_row.tolist()}. The conversion "
                f"in {ct2_dir} is not the same model (see ct2_spec)."
            )


def ours_greedy_ids(model, texts, new_tokens):
    """int32 [batch, new_tokens]: `model`'s greedy ids after the start token."""
    from keras_hub.samplers import GreedySampler

    inputs = model.preprocessor.generate_preprocess(texts, sequence_length=new_tokens + 1)
    outputs = model.generate_step(inputs, stop_token_ids=None, sampler=GreedySampler())
    return np.asarray(outputs["decoder_token_ids"])[:, 1:]


def ct2_sources(processor, texts, max_source_length):
    """Source pieces framed as ours, `<s> x </s>` with x cut to fit
    `max_source_length`; a piece outside the vocabulary is CT2's `<unk>`,
    as ours."""
    pieces = processor.encode(texts, out_type=str)
    return [["<s>", *row[: max_source_length - 2], "</s>"] for row in pieces]


def ct2_translate(translator, sources, beams, new_tokens, length_penalty=1.0):
    """Output pieces [batch][new_tokens] of `translator.translate_batch`:
    CT2's `min_decoding_length` counts the tokens before `</s>`,
    `max_decoding_length` counts `</s>` too, neither the start token; both at
    `new_tokens` decode exactly that many (and no `</s>`)."""
    results = translator.translate_batch(
        sources,
        beam_size=beams,
        length_penalty=length_penalty,
        min_decoding_length=new_tokens,
        max_decoding_length=new_tokens,
    )
    hypotheses = [result.hypotheses[0] for result in results]
    assert all(len(pieces) == new_tokens for pieces in hypotheses), [len(h) for h in hypotheses]
    return hypotheses


def ct2_detokenize(processor, pieces):
    """Text of output pieces, special ones dropped (as ours)."""
    return processor.decode([piece for piece in pieces if piece not in SPECIAL_PIECES])


def translator_call(
    ct2_dir, spm_file, beams, compute_type, max_source_length, new_tokens, length_penalty
):
    """call(texts) -> strings: `sentencepiece` pieces framed as ours (cut to
    `max_source_length`), a CTranslate2 `Translator` of `ct2_dir` on the CPU
    (default threads) with `compute_type` decoding `new_tokens` with `beams`,
    `sentencepiece` detokenisation."""
    import ctranslate2
    import sentencepiece

    processor = sentencepiece.SentencePieceProcessor(model_file=spm_file)
    translator = ctranslate2.Translator(
        ct2_dir, device="cpu", compute_type=compute_type, inter_threads=1
    )

    def call(texts):
        sources = ct2_sources(processor, texts, max_source_length)
        outputs = ct2_translate(translator, sources, beams, new_tokens, length_penalty)
        return [ct2_detokenize(processor, pieces) for pieces in outputs]

    return call
