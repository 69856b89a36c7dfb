"""SIGTERM (what preemptible VMs, TPU maintenance and schedulers send) as a
request to checkpoint and stop at the next chunk of steps.

A signal handler of our own sets a flag that the trainer reads between
chunks of `train.steps_per_execution` steps: the chunk running when the
signal comes finishes, the checkpoint is written at its step, and
`Preempted` is raised (`xlm-train` exits with `PREEMPTED_EXIT_CODE`).
`tf.distribute.experimental.PreemptionCheckpointHandler` needs a cluster
resolver and TensorFlow's coordination service (several workers, TPUs) and
keeps checkpoints of its own; the flag works under every strategy with the
run's own checkpoints, for the workers that receive the signal.
"""

import signal
import threading

# The shell's status of a process ended by SIGTERM (128 + 15): `xlm-train
# && xlm-export` does not export an unfinished run, and a restart-on-failure
# policy starts the run again, which resumes from the checkpoint.
PREEMPTED_EXIT_CODE = 128 + signal.SIGTERM


class Preempted(Exception):
    """Training stopped on SIGTERM after writing a checkpoint at `step`."""

    def __init__(self, step):
        super().__init__(f"Preempted at step {step}: checkpoint written")
        self.step = step


class SigtermFlag:
    """Context manager: while inside, SIGTERM sets `received` instead of
    ending the process; the previous handler comes back on exit. Outside the
    main thread (where Python cannot take signals) it does nothing."""

    def __init__(self):
        self.received = False
        self._previous = None

    def _handle(self, signum, frame):
        self.received = True

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, self._handle)
        return self

    def __exit__(self, *exc_info):
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)
