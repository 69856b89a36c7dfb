"""The tokenizer a training run uses: configured, resumed, or trained now."""

import os

from xlm_keras.data import corpus
from xlm_keras.models import XLMTokenizer
from xlm_keras.models import train_tokenizer


def load_or_train_tokenizer(config, corpus_dir, languages, workdir, chief):
    """The configured tokenizer, the run's own, or one trained now."""
    if config.data.tokenizer:
        return XLMTokenizer.from_preset(config.data.tokenizer)
    directory = os.path.join(workdir, "tokenizer" if chief else "scratch/tokenizer")
    if os.path.exists(os.path.join(directory, "tokenizer.json")):
        return XLMTokenizer.from_preset(directory)
    files = corpus.monolingual_files(corpus_dir, "train")
    return train_tokenizer(
        {code: files[code] for code in languages},
        directory,
        vocabulary_size=config.data.vocabulary_size,
        languages=languages,
        seed=config.data.seed,
    )
