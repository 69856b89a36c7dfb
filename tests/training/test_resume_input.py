"""A run stopped by SIGTERM resumes on the batch an uninterrupted run would
have trained on next, under one device and under `MirroredStrategy` on two
logical CPUs (each replica takes its own batch per step): from the input
position saved in the checkpoint, and, for an input that cannot be saved
(a Python generator), by replaying the batches consumed. Both end with the
uninterrupted run's weights.

Each strategy runs `child_process resume_parity` in a fresh process
(logical devices are configured before TensorFlow starts).
"""

import json

import pytest

from tests.training import child_process
from tests.training.test_strategies import run_child

pytestmark = pytest.mark.slow  # Each test starts a process that trains.


@pytest.mark.parametrize(
    ("strategy", "logical_cpus", "replicas"), [("one_device", 1, 1), ("mirrored", 2, 2)]
)
def test_resume_lands_on_the_next_batch(tmp_path, strategy, logical_cpus, replicas):
    stdout = run_child(
        f"--logical_cpus={logical_cpus}",
        "resume_parity",
        f"--strategy={strategy}",
        f"--workdir={tmp_path}",
        timeout=480,
    )
    result = json.loads(stdout.splitlines()[-1])
    assert result["replicas"] == replicas
    expected = result["batches"]
    per_step = 2 * replicas  # Micro-batches x replicas.
    steps = min(child_process.RESUME_STEPS, child_process.NUMBERED_BATCHES // per_step)
    first_pass = [n for step in range(1, steps + 1) for n in expected[str(step)]]
    # The stream's first pass, in steps of per_step batches: none repeated (and
    # none skipped: on 2 replicas it is the whole pass).
    assert len(first_pass) == len(set(first_pass)) == steps * per_step
    assert set(first_pass) <= set(range(child_process.NUMBERED_BATCHES))
    logs = {
        "resumed": "Resumed the input position from the checkpoint",
        "replayed": f"replaying {{'mlm': {child_process.PREEMPT_AT * per_step}}} batches",
    }
    for run, line in logs.items():
        assert result[run]["stopped"] == child_process.PREEMPT_AT, run
        assert result[run]["batches"] == expected, run
        assert result[run]["weights"] == 0.0, run
        assert any(line in logged for logged in result[run]["log"]), result[run]["log"]
