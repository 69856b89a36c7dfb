"""Evaluation metrics for cross-lingual fine-tuning: NER entity F1, SQuAD/MLQA
answer scores, and answer-span decoding (Python and numpy only)."""

from xlm_keras.metrics.entity_f1 import entity_f1
from xlm_keras.metrics.entity_f1 import entity_spans
from xlm_keras.metrics.span_decoding import best_span
from xlm_keras.metrics.squad import exact_match
from xlm_keras.metrics.squad import f1_score
from xlm_keras.metrics.squad import normalize_answer
from xlm_keras.metrics.squad import squad_metrics
