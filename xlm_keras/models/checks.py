"""Checks at the front of the Python API: numeric arguments and raw text.

Each check raises one line that names the argument, says what it accepts
and shows what it got (`ValueError` for a bad value, `TypeError` for a bad
type), before any TensorFlow op could fail on it with an error about
tensors. Symbolic inputs (a `tf.data` map, a traced function) pass
unchecked: their rows are unknown until they run.
"""

import numbers

import numpy as np
import tensorflow as tf

from xlm_keras.ranges import finite_in_range
from xlm_keras.ranges import range_text


def check_int(value, name, low, high=None, hint=""):
    """`value` as an int in [low, high] (`high` None: no upper bound)."""
    in_range = f"in [{low}, {high}]" if high is not None else f">= {low}"
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or value < low
        or (high is not None and value > high)
    ):
        raise ValueError(f"`{name}` must be an int {in_range}{hint}. Received: {name}={value!r}")
    return int(value)


def check_number(value, name, low=None, high=None, hint=""):
    """`value` as a float, refused unless a number that
    `xlm_keras.ranges.finite_in_range` accepts (the configs' and flags' rule)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not finite_in_range(value, low, high)
    ):
        raise ValueError(f"`{name}` {range_text(low, high)}{hint}. Received: {name}={value!r}")
    return float(value)


def is_text(value):
    """Whether `value` is raw text: a string, a list of strings, a string
    array or tensor (not labels or packed ids)."""
    if isinstance(value, (str, bytes)):
        return True
    if isinstance(value, (tf.Tensor, tf.RaggedTensor)):
        return value.dtype == tf.string
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "USO"
    if isinstance(value, list):  # Texts, or lists of words.
        first = value[0] if value else None
        if isinstance(first, list):
            first = first[0] if first else None
        return isinstance(first, (str, bytes))
    return False


def is_language_key(key):
    """Whether an input dict key holds language codes (one for all rows, or
    one per row) rather than text."""
    return key.endswith("language") or key.endswith("language_pair")


def check_raw_text(x, argument="x", max_rank=1, allow_scalar=True):
    """Raise unless `x` is raw text the preprocessors take: strings, a
    `(text, text_pair)` tuple, or a dict of text fields and language codes,
    every text field with the same number of rows (at least one), each
    language field one code or one per row.

    Args:
        x: the raw input.
        argument: its name in the caller's signature, for the message.
        max_rank: 1 for texts [batch]; 2 where words [batch, words] are
            accepted too (the tagger).
        allow_scalar: whether one string (not in a list) is accepted.
    """
    if isinstance(x, tf.data.Dataset) or not tf.executing_eagerly():
        return
    if isinstance(x, dict):
        fields = {f"{argument}[{key!r}]": (key, value) for key, value in x.items()}
    elif isinstance(x, tuple):
        fields = {
            f"{argument}[{i}]": (key, value)
            for i, (key, value) in enumerate(zip(("text", "text_pair"), x))
        }
    else:
        fields = {argument: ("text", x)}
    text_rows = {}
    language_rows = {}
    for name, (key, value) in fields.items():
        if value is None:
            continue
        rows = _rows(value, name, 0 if is_language_key(key) else max_rank)
        if rows is None and not (allow_scalar or is_language_key(key)):
            raise TypeError(
                f"`{name}` must be a batch of strings (a list); received one string. "
                f"Wrap it in a list: [{value!r}]."
            )
        if rows == 0:
            raise ValueError(f"`{name}` is empty: pass at least one text.")
        (language_rows if is_language_key(key) else text_rows)[name] = rows
    counts = set(text_rows.values())
    if len(counts) > 1:
        shown = ", ".join(f"`{name}` {_count(rows)}" for name, rows in text_rows.items())
        raise ValueError(f"Every text input needs the same number of rows; received {shown}.")
    batch = counts.pop() if counts else None
    for name, rows in language_rows.items():
        if rows not in (None, 1, batch):
            raise ValueError(
                f"`{name}` needs one language code for all rows or one per row ({batch}); "
                f"received {rows}."
            )


def _count(rows):
    return "one string" if rows is None else f"{rows} rows"


def _rows(value, name, max_rank):
    """Rows of one input field (None for a single string); raises for
    anything that is not strings of rank <= `max_rank` (0 for language
    fields: a code, or a 1-D list of codes)."""
    allowed = max(max_rank, 1)
    shape = "a string or a list of strings" + (
        " (or a list of lists of words)" if allowed == 2 else ""
    )
    if isinstance(value, (str, bytes)):
        return None
    if isinstance(value, (tf.Tensor, tf.RaggedTensor, np.ndarray)):
        dtype = value.dtype
        is_string = dtype == tf.string if not isinstance(value, np.ndarray) else dtype.kind in "USO"
        rank = value.shape.rank if not isinstance(value, np.ndarray) else value.ndim
        if not is_string or rank > allowed:
            raise TypeError(
                f"`{name}` must be {shape}; received a {rank}-D {dtype} {type(value).__name__}."
            )
        return None if rank == 0 else int(value.shape[0])
    if isinstance(value, (list, tuple)):
        for item in value:
            nested = allowed == 2 and isinstance(item, (list, tuple))
            items = item if nested else [item]
            bad = [v for v in items if not isinstance(v, (str, bytes))]
            if bad:
                raise TypeError(
                    f"`{name}` must be {shape}; received an element of type "
                    f"{type(bad[0]).__name__}: {bad[0]!r}."
                )
        return len(value)
    raise TypeError(f"`{name}` must be {shape}; received {type(value).__name__}: {value!r}.")
