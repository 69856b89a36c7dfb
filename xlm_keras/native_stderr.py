"""TensorFlow's start-up lines held back from stderr.

Importing TensorFlow, its first use of the devices and its first input
pipeline write a few lines from C++ straight to file descriptor 2, some
before absl logging is initialised, so `TF_CPP_MIN_LOG_LEVEL` does not hide
them (and hiding the others would hide real errors too): absl's "All log
messages before absl::InitializeLog()" warning, "Could not find cuda
drivers" (no GPU), the CPU-instructions notice of `cpu_feature_guard` (two
lines), oneDNN's "custom operations are on" notice and, without a CUDA
driver, the "failed call to cuInit" error; then, when the first iterator of
a `from_generator` pipeline is made, its "Memory patch applied" and, under a
distribution strategy, "GeneratorDatasetOp::Dataset will not be optimized";
at the first graph with an int64 transpose, oneDNN's "supports DT_INT64
only on platforms with AVX-512" (said on such platforms too); at the first
XLA compilation, "XLA service ... initialized" with a line per device and
"Compiled cluster using XLA!". They say nothing a user can act on.
`start_up_lines_held` holds fd 2 in a temporary file around such code and
writes back every other line, in order; with absl's `--verbosity=1` (once
parsed) it writes back all.
"""

import contextlib
import os
import re
import sys
import tempfile

from absl import logging


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
    "onednn_custom_operations": (
        _absl_line(
            rb"I",
            rb"port\.cc",
            rb"oneDNN custom operations are on\. You may see slightly different numerical "
            rb"results due to floating-point round-off errors from different computation "
            rb"orders\. To turn them off, set the environment variable "
            rb"`TF_ENABLE_ONEDNN_OPTS=0`\.",
        ),
        None,
    ),
    "cuinit": (
        _absl_line(rb"E", rb"cuda_platform\.cc", rb"failed call to cuInit: .*"),
        "no_cuda_driver",
    ),
    "generator_memory_patch": (
        _absl_line(
            rb"I",
            rb"generator_dataset_op\.cc",
            rb"Memory patch applied: M_TRIM_THRESHOLD=\d+ kb was set\.",
        ),
        None,
    ),
    "onednn_int64": (
        _absl_line(
            rb"E",
            rb"util\.cc",
            rb"oneDNN supports DT_INT64 only on platforms with AVX-512\. Falling back to the "
            rb"default Eigen-based implementation if present\.",
        ),
        None,
    ),
    "xla_service": (
        _absl_line(
            rb"I",
            rb"service\.cc",
            rb"XLA service 0x[0-9a-f]+ initialized for platform \w+ \(this does not guarantee "
            rb"that XLA will be used\)\. Devices:",
        ),
        None,
    ),
    "xla_device": (_absl_line(rb"I", rb"service\.cc", rb"  StreamExecutor .*"), "xla_service"),
    "xla_compiled": (
        _absl_line(
            rb"I",
            rb"device_compiler\.h",
            rb"Compiled cluster using XLA!  This line is logged at most once for the lifetime "
            rb"of the process\.",
        ),
        None,
    ),
    "generator_not_optimized": (
        _absl_line(
            rb"W",
            rb"dataset\.cc",
            rb"Input of GeneratorDatasetOp::Dataset will not be optimized because the dataset "
            rb"does not implement the AsGraphDefInternal\(\) method needed to apply "
            rb"optimizations\.",
        ),
        None,
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
        output = held.read()
    if not logging.level_debug():
        output = b"".join(without_start_up_lines(output.splitlines(keepends=True), SEEN))
    with contextlib.suppress(OSError):  # Where fd 2 is gone, as TensorFlow's own writes.
        while output:
            output = output[os.write(2, output) :]


@contextlib.contextmanager
def start_up_lines_held():
    """Hold what is written to fd 2 inside the block (TensorFlow's C++ and
    Python alike) and write it back on leaving, without TensorFlow's
    start-up lines unless absl's verbosity is 1 or more. Does nothing where
    fd 2 cannot be held."""
    held = _hold_fd2()
    try:
        yield
    finally:
        if held is not None:
            _release_fd2(*held)
