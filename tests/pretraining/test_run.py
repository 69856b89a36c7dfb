"""`run`: a language subset of a larger tokenizer keeps the tokenizer's
language ids end to end."""

import os

import pytest

from xlm_keras.pretraining import config as config_lib
from xlm_keras.pretraining import run as pretrain


@pytest.mark.slow
def test_language_subset_of_a_larger_tokenizer_trains(tmp_path, tokenizer_dir):
    config = config_lib.base_config()  # tokenizer_dir knows de, en, fr: fr has id 2.
    config.data.tokenizer = tokenizer_dir
    config.data.languages = "en,fr"
    config.data.sequence_length = 16
    config.data.batch_size = 2
    config.objectives.tlm.weight = 1.0
    config.train.num_steps = 2
    config.train.steps_per_execution = 1
    config.train.checkpoint_every = 2
    config.optimizer.warmup_steps = 1
    config_lib.validate(config)
    model = pretrain.run(config, str(tmp_path))
    assert model.backbone.num_languages == 3
    assert {"checkpoints", "preset"} <= set(os.listdir(tmp_path))
    assert not [name for name in os.listdir(tmp_path) if name.startswith("preset.")]


def test_a_language_without_a_usable_line_is_refused_before_compute(tmp_path):
    corpus_dir = tmp_path / "corpus"
    (corpus_dir / "mono").mkdir(parents=True)
    (corpus_dir / "mono" / "en.train.txt").write_text("Hello world.\n" * 20)
    bad = corpus_dir / "mono" / "fr.train.txt"
    bad.write_bytes(b"\n\xff\xfe\n" * 100)
    config = config_lib.base_config()
    config.data.corpus_dir = str(corpus_dir)
    config_lib.validate(config)
    workdir = tmp_path / "run"
    with pytest.raises(ValueError) as error:
        pretrain.run(config, str(workdir))
    assert str(error.value) == (
        f"data.languages: fr has no usable line in {bad} (skipped 200: bad_utf8 100, "
        "empty 100); fix or remove the file, or leave fr out of data.languages"
    )
    assert not workdir.exists()  # No tokenizer trained, no model built.
