"""The translation recipes of docs/translation.md, run as documented on a tiny
budget: the same configs and commands, with overrides that shrink the model,
the corpus (the bundled sample) and the steps."""

import json
import os
import subprocess
import sys

import pytest

from tests.helpers import ROOT
from tests.helpers import load_script
from xlm_keras.data.corpus import SAMPLE_CORPUS_DIR
from xlm_keras.training.run_config import CONFIG_FILE

pytestmark = pytest.mark.slow

TINY = [
    "--config.model.init_from=xlm_tiny",
    "--config.data.vocabulary_size=300",
    "--config.data.batch_size=4",
    "--config.data.sequence_length=32",
]
TINY_MT = [
    "--config.data.batch_size=4",
    "--config.data.source_length=16",
    "--config.data.target_length=16",
    "--config.translation.validation_pairs=4",
]
STEPS = [
    "--config.train.num_steps=2",
    "--config.train.steps_per_execution=2",
    "--config.train.checkpoint_every=2",
    "--config.train.jit_compile=False",
]


def xlm_train(config, workdir, *overrides):
    """`xlm-train --config=configs/<config> --workdir=<workdir> <overrides>`."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "xlm_keras.cli.train",
            f"--config=configs/{config}",
            f"--workdir={workdir}",
            f"--config.data.corpus_dir={SAMPLE_CORPUS_DIR}",
            *overrides,
            *STEPS,
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def assert_translation_report(workdir):
    with open(os.path.join(workdir, "translation.json"), encoding="utf-8") as f:
        report = json.load(f)
    assert report["split"] == "test" and report["decodings"] == ["greedy", "beam4"]
    assert sorted(report["directions"]) == ["en-fr", "fr-en"]
    for direction, row in report["directions"].items():
        for decoding in ("greedy", "beam4"):
            path = os.path.join(workdir, "translations", f"test.{direction}.{decoding}.txt")
            with open(path, encoding="utf-8") as f:
                assert len(f.read().splitlines()) == row["pairs"]


def test_supervised_recipe(tmp_path):
    pre, mt = tmp_path / "pre", tmp_path / "mt"
    xlm_train("demo_mt_pretrain.py", pre, *TINY)
    xlm_train(
        "demo_mt_enfr.py",
        mt,
        f"--config.model.init_from={pre}/preset",
        "--config.train.eval_every=2",
        *TINY_MT,
    )
    assert_translation_report(mt)
    # The run kept the recipe's settings: both sides bucketed by length from the pretrained LM.
    with open(mt / CONFIG_FILE, encoding="utf-8") as f:
        config = json.load(f)
    assert config["data"]["length_buckets"] and config["model"]["init_from"] == f"{pre}/preset"


def test_unsupervised_recipe(tmp_path):
    halves = tmp_path / "halves"
    counts = load_script("tools/write_halves.py").write_halves(
        SAMPLE_CORPUS_DIR, str(halves), "en-fr", hold_out=4
    )
    assert counts["en"] == counts["fr"] > 0
    pre, unmt = tmp_path / "unmt_pre", tmp_path / "unmt"
    xlm_train("demo_unmt_pretrain.py", pre, *TINY, f"--config.data.corpus_dir={halves}")
    xlm_train(
        "demo_unmt_enfr.py",
        unmt,
        f"--config.model.init_from={pre}/preset",
        "--config.train.eval_every=2",
        *TINY_MT,
    )
    assert_translation_report(unmt)
