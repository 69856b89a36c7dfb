"""XLM MLM+TLM on the 15 XNLI languages (Lample & Conneau, 2019): 12 x 1024,
streams of 256 tokens, 64 per batch, MLM and TLM alternating, alpha 0.7."""

from xlm_keras.pretraining.config import base_config


def get_config():
    config = base_config()
    config.model.preset = "xlm_mlm_tlm_xnli15_1024"
    config.data.languages = "ar,bg,de,el,en,es,fr,hi,ru,sw,th,tr,ur,vi,zh"
    config.data.vocabulary_size = 95000
    config.data.sequence_length = 256
    config.data.batch_size = 8  # x 8 replicas = 64 streams per step.
    config.objectives.mlm.weight = 1.0
    config.objectives.mlm.alpha = 0.7
    config.objectives.tlm.weight = 1.0
    config.objectives.tlm.alpha = 0.7
    config.optimizer.learning_rate = 1e-4
    config.optimizer.warmup_steps = 4000
    config.optimizer.decay = "inverse_sqrt"
    config.optimizer.weight_decay = 0.0
    config.train.num_steps = 500_000
    config.train.steps_per_execution = 100
    config.train.checkpoint_every = 5000
    config.train.jit_compile = True  # XLA: faster than without at this size.
    return config
