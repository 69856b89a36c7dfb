"""Expected errors of the command-line programs as one line on stderr.

An expected error is the user's to fix: a flag that does not parse or is
out of range (`flags.Error`, raised while absl parses the command line), a
misuse (`app.UsageError`), a bad flag or config value (`ValueError`), a
missing, unwritable or corrupt file (`OSError`). It prints
`<program>: error: <message>` and exits 1, without a traceback. Any other
exception is a bug and keeps its traceback.
"""

import sys

import tensorflow as tf
from absl import app
from absl import flags

from xlm_keras.native_stderr import start_up_lines_held
from xlm_keras.ranges import finite_in_range
from xlm_keras.ranges import range_text

EXPECTED_ERRORS = (ValueError, OSError, app.UsageError)


def one_line(error):
    """The error's message with its line breaks and runs of spaces folded."""
    return " ".join(str(error).split()) or type(error).__name__


def fail(program, error):
    """Print `error` as `program: error: <one line>` and exit 1."""
    print(f"{program}: error: {one_line(error)}", file=sys.stderr)
    sys.exit(1)


def flags_parser(program, flag_values=flags.FLAGS):
    """absl's flag parsing (`app.run(..., flags_parser=)`), printing a flag
    that does not parse or is out of range as one line."""

    def parse(argv):
        try:
            return flag_values(argv)
        except flags.Error as error:
            fail(program, error)

    return parse


def check_range(flag, low=None, high=None, flag_values=flags.FLAGS):
    """Refuse at parse time a value of the numeric `flag` (a FlagHolder)
    that is not finite or not in [low, high] (None: no bound), by the rule
    the configs use (`training.config.finite_in_range`). An unset flag
    (None) passes."""
    flags.register_validator(
        flag.name,
        lambda value: value is None or finite_in_range(value, low, high),
        range_text(low, high),
        flag_values=flag_values,
    )


def run_program(main, program):
    """`absl.app.run(main)` for the console script `program`, printing
    expected errors as one line. TensorFlow's devices are initialised
    first, without their start-up lines (`native_stderr`): absl runs
    TensorFlow's callbacks that list them before `main`."""

    def guarded(argv):
        try:
            return main(argv)
        except EXPECTED_ERRORS as error:
            fail(program, error)

    with start_up_lines_held():
        tf.config.list_physical_devices()
    app.run(guarded, flags_parser=flags_parser(program))
