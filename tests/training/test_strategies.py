"""Training under `MirroredStrategy` on 2 logical CPU devices: one step
equals the one-device step, and the whole pretraining run completes.

Logical devices can only be configured before TensorFlow initialises, so
each test runs `tests/training/child_process.py` in a fresh process.
"""

import json
import subprocess

import pytest

from tests.training import child_process
from tests.training.conftest import LANGUAGES

pytestmark = pytest.mark.slow  # Each test starts a process.
TOLERANCE = 1e-5


def run_child(*args, timeout):
    """Run `child_process` with `args`; returns its stdout."""
    done = subprocess.run(
        child_process.command(*args), capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stderr[-5000:]
    return done.stdout


def run_mirrored(command, config, tmp_path, timeout):
    """`child_process <command>` under `MirroredStrategy` on 2 logical CPUs,
    `config` the overrides, writing to tmp_path/run; returns its result.json."""
    run_child(
        "--logical_cpus=2",
        command,
        "--strategy=mirrored",
        f"--workdir={tmp_path / 'run'}",
        f"--out={tmp_path / 'out'}",
        f"--config={json.dumps(config)}",
        timeout=timeout,
    )
    return json.loads((tmp_path / "out" / "result.json").read_text())


@pytest.fixture(scope="module")
def parity():
    """`child_process.step_parity()`, computed once in a fresh process."""
    stdout = run_child("--logical_cpus=2", "step_parity", timeout=180)
    return json.loads(stdout.splitlines()[-1])


def test_one_device_step_is_sgd_on_target_weighted_mean_loss(parity):
    """The one-device `TrainStep` equals a plain GradientTape SGD step on
    sum(target losses) / sum(target weights)."""
    assert parity["update"] > 1e-2, "the step barely moved the weights"
    assert parity["loss"] == pytest.approx(parity["reference"]["loss"], abs=TOLERANCE)
    assert parity["reference"]["weights"] <= TOLERANCE


@pytest.mark.parametrize("run", ["mirrored", "accumulated", "mirrored_accumulated"])
def test_step_matches_one_device_step(parity, run):
    """2 replicas x 4 examples, 2 micro-batches x 4 on one device, and
    2 replicas x 2 micro-batches x 2 give the loss and updated weights of
    one device with the batch of 8."""
    assert parity["replicas"] == 2
    assert parity[run]["loss"] == pytest.approx(parity["loss"], abs=TOLERANCE)
    assert parity[run]["weights"] <= TOLERANCE


def test_pretrain_mirrored_on_two_cpus(tmp_path, tokenizer_dir):
    """`pretrain.run(..., "mirrored")`, what `xlm-train --strategy=mirrored`
    runs after validating the config, trains on 2 replicas and writes the
    last checkpoint and the preset."""
    config = child_process.tiny_config(tokenizer_dir, LANGUAGES)
    result = run_mirrored("pretrain", config, tmp_path, timeout=240)
    assert result["replicas"] == 2
    assert (tmp_path / "run" / "checkpoints" / "ckpt-10.index").exists()
    for name in (
        "config.json",
        "model.weights.h5",
        "task.json",
        "task.weights.h5",
        "tokenizer.json",
    ):
        assert (tmp_path / "run" / "preset" / name).exists(), name


def test_finetune_mirrored_on_two_cpus(tmp_path, tokenizer_dir):
    """`finetune.run(..., "mirrored")` (classification labels [batch], the
    head's own learning rate, validation and the zero-shot report) on 2
    replicas."""
    config = {
        "model.init_from": "xlm_tiny",
        "data.tokenizer": tokenizer_dir,
        "task.eval_languages": "de,en",
        "data.sequence_length": 32,
        "data.batch_size": 4,
        "train.num_steps": 10,
        "train.steps_per_execution": 5,
        "train.eval_every": 10,
        "train.checkpoint_every": 10,
        "optimizer.warmup_steps": 2,
    }
    result = run_mirrored("finetune", config, tmp_path, timeout=300)
    assert result["replicas"] == 2
    assert sorted(result["report"]["languages"]) == ["de", "en"]
    assert (tmp_path / "run" / "checkpoints" / "ckpt-10.index").exists()
    assert (tmp_path / "run" / "preset" / "task.json").exists()
