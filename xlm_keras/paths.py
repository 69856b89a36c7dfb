"""File-system helpers: whether a directory can be written (asked before any
long work), and replacing a directory whole."""

import os
import shutil
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


def replace_directory(directory, write):
    """`write(tmp)`, then swap tmp in for `directory` (never half written);
    returns what `write` returns."""
    directory = os.path.normpath(directory)
    temp, old = directory + ".tmp", directory + ".old"
    shutil.rmtree(temp, ignore_errors=True)
    try:
        result = write(temp)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    if os.path.exists(directory):
        os.rename(directory, old)
    os.rename(temp, directory)
    shutil.rmtree(old, ignore_errors=True)
    return result
