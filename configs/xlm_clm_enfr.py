"""XLM CLM on English and French: causal 6 x 1024 with language embeddings,
streams of 256 tokens."""

from xlm_keras.pretraining.config import base_config


def get_config():
    config = base_config()
    config.model.init_from = "xlm_clm_enfr_1024"
    config.data.update(languages="en,fr", vocabulary_size=64139, sequence_length=256)
    config.data.batch_size = 16
    config.objectives.mlm.weight, config.objectives.clm.weight = 0.0, 1.0
    config.optimizer.update(learning_rate=1e-4, warmup_steps=4000, decay="inverse_sqrt")
    config.train.update(num_steps=200_000, steps_per_execution=100, checkpoint_every=5000)
    config.train.jit_compile = True  # XLA: faster than without at this size.
    return config
