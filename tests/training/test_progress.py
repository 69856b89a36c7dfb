"""The progress line: an ETA that leaves out the first update (XLA
compilation), and log messages on lines of their own."""

import io

import pytest

from xlm_keras.training import progress as progress_lib
from xlm_keras.training.progress import ProgressLine


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def clock(monkeypatch):
    now = [0.0]
    monkeypatch.setattr(progress_lib.time, "monotonic", lambda: now[0])
    return now


def test_eta_leaves_out_the_first_update(clock):
    stream = io.StringIO()
    line = ProgressLine(1000, stream=stream, interval=0)
    clock[0] = 600.0  # The first 100 steps, compilation included: 10 minutes.
    line.update(100, {"loss": 2.0})
    clock[0] = 610.0  # Then 100 steps in 10 s.
    line.update(200, {"loss": 1.5})
    first, second = stream.getvalue().splitlines()
    assert first == "step  100/1000 - loss 2"
    # 800 steps left at 10 s per 100: 80 s, not 800 * 6.1 s.
    assert second == "step  200/1000 - ETA 0:01:20 - loss 1.5"


def test_a_log_message_starts_on_its_own_line(clock, monkeypatch):
    logged = []
    monkeypatch.setattr(progress_lib.logging, "info", lambda *args: logged.append(args))
    stream = Terminal()
    line = ProgressLine(10, stream=stream)
    line.update(5, {"tokens/s": 3536.5})
    line.log("Step %d: validation BLEU %.4f", 5, 20.5)
    assert stream.getvalue().endswith("tokens/s 3536\033[K\n")
    assert logged == [("Step %d: validation BLEU %.4f", 5, 20.5)]
    line.update(10, {"tokens/s": 3000.0})
    assert stream.getvalue().endswith("\n") and not line.mid_line


def test_off_a_terminal_lines_are_spaced_by_the_interval(clock):
    stream = io.StringIO()
    line = ProgressLine(100, stream=stream, interval=30)
    for step in range(10, 101, 10):
        clock[0] += 10
        line.update(step, {})
    # Printed at 10 s, 40 s, 70 s, 100 s, and the last step.
    assert [text.split(" - ")[0] for text in stream.getvalue().splitlines()] == [
        "step  10/100",
        "step  40/100",
        "step  70/100",
        "step 100/100",
    ]


def test_a_worker_that_is_not_chief_prints_nothing(clock):
    stream = io.StringIO()
    ProgressLine(10, enabled=False, stream=stream).update(10, {"loss": 1.0})
    assert stream.getvalue() == ""
