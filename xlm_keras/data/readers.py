"""Corpus readers that validate every line: malformed lines are counted per
file and skipped, good lines are never dropped. A damaged compressed file
(truncated, or failing its CRC) keeps the lines before the damage; the
damage is counted and logged with the file's name, never raised mid-run."""

import collections
import gzip
import lzma
import zlib

from absl import logging

DEFAULT_MAX_LINE_CHARS = 20_000


class CorpusStats:
    """Per-file counts of kept and skipped lines, by reason.

    Reasons: `bad_utf8`, `empty`, `too_long`, `control_chars` (NUL and other
    C0 controls except tab), `wrong_columns`, `empty_side`, and `damaged`
    (once for a file whose rest could not be decompressed: its lines after
    the damage are lost).

    Each line of a file is counted once per run: the readers count a file
    (or a shard of it) on its first read only, not when a dataset reads it
    again (each epoch, each direction of a translation pair, after a
    resume's skip).
    """

    def __init__(self):
        self.counts = collections.defaultdict(collections.Counter)
        self._read = set()

    def add(self, path, reason):
        self.counts[str(path)][reason] += 1

    def first_read(self, path, shard=None):
        """`self` on the first read of `path` (`shard`), else fresh stats
        that count the re-read apart."""
        key = (str(path), shard)
        if key in self._read:
            return CorpusStats()
        self._read.add(key)
        return self

    def kept(self, path=None):
        return sum(c["kept"] for p, c in self.counts.items() if path in (None, p))

    def skipped(self, path=None):
        return sum(
            n
            for p, c in self.counts.items()
            if path in (None, p)
            for reason, n in c.items()
            if reason != "kept"
        )

    def reasons(self, path):
        """`reason n, ...` of the lines of `path` skipped so far."""
        counts = self.counts.get(str(path), {})
        return ", ".join(
            f"{reason} {n}" for reason, n in sorted(counts.items()) if reason != "kept"
        )

    def unusable(self, path):
        """Why `path` gave nothing: `skipped M: reason n, ...`, or `no lines`."""
        if str(path) not in self.counts:
            return "no lines"
        return f"skipped {self.skipped(str(path))}: {self.reasons(path)}"

    def file_line(self, path):
        """`path: kept N, skipped M (reason n, ...)`."""
        reasons = self.reasons(path)
        return f"{path}: kept {self.kept(path)}, skipped {self.skipped(path)}" + (
            f" ({reasons})" if reasons else ""
        )

    def summary(self, every_file=False):
        """`kept N, skipped M in F files`, then the line (`file_line`) of
        each file with skipped lines, or of every file with `every_file`."""
        head = f"kept {self.kept()}, skipped {self.skipped()} in {len(self.counts)} files"
        files = [path for path in sorted(self.counts) if every_file or self.skipped(path)]
        return "\n".join([head, *(self.file_line(path) for path in files)])


_CONTROL = {chr(c) for c in range(32) if chr(c) != "\t"} | {"\x7f"}


# What reading a damaged `.gz` or `.xz` raises: EOFError (truncated),
# BadGzipFile (an OSError: CRC or length check), zlib.error (corrupt deflate
# data), LZMAError (corrupt xz data).
_DAMAGE = (EOFError, OSError, zlib.error, lzma.LZMAError)


def open_binary(path):
    """`path` for reading bytes, decompressing `.gz` and `.xz`."""
    path = str(path)
    if path.endswith(".gz"):
        return gzip.open(path, "rb")
    if path.endswith(".xz"):
        return lzma.open(path, "rb")
    return open(path, "rb")


def raw_lines(path, stats, name=None):
    """Yield the raw lines (bytes) of a file, `.gz` and `.xz` allowed. A file damaged
    part-way ends at the damage, counted as `damaged` under `name` (default
    `path`) and logged as a warning naming the file."""
    number = 0
    with open_binary(path) as f:
        try:
            for number, raw in enumerate(f, 1):  # noqa: B007 (read in the except)
                yield raw
        except _DAMAGE as error:
            stats.add(name or path, "damaged")
            logging.warning(
                "%s is damaged after line %d (%s): the lines before are used, the rest "
                "is lost and counted as `damaged`. Re-create or re-download the file.",
                path,
                number,
                error,
            )


def decoded_lines(path, stats, max_line_chars):
    """Yield (line_number, text) for lines that decode and are sane."""
    for number, raw in enumerate(raw_lines(path, stats)):
        raw = raw.rstrip(b"\r\n")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            stats.add(path, "bad_utf8")
            continue
        if len(text) > max_line_chars:
            stats.add(path, "too_long")
            continue
        if any(ch in _CONTROL for ch in text):
            stats.add(path, "control_chars")
            continue
        yield number, text


