"""`run`: a language subset of a larger tokenizer keeps the tokenizer's
language ids end to end."""

import os

from xlm_keras.pretraining import config as config_lib
from xlm_keras.pretraining import run as pretrain


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
