"""Corpora to tf.data: corpus directories and their readers (validation and
counts), language sampling, monolingual streams and parallel pairs,
per-worker sharding, the TFDS corpus builder, the bundled sample corpus,
and SentencePiece training on a corpus."""

from xlm_keras.data.readers import CorpusStats
from xlm_keras.data.sampling import language_sampling_probabilities
from xlm_keras.data.sampling import sample_languages
from xlm_keras.data.streams import pair_dataset
from xlm_keras.data.streams import shard_of
from xlm_keras.data.streams import text_dataset
from xlm_keras.data.streams import token_windows
