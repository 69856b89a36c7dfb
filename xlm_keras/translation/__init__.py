"""Translation: parallel batches for `XLMSeq2SeqLM`, the translation config
and run, BLEU/chrF evaluation, and online back-translation."""
