"""Preset shapes: parameter counts equal Hugging Face's for the same models.

Both sides are built without allocating weights (Keras: a stateless scope with
deferred variables; torch: the meta device), so even XLM-R XXL is cheap.
"""

import pytest
import torch
import transformers
from keras.src.backend import StatelessScope
from keras.src.backend.common import global_state

from xlm_keras import PRESETS
from xlm_keras import XLMBackbone
from xlm_keras import XLMCausalLM
from xlm_keras import XLMMaskedLM

# Published config.json values of the Hugging Face checkpoints.
_XLM = dict(max_position_embeddings=512)
HF_CONFIGS = {
    "xlm_mlm_en_2048": dict(
        _XLM, vocab_size=30145, emb_dim=2048, n_layers=12, n_heads=16, n_langs=1
    ),
    "xlm_mlm_ende_1024": dict(
        _XLM, vocab_size=64699, emb_dim=1024, n_layers=6, n_heads=8, n_langs=2
    ),
    "xlm_mlm_enfr_1024": dict(
        _XLM, vocab_size=64139, emb_dim=1024, n_layers=6, n_heads=8, n_langs=2
    ),
    "xlm_mlm_enro_1024": dict(
        _XLM, vocab_size=64592, emb_dim=1024, n_layers=6, n_heads=8, n_langs=2
    ),
    "xlm_clm_enfr_1024": dict(
        _XLM, vocab_size=64139, emb_dim=1024, n_layers=6, n_heads=8, n_langs=2
    ),
    "xlm_clm_ende_1024": dict(
        _XLM, vocab_size=64699, emb_dim=1024, n_layers=6, n_heads=8, n_langs=2
    ),
    "xlm_mlm_xnli15_1024": dict(
        _XLM, vocab_size=95000, emb_dim=1024, n_layers=12, n_heads=8, n_langs=15
    ),
    "xlm_mlm_tlm_xnli15_1024": dict(
        _XLM, vocab_size=95000, emb_dim=1024, n_layers=12, n_heads=8, n_langs=15
    ),
    "xlm_mlm_17_1280": dict(
        _XLM,
        vocab_size=200000,
        emb_dim=1280,
        n_layers=16,
        n_heads=16,
        n_langs=17,
        use_lang_emb=False,
    ),
    "xlm_mlm_100_1280": dict(
        _XLM,
        vocab_size=200000,
        emb_dim=1280,
        n_layers=16,
        n_heads=16,
        n_langs=100,
        use_lang_emb=False,
    ),
}
_XLM_R = dict(max_position_embeddings=514, type_vocab_size=1)
HF_R_CONFIGS = {
    "xlm_roberta_base": dict(
        _XLM_R,
        vocab_size=250002,
        hidden_size=768,
        num_hidden_layers=12,
        num_attention_heads=12,
        intermediate_size=3072,
    ),
    "xlm_roberta_large": dict(
        _XLM_R,
        vocab_size=250002,
        hidden_size=1024,
        num_hidden_layers=24,
        num_attention_heads=16,
        intermediate_size=4096,
    ),
    "xlm_roberta_xl": dict(
        _XLM_R,
        vocab_size=250880,
        hidden_size=2560,
        num_hidden_layers=36,
        num_attention_heads=32,
        intermediate_size=10240,
    ),
    "xlm_roberta_xxl": dict(
        _XLM_R,
        vocab_size=250880,
        hidden_size=4096,
        num_hidden_layers=48,
        num_attention_heads=32,
        intermediate_size=16384,
    ),
}


def keras_count(task_cls, preset, backbone_too=False):
    """Parameters of the preset's model (and of its backbone)."""
    with StatelessScope(initialize_variables=False):
        if task_cls is XLMBackbone:
            model = XLMBackbone.from_preset(preset, load_weights=False)
        else:
            model = task_cls.from_preset(preset, load_weights=False, compile=False)
        count = (
            (model.count_params(), model.backbone.count_params())
            if backbone_too
            else (model.count_params())
        )
    # Forget the deferred variables: the next StatelessScope to exit anywhere
    # in the process would allocate them all (43 GB for XLM-R XXL).
    global_state.set_global_attribute("uninitialized_variables", [])
    return count


def hf_count(model_cls, config):
    with torch.device("meta"):
        return model_cls(config).num_parameters()


@pytest.mark.parametrize("preset", sorted(HF_CONFIGS))
def test_xlm_presets_match_hugging_face(preset):
    config = transformers.XLMConfig(**HF_CONFIGS[preset])
    task_cls = XLMCausalLM if PRESETS[preset].config["causal"] else XLMMaskedLM
    assert PRESETS[preset].task == task_cls.__name__
    backbone_count = keras_count(XLMBackbone, preset)
    assert backbone_count == hf_count(transformers.XLMModel, config) == PRESETS[preset].params
    assert keras_count(task_cls, preset) == hf_count(transformers.XLMWithLMHeadModel, config)


@pytest.mark.parametrize("preset", sorted(HF_R_CONFIGS))
def test_xlm_roberta_presets_match_hugging_face(preset):
    hidden = HF_R_CONFIGS[preset]["hidden_size"]
    if preset.endswith("xl") or preset.endswith("xxl"):
        config = transformers.XLMRobertaXLConfig(**HF_R_CONFIGS[preset])
        model_cls = transformers.XLMRobertaXLForMaskedLM
    else:
        config = transformers.XLMRobertaConfig(**HF_R_CONFIGS[preset])
        model_cls = transformers.XLMRobertaForMaskedLM
    # The one token-type row is folded into the position table.
    task_count, backbone_count = keras_count(XLMMaskedLM, preset, backbone_too=True)
    assert task_count == hf_count(model_cls, config) - hidden
    assert backbone_count == PRESETS[preset].params


@pytest.mark.parametrize("preset", sorted(p for p in PRESETS if PRESETS[p].source is None))
def test_registry_parameter_counts_of_the_shapes_made_here(preset):
    assert keras_count(XLMBackbone, preset) == PRESETS[preset].params


def test_xlm_roberta_base_is_278m():
    assert round(keras_count(XLMMaskedLM, "xlm_roberta_base") / 1e6) == 278


def test_published_presets_refuse_to_pretend_they_have_weights():
    with pytest.raises(ValueError, match="architecture only"):
        XLMBackbone.from_preset("xlm_roberta_base")
