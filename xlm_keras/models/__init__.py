"""XLM backbone, tokenizer, preprocessors, pretraining and fine-tuning
tasks, and presets."""

from xlm_keras.models.load_model import load_model
from xlm_keras.models.tokenizer_training import train_tokenizer
from xlm_keras.models.xlm_backbone import XLMBackbone
from xlm_keras.models.xlm_beam_sampler import XLMBeamSampler
from xlm_keras.models.xlm_causal_lm import XLMCausalLM
from xlm_keras.models.xlm_causal_lm_preprocessor import XLMCausalLMPreprocessor
from xlm_keras.models.xlm_masked_lm import XLMMaskedLM
from xlm_keras.models.xlm_masked_lm_preprocessor import XLMMaskedLMPreprocessor
from xlm_keras.models.xlm_seq2seq_backbone import XLMSeq2SeqBackbone
from xlm_keras.models.xlm_seq2seq_lm import XLMSeq2SeqLM
from xlm_keras.models.xlm_seq2seq_lm_preprocessor import XLMSeq2SeqLMPreprocessor
from xlm_keras.models.xlm_span_qa import XLMSpanQA
from xlm_keras.models.xlm_span_qa_preprocessor import XLMSpanQAPreprocessor
from xlm_keras.models.xlm_text_classifier import XLMTextClassifier
from xlm_keras.models.xlm_text_classifier_preprocessor import XLMTextClassifierPreprocessor
from xlm_keras.models.xlm_token_classifier import XLMTokenClassifier
from xlm_keras.models.xlm_token_classifier_preprocessor import XLMTokenClassifierPreprocessor
from xlm_keras.models.xlm_tokenizer import XLMTokenizer
