"""Supervised translation en<->de (both directions in one run) on the
bundled LibreOffice help pairs: `configs/mt_enfr.py` with en-de pairs.

  xlm-train --config=configs/mt_ende.py --workdir=/tmp/mt_ende \\
      --config.model.init_from=/tmp/pretrain/preset
"""

from xlm_keras.config_files import load_config_file

mt_enfr = load_config_file("mt_enfr.py", relative_to=__file__)


def get_config():
    config = mt_enfr.get_config()
    config.translation.directions = "en-de,de-en"
    return config
