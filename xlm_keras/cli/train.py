"""`xlm-train`: pretrain an XLM model with MLM / TLM / CLM, fine-tune one
(configs with a `task` section: classification, tagging, span QA), or train
translation (configs with a `translation` section).

  xlm-train --workdir=/tmp/run                       # tiny model, bundled corpus
  xlm-train --config=configs/xlm_mlm_tlm_xnli15.py --workdir=/tmp/run \
      --config.data.corpus_dir=~/.cache/xlm_keras/corpus --strategy=mirrored
  xlm-train --config=configs/finetune_help_topic.py --workdir=/tmp/ft \
      --config.model.init_from=/tmp/run/preset
  xlm-train --config=configs/mt_enfr.py --workdir=/tmp/mt \
      --config.model.init_from=/tmp/run/preset

On SIGTERM the run writes a checkpoint at the end of the current chunk of
steps, logs "Preempted at step N: checkpoint written" and exits with status
143 (128 + SIGTERM); the same command resumes it.
"""

import os
import sys

from absl import app
from absl import flags

from xlm_keras.cli.config_flag import define_config_flag
from xlm_keras.cli.errors import run_program
from xlm_keras.pretraining import config as config_lib
from xlm_keras.training.preemption import PREEMPTED_EXIT_CODE
from xlm_keras.training.preemption import Preempted

_CONFIG = define_config_flag(
    "xlm-train",
    os.path.abspath(config_lib.__file__),
    "Experiment config file with get_config(); override fields with --config.a.b=v.",
)
_WORKDIR = flags.DEFINE_string("workdir", None, "Checkpoints, logs and the final preset.")
_STRATEGY = flags.DEFINE_string(
    "strategy", "auto", "auto | one_device | mirrored | multi_worker | tpu."
)
_TPU = flags.DEFINE_string("tpu", None, "TPU name or grpc:// address (strategy=tpu).")
_DRY_RUN = flags.DEFINE_bool(
    "dry_run",
    False,
    "Check the config, print it resolved and the files the run would read, then exit 0.",
)
flags.mark_flag_as_required("workdir")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    try:
        _train_or_dry_run()
    except Preempted:  # The checkpoint is written and the line logged.
        sys.exit(PREEMPTED_EXIT_CODE)


def _train_or_dry_run():
    config = _CONFIG.value
    workdir = os.path.expanduser(_WORKDIR.value)
    if "task" in config:  # A fine-tuning config (configs/finetune_*.py).
        from xlm_keras.finetuning import config as finetune_config

        finetune_config.validate_finetune(config, _STRATEGY.value, workdir)  # Before any compute.
        if _DRY_RUN.value:
            return _print_dry_run(config, "fine-tuning")
        from xlm_keras.finetuning import run as finetune

        finetune.run(config, workdir, _STRATEGY.value, _TPU.value)
        return
    if "translation" in config:  # A translation config (configs/mt_*.py).
        from xlm_keras.translation import config as mt_config

        mt_config.validate_mt(config, _STRATEGY.value, workdir)  # Before any compute.
        if _DRY_RUN.value:
            return _print_dry_run(config, "translation")
        from xlm_keras.translation import run as translation

        translation.run(config, workdir, _STRATEGY.value, _TPU.value)
        return
    config_lib.validate(config, _STRATEGY.value, workdir)  # Before any compute.
    if _DRY_RUN.value:
        return _print_dry_run(config, "pretraining")
    from xlm_keras.pretraining import run as pretrain

    pretrain.run(config, workdir, _STRATEGY.value, _TPU.value)


def _print_dry_run(config, kind):
    from xlm_keras.cli import dry_run

    print(dry_run.report(config, kind))


def run():
    """Console-script entry point."""
    run_program(main, "xlm-train")


if __name__ == "__main__":
    run()
