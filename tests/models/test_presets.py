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

# Published config.json values of the Hugging Face checkpoints, in the order
# of XLM_FIELDS / XLM_R_FIELDS (XLM: 512 positions; XLM-R: 514, one token type).
XLM_FIELDS = ("vocab_size", "emb_dim", "n_layers", "n_heads", "n_langs", "use_lang_emb")
HF_CONFIGS = {
    "xlm_mlm_en_2048": (30145, 2048, 12, 16, 1),
    "xlm_mlm_ende_1024": (64699, 1024, 6, 8, 2),
    "xlm_mlm_enfr_1024": (64139, 1024, 6, 8, 2),
    "xlm_mlm_enro_1024": (64592, 1024, 6, 8, 2),
    "xlm_clm_enfr_1024": (64139, 1024, 6, 8, 2),
    "xlm_clm_ende_1024": (64699, 1024, 6, 8, 2),
    "xlm_mlm_xnli15_1024": (95000, 1024, 12, 8, 15),
    "xlm_mlm_tlm_xnli15_1024": (95000, 1024, 12, 8, 15),
    "xlm_mlm_17_1280": (200000, 1280, 16, 16, 17, False),
    "xlm_mlm_100_1280": (200000, 1280, 16, 16, 100, False),
}
XLM_R_FIELDS = (
    "vocab_size",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "intermediate_size",
)
HF_R_CONFIGS = {
    "xlm_roberta_base": (250002, 768, 12, 12, 3072),
    "xlm_roberta_large": (250002, 1024, 24, 16, 4096),
    "xlm_roberta_xl": (250880, 2560, 36, 32, 10240),
    "xlm_roberta_xxl": (250880, 4096, 48, 32, 16384),
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
    fields = dict(zip(XLM_FIELDS, HF_CONFIGS[preset]))
    config = transformers.XLMConfig(**fields, max_position_embeddings=512)
    task_cls = XLMCausalLM if PRESETS[preset].config["causal"] else XLMMaskedLM
    assert PRESETS[preset].task == task_cls.__name__
    backbone_count = keras_count(XLMBackbone, preset)
    assert backbone_count == hf_count(transformers.XLMModel, config) == PRESETS[preset].params
    assert keras_count(task_cls, preset) == hf_count(transformers.XLMWithLMHeadModel, config)


@pytest.mark.parametrize("preset", sorted(HF_R_CONFIGS))
def test_xlm_roberta_presets_match_hugging_face(preset):
    hidden = HF_R_CONFIGS[preset][1]
    xl = preset.endswith(("_xl", "_xxl"))
    config_cls = transformers.XLMRobertaXLConfig if xl else transformers.XLMRobertaConfig
    model_cls = transformers.XLMRobertaXLForMaskedLM if xl else transformers.XLMRobertaForMaskedLM
    fields = dict(zip(XLM_R_FIELDS, HF_R_CONFIGS[preset]))
    config = config_cls(**fields, max_position_embeddings=514, type_vocab_size=1)
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
