"""Pretraining: corpus readers, language sampling, MLM/TLM/CLM tf.data
pipelines, the TFDS corpus builder, the bundled sample corpus, and the run
and evaluation of `xlm-train` / `xlm-eval` for pretrained models."""

from xlm_keras.pretraining.readers import CorpusStats
from xlm_keras.pretraining.sampling import language_sampling_probabilities
from xlm_keras.pretraining.sampling import sample_languages
from xlm_keras.pretraining.streams import pair_dataset
from xlm_keras.pretraining.streams import shard_of
from xlm_keras.pretraining.streams import text_dataset
from xlm_keras.pretraining.streams import token_windows
