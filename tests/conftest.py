"""Shared test setup: TensorFlow backend, quiet logs, deterministic seeds."""

import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import pytest  # noqa: E402

# SentencePiece corpora and models shared by the text and tokenizer tests.
pytest_plugins = ["tests.sentencepiece_fixtures"]


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


LANGUAGES = ["de", "en", "fr"]


@pytest.fixture(scope="session")
def tokenizer_dir(tmp_path_factory):
    """A small tokenizer preset trained once on the bundled corpus (a path:
    tokenizer objects do not survive the per-test re-seeding, tf-text#570)."""
    from xlm_keras.data import corpus
    from xlm_keras.models import train_tokenizer

    directory = tmp_path_factory.mktemp("tokenizer")
    files = corpus.monolingual_files(corpus.SAMPLE_CORPUS_DIR, "train")
    train_tokenizer({code: files[code] for code in LANGUAGES}, str(directory),
                    vocabulary_size=600, languages=LANGUAGES)
    return str(directory)
