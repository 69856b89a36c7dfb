"""A run keeps its config; evaluations score the run's own corpus, or say
loudly that they score the bundled sample."""

import ml_collections
import pytest

from xlm_keras.data import corpus
from xlm_keras.training import run_config
from xlm_keras.training.run_config import corpus_to_score
from xlm_keras.training.run_config import save_run_config


def _config(corpus_dir):
    return ml_collections.ConfigDict({"data": {"corpus_dir": corpus_dir, "batch_size": 4}})


@pytest.fixture
def log(monkeypatch):
    """The messages run_config logs, formatted (absl's logger may not reach caplog)."""
    lines = []
    for level in ("info", "warning"):
        monkeypatch.setattr(
            run_config.logging, level, lambda message, *args: lines.append(message % args)
        )
    return lines


def test_the_run_s_corpus_is_scored(tmp_path, log):
    save_run_config(_config("~/corpus"), str(tmp_path / "run"))
    chosen = corpus_to_score("", str(tmp_path / "run"))
    assert chosen.endswith("/corpus") and not chosen.startswith("~")
    assert log[0].startswith("Scoring the run's corpus ~/corpus")


def test_a_given_corpus_wins(tmp_path):
    save_run_config(_config("/elsewhere"), str(tmp_path))
    assert corpus_to_score(str(tmp_path / "mine"), str(tmp_path)) == str(tmp_path / "mine")


@pytest.mark.parametrize("trained_on", [None, ""])
def test_the_sample_is_scored_with_a_warning(tmp_path, log, trained_on):
    if trained_on is not None:  # A run on the sample (data.corpus_dir='').
        save_run_config(_config(trained_on), str(tmp_path))
    assert corpus_to_score("", str(tmp_path)) == corpus.SAMPLE_CORPUS_DIR
    assert log[0].startswith("Scoring the bundled sample corpus") and "--corpus_dir" in log[0]


def test_a_config_file_that_is_not_json_is_named(tmp_path):
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ValueError, match="config.json is not the config JSON"):
        corpus_to_score("", str(tmp_path))
