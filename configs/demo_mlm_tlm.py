"""Demo recipe: XLM's MLM + TLM (alternating steps) on the bundled corpus,
4 layers x 256 wide. Compare with `--config.objectives.tlm.weight=0` (MLM
only) on cross-lingual retrieval with `xlm-eval`."""

from xlm_keras.pretraining.config import base_config


def get_config():
    config = base_config()
    config.model.init_from = "xlm_small"
    config.data.update(sequence_length=64, batch_size=16)
    config.objectives.mlm.weight = config.objectives.tlm.weight = 1.0
    config.optimizer.update(learning_rate=5e-4, warmup_steps=100)
    config.train.update(num_steps=600, checkpoint_every=200)
    config.train.jit_compile = True  # XLA: faster than without at this size.
    return config
