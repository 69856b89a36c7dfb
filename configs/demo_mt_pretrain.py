"""Translation recipe, step 1 of 2: an en+fr cross-lingual LM (XLM's MLM and
TLM, alternating steps) that initialises `configs/demo_mt_enfr.py`. Reads the
full LibreOffice help corpus (`python tools/build_corpus.py` caches it in
~/.cache/xlm_keras/corpus); `xlm_mini` (4 layers x 128), 64-token streams
and pairs, a 4k SentencePiece model trained at start-up. About 13 minutes on
2 CPU cores:

  xlm-train --config=configs/demo_mt_pretrain.py --workdir=$W/pre

docs/translation.md has the measured results.
"""

from xlm_keras.pretraining.config import base_config

FULL_CORPUS = "~/.cache/xlm_keras/corpus"  # tools/build_corpus.py's default output.


def get_config():
    config = base_config()
    config.model.init_from = "xlm_mini"
    config.data.update(corpus_dir=FULL_CORPUS, languages="en,fr", sequence_length=64)
    config.data.batch_size = 64
    config.objectives.mlm.weight = config.objectives.tlm.weight = 1.0
    config.optimizer.update(learning_rate=1e-3, warmup_steps=100)
    config.train.update(num_steps=1800, checkpoint_every=600, jit_compile=True)
    return config
