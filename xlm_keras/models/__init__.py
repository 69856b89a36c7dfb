"""XLM backbone, pretraining tasks and presets."""

from xlm_keras.models.xlm_backbone import XLMBackbone
from xlm_keras.models.xlm_causal_lm import XLMCausalLM
from xlm_keras.models.xlm_masked_lm import XLMMaskedLM
from xlm_keras.models.load_model import load_model
