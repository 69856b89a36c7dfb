"""Unsupervised translation (XLM's `ae` + `bt` steps): the back-translation
step under `MirroredStrategy` equals the one-device step, and an `xlm-train`
run killed with SIGKILL resumes to the weights (and optimizer state) of a
run that was never interrupted, with per-language and per-direction
metrics and validation BLEU in TensorBoard."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tests.training.test_resume import kill_after_checkpoint
from tests.training.test_strategies import run_child

pytestmark = pytest.mark.slow  # Training runs in processes.


def _scalars(workdir):
    tags = set()
    for name in os.listdir(os.path.join(workdir, "tensorboard")):
        for event in tf.compat.v1.train.summary_iterator(
            os.path.join(workdir, "tensorboard", name)
        ):
            tags |= {value.tag for value in event.summary.value}
    return tags


def test_back_translation_step_on_two_replicas_equals_one_device(tokenizer_dir):
    """The `bt` step (each replica translates its own rows with the current
    weights, then trains on them) gives the one-device loss and update."""
    result = json.loads(
        run_child(
            "--logical_cpus=2", "bt_parity", f"--tokenizer={tokenizer_dir}", timeout=300
        ).splitlines()[-1]
    )
    assert result["replicas"] == 2 and result["update"] > 1e-2
    assert result["mirrored"]["loss"] == pytest.approx(result["loss"], abs=1e-5)
    assert result["mirrored"]["weights"] <= 1e-5


def _command(workdir, tokenizer_dir, corpus_dir):
    """`xlm-train` on the UNMT recipe, shrunk: 10 steps alternating `ae`
    and `bt`, a checkpoint and a validation every 2."""
    overrides = {
        "model.init_from": "xlm_tiny",
        "model.num_decoder_layers": 1,
        "data.tokenizer": tokenizer_dir,
        "data.corpus_dir": corpus_dir,
        "data.source_length": 16,
        "data.target_length": 12,
        "data.batch_size": 4,
        "objectives.mt.weight": 0.0,
        "objectives.ae.weight": 1.0,
        "objectives.bt.weight": 1.0,
        "translation.validation_pairs": 2,
        "translation.num_beams": 1,
        "translation.eval_split": "",
        "optimizer.warmup_steps": 2,
        "train.num_steps": 10,
        "train.steps_per_execution": 1,
        "train.eval_every": 2,
        "train.checkpoint_every": 2,
        "train.jit_compile": False,
    }
    return [
        sys.executable,
        "-m",
        "xlm_keras.cli.train",
        "--config=configs/unmt_enfr.py",
        f"--workdir={workdir}",
    ] + [f"--config.{k}={v}" for k, v in overrides.items()]


def _checkpoint(workdir):
    path = tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints"))
    assert path.endswith("-10"), path
    return {
        name: tf.train.load_variable(path, name)
        for name, _ in tf.train.list_variables(path)
        if "OBJECT_GRAPH" not in name and not name.startswith("input/")  # Iterator states.
    }


def test_sigkill_then_resume_matches_uninterrupted_run(tmp_path, tokenizer_dir, corpus_dir):
    reference, interrupted = tmp_path / "reference", tmp_path / "interrupted"
    subprocess.run(
        _command(reference, tokenizer_dir, corpus_dir), check=True, timeout=600, capture_output=True
    )
    kill_after_checkpoint(
        _command(interrupted, tokenizer_dir, corpus_dir),
        interrupted / "checkpoints" / "ckpt-4.index",
    )
    assert not (interrupted / "checkpoints" / "ckpt-10.index").exists(), "killed too late"
    resumed = subprocess.run(
        _command(interrupted, tokenizer_dir, corpus_dir),
        check=True,
        timeout=600,
        capture_output=True,
        text=True,
    )
    assert "Resumed from" in resumed.stderr
    tags = _scalars(str(reference))
    for tag in (
        "ae/loss",
        "ae/accuracy/en",
        "ae/accuracy/fr",
        "bt/loss",
        "bt/accuracy/en-fr",
        "bt/accuracy/fr-en",
        "validation/bleu/en-fr",
        "validation/bleu/fr-en",
    ):
        assert tag in tags, tag

    expected, actual = _checkpoint(reference), _checkpoint(interrupted)
    assert expected.keys() == actual.keys() and len(expected) > 50
    for name in expected:
        np.testing.assert_array_equal(actual[name], expected[name], err_msg=name)
