"""TensorFlow's start-up lines are held back from stderr, every other line
comes through in order, and `import xlm_keras` prints none of them."""

import os
import subprocess
import sys

import pytest

from tests.helpers import ROOT
from xlm_keras.native_stderr import without_start_up_lines

# What TensorFlow 2.21 writes on a machine without a GPU (timestamps and
# thread ids vary): at import, then at the first device use.
IMPORT_LINES = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796569164.435524    3730 cudart_stub.cc:31] Could not find cuda drivers on "
    "your machine, GPU will not be used.",
    "I0000 00:00:1796569164.506370    3730 cpu_feature_guard.cc:227] This TensorFlow binary is "
    "optimized to use available CPU instructions in performance-critical operations.",
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow "
    "with the appropriate compiler flags.",
]
CUINIT = (
    "E0000 00:00:1796569170.564857    3730 cuda_platform.cc:52] failed call to cuInit: INTERNAL: "
    "CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)"
)
ONEDNN = (
    "I0000 00:00:1796650126.030939    3456 port.cc:153] oneDNN custom operations are on. You may "
    "see slightly different numerical results due to floating-point round-off errors from "
    "different computation orders. To turn them off, set the environment variable "
    "`TF_ENABLE_ONEDNN_OPTS=0`."
)
# At the first iterator of a `from_generator` pipeline (the last under a
# distribution strategy), the first graph with an int64 transpose and the
# first XLA compilation.
FIRST_USE_LINES = [
    "I0000 00:00:1796650140.219762    3456 generator_dataset_op.cc:213] Memory patch applied: "
    "M_TRIM_THRESHOLD=128 kb was set.",
    "W0000 00:00:1796650141.011177    3456 dataset.cc:997] Input of GeneratorDatasetOp::Dataset "
    "will not be optimized because the dataset does not implement the AsGraphDefInternal() "
    "method needed to apply optimizations.",
    "E0000 00:00:1796650140.249816    3456 util.cc:131] oneDNN supports DT_INT64 only on "
    "platforms with AVX-512. Falling back to the default Eigen-based implementation if present.",
    "I0000 00:00:1796651908.045631    8493 service.cc:153] XLA service 0x7f0f6c222c20 initialized "
    "for platform Host (this does not guarantee that XLA will be used). Devices:",
    "I0000 00:00:1796651908.045662    8493 service.cc:161]   StreamExecutor [0]: Host, Default "
    "Version (Driver: 0.0.0; Runtime: 0.0.0; Toolkit: 0.0.0; DNN: 0.0.0)",
    "I0000 00:00:1796651908.071753    8493 device_compiler.h:208] Compiled cluster using XLA!  "
    "This line is logged at most once for the lifetime of the process.",
]
# Words of each start-up line, to look for in a program's stderr.
NOISE = ("absl::InitializeLog", "cudart_stub", "cpu_feature_guard", "To enable the following")
REAL = "E0000 00:00:1796569170.6    3730 some_op.cc:12] a real error"


def _filtered(lines, seen=None):
    data = [f"{line}\n".encode() for line in lines]
    return [
        line.decode()[:-1] for line in without_start_up_lines(data, set() if seen is None else seen)
    ]


def test_start_up_lines_are_dropped_and_the_rest_kept_in_order():
    seen = set()
    assert _filtered(["first", *IMPORT_LINES, REAL, IMPORT_LINES[0], "last"], seen) == [
        "first",
        REAL,
        "last",
    ]
    # The first device use: cuInit fails because no CUDA driver was found.
    assert _filtered([IMPORT_LINES[0], IMPORT_LINES[1], CUINIT, REAL], seen) == [REAL]


def test_first_use_lines_are_dropped():
    assert _filtered(["first", ONEDNN, *FIRST_USE_LINES, REAL, ONEDNN]) == ["first", REAL]


def test_lines_that_only_look_alike_come_through():
    # cuInit failing where a CUDA driver was found is a real error; the
    # instruction notice is one only after its first line.
    assert _filtered([CUINIT, IMPORT_LINES[3]]) == [CUINIT, IMPORT_LINES[3]]
    # A device line of XLA's only after its service line.
    assert _filtered([FIRST_USE_LINES[4]]) == [FIRST_USE_LINES[4]]
    changed = [
        IMPORT_LINES[1].replace("I0000", "E0000"),
        FIRST_USE_LINES[2].replace("AVX-512", "AVX-512 and a failing kernel"),
        IMPORT_LINES[1] + " (and more)",
        "x" + IMPORT_LINES[0],
    ]
    assert _filtered(changed) == changed


def _run(code, **kwargs):
    """Run `code` in a fresh Python without the tests' TF_CPP_MIN_LOG_LEVEL
    (the start-up lines do not depend on it)."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env=env,
        **kwargs,
    )


# The module alone (no TensorFlow import): lines written to fd 2 from C
# (os.write) and from Python, inside and around the held block.
WRITTEN_FROM_C = (
    "".join(line + "\n" for line in IMPORT_LINES).encode(),
    f"{REAL}\n{CUINIT}\n".encode(),
)
HOLD = f"""
import importlib.util, os, sys
spec = importlib.util.spec_from_file_location("native_stderr", "xlm_keras/native_stderr.py")
native_stderr = importlib.util.module_from_spec(spec)
spec.loader.exec_module(native_stderr)
print("before", file=sys.stderr)
try:
    with native_stderr.start_up_lines_held():
        os.write(2, {WRITTEN_FROM_C[0]!r})
        print("from Python", file=sys.stderr)
        os.write(2, {WRITTEN_FROM_C[1]!r})
        raise KeyError("inside")
except KeyError:
    print("after", file=sys.stderr)
os.close(2)
with native_stderr.start_up_lines_held():
    print("fd 2 closed: the block still runs")
"""


@pytest.mark.slow
def test_held_lines_come_back_in_order_and_a_closed_fd_2_is_left_alone():
    child = _run(HOLD)
    assert child.returncode == 0, child.stderr
    assert child.stderr.splitlines() == ["before", "from Python", REAL, "after"]
    assert child.stdout == "fd 2 closed: the block still runs\n"


@pytest.mark.slow
def test_importing_the_package_prints_no_start_up_line():
    child = _run("import xlm_keras")
    assert child.returncode == 0, child.stderr
    assert not [line for line in child.stderr.splitlines() if any(w in line for w in NOISE)]


VERBOSE_HOLD = f"""
import importlib.util, os
from absl import logging
spec = importlib.util.spec_from_file_location("native_stderr", "xlm_keras/native_stderr.py")
native_stderr = importlib.util.module_from_spec(spec)
spec.loader.exec_module(native_stderr)
logging.set_verbosity(1)  # As --verbosity=1 sets it.
with native_stderr.start_up_lines_held():
    os.write(2, {WRITTEN_FROM_C[0]!r})
"""


@pytest.mark.slow
def test_at_verbosity_1_every_held_line_comes_back():
    child = _run(VERBOSE_HOLD)
    assert child.returncode == 0, child.stderr
    assert child.stderr.splitlines() == IMPORT_LINES
