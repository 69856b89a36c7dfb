"""A run's own tokenizer is trained once, by the chief, into workdir/tokenizer;
another worker sharing the workdir waits for it and loads the same model."""

import os
import threading

import pytest

from xlm_keras.data import corpus
from xlm_keras.pretraining.config import base_config
from xlm_keras.training import tokenizer_setup

LANGUAGES = ["de", "en", "fr"]


def small_corpus(directory):
    """The first 300 training lines of each language of the bundled sample."""
    (directory / "mono").mkdir(parents=True)
    for code, paths in corpus.monolingual_files(corpus.SAMPLE_CORPUS_DIR, "train").items():
        if code in LANGUAGES:
            with open(paths[0], encoding="utf-8") as f:
                lines = f.readlines()[:300]
            (directory / "mono" / f"{code}.train.txt").write_text("".join(lines))
    return str(directory)


def test_the_chief_trains_once_and_a_waiting_worker_loads_its_tokenizer(tmp_path, monkeypatch):
    corpus_dir, workdir = small_corpus(tmp_path / "corpus"), str(tmp_path / "workdir")
    config = base_config()
    config.data.vocabulary_size = 300
    trained = []
    train = tokenizer_setup.train_tokenizer
    monkeypatch.setattr(
        tokenizer_setup, "train_tokenizer", lambda *a, **k: trained.append(a[1]) or train(*a, **k)
    )
    loaded = {}

    def worker():
        loaded["worker"] = tokenizer_setup.load_or_train_tokenizer(
            config, corpus_dir, LANGUAGES, workdir, chief=False
        )

    thread = threading.Thread(target=worker)
    thread.start()  # Before the chief: the worker finds no tokenizer and waits.
    chief = tokenizer_setup.load_or_train_tokenizer(
        config, corpus_dir, LANGUAGES, workdir, chief=True
    )
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert loaded["worker"].proto == chief.proto
    assert loaded["worker"].languages == LANGUAGES
    # Trained once, under a temporary name renamed to workdir/tokenizer.
    assert len(trained) == 1 and trained[0] != os.path.join(workdir, "tokenizer")
    assert os.listdir(workdir) == ["tokenizer"]
    # A resumed run loads it instead of training again.
    again = tokenizer_setup.load_or_train_tokenizer(
        config, corpus_dir, LANGUAGES, workdir, chief=True
    )
    assert again.proto == chief.proto and len(trained) == 1


def test_a_worker_without_the_chiefs_tokenizer_times_out_naming_the_directory(tmp_path):
    directory = tmp_path / "tokenizer"
    directory.mkdir()  # An incomplete directory (no tokenizer.json) is not taken.
    with pytest.raises(TimeoutError, match=f"chief's tokenizer in {directory}.*data.tokenizer"):
        tokenizer_setup.wait_for_tokenizer(str(directory), timeout=0.2, poll=0.05)
