"""SavedModels for TF Serving: in-graph tokenisation, named signatures,
versioned layout, op audit."""

from xlm_keras.models.load_model import load_model
from xlm_keras.models.xlm_masked_lm_preprocessor import MASK_POSITION_PADDING
from xlm_keras.serving.exporter import export
from xlm_keras.serving.exporter import next_version
from xlm_keras.serving.op_audit import OpAuditError
from xlm_keras.serving.op_audit import audit_ops
from xlm_keras.serving.op_audit import saved_model_ops
from xlm_keras.serving.op_audit import sentencepiece_library
from xlm_keras.serving.serving_module import SIGNATURES
from xlm_keras.serving.serving_module import ServingModule
from xlm_keras.serving.to_ctranslate2 import export_ctranslate2
from xlm_keras.serving.warmup import WARMUP_FILE
from xlm_keras.serving.warmup import write_warmup_requests
