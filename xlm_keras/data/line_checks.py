"""The readers' line checks (`readers.py`) as TensorFlow ops, for
`tf.data` pipelines that read files with `TextLineDataset`: the same lines
are kept and the same reasons given for the others.

A reason is an int32 per line: 0 (`KEPT`) or the index in `REASONS` of
the first check it fails, in the readers' order.
"""

import tensorflow as tf

KEPT = 0
# CorpusStats reasons by code; a code's lines are dropped.
REASONS = ("kept", "bad_utf8", "too_long", "control_chars", "empty", "wrong_columns", "empty_side")
_CODE = {reason: code for code, reason in enumerate(REASONS)}
# Lines free of C0 controls but tab, of DEL (`readers._CONTROL`) and of what
# Python's UTF-8 decoder refuses: RE2 matches no invalid byte sequence, and
# refuses surrogates only when asked.
_CLEAN = r"[^\x00-\x08\x0a-\x1f\x7f\x{D800}-\x{DFFF}]*"
# What `str.strip()` removes that is not a control character refused above.
_EDGE_SPACE = r"^[\s\p{Z}\x{85}]+|[\s\p{Z}\x{85}]+$"


def _first_failure(checks):
    """int32 [n]: the code of the first `(reason, failed bool [n])` that
    holds, else KEPT."""
    reasons = tf.zeros_like(checks[0][1], tf.int32)
    for reason, failed in reversed(checks):
        reasons = tf.where(failed, _CODE[reason], reasons)
    return reasons


def _line_failures(lines, max_line_chars):
    """The checks every line takes: UTF-8, length in characters, controls.
    One regular expression passes the clean lines; only the others (rare)
    are transcoded to tell bad UTF-8 from control characters."""
    clean = tf.strings.regex_full_match(lines, _CLEAN)
    unclean = tf.where(tf.logical_not(clean))
    suspects = tf.gather_nd(lines, unclean)
    transcoded = tf.strings.unicode_transcode(suspects, "UTF-8", "UTF-8", errors="replace")
    bad = tf.scatter_nd(unclean, tf.not_equal(transcoded, suspects), tf.shape(lines, tf.int64))
    # Invalid lines are measured as empty; they fail first.
    length = tf.strings.length(tf.where(bad, "", lines), unit="UTF8_CHAR")
    return [
        ("bad_utf8", bad),
        ("too_long", length > max_line_chars),
        ("control_chars", tf.logical_not(clean)),
    ]


def strip(text):
    """`str.strip()` of string [n] text."""
    return tf.strings.regex_replace(text, _EDGE_SPACE, "")


def check_text_lines(lines, max_line_chars):
    """Sentences of raw lines (`readers.read_text`).

    Args:
        lines: string [n], lines without their line end.
        max_line_chars: longer lines are `too_long`.

    Returns: (text string [n] stripped, reasons int32 [n]).
    """
    text = strip(lines)
    failures = _line_failures(lines, max_line_chars)
    return text, _first_failure([*failures, ("empty", tf.equal(text, ""))])


def check_tsv_lines(lines, max_line_chars):
    """Translation pairs of raw TSV lines (`readers.read_tsv_pairs`).

    Returns: (source string [n], target string [n], reasons int32 [n]);
    a dropped line's texts are unspecified.
    """
    columns = tf.strings.split(lines, "\t")
    two = tf.equal(columns.row_lengths(), 2)
    padded = columns.to_tensor(default_value="", shape=[None, 2])
    source, target = strip(padded[:, 0]), strip(padded[:, 1])
    return (
        source,
        target,
        _first_failure(
            [
                *_line_failures(lines, max_line_chars),
                ("wrong_columns", tf.logical_not(two)),
                ("empty_side", tf.equal(source, "") | tf.equal(target, "")),
            ]
        ),
    )


def check_aligned_lines(source_lines, target_lines, max_line_chars):
    """Translation pairs of two line-aligned files' raw lines
    (`readers.read_parallel_files`): a pair fails where either side does.

    Returns: (source string [n], target string [n], reasons int32 [n]).
    """
    sides = (source_lines, target_lines)
    failures = [_line_failures(side, max_line_chars) for side in sides]
    merged = [(reason, a | b) for (reason, a), (_, b) in zip(*failures)]
    source, target = (strip(side) for side in sides)
    empty = tf.equal(source, "") | tf.equal(target, "")
    return source, target, _first_failure([*merged, ("empty_side", empty)])
