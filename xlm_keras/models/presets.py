"""Architecture presets: the published XLM / XLM-R shapes and tiny ones.

These are shapes only: weights cannot be downloaded here. Build a published
checkpoint's preset with `xlm-convert` and load that directory instead.
"""

_XLM = dict(
    dropout=0.1,
    max_sequence_length=512,
    position_embedding="learned",
    position_offset=0,
    activation="gelu",
    layer_norm_epsilon=1e-12,
    normalize_first=False,
    causal=False,
)
_XLM_R = dict(
    _XLM,
    max_sequence_length=512,
    position_offset=2,
    num_languages=1,
    use_language_embedding=False,
    layer_norm_epsilon=1e-5,
)


def _xlm(vocab, dim, layers, heads, languages, use_language_embedding=True, **kw):
    return dict(
        _XLM,
        vocabulary_size=vocab,
        hidden_dim=dim,
        num_layers=layers,
        num_heads=heads,
        intermediate_dim=4 * dim,
        num_languages=languages,
        use_language_embedding=use_language_embedding,
        **kw,
    )


def _xlm_r(vocab, dim, layers, heads, intermediate, **kw):
    return dict(
        _XLM_R,
        vocabulary_size=vocab,
        hidden_dim=dim,
        num_layers=layers,
        num_heads=heads,
        intermediate_dim=intermediate,
        **kw,
    )


# name -> (backbone config, LM head style, Hugging Face id, description)
PRESETS = {
    "xlm_mlm_en_2048": (_xlm(30145, 2048, 12, 16, 1), "xlm", "FacebookAI/xlm-mlm-en-2048", "XLM MLM, English"),
    "xlm_mlm_ende_1024": (_xlm(64699, 1024, 6, 8, 2), "xlm", "FacebookAI/xlm-mlm-ende-1024", "XLM MLM, English-German"),
    "xlm_mlm_enfr_1024": (_xlm(64139, 1024, 6, 8, 2), "xlm", "FacebookAI/xlm-mlm-enfr-1024", "XLM MLM, English-French"),
    "xlm_mlm_enro_1024": (_xlm(64592, 1024, 6, 8, 2), "xlm", "FacebookAI/xlm-mlm-enro-1024", "XLM MLM, English-Romanian"),
    "xlm_clm_enfr_1024": (_xlm(64139, 1024, 6, 8, 2, causal=True), "xlm", "FacebookAI/xlm-clm-enfr-1024", "XLM CLM, English-French"),
    "xlm_clm_ende_1024": (_xlm(64699, 1024, 6, 8, 2, causal=True), "xlm", "FacebookAI/xlm-clm-ende-1024", "XLM CLM, English-German"),
    "xlm_mlm_xnli15_1024": (_xlm(95000, 1024, 12, 8, 15), "xlm", "FacebookAI/xlm-mlm-xnli15-1024", "XLM MLM, 15 XNLI languages"),
    "xlm_mlm_tlm_xnli15_1024": (_xlm(95000, 1024, 12, 8, 15), "xlm", "FacebookAI/xlm-mlm-tlm-xnli15-1024", "XLM MLM+TLM, 15 XNLI languages"),
    "xlm_mlm_17_1280": (_xlm(200000, 1280, 16, 16, 17, use_language_embedding=False), "xlm", "FacebookAI/xlm-mlm-17-1280", "XLM MLM, 17 languages, no language embeddings"),
    "xlm_mlm_100_1280": (_xlm(200000, 1280, 16, 16, 100, use_language_embedding=False), "xlm", "FacebookAI/xlm-mlm-100-1280", "XLM MLM, 100 languages, no language embeddings"),
    "xlm_roberta_base": (_xlm_r(250002, 768, 12, 12, 3072), "roberta", "FacebookAI/xlm-roberta-base", "XLM-R base, 100 languages"),
    "xlm_roberta_large": (_xlm_r(250002, 1024, 24, 16, 4096), "roberta", "FacebookAI/xlm-roberta-large", "XLM-R large, 100 languages"),
    "xlm_roberta_xl": (_xlm_r(250880, 2560, 36, 32, 10240, normalize_first=True), "roberta", "facebook/xlm-roberta-xl", "XLM-R XL (pre-LN), 100 languages"),
    "xlm_roberta_xxl": (_xlm_r(250880, 4096, 48, 32, 16384, normalize_first=True), "roberta", "facebook/xlm-roberta-xxl", "XLM-R XXL (pre-LN), 100 languages"),
    # Tiny shapes for tests and demos.
    "xlm_tiny": (_xlm(1000, 32, 2, 2, 4, max_sequence_length=128), "xlm", None, "tiny XLM, 4 language embeddings"),
    "xlm_tiny_clm": (_xlm(1000, 32, 2, 2, 4, max_sequence_length=128, causal=True), "xlm", None, "tiny causal XLM"),
    "xlm_roberta_tiny": (_xlm_r(1000, 32, 2, 2, 64, max_sequence_length=128), "roberta", None, "tiny XLM-R"),
    "xlm_roberta_tiny_prenorm": (_xlm_r(1000, 32, 2, 2, 64, max_sequence_length=128, normalize_first=True), "roberta", None, "tiny pre-LN XLM-R (XL/XXL layout)"),
    "xlm_small": (_xlm(8000, 256, 4, 4, 16, max_sequence_length=256), "xlm", None, "4 layers x 256, demo pretraining"),
    "xlm_mini": (_xlm(8000, 128, 4, 4, 16, max_sequence_length=256), "xlm", None, "4 layers x 128, zero-shot transfer demo"),
}


def is_builtin(preset):
    return isinstance(preset, str) and preset in PRESETS


def backbone_config(preset, load_weights=True):
    """The `XLMBackbone` kwargs of a built-in preset."""
    if load_weights and PRESETS[preset][2] is not None:
        raise ValueError(
            f"Preset {preset!r} is an architecture only: its weights cannot "
            "be downloaded here. Convert the published checkpoint with "
            f"`xlm-convert --source=hf --input=<local {PRESETS[preset][2]} dir> "
            "--output=DIR` and load DIR, or pass `load_weights=False` for "
            "random weights."
        )
    return dict(PRESETS[preset][0])


def lm_head(preset):
    """`"xlm"` (tied projection + bias) or `"roberta"` (dense-GELU-LN-tied)."""
    return PRESETS[preset][1]
