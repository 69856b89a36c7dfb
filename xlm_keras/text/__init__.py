"""Text to model inputs: packing (and each family's sentence frame), MLM
masking, and translation noise."""
