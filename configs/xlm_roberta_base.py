"""XLM-R base (Conneau et al., 2020): 12 x 768, no language embeddings,
250k SentencePiece vocabulary, MLM on 512-token streams, alpha 0.3,
batch 8192 (per replica 32 x accumulation x replicas)."""

from xlm_keras.pretraining.config import base_config


def get_config():
    config = base_config()
    config.model.update(init_from="xlm_roberta_base", use_language_embedding=False)
    config.data.update(vocabulary_size=250000, sequence_length=512, batch_size=32)
    config.objectives.mlm.alpha = 0.3
    config.optimizer.update(learning_rate=6e-4, warmup_steps=10000)
    config.optimizer.accumulation_steps = 4  # 32 x 4 x 64 replicas = 8192.
    config.train.update(num_steps=1_500_000, steps_per_execution=100, checkpoint_every=10000)
    config.train.mixed_precision = "mixed_bfloat16"
    config.train.jit_compile = True  # XLA: faster than without at this size.
    return config
