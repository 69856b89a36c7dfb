"""Unsupervised translation recipe, step 1 of 2: `configs/demo_mt_pretrain.py`
with MLM only, on the halves corpus (`python tools/write_halves.py`: English
from one half of the en-fr pairs, French from the other), so that no
sentence's translation is ever read:

  python tools/build_corpus.py && python tools/write_halves.py
  xlm-train --config=configs/demo_unmt_pretrain.py --workdir=$W/unmt_pre
"""

from xlm_keras.config_files import load_config_file

demo_mt_pretrain = load_config_file("demo_mt_pretrain.py", relative_to=__file__)

HALVES_CORPUS = "~/.cache/xlm_keras/corpus_halves"  # tools/write_halves.py's default output.


def get_config():
    config = demo_mt_pretrain.get_config()
    config.data.corpus_dir = HALVES_CORPUS
    config.objectives.tlm.weight = 0.0
    return config
