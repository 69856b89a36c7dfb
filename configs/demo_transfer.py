"""Pretraining recipe for the zero-shot transfer demo (README, "Zero-shot
transfer"): MLM + TLM (one MLM step to two TLM steps) on the full cached
LibreOffice corpus, 4 layers x 128, no language embeddings (as XLM-R).
About 38 minutes on 2 CPU cores (the README run); then fine-tune with
configs/finetune_help_topic.py.

  xlm-train --config=configs/demo_transfer.py --workdir=/tmp/pretrain \\
      --config.data.corpus_dir=~/.cache/xlm_keras/corpus
"""

from xlm_keras.pretraining.config import base_config


def get_config():
    config = base_config()
    config.model.preset = "xlm_mini"
    config.model.use_language_embedding = False
    config.data.vocabulary_size = 8000
    config.data.sequence_length = 64
    config.data.batch_size = 64
    config.objectives.mlm.weight = 1.0
    config.objectives.tlm.weight = 2.0
    config.optimizer.learning_rate = 1e-3
    config.optimizer.warmup_steps = 200
    config.train.num_steps = 3600
    config.train.checkpoint_every = 200
    config.train.jit_compile = True  # XLA: faster than without at this size.
    return config
