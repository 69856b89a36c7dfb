"""Whether a directory can be written, asked before any long work."""

import os
import tempfile


def cannot_write(directory):
    """Why `directory` cannot be written (str), or None when it can.

    A missing directory counts as writable when its nearest existing parent
    is. Checked by creating and deleting a probe file: nothing is left.
    """
    existing = os.path.abspath(directory)
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        return f"{existing} is a file"
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        return f"{existing} is not writable ({error.strerror})"
    return None
