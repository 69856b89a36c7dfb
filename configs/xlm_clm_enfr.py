"""XLM CLM on English and French: causal 6 x 1024 with language embeddings,
streams of 256 tokens."""

from xlm_keras.pretraining.config import base_config


def get_config():
    config = base_config()
    config.model.preset = "xlm_clm_enfr_1024"
    config.data.languages = "en,fr"
    config.data.vocabulary_size = 64139
    config.data.sequence_length = 256
    config.data.batch_size = 16
    config.objectives.mlm.weight = 0.0
    config.objectives.clm.weight = 1.0
    config.optimizer.learning_rate = 1e-4
    config.optimizer.warmup_steps = 4000
    config.optimizer.decay = "inverse_sqrt"
    config.train.num_steps = 200_000
    config.train.steps_per_execution = 100
    config.train.checkpoint_every = 5000
    config.train.jit_compile = True  # XLA: faster than without at this size.
    return config
