"""Supervised translation en<->fr (both directions in one run) on the
bundled LibreOffice help pairs: 750 train pairs, 50 held out for validation
BLEU, 200 test pairs. The defaults train a random `xlm_mini` shape (4 layers
x 128) with a 2,000-piece tokenizer trained at start-up (the sample's en+fr
text supports at most 3,286 pieces, its en+de text 3,681); initialise encoder
and decoder, and take their tokenizer, from a pretraining run with

  xlm-train --config=configs/mt_enfr.py --workdir=/tmp/mt_enfr \\
      --config.model.init_from=/tmp/pretrain/preset
"""

from xlm_keras.translation.config import base_mt_config


def get_config():
    config = base_mt_config()
    config.model.init_from = "xlm_mini"
    config.translation.directions = "en-fr,fr-en"
    config.data.update(source_length=64, target_length=64, batch_size=32, vocabulary_size=2000)
    config.optimizer.update(learning_rate=1e-3, warmup_steps=50)
    config.train.update(num_steps=600, eval_every=200, checkpoint_every=200, jit_compile=True)
    return config
