"""Zero-shot cross-lingual transfer on the bundled help-topic task: which
LibreOffice help module (Writer, Calc, Impress/Draw, Basic, Math) a
paragraph comes from. Fine-tunes on English only; reports accuracy on the
test split in all 16 languages. The head reads the mean of the tokens, and
after fine-tuning each language's mean sentence vector (on unlabelled
validation text) is shifted onto English's (`model.language_centering`):
without it the small demo model answers one class for whole languages.

  xlm-train --config=configs/finetune_help_topic.py --workdir=/tmp/ft \\
      --config.model.init_from=/tmp/pretrain/preset
"""

from xlm_keras.finetuning.config import base_finetune_config


def get_config():
    config = base_finetune_config()
    config.task.update(type="classification", data="", train_language="en")  # "": the bundled task.
    config.model.update(classifier_pooling="mean", language_centering=True)
    config.data.update(sequence_length=64, batch_size=32)
    config.optimizer.update(learning_rate=5e-5, head_learning_rate=5e-4, warmup_steps=30)
    config.train.update(num_steps=300, eval_every=30, checkpoint_every=30, patience=4)
    config.train.jit_compile = True  # XLA: faster than without at this size.
    return config
