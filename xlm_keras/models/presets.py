"""Architecture presets: the published XLM / XLM-R shapes and tiny ones.

These are shapes only: weights cannot be downloaded here. Build a published
checkpoint's preset with `xlm-convert` and load that directory instead.
`python tools/preset_summary.py` prints every preset's parameter counts.
"""

import dataclasses
import json
import os

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


@dataclasses.dataclass(frozen=True)
class Preset:
    """A built-in architecture.

    Attributes:
        name: str, what `from_preset` takes.
        config: dict of `XLMBackbone` arguments.
        description: str, one line.
        lm_head: `"xlm"` (tied projection + bias) or `"roberta"`
            (dense-GELU-LN-tied), the pretraining head of the checkpoint.
        task: the pretraining task class name (`XLMMaskedLM` / `XLMCausalLM`).
        params: int, the backbone's parameter count.
        source: the published checkpoint's Hugging Face id, or None for the
            shapes made here (tiny test models, demo models).
    """

    name: str
    config: dict
    description: str
    lm_head: str
    task: str
    params: int
    source: str = None


PRESETS = {
    preset.name: preset
    for preset in (
        Preset(
            "xlm_mlm_en_2048",
            _xlm(30145, 2048, 12, 16, 1),
            "XLM MLM, English",
            lm_head="xlm",
            task="XLMMaskedLM",
            params=667_088_896,
            source="FacebookAI/xlm-mlm-en-2048",
        ),
        Preset(
            "xlm_mlm_ende_1024",
            _xlm(64699, 1024, 6, 8, 2),
            "XLM MLM, English-German",
            lm_head="xlm",
            task="XLMMaskedLM",
            params=142_357_504,
            source="FacebookAI/xlm-mlm-ende-1024",
        ),
        Preset(
            "xlm_mlm_enfr_1024",
            _xlm(64139, 1024, 6, 8, 2),
            "XLM MLM, English-French",
            lm_head="xlm",
            task="XLMMaskedLM",
            params=141_784_064,
            source="FacebookAI/xlm-mlm-enfr-1024",
        ),
        Preset(
            "xlm_mlm_enro_1024",
            _xlm(64592, 1024, 6, 8, 2),
            "XLM MLM, English-Romanian",
            lm_head="xlm",
            task="XLMMaskedLM",
            params=142_247_936,
            source="FacebookAI/xlm-mlm-enro-1024",
        ),
        Preset(
            "xlm_clm_enfr_1024",
            _xlm(64139, 1024, 6, 8, 2, causal=True),
            "XLM CLM, English-French",
            lm_head="xlm",
            task="XLMCausalLM",
            params=141_784_064,
            source="FacebookAI/xlm-clm-enfr-1024",
        ),
        Preset(
            "xlm_clm_ende_1024",
            _xlm(64699, 1024, 6, 8, 2, causal=True),
            "XLM CLM, English-German",
            lm_head="xlm",
            task="XLMCausalLM",
            params=142_357_504,
            source="FacebookAI/xlm-clm-ende-1024",
        ),
        Preset(
            "xlm_mlm_xnli15_1024",
            _xlm(95000, 1024, 12, 8, 15),
            "XLM MLM, 15 XNLI languages",
            lm_head="xlm",
            task="XLMMaskedLM",
            params=248_976_384,
            source="FacebookAI/xlm-mlm-xnli15-1024",
        ),
        Preset(
            "xlm_mlm_tlm_xnli15_1024",
            _xlm(95000, 1024, 12, 8, 15),
            "XLM MLM+TLM, 15 XNLI languages",
            lm_head="xlm",
            task="XLMMaskedLM",
            params=248_976_384,
            source="FacebookAI/xlm-mlm-tlm-xnli15-1024",
        ),
        Preset(
            "xlm_mlm_17_1280",
            _xlm(200000, 1280, 16, 16, 17, use_language_embedding=False),
            "XLM MLM, 17 languages, no language embeddings",
            lm_head="xlm",
            task="XLMMaskedLM",
            params=571_496_960,
            source="FacebookAI/xlm-mlm-17-1280",
        ),
        Preset(
            "xlm_mlm_100_1280",
            _xlm(200000, 1280, 16, 16, 100, use_language_embedding=False),
            "XLM MLM, 100 languages, no language embeddings",
            lm_head="xlm",
            task="XLMMaskedLM",
            params=571_496_960,
            source="FacebookAI/xlm-mlm-100-1280",
        ),
        Preset(
            "xlm_roberta_base",
            _xlm_r(250002, 768, 12, 12, 3072),
            "XLM-R base, 100 languages",
            lm_head="roberta",
            task="XLMMaskedLM",
            params=277_452_288,
            source="FacebookAI/xlm-roberta-base",
        ),
        Preset(
            "xlm_roberta_large",
            _xlm_r(250002, 1024, 24, 16, 4096),
            "XLM-R large, 100 languages",
            lm_head="roberta",
            task="XLMMaskedLM",
            params=558_839_808,
            source="FacebookAI/xlm-roberta-large",
        ),
        Preset(
            "xlm_roberta_xl",
            _xlm_r(250880, 2560, 36, 32, 10240, normalize_first=True),
            "XLM-R XL (pre-LN), 100 languages",
            lm_head="roberta",
            task="XLMMaskedLM",
            params=3_475_927_040,
            source="facebook/xlm-roberta-xl",
        ),
        Preset(
            "xlm_roberta_xxl",
            _xlm_r(250880, 4096, 48, 32, 16384, normalize_first=True),
            "XLM-R XXL (pre-LN), 100 languages",
            lm_head="roberta",
            task="XLMMaskedLM",
            params=10_695_950_336,
            source="facebook/xlm-roberta-xxl",
        ),
        # Tiny shapes for tests and demos.
        Preset(
            "xlm_tiny",
            _xlm(1000, 32, 2, 2, 4, max_sequence_length=128),
            "tiny XLM, 4 language embeddings",
            lm_head="xlm",
            task="XLMMaskedLM",
            params=61_696,
            source=None,
        ),
        Preset(
            "xlm_tiny_clm",
            _xlm(1000, 32, 2, 2, 4, max_sequence_length=128, causal=True),
            "tiny causal XLM",
            lm_head="xlm",
            task="XLMCausalLM",
            params=61_696,
            source=None,
        ),
        Preset(
            "xlm_roberta_tiny",
            _xlm_r(1000, 32, 2, 2, 64, max_sequence_length=128),
            "tiny XLM-R",
            lm_head="roberta",
            task="XLMMaskedLM",
            params=53_312,
            source=None,
        ),
        Preset(
            "xlm_roberta_tiny_prenorm",
            _xlm_r(1000, 32, 2, 2, 64, max_sequence_length=128, normalize_first=True),
            "tiny pre-LN XLM-R (XL/XXL layout)",
            lm_head="roberta",
            task="XLMMaskedLM",
            params=53_312,
            source=None,
        ),
        Preset(
            "xlm_small",
            _xlm(8000, 256, 4, 4, 16, max_sequence_length=256),
            "4 layers x 256, demo pretraining",
            lm_head="xlm",
            task="XLMMaskedLM",
            params=5_277_184,
            source=None,
        ),
        Preset(
            "xlm_mini",
            _xlm(8000, 128, 4, 4, 16, max_sequence_length=256),
            "4 layers x 128, zero-shot transfer demo",
            lm_head="xlm",
            task="XLMMaskedLM",
            params=1_852_160,
            source=None,
        ),
    )
}


def is_builtin(preset):
    return isinstance(preset, str) and preset in PRESETS


def backbone_config(preset, load_weights=True):
    """The `XLMBackbone` kwargs of a built-in preset."""
    if load_weights and PRESETS[preset].source is not None:
        raise ValueError(
            f"Preset {preset!r} is an architecture only: its weights cannot "
            "be downloaded here. Convert the published checkpoint with "
            f"`xlm-convert --source=hf --input=<local {PRESETS[preset].source} dir> "
            "--output=DIR` and load DIR, or pass `load_weights=False` for "
            "random weights."
        )
    return dict(PRESETS[preset].config)


def lm_head(preset):
    """`"xlm"` (tied projection + bias) or `"roberta"` (dense-GELU-LN-tied)."""
    return PRESETS[preset].lm_head


def saved_task_name(preset_dir):
    """Class name of the task saved in a preset directory (its `task.json`),
    or None for a backbone-only preset or a built-in name."""
    task_file = os.path.join(preset_dir, "task.json") if isinstance(preset_dir, str) else ""
    if is_builtin(preset_dir) or not os.path.isfile(task_file):
        return None
    with open(task_file, encoding="utf-8") as f:
        return json.load(f).get("class_name", "").split(">")[-1] or None
