"""The tokenizer a training run uses: configured, resumed, or trained now."""

import os

from xlm_keras.data import corpus
from xlm_keras.models import XLMTokenizer
from xlm_keras.models import presets
from xlm_keras.models import train_tokenizer


def load_or_train_tokenizer(config, corpus_dir, languages, workdir, chief):
    """`data.tokenizer`, else the tokenizer of a `model.init_from` preset
    directory, else the run's own (resumed, or trained now on the corpus's
    monolingual files of `languages`)."""
    if config.data.tokenizer:
        return XLMTokenizer.from_preset(os.path.expanduser(config.data.tokenizer))
    if not presets.is_builtin(config.model.init_from):
        return XLMTokenizer.from_preset(os.path.expanduser(config.model.init_from))
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
