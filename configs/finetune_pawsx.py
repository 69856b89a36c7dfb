"""PAWS-X zero-shot transfer: paraphrase identification of sentence pairs,
trained on English, tested in de, en, es, fr, ja, ko, zh. Needs
`paws_x_wiki/<language>` in the TFDS data dir.

  xlm-train --config=configs/finetune_pawsx.py --workdir=/tmp/pawsx \\
      --config.model.preset=PRESET_DIR
"""

from xlm_keras.finetuning.config import base_finetune_config


def get_config():
    config = base_finetune_config()
    config.task.type = "classification"
    config.task.data = "tfds:paws_x_wiki"
    config.task.train_language = "en"
    config.data.sequence_length = 128
    config.data.batch_size = 32
    config.optimizer.learning_rate = 2e-5
    config.optimizer.head_learning_rate = 2e-4
    config.optimizer.warmup_steps = 500
    config.train.num_steps = 10000
    config.train.eval_every = 1000
    config.train.checkpoint_every = 1000
    config.train.jit_compile = True  # XLA: faster than without at this size.
    return config
