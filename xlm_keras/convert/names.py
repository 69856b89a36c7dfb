"""Weight-name rules from each checkpoint format to canonical names."""

import re


def _rules(pairs):
    return [(re.compile(pattern), replacement) for pattern, replacement in pairs]


# What a weight dropped on purpose must hold (checked before it is dropped):
# a canonical weight name (a tied copy: it must equal that weight),
# `POSITIONS` (a position-id buffer: it must be 0, 1, 2, ...), or `UNUSED`
# (it takes no part in what the converted model computes; the comment at
# the table says why).
POSITIONS = "<positions 0..n-1>"
UNUSED = None


_LAYER = r"(?P<i>\d+)"

# facebookresearch/XLM and Hugging Face XLMModel share these names.
XLM_RULES = _rules(
    [
        (r"(?:transformer\.)?embeddings\.weight", "token_embedding"),
        (r"(?:transformer\.)?position_embeddings\.weight", "position_embedding"),
        (r"(?:transformer\.)?lang_embeddings\.weight", "language_embedding"),
        (r"(?:transformer\.)?layer_norm_emb\.(weight|bias)", r"embeddings_layer_norm.\1"),
        (
            rf"(?:transformer\.)?attentions\.{_LAYER}\.q_lin\.(weight|bias)",
            r"layers.\g<i>.query.\2",
        ),
        (rf"(?:transformer\.)?attentions\.{_LAYER}\.k_lin\.(weight|bias)", r"layers.\g<i>.key.\2"),
        (
            rf"(?:transformer\.)?attentions\.{_LAYER}\.v_lin\.(weight|bias)",
            r"layers.\g<i>.value.\2",
        ),
        (
            rf"(?:transformer\.)?attentions\.{_LAYER}\.out_lin\.(weight|bias)",
            r"layers.\g<i>.attention_output.\2",
        ),
        (
            rf"(?:transformer\.)?layer_norm1\.{_LAYER}\.(weight|bias)",
            r"layers.\g<i>.attention_layer_norm.\2",
        ),
        (
            rf"(?:transformer\.)?ffns\.{_LAYER}\.lin1\.(weight|bias)",
            r"layers.\g<i>.intermediate.\2",
        ),
        (rf"(?:transformer\.)?ffns\.{_LAYER}\.lin2\.(weight|bias)", r"layers.\g<i>.output.\2"),
        (
            rf"(?:transformer\.)?layer_norm2\.{_LAYER}\.(weight|bias)",
            r"layers.\g<i>.ffn_layer_norm.\2",
        ),
        (r"pred_layer\.proj\.bias", "lm_head.bias"),
    ]
)
# Cross-attention of facebookresearch/XLM's decoder (`TransformerModel` with
# `is_decoder`): `encoder_attn` and the LayerNorm after it, `layer_norm15`.
XLM_CROSS_ATTENTION_RULES = _rules(
    [
        (
            rf"(?:transformer\.)?encoder_attn\.{_LAYER}\.q_lin\.(weight|bias)",
            r"layers.\g<i>.cross_query.\2",
        ),
        (
            rf"(?:transformer\.)?encoder_attn\.{_LAYER}\.k_lin\.(weight|bias)",
            r"layers.\g<i>.cross_key.\2",
        ),
        (
            rf"(?:transformer\.)?encoder_attn\.{_LAYER}\.v_lin\.(weight|bias)",
            r"layers.\g<i>.cross_value.\2",
        ),
        (
            rf"(?:transformer\.)?encoder_attn\.{_LAYER}\.out_lin\.(weight|bias)",
            r"layers.\g<i>.cross_attention_output.\2",
        ),
        (
            rf"(?:transformer\.)?layer_norm15\.{_LAYER}\.(weight|bias)",
            r"layers.\g<i>.cross_attention_layer_norm.\2",
        ),
    ]
)
# The output projection is tied to the token table; position_ids is the
# default positions buffer.
XLM_DROPPED = _rules(
    [(r"pred_layer\.proj\.weight", "token_embedding"), (r".*position_ids", POSITIONS)]
)

