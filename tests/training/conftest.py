"""A small tokenizer trained once on the bundled corpus, for training tests."""

import pytest

from xlm_keras.data import corpus
from xlm_keras.text import train_tokenizer

LANGUAGES = ["de", "en", "fr"]


@pytest.fixture(scope="session")
def tokenizer_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tokenizer")
    files = corpus.monolingual_files(corpus.SAMPLE_CORPUS_DIR, "train")
    train_tokenizer({code: files[code] for code in LANGUAGES}, str(directory),
                    vocabulary_size=600, languages=LANGUAGES)
    return str(directory)
