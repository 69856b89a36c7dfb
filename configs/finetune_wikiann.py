"""WikiANN (PAN-X) NER zero-shot transfer: BIO tagging trained on English,
entity F1 (exact spans) in every language. Needs `wikiann/<language>` in
the TFDS data dir, or a local directory of tokens/tags JSONL files.

  xlm-train --config=configs/finetune_wikiann.py --workdir=/tmp/ner \\
      --config.model.init_from=PRESET_DIR --config.task.eval_languages=de,es,fr,ru,zh
"""

from xlm_keras.finetuning.config import base_finetune_config


def get_config():
    config = base_finetune_config()
    config.task.update(type="tagging", data="tfds:wikiann", train_language="en")
    config.data.update(sequence_length=128, batch_size=32)
    config.optimizer.update(learning_rate=2e-5, head_learning_rate=2e-4, warmup_steps=300)
    config.train.update(num_steps=6000, eval_every=500, checkpoint_every=500)
    config.train.jit_compile = True  # XLA: faster than without at this size.
    return config
