"""Unsupervised translation en<->de, XLM's recipe: `configs/unmt_enfr.py`
with the two halves of the bundled en-de help pairs.

  xlm-train --config=configs/unmt_ende.py --workdir=/tmp/unmt_ende \\
      --config.model.init_from=/tmp/pretrain/preset
"""

from configs import unmt_enfr


def get_config():
    config = unmt_enfr.get_config()
    config.translation.directions = "en-de,de-en"
    return config
