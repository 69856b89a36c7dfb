"""Machine translation: objectives and batches for the encoder-decoder."""
