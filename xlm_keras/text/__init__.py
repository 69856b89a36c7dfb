"""Text to ids: in-graph SentencePiece tokenisation and tokenizer training."""

from xlm_keras.text.train_tokenizer import train_tokenizer
from xlm_keras.text.xlm_tokenizer import XLMTokenizer
