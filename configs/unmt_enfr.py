"""Unsupervised translation en<->fr, XLM's recipe (Lample & Conneau 2019,
section 5.2): no parallel pair is trained on; denoising auto-encoding (`ae`)
of each language and online back-translation (`bt`) alternate step by step.
The monolingual text is each language's side of disjoint halves of the
bundled en-fr help pairs (no sentence has its translation in training);
BLEU is measured on held-out pairs. Initialise encoder and decoder from a
cross-lingual LM (XLM uses MLM):

  xlm-train --config=configs/unmt_enfr.py --workdir=/tmp/unmt_enfr \\
      --config.model.init_from=/tmp/pretrain/preset
"""

from xlm_keras.translation.config import base_mt_config


def get_config():
    config = base_mt_config()
    config.model.init_from = "xlm_mini"
    config.translation.directions = "en-fr,fr-en"
    config.objectives.mt.weight = 0.0
    config.objectives.ae.weight = 1.0
    config.objectives.bt.weight = 1.0
    config.data.source_length = 48
    config.data.target_length = 48
    config.data.batch_size = 16
    config.optimizer.learning_rate = 1e-4
    config.optimizer.warmup_steps = 50
    config.train.num_steps = 600
    config.train.eval_every = 200
    config.train.checkpoint_every = 200
    config.train.jit_compile = True
    return config
