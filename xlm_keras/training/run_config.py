"""A run's config, kept in its workdir: what it trained on, for the
programs that read the run afterwards (`xlm-eval` scores the run's own
corpus)."""

import json
import os

from absl import logging

from xlm_keras.data import corpus

CONFIG_FILE = "config.json"


def save_run_config(config, workdir):
    """Write `config` (a ConfigDict) as `workdir/config.json`."""
    os.makedirs(workdir, exist_ok=True)
    with open(os.path.join(workdir, CONFIG_FILE), "w", encoding="utf-8") as f:
        f.write(config.to_json_best_effort(indent=2, sort_keys=True))


def corpus_to_score(corpus_dir="", workdir=None):
    """The corpus directory an evaluation reads, said in the log: `corpus_dir`
    when given, else the one the run in `workdir` trained on (its
    `config.json`), else the bundled sample (with a warning that says so)."""
    if corpus_dir:
        return os.path.expanduser(corpus_dir)
    path = os.path.join(workdir, CONFIG_FILE) if workdir else None
    if path and os.path.isfile(path):
        try:
            with open(path, encoding="utf-8") as f:
                trained_on = json.load(f).get("data", {}).get("corpus_dir", "")
        except (ValueError, AttributeError) as error:
            raise ValueError(
                f"{path} is not the config JSON that xlm-train writes ({error}); "
                "give --corpus_dir=DIR"
            ) from None
        if trained_on:
            logging.info("Scoring the run's corpus %s (data.corpus_dir in %s).", trained_on, path)
            return os.path.expanduser(trained_on)
    logging.warning(
        "Scoring the bundled sample corpus %s, not a corpus of yours: give "
        "--corpus_dir=DIR to score another.",
        corpus.SAMPLE_CORPUS_DIR,
    )
    return corpus.SAMPLE_CORPUS_DIR
