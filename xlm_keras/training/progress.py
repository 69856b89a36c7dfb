"""The training loop's progress line on the terminal.

One line, rewritten in place on a terminal (elsewhere printed at most every
`interval` seconds): steps done of the total, the ETA, and the latest
metrics. The ETA counts time from the end of the first update on, so XLA's
compilation of the first chunk of steps does not inflate it. `log` ends the
line before a log message, so messages never glue onto it.
"""

import sys
import time

from absl import logging


class ProgressLine:
    """Args:
    total_steps: int. The run's last step.
    enabled: bool. False prints nothing (a non-chief worker).
    stream: where the line goes (default stdout).
    interval: float. Seconds between lines when `stream` is not a terminal.
    """

    def __init__(self, total_steps, enabled=True, stream=None, interval=30.0):
        self.total_steps = total_steps
        self.enabled = enabled
        self.stream = stream or sys.stdout
        self.dynamic = self.stream.isatty()
        self.interval = interval
        # (step, time) at the end of the first update: where the ETA's rate starts.
        self.timed_from = None
        self.printed_at = -float("inf")
        self.mid_line = False

    def update(self, step, metrics):
        """Show `step` and `metrics` (dict name -> float)."""
        now = time.monotonic()
        if self.timed_from is None:
            self.timed_from = (step, now)
        if not self.enabled:
            return
        last = step >= self.total_steps
        if not (self.dynamic or last or now - self.printed_at >= self.interval):
            return
        self.printed_at = now
        width = len(str(self.total_steps))
        parts = [f"step {step:>{width}}/{self.total_steps}", self.eta(step, now)]
        parts += [f"{name} {value:.4g}" for name, value in metrics.items()]
        line = " - ".join(part for part in parts if part)
        if self.dynamic:
            self.stream.write("\r" + line + "\033[K" + ("\n" if last else ""))
            self.mid_line = not last
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def eta(self, step, now):
        """'ETA h:mm:ss' from the rate since the first update, '' before it
        can be known."""
        start_step, start_time = self.timed_from
        if step >= self.total_steps:
            return f"{_clock(now - start_time)} since step {start_step}"
        if step <= start_step:
            return ""
        seconds = (now - start_time) / (step - start_step) * (self.total_steps - step)
        return f"ETA {_clock(seconds)}"

    def log(self, message, *args):
        """`logging.info(message, *args)` on a line of its own."""
        if self.mid_line:
            self.stream.write("\n")
            self.stream.flush()
            self.mid_line = False
        logging.info(message, *args)


def _clock(seconds):
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"