_R = r"(?:roberta\.)?"
XLM_R_HF_RULES = _rules(
    [
        (_R + r"embeddings\.word_embeddings\.weight", "token_embedding"),
        (_R + r"embeddings\.position_embeddings\.weight", "position_embedding"),
        (_R + r"embeddings\.token_type_embeddings\.weight", "token_type_embedding"),
        (_R + r"embeddings\.LayerNorm\.(weight|bias)", r"embeddings_layer_norm.\1"),
        (
            _R + rf"encoder\.layer\.{_LAYER}\.attention\.self\.query\.(weight|bias)",
            r"layers.\g<i>.query.\2",
        ),
        (
            _R + rf"encoder\.layer\.{_LAYER}\.attention\.self\.key\.(weight|bias)",
            r"layers.\g<i>.key.\2",
        ),
        (
            _R + rf"encoder\.layer\.{_LAYER}\.attention\.self\.value\.(weight|bias)",
            r"layers.\g<i>.value.\2",
        ),
        (
            _R + rf"encoder\.layer\.{_LAYER}\.attention\.output\.dense\.(weight|bias)",
            r"layers.\g<i>.attention_output.\2",
        ),
        (
            _R + rf"encoder\.layer\.{_LAYER}\.attention\.output\.LayerNorm\.(weight|bias)",
            r"layers.\g<i>.attention_layer_norm.\2",
        ),
        (
            _R + rf"encoder\.layer\.{_LAYER}\.attention\.self_attn_layer_norm\.(weight|bias)",
            r"layers.\g<i>.attention_layer_norm.\2",
        ),
        (
            _R + rf"encoder\.layer\.{_LAYER}\.intermediate\.dense\.(weight|bias)",
            r"layers.\g<i>.intermediate.\2",
        ),
        (
            _R + rf"encoder\.layer\.{_LAYER}\.output\.dense\.(weight|bias)",
            r"layers.\g<i>.output.\2",
        ),
        (
            _R + rf"encoder\.layer\.{_LAYER}\.output\.LayerNorm\.(weight|bias)",
            r"layers.\g<i>.ffn_layer_norm.\2",
        ),
        (
            _R + rf"encoder\.layer\.{_LAYER}\.LayerNorm\.(weight|bias)",
            r"layers.\g<i>.ffn_layer_norm.\2",
        ),
        (_R + r"encoder\.LayerNorm\.(weight|bias)", r"final_layer_norm.\1"),
        (r"lm_head\.dense\.(weight|bias)", r"lm_head.dense.\1"),
        (r"lm_head\.layer_norm\.(weight|bias)", r"lm_head.layer_norm.\1"),
        (r"lm_head\.bias", "lm_head.bias"),
    ]
)
# Cross-attention of the blocks of an `XLMRobertaForCausalLM` decoder with
# `add_cross_attention` (inside an `EncoderDecoderModel`).
XLM_R_HF_CROSS_ATTENTION_RULES = _rules(
    [
        (
            _R + rf"encoder\.layer\.{_LAYER}\.crossattention\.self\.query\.(weight|bias)",
            r"layers.\g<i>.cross_query.\2",
        ),
        (
            _R + rf"encoder\.layer\.{_LAYER}\.crossattention\.self\.key\.(weight|bias)",
            r"layers.\g<i>.cross_key.\2",
        ),
        (
            _R + rf"encoder\.layer\.{_LAYER}\.crossattention\.self\.value\.(weight|bias)",
            r"layers.\g<i>.cross_value.\2",
        ),
        (
            _R + rf"encoder\.layer\.{_LAYER}\.crossattention\.output\.dense\.(weight|bias)",
            r"layers.\g<i>.cross_attention_output.\2",
        ),
        (
            _R + rf"encoder\.layer\.{_LAYER}\.crossattention\.output\.LayerNorm\.(weight|bias)",
            r"layers.\g<i>.cross_attention_layer_norm.\2",
        ),
        (
            _R + rf"encoder\.layer\.{_LAYER}\.crossattention\.self_attn_layer_norm\.(weight|bias)",
            r"layers.\g<i>.cross_attention_layer_norm.\2",
        ),
    ]
)
# The decoder is tied to the token table and its bias is `lm_head.bias`. The
# pooler (dense + tanh on <s>, HF's `pooler_output`) is only in
# `XLMRobertaModel`, whose converted backbone returns hidden states; every
# architecture whose head reads the pooler is refused (see hf.ARCHITECTURES).
XLM_R_HF_DROPPED = _rules(
    [
        (r"lm_head\.decoder\.weight", "token_embedding"),
        (r"lm_head\.decoder\.bias", "lm_head.bias"),
        (_R + r"pooler\.dense\.(weight|bias)", UNUSED),
        (r".*position_ids", POSITIONS),
    ]
)

