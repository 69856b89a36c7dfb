"""Unsupervised translation en<->de, XLM's recipe: `configs/unmt_enfr.py`
with the two halves of the bundled en-de help pairs.

  xlm-train --config=configs/unmt_ende.py --workdir=/tmp/unmt_ende \\
      --config.model.init_from=/tmp/pretrain/preset
"""

from xlm_keras.config_files import load_config_file

unmt_enfr = load_config_file("unmt_enfr.py", relative_to=__file__)


def get_config():
    config = unmt_enfr.get_config()
    config.translation.directions = "en-de,de-en"
    return config
