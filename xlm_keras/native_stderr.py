"""TensorFlow's start-up lines held back from stderr.

Importing TensorFlow, and its first use of the devices, write a few lines
from C++ straight to file descriptor 2 before absl logging is initialised,
so `TF_CPP_MIN_LOG_LEVEL` does not hide them: absl's "All log messages
before absl::InitializeLog()" warning, "Could not find cuda drivers" (no
GPU), the CPU-instructions notice of `cpu_feature_guard` (two lines) and,
without a CUDA driver, the "failed call to cuInit" error. They say nothing
a user can act on. `start_up_lines_held` holds fd 2 in a temporary file
around such code and writes back every other line, in order.
"""

import contextlib
import os
import re
import sys
import tempfile


def _absl_line(severity, source, message):
    """The pattern of an absl log line: `<severity><date> <time> <thread>
    <source>:<line>] <message>`."""
    return re.compile(
        severity + rb"\d{4} \d\d:\d\d:\d+\.\d+ +\d+ " + source + rb":\d+\] " + message
    )


# name -> (pattern of the whole line, the start-up line that must have
# come before it, or None).
START_UP_LINES = {
    "absl": (
        re.compile(
            rb"WARNING: All log messages before absl::InitializeLog\(\) is called are written "
            rb"to STDERR"
        ),
        None,
    ),
    "no_cuda_driver": (
        _absl_line(
            rb"I",
            rb"cudart_stub\.cc",
            rb"Could not find cuda drivers on your machine, GPU will not be used\.",
        ),
        None,
    ),
    "cpu_features": (
        _absl_line(
            rb"I",
            rb"cpu_feature_guard\.cc",
            rb"This TensorFlow binary is optimized to use available CPU instructions in "
            rb"performance-critical operations\.",
        ),
        None,
    ),
    "cpu_instructions": (
        re.compile(
            rb"To enable the following instructions: [\w., ]+, in other operations, rebuild "
            rb"TensorFlow with the appropriate compiler flags\."
        ),
        "cpu_features",
    ),
    "cuinit": (
        _absl_line(rb"E", rb"cuda_platform\.cc", rb"failed call to cuInit: .*"),
        "no_cuda_driver",
    ),
}


def start_up_line(text, seen):
    """The name of the start-up line that `text` (bytes, no line end) is,
    given the names of those `seen` before it; None for any other line."""
    for name, (pattern, after) in START_UP_LINES.items():
        if (after is None or after in seen) and pattern.fullmatch(text):
            return name
    return None


# The start-up lines held back so far in this process: the cuInit error of
# the first device use follows "no CUDA driver" of the import.
SEEN = set()


def without_start_up_lines(lines, seen):
    """`lines` (bytes, line ends kept) less TensorFlow's start-up lines, in
    order; `seen`: the names of those seen before, updated."""
    for line in lines:
        name = start_up_line(line.rstrip(b"\r\n"), seen)
        if name is None:
            yield line
        else:
            seen.add(name)


def _flush_python_stderr():
    """Write out what Python holds for stderr, so that it keeps its place."""
    with contextlib.suppress(AttributeError, OSError, ValueError):
        sys.stderr.flush()


def _hold_fd2():
    """(saved fd 2, the temporary file now at fd 2), or None where fd 2
    cannot be duplicated (closed) or no temporary file can be made."""
    _flush_python_stderr()
    try:
        saved = os.dup(2)
    except OSError:
        return None
    try:
        held = tempfile.TemporaryFile()
    except OSError:
        os.close(saved)
        return None
    os.dup2(held.fileno(), 2)
    return saved, held


def _release_fd2(saved, held):
    """Put the saved fd 2 back and write the held lines to it, less the
    start-up lines."""
    _flush_python_stderr()
    os.dup2(saved, 2)
    os.close(saved)
    with held:
        held.seek(0)
        output = b"".join(without_start_up_lines(held.read().splitlines(keepends=True), SEEN))
    with contextlib.suppress(OSError):  # Where fd 2 is gone, as TensorFlow's own writes.
        while output:
            output = output[os.write(2, output) :]


@contextlib.contextmanager
def start_up_lines_held():
    """Hold what is written to fd 2 inside the block (TensorFlow's C++ and
    Python alike) and write it back on leaving, without TensorFlow's
    start-up lines. Does nothing where fd 2 cannot be held."""
    held = _hold_fd2()
    try:
        yield
    finally:
        if held is not None:
            _release_fd2(*held)