# Task heads of Hugging Face fine-tuned models: `head.logits` is the layer
# that gives the logits, `head.pooled_dense` XLM-R's dense + tanh before it.
HF_TEXT_CLASSIFIER_XLM_RULES = _rules(
    [(r"sequence_summary\.summary\.(weight|bias)", r"head.logits.\1")]
)
HF_TEXT_CLASSIFIER_ROBERTA_RULES = _rules(
    [
        (r"classifier\.dense\.(weight|bias)", r"head.pooled_dense.\1"),
        (r"classifier\.out_proj\.(weight|bias)", r"head.logits.\1"),
    ]
)
HF_TOKEN_CLASSIFIER_RULES = _rules([(r"classifier\.(weight|bias)", r"head.logits.\1")])
HF_SPAN_QA_RULES = _rules([(r"qa_outputs\.(weight|bias)", r"head.logits.\1")])

_F = r"(?:encoder|decoder)\.sentence_encoder\."
FAIRSEQ_RULES = _rules(
    [
        (_F + r"embed_tokens\.weight", "token_embedding"),
        (_F + r"embed_positions\.weight", "position_embedding"),
        (
            _F + r"(?:layernorm_embedding|emb_layer_norm)\.(weight|bias)",
            r"embeddings_layer_norm.\1",
        ),
        (_F + r"layer_norm\.(weight|bias)", r"final_layer_norm.\1"),
        (_F + rf"layers\.{_LAYER}\.self_attn\.q_proj\.(weight|bias)", r"layers.\g<i>.query.\2"),
        (_F + rf"layers\.{_LAYER}\.self_attn\.k_proj\.(weight|bias)", r"layers.\g<i>.key.\2"),
        (_F + rf"layers\.{_LAYER}\.self_attn\.v_proj\.(weight|bias)", r"layers.\g<i>.value.\2"),
        (
            _F + rf"layers\.{_LAYER}\.self_attn\.out_proj\.(weight|bias)",
            r"layers.\g<i>.attention_output.\2",
        ),
        (
            _F + rf"layers\.{_LAYER}\.self_attn_layer_norm\.(weight|bias)",
            r"layers.\g<i>.attention_layer_norm.\2",
        ),
        (_F + rf"layers\.{_LAYER}\.fc1\.(weight|bias)", r"layers.\g<i>.intermediate.\2"),
        (_F + rf"layers\.{_LAYER}\.fc2\.(weight|bias)", r"layers.\g<i>.output.\2"),
        (
            _F + rf"layers\.{_LAYER}\.final_layer_norm\.(weight|bias)",
            r"layers.\g<i>.ffn_layer_norm.\2",
        ),
        (r"(?:encoder|decoder)\.lm_head\.dense\.(weight|bias)", r"lm_head.dense.\1"),
        (r"(?:encoder|decoder)\.lm_head\.layer_norm\.(weight|bias)", r"lm_head.layer_norm.\1"),
        (r"(?:encoder|decoder)\.lm_head\.bias", "lm_head.bias"),
    ]
)
# The LM projection is tied to the token table; `version` counters and
# `_float_tensor` (an empty dtype marker) hold no weights.
FAIRSEQ_DROPPED = _rules(
    [
        (r"(?:encoder|decoder)\.lm_head\.weight", "token_embedding"),
        (r".*\.version", UNUSED),
        (r".*_float_tensor", UNUSED),
    ]
)
