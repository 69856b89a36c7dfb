"""Supervised translation: parallel batches for `XLMSeq2SeqLM`, the
translation config and run, and BLEU/chrF evaluation."""
