"""A pretraining run killed with SIGKILL resumes from its last checkpoint
and ends with the same weights as a run that was never interrupted (MLM
here; `tests/translation/test_unsupervised_run.py` kills a run that mixes
two objectives)."""

import os
import re
import signal
import subprocess
import sys
import time

import h5py
import numpy as np
import pytest

from tests.training.conftest import LANGUAGES

pytestmark = pytest.mark.slow  # Training runs, killed and resumed in processes.


def _command(workdir, tokenizer_dir, num_steps=30, checkpoint_every=10):
    return [
        sys.executable,
        "-m",
        "xlm_keras.cli.train",
        *_flags(workdir, tokenizer_dir, num_steps, checkpoint_every),
    ]


def _flags(workdir, tokenizer_dir, num_steps, checkpoint_every):
    return [
        f"--workdir={workdir}",
        f"--config.data.tokenizer={tokenizer_dir}",
        f"--config.data.languages={','.join(LANGUAGES)}",
        "--config.data.sequence_length=32",
        "--config.data.batch_size=8",
        f"--config.train.num_steps={num_steps}",
        "--config.train.steps_per_execution=5",
        f"--config.train.checkpoint_every={checkpoint_every}",
        "--config.optimizer.warmup_steps=5",
    ]


def _weights(preset_dir):
    with h5py.File(os.path.join(preset_dir, "model.weights.h5")) as f:
        arrays = []
        f.visititems(
            lambda name, obj: (
                arrays.append((name, obj[()])) if isinstance(obj, h5py.Dataset) else None
            )
        )
    return dict(arrays)


def kill_after_checkpoint(command, checkpoint):
    """Start `command`, SIGKILL it as soon as `checkpoint` (its `.index`
    file) exists and the directory's `checkpoint` state file names it: TF
    records a checkpoint there last, so a run killed between the two
    rightly resumes from the one before."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not _recorded(checkpoint) and time.time() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert _recorded(checkpoint), f"the run never wrote and recorded {checkpoint}"
    process.send_signal(signal.SIGKILL)
    process.wait()


def _recorded(checkpoint):
    state = checkpoint.parent / "checkpoint"
    name = checkpoint.name.removesuffix(".index")
    return (
        checkpoint.exists()
        and state.exists()
        and re.search(f'[/"]{name}"', state.read_text()) is not None
    )


def test_sigkill_then_resume_matches_uninterrupted_run(tmp_path, tokenizer_dir):
    reference = tmp_path / "reference"
    subprocess.run(_command(reference, tokenizer_dir), check=True, timeout=600, capture_output=True)

    interrupted = tmp_path / "interrupted"
    kill_after_checkpoint(
        _command(interrupted, tokenizer_dir), interrupted / "checkpoints" / "ckpt-10.index"
    )
    assert not (interrupted / "preset").exists(), "killed before the end"
    resumed = subprocess.run(
        _command(interrupted, tokenizer_dir),
        check=True,
        timeout=600,
        capture_output=True,
        text=True,
    )
    assert "Resumed from" in resumed.stderr and "at step 1" in resumed.stderr

    expected, actual = _weights(reference / "preset"), _weights(interrupted / "preset")
    assert expected.keys() == actual.keys()
    for name in expected:
        np.testing.assert_array_equal(actual[name], expected[name], err_msg=name)


def test_sigterm_writes_a_checkpoint_and_the_run_resumes_there(tmp_path, tokenizer_dir):
    """The installed `xlm-train`, sent SIGTERM after its first progress line
    (checkpoints 1000 steps apart), checkpoints the step it reached, logs
    it, exits 143; the same command resumes at that step, with the input
    position from the checkpoint."""
    workdir = tmp_path / "run"
    xlm_train = os.path.join(os.path.dirname(sys.executable), "xlm-train")
    process = subprocess.Popen(
        [xlm_train, *_flags(workdir, tokenizer_dir, num_steps=1000, checkpoint_every=1000)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = "-"  # Until the progress line after the first chunk (or the end of stdout).
    while line and not line.startswith("step "):
        line = process.stdout.readline()
    assert line, process.stderr.read()[-3000:]
    process.send_signal(signal.SIGTERM)
    stderr = process.communicate(timeout=300)[1]
    assert process.returncode == 143, stderr[-3000:]
    preempted = re.findall(r"Preempted at step (\d+): checkpoint written", stderr)
    assert len(preempted) == 1, stderr[-3000:]
    step = int(preempted[0])
    assert step > 0 and step % 5 == 0
    assert (workdir / "checkpoints" / f"ckpt-{step}.index").exists()

    resumed = subprocess.run(
        [xlm_train, *_flags(workdir, tokenizer_dir, num_steps=step + 5, checkpoint_every=1000)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"ckpt-{step} at step {step}" in resumed.stderr
    assert "Resumed the input position from the checkpoint" in resumed.stderr
    assert (workdir / "preset").exists()
