"""Weight-name rules from each checkpoint format to canonical names."""

import re


def _rules(pairs):
    return [(re.compile(pattern), replacement) for pattern, replacement in pairs]


_LAYER = r"(?P<i>\d+)"

# facebookresearch/XLM and Hugging Face XLMModel share these names.
XLM_RULES = _rules(
    [
        (r"(?:transformer\.)?embeddings\.weight", "token_embedding"),
        (r"(?:transformer\.)?position_embeddings\.weight", "position_embedding"),
        (r"(?:transformer\.)?lang_embeddings\.weight", "language_embedding"),
        (r"(?:transformer\.)?layer_norm_emb\.(weight|bias)", r"embeddings_layer_norm.\1"),
        (rf"(?:transformer\.)?attentions\.{_LAYER}\.q_lin\.(weight|bias)", r"layers.\g<i>.query.\2"),
        (rf"(?:transformer\.)?attentions\.{_LAYER}\.k_lin\.(weight|bias)", r"layers.\g<i>.key.\2"),
        (rf"(?:transformer\.)?attentions\.{_LAYER}\.v_lin\.(weight|bias)", r"layers.\g<i>.value.\2"),
        (rf"(?:transformer\.)?attentions\.{_LAYER}\.out_lin\.(weight|bias)", r"layers.\g<i>.attention_output.\2"),
        (rf"(?:transformer\.)?layer_norm1\.{_LAYER}\.(weight|bias)", r"layers.\g<i>.attention_layer_norm.\2"),
        (rf"(?:transformer\.)?ffns\.{_LAYER}\.lin1\.(weight|bias)", r"layers.\g<i>.intermediate.\2"),
        (rf"(?:transformer\.)?ffns\.{_LAYER}\.lin2\.(weight|bias)", r"layers.\g<i>.output.\2"),
        (rf"(?:transformer\.)?layer_norm2\.{_LAYER}\.(weight|bias)", r"layers.\g<i>.ffn_layer_norm.\2"),
        (r"pred_layer\.proj\.bias", "lm_head.bias"),
    ]
)
# The projection weight is the token table (tied); position_ids is a buffer.
XLM_IGNORED = [re.compile(p) for p in (r"pred_layer\.proj\.weight", r".*position_ids")]

_R = r"(?:roberta\.)?"
XLM_R_HF_RULES = _rules(
    [
        (_R + r"embeddings\.word_embeddings\.weight", "token_embedding"),
        (_R + r"embeddings\.position_embeddings\.weight", "position_embedding"),
        (_R + r"embeddings\.token_type_embeddings\.weight", "token_type_embedding"),
        (_R + r"embeddings\.LayerNorm\.(weight|bias)", r"embeddings_layer_norm.\1"),
        (_R + rf"encoder\.layer\.{_LAYER}\.attention\.self\.query\.(weight|bias)", r"layers.\g<i>.query.\2"),
        (_R + rf"encoder\.layer\.{_LAYER}\.attention\.self\.key\.(weight|bias)", r"layers.\g<i>.key.\2"),
        (_R + rf"encoder\.layer\.{_LAYER}\.attention\.self\.value\.(weight|bias)", r"layers.\g<i>.value.\2"),
        (_R + rf"encoder\.layer\.{_LAYER}\.attention\.output\.dense\.(weight|bias)", r"layers.\g<i>.attention_output.\2"),
        (_R + rf"encoder\.layer\.{_LAYER}\.attention\.output\.LayerNorm\.(weight|bias)", r"layers.\g<i>.attention_layer_norm.\2"),
        (_R + rf"encoder\.layer\.{_LAYER}\.attention\.self_attn_layer_norm\.(weight|bias)", r"layers.\g<i>.attention_layer_norm.\2"),
        (_R + rf"encoder\.layer\.{_LAYER}\.intermediate\.dense\.(weight|bias)", r"layers.\g<i>.intermediate.\2"),
        (_R + rf"encoder\.layer\.{_LAYER}\.output\.dense\.(weight|bias)", r"layers.\g<i>.output.\2"),
        (_R + rf"encoder\.layer\.{_LAYER}\.output\.LayerNorm\.(weight|bias)", r"layers.\g<i>.ffn_layer_norm.\2"),
        (_R + rf"encoder\.layer\.{_LAYER}\.LayerNorm\.(weight|bias)", r"layers.\g<i>.ffn_layer_norm.\2"),
        (_R + r"encoder\.LayerNorm\.(weight|bias)", r"final_layer_norm.\1"),
        (r"lm_head\.dense\.(weight|bias)", r"lm_head.dense.\1"),
        (r"lm_head\.layer_norm\.(weight|bias)", r"lm_head.layer_norm.\1"),
        (r"lm_head\.bias", "lm_head.bias"),
    ]
)
# The decoder is tied to the token table and its bias is `lm_head.bias`; the
# pooler (dense+tanh on <s>) is used by no XLM-R head in this package.
XLM_R_HF_IGNORED = [
    re.compile(p)
    for p in (
        r"lm_head\.decoder\.(weight|bias)",
        _R + r"pooler\.dense\.(weight|bias)",
        r".*position_ids",
    )
]

_F = r"(?:encoder|decoder)\.sentence_encoder\."
FAIRSEQ_RULES = _rules(
    [
        (_F + r"embed_tokens\.weight", "token_embedding"),
        (_F + r"embed_positions\.weight", "position_embedding"),
        (_F + r"(?:layernorm_embedding|emb_layer_norm)\.(weight|bias)", r"embeddings_layer_norm.\1"),
        (_F + r"layer_norm\.(weight|bias)", r"final_layer_norm.\1"),
        (_F + rf"layers\.{_LAYER}\.self_attn\.q_proj\.(weight|bias)", r"layers.\g<i>.query.\2"),
        (_F + rf"layers\.{_LAYER}\.self_attn\.k_proj\.(weight|bias)", r"layers.\g<i>.key.\2"),
        (_F + rf"layers\.{_LAYER}\.self_attn\.v_proj\.(weight|bias)", r"layers.\g<i>.value.\2"),
        (_F + rf"layers\.{_LAYER}\.self_attn\.out_proj\.(weight|bias)", r"layers.\g<i>.attention_output.\2"),
        (_F + rf"layers\.{_LAYER}\.self_attn_layer_norm\.(weight|bias)", r"layers.\g<i>.attention_layer_norm.\2"),
        (_F + rf"layers\.{_LAYER}\.fc1\.(weight|bias)", r"layers.\g<i>.intermediate.\2"),
        (_F + rf"layers\.{_LAYER}\.fc2\.(weight|bias)", r"layers.\g<i>.output.\2"),
        (_F + rf"layers\.{_LAYER}\.final_layer_norm\.(weight|bias)", r"layers.\g<i>.ffn_layer_norm.\2"),
        (r"(?:encoder|decoder)\.lm_head\.dense\.(weight|bias)", r"lm_head.dense.\1"),
        (r"(?:encoder|decoder)\.lm_head\.layer_norm\.(weight|bias)", r"lm_head.layer_norm.\1"),
        (r"(?:encoder|decoder)\.lm_head\.bias", "lm_head.bias"),
    ]
)
FAIRSEQ_IGNORED = [
    re.compile(p)
    for p in (
        r"(?:encoder|decoder)\.lm_head\.weight",
        r".*\.version",
        r".*_float_tensor",
    )
]
