"""Layers the XLM family needs beyond keras-hub's."""

from xlm_keras.layers.dropout import XLMDropout
from xlm_keras.layers.language_centering import LanguageCentering
from xlm_keras.layers.xlm_embedding import XLMEmbedding
from xlm_keras.layers.xlm_prediction_head import XLMPredictionHead
from xlm_keras.layers.xlm_roberta_lm_head import XLMRobertaLMHead
from xlm_keras.layers.xlm_transformer_layer import XLMTransformerLayer