def log_stats(path, stats):
    """Log the counts of `path` after a read, at `--verbosity=1`: a run
    reads a file several times (tokenizer, each epoch) and reports each once
    at its end (`CorpusStats.summary`)."""
    logging.debug(
        "read %s: kept %d, skipped %d", path, stats.kept(str(path)), stats.skipped(str(path))
    )


def _in_shard(number, shard):
    return shard is None or number % shard[1] == shard[0]


def read_text(path, stats, shard=None, max_line_chars=DEFAULT_MAX_LINE_CHARS):
    """Sentences of a text file (one per line, `.gz` and `.xz` allowed).

    Args:
        path: file path.
        stats: `CorpusStats` updated as lines are read.
        shard: `(index, count)`: keep raw line numbers `n % count == index`,
            so shards are disjoint and together complete.
        max_line_chars: longer lines are skipped as `too_long`.

    Yields: str, stripped, non-empty.
    """
    stats = stats.first_read(path, shard)
    for number, text in decoded_lines(path, stats, max_line_chars):
        if not _in_shard(number, shard):
            continue
        text = text.strip()
        if not text:
            stats.add(path, "empty")
            continue
        stats.add(path, "kept")
        yield text
    log_stats(path, stats)


def read_tsv_pairs(path, stats, shard=None, max_line_chars=DEFAULT_MAX_LINE_CHARS):
    """Translation pairs of a two-column TSV file (`source<TAB>target`).

    Yields: (source, target) str pairs, both sides non-empty.
    """
    stats = stats.first_read(path, shard)
    for number, text in decoded_lines(path, stats, max_line_chars):
        if not _in_shard(number, shard):
            continue
        columns = text.split("\t")
        if len(columns) != 2:
            stats.add(path, "wrong_columns")
            continue
        source, target = (c.strip() for c in columns)
        if not source or not target:
            stats.add(path, "empty_side")
            continue
        stats.add(path, "kept")
        yield source, target
    log_stats(path, stats)


def read_parallel_files(
    source_path, target_path, stats, shard=None, max_line_chars=DEFAULT_MAX_LINE_CHARS
):
    """Translation pairs from two line-aligned files.

    A line that is malformed on either side skips the pair (counted under
    the pair's `source|target` name). Files of different lengths are an
    error: the alignment would be wrong. A damaged side ends the pairs at
    the damage (counted as `damaged`).

    Yields: (source, target) str pairs.
    """
    name = f"{source_path}|{target_path}"
    stats = stats.first_read(name, shard)
    number = -1
    src, tgt = raw_lines(source_path, stats, name), raw_lines(target_path, stats, name)
    for number, (raw_source, raw_target) in enumerate(zip(src, tgt)):
        if not _in_shard(number, shard):
            continue
        try:
            pair = [raw.rstrip(b"\r\n").decode("utf-8").strip() for raw in (raw_source, raw_target)]
        except UnicodeDecodeError:
            stats.add(name, "bad_utf8")
            continue
        if any(len(side) > max_line_chars for side in pair):
            stats.add(name, "too_long")
        elif any(ch in _CONTROL for side in pair for ch in side):
            stats.add(name, "control_chars")
        elif not all(pair):
            stats.add(name, "empty_side")
        else:
            stats.add(name, "kept")
            yield tuple(pair)
    leftover = next(src, None), next(tgt, None)
    log_stats(name, stats)
    if leftover != (None, None) and not stats.counts[name]["damaged"]:
        raise ValueError(
            f"{source_path} and {target_path} have different numbers of lines "
            f"(stopped after {number + 1}); parallel files must be line-aligned."
        )


def require_usable(paths, read, what, fix="fix or replace the file"):
    """Raise ValueError unless `read(path, stats)` yields an item from one
    of `paths`. Reads only up to the first usable item, so it costs a line
    on a good corpus and names each file with its skip reasons on a bad one.

    Args:
        paths: files (or any names `read` takes).
        read: e.g. `read_text`, `read_tsv_pairs`.
        what: the message's subject, e.g. "data.languages: fr".
        fix: the message's end: what the user can do.
    """
    stats = CorpusStats()
    for path in paths:
        for _ in read(path, stats):
            return
    files = "; ".join(f"{path} ({stats.unusable(path)})" for path in paths)
    raise ValueError(f"{what} has no usable line in {files}; {fix}")
