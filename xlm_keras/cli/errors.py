"""Expected errors of the command-line programs as one line on stderr.

An expected error is the user's to fix: a bad flag or config value
(`ValueError`), a missing, unwritable or corrupt file (`OSError`). It prints
`<program>: error: <message>` and exits 1, without a traceback. Any other
exception is a bug and keeps its traceback.
"""

import sys

from absl import app

EXPECTED_ERRORS = (ValueError, OSError)


def one_line(error):
    """The error's message with its line breaks and runs of spaces folded."""
    return " ".join(str(error).split()) or type(error).__name__


def run_program(main, program):
    """`absl.app.run(main)` for the console script `program`, printing
    expected errors as one line."""

    def guarded(argv):
        try:
            return main(argv)
        except EXPECTED_ERRORS as error:
            print(f"{program}: error: {one_line(error)}", file=sys.stderr)
            sys.exit(1)

    app.run(guarded)
