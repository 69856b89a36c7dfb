"""XNLI zero-shot transfer (XLM / XLM-R papers): train on English MultiNLI,
pick the best model on English validation, report accuracy on the test
split in all 15 XNLI languages. Needs `multi_nli` and `xnli` in the TFDS data
dir (or a local directory with premise/hypothesis/label JSONL files).

  xlm-train --config=configs/finetune_xnli.py --workdir=/tmp/xnli \\
      --config.model.init_from=PRESET_DIR --strategy=mirrored
"""

from xlm_keras.finetuning.config import base_finetune_config


def get_config():
    config = base_finetune_config()
    config.task.update(type="classification", data="tfds:xnli", train_language="en")
    config.data.update(sequence_length=128, batch_size=32)
    config.optimizer.learning_rate = 5e-6  # XLM's encoder rate (lr_e) for XNLI.
    config.optimizer.head_learning_rate = 1.25e-4  # XLM's projection rate (lr_p).
    config.optimizer.warmup_steps = 1000
    config.train.update(num_steps=40000, eval_every=2000, checkpoint_every=2000, patience=5)
    config.train.jit_compile = True  # XLA: faster than without at this size.
    return config
