"""Expected errors of the command-line programs as one line on stderr.

An expected error is the user's to fix. A command line that does not parse
(`flags.Error`, raised while absl parses it: an unknown flag, a value that
does not parse or is out of range; a mistyped `--config.<key>`, see
`config_flag`) exits 2. A misuse (`app.UsageError`), a bad config value
(`ValueError`), a missing, unwritable or corrupt file (`OSError`) exit 1.
Both print `<program>: error: <message>`, one line, without a traceback.
Any other exception is a bug and keeps its traceback.
"""

import sys

from absl import app
from absl import flags

from xlm_keras.cli.tensorflow_info import hide_tensorflow_info
from xlm_keras.ranges import finite_in_range
from xlm_keras.ranges import range_text

EXPECTED_ERRORS = (ValueError, OSError, app.UsageError)
ERROR_EXIT_CODE = 1
USAGE_EXIT_CODE = 2  # The command line does not parse.


def one_line(error):
    """The error's message with its line breaks and runs of spaces folded."""
    return " ".join(str(error).split()) or type(error).__name__


def fail(program, error, exit_code=ERROR_EXIT_CODE):
    """Print `error` as `program: error: <one line>` and exit."""
    print(f"{program}: error: {one_line(error)}", file=sys.stderr)
    sys.exit(exit_code)


def flags_parser(program, flag_values=flags.FLAGS):
    """absl's flag parsing (`app.run(..., flags_parser=)`), printing a flag
    that does not parse or is out of range as one line."""

    def parse(argv):
        try:
            return flag_values(argv)
        except flags.Error as error:
            fail(program, error, USAGE_EXIT_CODE)

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


def refuse_flags_outside(choice, applies_to, flag_values=flags.FLAGS):
    """Refuse at parse time a flag passed on the command line together with
    a value of the enum flag `choice` (a FlagHolder) it does not apply to.

    Args:
        choice: the FlagHolder whose value selects what applies (`--format`).
        applies_to: flag name -> the values of `choice` it applies to.
    """

    def check(values):
        chosen = values[choice.name]
        passed = sorted(
            name
            for name, choices in applies_to.items()
            if chosen not in choices and flag_values[name].present
        )
        if passed:
            raise flags.ValidationError(
                f"--{choice.name}={chosen} takes no "
                + ", ".join(f"--{name} (only {'/'.join(applies_to[name])})" for name in passed)
                + "; drop it."
            )
        return True

    flags.register_multi_flags_validator([choice.name], check, flag_values=flag_values)


def run_program(main, program):
    """`absl.app.run(main)` for the console script `program`, printing
    expected errors as one line, and TensorFlow's INFO lines only with
    `--verbosity=1` (`tensorflow_info`). (Importing `xlm_keras` initialised
    TensorFlow's devices without their start-up lines, `native_stderr`.)"""

    def guarded(argv):
        try:
            return main(argv)
        except EXPECTED_ERRORS as error:
            fail(program, error)

    hide_tensorflow_info()
    app.run(guarded, flags_parser=flags_parser(program))
