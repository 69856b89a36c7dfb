"""Training under `MirroredStrategy` on 2 logical CPU devices: one step
equals the one-device step, and the whole pretraining run completes.

Logical devices can only be configured before TensorFlow initialises, so
each test runs `tests/training/child_process.py` in a fresh process.
"""

import json
import subprocess
import sys

import pytest

from tests.training.conftest import LANGUAGES

TOLERANCE = 1e-5


def child_process(*args, timeout=120):
    """Run `python -m tests.training.child_process ARGS`; returns stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.training.child_process", *args],
        capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-5000:]
    return done.stdout


def tiny_config(tokenizer_dir, **overrides):
    """Flattened overrides of `base_config()`: tiny MLM+TLM run, 10 steps."""
    return {
        "data.tokenizer": tokenizer_dir,
        "data.languages": ",".join(LANGUAGES),
        "data.sequence_length": 32,
        "data.batch_size": 8,
        "objectives.tlm.weight": 1.0,
        "train.num_steps": 10,
        "train.steps_per_execution": 5,
        "train.checkpoint_every": 10,
        "optimizer.warmup_steps": 5,
        **overrides,
    }


@pytest.fixture(scope="module")
def parity():
    return json.loads(child_process("--logical_cpus=2", "step_parity").splitlines()[-1])


def test_one_device_step_matches_plain_gradient_step(parity):
    """The one-device `TrainStep` is SGD on the target-weighted mean loss."""
    assert parity["update"] > 1e-2, "the step barely moved the weights"
    assert parity["loss"] == pytest.approx(parity["reference"]["loss"], abs=TOLERANCE)
    assert parity["reference"]["weights"] <= TOLERANCE


@pytest.mark.parametrize("run", ["mirrored", "accumulated", "mirrored_accumulated"])
def test_step_matches_one_device_step(parity, run):
    """2 replicas x 4, 2 micro-batches x 4 and 2 replicas x 2 micro-batches x
    2 give the loss and updated weights of one device with a batch of 8."""
    assert parity["replicas"] == 2
    assert parity[run]["loss"] == pytest.approx(parity["loss"], abs=TOLERANCE)
    assert parity[run]["weights"] <= TOLERANCE


def test_pretrain_mirrored_on_two_cpus(tmp_path, tokenizer_dir):
    """`pretrain.run(..., "mirrored")`, what `xlm-train --strategy=mirrored`
    calls after validating the config, trains on 2 replicas and writes the
    last checkpoint and the preset."""
    child_process(
        "--logical_cpus=2", "pretrain", "--strategy=mirrored",
        f"--workdir={tmp_path / 'run'}", f"--out={tmp_path / 'out'}",
        f"--config={json.dumps(tiny_config(tokenizer_dir))}", timeout=240)

    result = json.loads((tmp_path / "out" / "result.json").read_text())
    assert result["replicas"] == 2
    assert (tmp_path / "run" / "checkpoints" / "ckpt-10.index").exists()
    for name in ("config.json", "model.weights.h5", "task.json", "tokenizer.json"):
        assert (tmp_path / "run" / "preset" / name).exists(), name
