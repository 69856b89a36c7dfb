"""Zero-shot cross-lingual transfer on the bundled help-topic task: which
LibreOffice help module (Writer, Calc, Impress/Draw, Basic, Math) a
paragraph comes from. Fine-tunes on English only; reports accuracy on the
test split in all 16 languages. The head reads the mean of the tokens, and
after fine-tuning each language's mean sentence vector (on unlabelled
validation text) is shifted onto English's (`model.language_centering`):
without it the small demo model answers one class for whole languages.

  xlm-train --config=configs/finetune_help_topic.py --workdir=/tmp/ft \\
      --config.model.preset=/tmp/pretrain/preset
"""

from xlm_keras.finetuning.config import base_finetune_config


def get_config():
    config = base_finetune_config()
    config.task.type = "classification"
    config.task.data = ""  # The bundled xlm_keras/finetuning/sample_tasks/help_topic.
    config.task.train_language = "en"
    config.model.classifier_pooling = "mean"
    config.model.language_centering = True
    config.data.sequence_length = 64
    config.data.batch_size = 32
    config.optimizer.learning_rate = 5e-5
    config.optimizer.head_learning_rate = 5e-4
    config.optimizer.warmup_steps = 30
    config.train.num_steps = 300
    config.train.eval_every = 30
    config.train.checkpoint_every = 30
    config.train.patience = 4
    config.train.jit_compile = True  # XLA: faster than without at this size.
    return config
