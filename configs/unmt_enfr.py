"""Unsupervised translation en<->fr, XLM's recipe (Lample & Conneau 2019,
section 5.2): no parallel pair is trained on; denoising auto-encoding (`ae`)
of each language and online back-translation (`bt`) alternate step by step.
The monolingual text is each language's side of disjoint halves of the
bundled en-fr help pairs (no sentence has its translation in training);
BLEU is measured on held-out pairs. Initialise encoder and decoder from a
cross-lingual LM (XLM uses MLM). Otherwise `configs/mt_enfr.py`, with shorter
sentences and a lower learning rate:

  xlm-train --config=configs/unmt_enfr.py --workdir=/tmp/unmt_enfr \\
      --config.model.init_from=/tmp/pretrain/preset
"""

from xlm_keras.config_files import load_config_file

mt_enfr = load_config_file("mt_enfr.py", relative_to=__file__)


def get_config():
    config = mt_enfr.get_config()
    config.objectives.mt.weight = 0.0
    config.objectives.ae.weight = config.objectives.bt.weight = 1.0
    config.data.update(source_length=48, target_length=48, batch_size=16)
    config.optimizer.learning_rate = 1e-4
    return config
