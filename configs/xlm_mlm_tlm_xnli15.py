"""XLM MLM+TLM on the 15 XNLI languages (Lample & Conneau, 2019): 12 x 1024,
streams of 256 tokens, 64 per batch, MLM and TLM alternating, alpha 0.7."""

from xlm_keras.pretraining.config import base_config


def get_config():
    config = base_config()
    config.model.init_from = "xlm_mlm_tlm_xnli15_1024"
    config.data.languages = "ar,bg,de,el,en,es,fr,hi,ru,sw,th,tr,ur,vi,zh"
    config.data.update(vocabulary_size=95000, sequence_length=256)
    config.data.batch_size = 8  # x 8 replicas = 64 streams per step.
    config.objectives.mlm.update(weight=1.0, alpha=0.7)
    config.objectives.tlm.update(weight=1.0, alpha=0.7)
    config.optimizer.update(learning_rate=1e-4, warmup_steps=4000, decay="inverse_sqrt")
    config.optimizer.weight_decay = 0.0
    config.train.update(num_steps=500_000, steps_per_execution=100, checkpoint_every=5000)
    config.train.jit_compile = True  # XLA: faster than without at this size.
    return config
