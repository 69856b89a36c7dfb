"""Text to model inputs: packing (and each family's sentence frame), MLM
masking, and SentencePiece training."""

from xlm_keras.text.train_tokenizer import train_tokenizer
