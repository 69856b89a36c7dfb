"""XQuAD zero-shot transfer: extractive QA trained on English SQuAD v1.1,
exact match / F1 on XQuAD's 11 languages (+ en). Needs `squad/v1.1` and
`xquad/<language>` in the TFDS data dir, or a local directory of SQuAD-style
JSONL files.

  xlm-train --config=configs/finetune_xquad.py --workdir=/tmp/qa \\
      --config.model.init_from=PRESET_DIR
"""

from xlm_keras.finetuning.config import base_finetune_config


def get_config():
    config = base_finetune_config()
    config.task.update(type="qa", data="tfds:xquad", train_language="en")
    config.data.update(sequence_length=384, doc_stride=128, max_query_length=64, batch_size=16)
    config.optimizer.update(learning_rate=3e-5, head_learning_rate=3e-4, warmup_steps=500)
    config.train.update(num_steps=12000, eval_every=1000, checkpoint_every=1000)
    config.train.jit_compile = True  # XLA: faster than without at this size.
    return config
