"""The tokenizer a training run uses: configured, resumed, or trained now.

A tokenizer trained now is trained once, by the chief, into
`workdir/tokenizer`: it writes the preset under a temporary name and renames
it, so the directory appears complete or not at all. The other workers of a
multi-worker run (which share the workdir) wait for it and load it.
"""

import os
import shutil
import time

from xlm_keras.data import corpus
from xlm_keras.data.sentencepiece_training import run_sample_size
from xlm_keras.models import XLMTokenizer
from xlm_keras.models import presets
from xlm_keras.models import train_tokenizer

# How long a worker waits for the chief's tokenizer (training on a large
# corpus takes minutes), and how often it looks.
WAIT_SECONDS = 3600.0
POLL_SECONDS = 1.0


def load_or_train_tokenizer(config, corpus_dir, languages, workdir, chief):
    """`data.tokenizer`, else the tokenizer of a `model.init_from` preset
    directory, else the run's own `workdir/tokenizer`: resumed, or trained
    now by the chief on `run_sample_size` sentences of the corpus's
    monolingual files of `languages` and waited for by the other workers."""
    if config.data.tokenizer:
        return XLMTokenizer.from_preset(os.path.expanduser(config.data.tokenizer))
    if not presets.is_builtin(config.model.init_from):
        return XLMTokenizer.from_preset(os.path.expanduser(config.model.init_from))
    directory = os.path.join(workdir, "tokenizer")
    if _is_complete(directory):
        return XLMTokenizer.from_preset(directory)
    if not chief:
        return wait_for_tokenizer(directory)
    files = corpus.monolingual_files(corpus_dir, "train")
    partial = f"{directory}.partial-{os.getpid()}"
    tokenizer = train_tokenizer(
        {code: files[code] for code in languages},
        partial,
        vocabulary_size=config.data.vocabulary_size,
        languages=languages,
        max_sentences=run_sample_size(config.data.vocabulary_size),
        seed=config.data.seed,
    )
    # A directory left by a run that stopped while writing it in place.
    shutil.rmtree(directory, ignore_errors=True)
    os.replace(partial, directory)
    return tokenizer


def wait_for_tokenizer(directory, *, timeout=WAIT_SECONDS, poll=POLL_SECONDS):
    """The tokenizer preset that the chief writes to `directory`, loaded once
    it is complete; TimeoutError after `timeout` seconds without it."""
    deadline = time.monotonic() + timeout
    while not _is_complete(directory):
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"This worker waited {timeout:.0f} s for the chief's tokenizer in {directory} "
                "and it did not appear. Check the chief's log (did it fail or not start?), "
                "or train one first with xlm-tokenizer and pass it as --config.data.tokenizer."
            )
        time.sleep(poll)
    return XLMTokenizer.from_preset(directory)


def _is_complete(directory):
    return os.path.exists(os.path.join(directory, "tokenizer.json"))
