"""Corpora to tf.data: corpus directories and their readers (validation and
counts), the corpus index (text bytes, line counts), TF-native sentence and
pair datasets sharded per worker by file, language sampling, token streams,
the TFDS corpus builder, the bundled sample corpus, and SentencePiece
training on a corpus."""

from xlm_keras.data.corpus_index import CorpusIndex
from xlm_keras.data.line_datasets import pair_batches
from xlm_keras.data.line_datasets import sentence_batches
from xlm_keras.data.readers import CorpusStats
from xlm_keras.data.sampling import language_sampling_probabilities
from xlm_keras.data.sampling import sample_languages
from xlm_keras.data.streams import shard_of
from xlm_keras.data.streams import text_dataset
from xlm_keras.data.streams import token_windows
