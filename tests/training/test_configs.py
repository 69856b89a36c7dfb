"""Every config under configs/ loads and passes the pre-compute check; the
CLI rejects a bad override before doing any work."""

import glob
import importlib
import os
import subprocess
import sys

import pytest

from xlm_keras.pretraining import config as config_lib
from xlm_keras.finetuning import config as finetune_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIGS = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "configs", "*.py"))
                 if not p.endswith("__init__.py"))


@pytest.mark.parametrize("name", CONFIGS)
def test_config_is_valid(name):
    config = importlib.import_module(f"configs.{name}").get_config()
    if "task" in config:  # Fine-tuning: the user names the pretrained preset.
        config.model.preset = "xlm_tiny"
        finetune_config.validate_finetune(config)
    else:
        config_lib.validate(config)


def test_finetune_config_errors_name_every_bad_key(tmp_path):
    config = finetune_config.base_finetune_config()
    config.model.preset = str(tmp_path)  # No config.json there.
    config.task.type = "ner"
    config.task.data = str(tmp_path / "missing")
    config.train.eval_every = 7
    config.model.classifier_pooling = "max"
    with pytest.raises(ValueError) as error:
        finetune_config.validate_finetune(config)
    for key in ("model.preset", "task.type", "task.data", "train.eval_every",
                "model.classifier_pooling"):
        assert key in str(error.value)


def test_cli_rejects_bad_config_before_compute(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "xlm_keras.cli.train", f"--workdir={tmp_path}",
         "--config.train.checkpoint_every=7", "--config.optimizer.decay=cosine"],
        capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode != 0
    assert "train.checkpoint_every" in result.stderr and "optimizer.decay" in result.stderr
    assert not os.listdir(tmp_path), "nothing may be written for a bad config"
    unknown = subprocess.run(
        [sys.executable, "-m", "xlm_keras.cli.train", f"--workdir={tmp_path}",
         "--config.train.num_stepz=3"], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert unknown.returncode != 0 and "num_stepz" in unknown.stderr
