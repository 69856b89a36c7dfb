"""Every config under configs/ loads and passes the pre-compute check; the
CLI rejects a bad override before doing any work."""

import glob
import json
import os
import subprocess
import sys

import pytest

from xlm_keras.config_files import load_config_file
from xlm_keras.finetuning import config as finetune_config
from xlm_keras.pretraining import config as config_lib
from xlm_keras.translation import config as translation_config

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIGS = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "configs", "*.py")))


@pytest.mark.parametrize("name", CONFIGS)
def test_config_is_valid(name):
    config = load_config_file(f"../../configs/{name}.py", relative_to=__file__).get_config()
    if not os.path.isdir(os.path.expanduser(config.data.get("corpus_dir") or ".")):
        # A recipe on the full corpus, not built here: the check says how to build it.
        with pytest.raises(ValueError, match="python tools/build_corpus.py"):
            _validate(config)
        config.data.corpus_dir = ""
    _validate(config)


def _validate(config):
    if "translation" in config:
        translation_config.validate_mt(config, "one_device")
    elif "task" in config:  # Fine-tuning: the user names the pretrained preset.
        config.model.init_from = "xlm_mlm_tlm_xnli15_1024"  # 512 positions, as published.
        finetune_config.validate_finetune(config)
    else:
        config_lib.validate(config)


def test_finetune_config_errors_name_every_bad_key(tmp_path):
    config = finetune_config.base_finetune_config()
    config.model.init_from = str(tmp_path)  # No config.json there.
    config.task.type = "ner"
    config.task.data = str(tmp_path / "missing")
    config.train.eval_every = 7
    config.model.classifier_pooling = "max"
    with pytest.raises(ValueError) as error:
        finetune_config.validate_finetune(config)
    for key in (
        "model.init_from",
        "task.type",
        "task.data",
        "train.eval_every",
        "model.classifier_pooling",
    ):
        assert key in str(error.value)


@pytest.mark.slow
def test_cli_rejects_bad_config_before_compute(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "xlm_keras.cli.train",
            f"--workdir={tmp_path}",
            "--config.train.checkpoint_every=7",
            "--config.optimizer.decay=cosine",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode != 0
    assert "train.checkpoint_every" in result.stderr and "optimizer.decay" in result.stderr
    assert not os.listdir(tmp_path), "nothing may be written for a bad config"
    unknown = subprocess.run(
        [
            sys.executable,
            "-m",
            "xlm_keras.cli.train",
            f"--workdir={tmp_path}",
            "--config.train.num_stepz=3",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert unknown.returncode != 0 and "num_stepz" in unknown.stderr


def test_pretraining_ranges_and_cross_field_rules_are_checked_up_front(tmp_path, tokenizer_dir):
    config = config_lib.base_config()
    config.optimizer.warmup_steps = -5
    config.train.keep_checkpoints = 0
    config.data.sequence_length = 100000
    config.optimizer.beta_2 = 1.5
    config.data.tokenizer = tokenizer_dir  # de, en, fr.
    config.data.languages = "en,sw"
    workdir = tmp_path / "file"
    workdir.write_text("")
    with pytest.raises(ValueError) as error:
        config_lib.validate(config, workdir=str(workdir))
    message = str(error.value)
    assert "\n" not in message
    for key in (
        "optimizer.warmup_steps",
        "train.keep_checkpoints",
        "data.sequence_length",
        "optimizer.beta_2",
        "data.languages",
        "['sw']",
        "--workdir",
    ):
        assert key in message, key


@pytest.mark.parametrize("workdir", ["file/run", "file"])
def test_workdir_that_cannot_be_written_is_refused(tmp_path, workdir):
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match="--workdir"):
        config_lib.validate(config_lib.base_config(), workdir=str(tmp_path / workdir))
    config_lib.validate(config_lib.base_config(), workdir=str(tmp_path / "new" / "run"))
    assert sorted(os.listdir(tmp_path)) == ["file"], "the check leaves nothing behind"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes read-only directories")
def test_read_only_workdir_is_refused(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(ValueError, match="--workdir"):
            config_lib.validate(config_lib.base_config(), workdir=str(tmp_path / "run"))
    finally:
        tmp_path.chmod(0o700)


def test_finetune_checks_length_languages_and_workdir(tmp_path, tokenizer_dir):
    preset = tmp_path / "preset"
    preset.mkdir()
    (preset / "config.json").write_text(
        json.dumps({"config": {"max_sequence_length": 64, "use_language_embedding": True}})
    )
    config = finetune_config.base_finetune_config()
    config.model.init_from = str(preset)
    config.data.tokenizer = tokenizer_dir  # de, en, fr.
    config.data.sequence_length = 128
    config.task.eval_languages = "fr,sw"
    config.optimizer.warmup_steps = -1
    with pytest.raises(ValueError) as error:
        finetune_config.validate_finetune(config, workdir=str(preset / "config.json"))
    for key in ("data.sequence_length", "['sw']", "optimizer.warmup_steps", "--workdir"):
        assert key in str(error.value), key


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_numbers_with_one_bound_must_be_finite(value):
    """The rule of the numeric flags (`xlm_keras.ranges.finite_in_range`):
    nan and inf never pass a one-sided bound."""
    pretraining = config_lib.base_config()
    pretraining.objectives.mlm.weight = value
    finetuning = finetune_config.base_finetune_config()
    finetuning.optimizer.head_learning_rate = value
    translation = translation_config.base_mt_config()
    translation.objectives.ae.weight = value
    translation.translation.word_shuffle = value
    for validate, config, keys in [
        (config_lib.validate, pretraining, ["objectives.*.weight"]),
        (finetune_config.validate_finetune, finetuning, ["optimizer.head_learning_rate"]),
        (
            translation_config.validate_mt,
            translation,
            ["objectives.ae.weight", "translation.word_shuffle"],
        ),
    ]:
        with pytest.raises(ValueError) as error:
            validate(config)
        for key in keys:
            assert f"{key}: must be a finite number" in str(error.value)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
@pytest.mark.parametrize(
    "key", ["learning_rate", "weight_decay", "epsilon", "clip_norm", "beta_1", "beta_2"]
)
def test_optimizer_numbers_must_be_finite(value, key):
    config = config_lib.base_config()
    config.optimizer[key] = value
    with pytest.raises(ValueError, match=f"optimizer.{key}: must be"):
        config_lib.validate(config)
