"""PAWS-X zero-shot transfer: paraphrase identification of sentence pairs,
trained on English, tested in de, en, es, fr, ja, ko, zh. Needs
`paws_x_wiki/<language>` in the TFDS data dir.

  xlm-train --config=configs/finetune_pawsx.py --workdir=/tmp/pawsx \\
      --config.model.init_from=PRESET_DIR
"""

from xlm_keras.finetuning.config import base_finetune_config


def get_config():
    config = base_finetune_config()
    config.task.update(type="classification", data="tfds:paws_x_wiki", train_language="en")
    config.data.update(sequence_length=128, batch_size=32)
    config.optimizer.update(learning_rate=2e-5, head_learning_rate=2e-4, warmup_steps=500)
    config.train.update(num_steps=10000, eval_every=1000, checkpoint_every=1000)
    config.train.jit_compile = True  # XLA: faster than without at this size.
    return config
