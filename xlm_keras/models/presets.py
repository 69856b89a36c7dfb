"""Architecture presets: the published XLM / XLM-R shapes and tiny ones.

These are shapes only: weights cannot be downloaded here. Build a published
checkpoint's preset with `xlm-convert` and load that directory instead.
`python tools/preset_summary.py` prints every preset's parameter counts.
"""

import dataclasses
import os

from xlm_keras.models import preset_files

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
        params: int, the backbone's parameter count.
        source: the published checkpoint's Hugging Face id, or None for the
            shapes made here (tiny test models, demo models).
    """

    name: str
    config: dict
    description: str
    params: int
    source: str = None

    @property
    def lm_head(self):
        """`"xlm"` (tied projection + bias) or `"roberta"` (dense-GELU-LN-
        tied), the pretraining head of the checkpoint: XLM-R's when the
        positions are offset past the padding id."""
        return "roberta" if self.config["position_offset"] > 0 else "xlm"

    @property
    def task(self):
        """The pretraining task class name (`XLMMaskedLM` / `XLMCausalLM`)."""
        return "XLMCausalLM" if self.config["causal"] else "XLMMaskedLM"


def _published(name, config, description, params, organisation="FacebookAI"):
    """The shape of a published checkpoint, `source` its Hugging Face id."""
    source = f"{organisation}/{name.replace('_', '-')}"
    return Preset(name, config, description, params, source)


PRESETS = {
    preset.name: preset
    for preset in (
        # name, XLMBackbone arguments, description, backbone parameters
        _published(
            "xlm_mlm_en_2048", _xlm(30145, 2048, 12, 16, 1), "XLM MLM, English", 667_088_896
        ),
        _published(
            "xlm_mlm_ende_1024", _xlm(64699, 1024, 6, 8, 2), "XLM MLM, English-German", 142_357_504
        ),
        _published(
            "xlm_mlm_enfr_1024", _xlm(64139, 1024, 6, 8, 2), "XLM MLM, English-French", 141_784_064
        ),
        _published(
            "xlm_mlm_enro_1024",
            _xlm(64592, 1024, 6, 8, 2),
            "XLM MLM, English-Romanian",
            142_247_936,
        ),
        _published(
            "xlm_clm_enfr_1024",
            _xlm(64139, 1024, 6, 8, 2, causal=True),
            "XLM CLM, English-French",
            141_784_064,
        ),
        _published(
            "xlm_clm_ende_1024",
            _xlm(64699, 1024, 6, 8, 2, causal=True),
            "XLM CLM, English-German",
            142_357_504,
        ),
        _published(
            "xlm_mlm_xnli15_1024",
            _xlm(95000, 1024, 12, 8, 15),
            "XLM MLM, 15 XNLI languages",
            248_976_384,
        ),
        _published(
            "xlm_mlm_tlm_xnli15_1024",
            _xlm(95000, 1024, 12, 8, 15),
            "XLM MLM+TLM, 15 XNLI languages",
            248_976_384,
        ),
        _published(
            "xlm_mlm_17_1280",
            _xlm(200000, 1280, 16, 16, 17, use_language_embedding=False),
            "XLM MLM, 17 languages, no language embeddings",
            571_496_960,
        ),
        _published(
            "xlm_mlm_100_1280",
            _xlm(200000, 1280, 16, 16, 100, use_language_embedding=False),
            "XLM MLM, 100 languages, no language embeddings",
            571_496_960,
        ),
        _published(
            "xlm_roberta_base",
            _xlm_r(250002, 768, 12, 12, 3072),
            "XLM-R base, 100 languages",
            277_452_288,
        ),
        _published(
            "xlm_roberta_large",
            _xlm_r(250002, 1024, 24, 16, 4096),
            "XLM-R large, 100 languages",
            558_839_808,
        ),
        _published(
            "xlm_roberta_xl",
            _xlm_r(250880, 2560, 36, 32, 10240, normalize_first=True),
            "XLM-R XL (pre-LN), 100 languages",
            3_475_927_040,
            "facebook",
        ),
        _published(
            "xlm_roberta_xxl",
            _xlm_r(250880, 4096, 48, 32, 16384, normalize_first=True),
            "XLM-R XXL (pre-LN), 100 languages",
            10_695_950_336,
            "facebook",
        ),
        # Tiny shapes for tests and demos.
        Preset(
            "xlm_tiny",
            _xlm(1000, 32, 2, 2, 4, max_sequence_length=128),
            "tiny XLM, 4 language embeddings (`xlm-train` sizes them to its tokenizer's languages)",
            61_696,
        ),
        Preset(
            "xlm_tiny_clm",
            _xlm(1000, 32, 2, 2, 4, max_sequence_length=128, causal=True),
            "tiny causal XLM",
            61_696,
        ),
        Preset(
            "xlm_roberta_tiny",
            _xlm_r(1000, 32, 2, 2, 64, max_sequence_length=128),
            "tiny XLM-R",
            53_312,
        ),
        Preset(
            "xlm_roberta_tiny_prenorm",
            _xlm_r(1000, 32, 2, 2, 64, max_sequence_length=128, normalize_first=True),
            "tiny pre-LN XLM-R (XL/XXL layout)",
            53_312,
        ),
        Preset(
            "xlm_small",
            _xlm(8000, 256, 4, 4, 16, max_sequence_length=256),
            "demo pretraining (`configs/demo_mlm_tlm.py`)",
            5_277_184,
        ),
        Preset(
            "xlm_mini",
            _xlm(8000, 128, 4, 4, 16, max_sequence_length=256),
            "zero-shot transfer and translation demos",
            1_852_160,
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


def init_config(init_from):
    """The `XLMBackbone` config of `model.init_from`: a built-in name's
    shape, a preset directory's `config.json`, or None when it is neither."""
    if is_builtin(init_from):
        return backbone_config(init_from, load_weights=False)
    if not init_from:
        return None
    path = os.path.join(os.path.expanduser(init_from), preset_files.CONFIG_FILE)
    if not os.path.isfile(path):
        return None
    return preset_files.read_json(path).get("config", {})


def lm_head(preset):
    """`"xlm"` (tied projection + bias) or `"roberta"` (dense-GELU-LN-tied)."""
    return PRESETS[preset].lm_head


def saved_task_name(preset_dir):
    """Class name of the task saved in a preset directory (its `task.json`),
    or None for a backbone-only preset or a built-in name."""
    if is_builtin(preset_dir):
        return None
    return preset_files.saved_task_name(preset_dir)
