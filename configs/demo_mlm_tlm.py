"""Demo recipe: XLM's MLM + TLM (alternating steps) on the bundled corpus,
4 layers x 256 wide. Compare with `--config.objectives.tlm.weight=0` (MLM
only) on cross-lingual retrieval with `xlm-eval`."""

from xlm_keras.pretraining.config import base_config


def get_config():
    config = base_config()
    config.model.preset = "xlm_small"
    config.data.sequence_length = 64
    config.data.batch_size = 16
    config.objectives.mlm.weight = 1.0
    config.objectives.tlm.weight = 1.0
    config.optimizer.learning_rate = 5e-4
    config.optimizer.warmup_steps = 100
    config.train.num_steps = 600
    config.train.checkpoint_every = 200
    config.train.jit_compile = True  # XLA: faster than without at this size.
    return config
