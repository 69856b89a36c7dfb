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
    train_tokenizer(
        {code: files[code] for code in LANGUAGES},
        str(directory),
        vocabulary_size=600,
        languages=LANGUAGES,
    )
    return str(directory)


@pytest.fixture(scope="module")
def pretrained(tokenizer_dir, tmp_path_factory):
    """A tiny randomly initialised MLM preset with the de/en/fr tokenizer."""
    from tests.helpers import sized_config
    from xlm_keras import XLMBackbone
    from xlm_keras import XLMMaskedLM
    from xlm_keras.models import XLMTokenizer

    directory = tmp_path_factory.mktemp("pretrained")
    tokenizer = XLMTokenizer.from_preset(tokenizer_dir)
    backbone = XLMBackbone(**sized_config("xlm_tiny", tokenizer))
    XLMMaskedLM(backbone).save_to_preset(str(directory))
    tokenizer.save_to_preset(str(directory))
    return str(directory)
