"""What a corpus's files hold, counted once and recorded: bytes of text
(uncompressed), lines, and the lines the checks keep or skip per reason.

The record is a small JSON file, `corpus_index.json` beside the corpus (in
the cache directory when the corpus is not writable, and always for the
bundled sample), keyed by each file's path, size and modification time, so
a changed file is counted again. Language sampling needs the bytes of text
before the first step: a plain file's size is free, a `.gz` or `.xz` file
is counted (streaming, in the graph, logged). The line counts are the run's
report (`PipelineSpec.corpus_stats`), counted when asked for.
"""

import hashlib
import json
import os

import numpy as np
import tensorflow as tf
from absl import logging

from xlm_keras.data import corpus
from xlm_keras.data import line_checks
from xlm_keras.data.line_datasets import DEFAULT_CACHE_DIR
from xlm_keras.data.line_datasets import file_key
from xlm_keras.data.line_datasets import readable
from xlm_keras.data.readers import DEFAULT_MAX_LINE_CHARS

INDEX_NAME = "corpus_index.json"
_COUNT_BATCH = 4096


def index_path(corpus_dir, cache_dir=DEFAULT_CACHE_DIR):
    """Where the index of `corpus_dir` lives: beside it when writable (not
    the bundled sample, which is part of the package), else in `cache_dir`."""
    corpus_dir = os.path.abspath(os.path.expanduser(corpus_dir))
    if os.access(corpus_dir, os.W_OK) and corpus_dir != os.path.abspath(corpus.SAMPLE_CORPUS_DIR):
        return os.path.join(corpus_dir, INDEX_NAME)
    digest = hashlib.sha1(corpus_dir.encode()).hexdigest()[:12]
    return os.path.join(os.path.expanduser(cache_dir), f"corpus_index-{digest}.json")


class CorpusIndex:
    """Counts of a corpus's files, from the index or counted and recorded.

    Args:
        corpus_dir: the corpus directory (where the index goes).
        cache_dir: the index's place when `corpus_dir` is not writable, and
            where `.xz` files are decompressed.
        max_line_chars: the checks' longest line (part of each record's key).
    """

    def __init__(
        self, corpus_dir, cache_dir=DEFAULT_CACHE_DIR, max_line_chars=DEFAULT_MAX_LINE_CHARS
    ):
        self.path = index_path(corpus_dir, cache_dir)
        self.cache_dir = cache_dir
        self.max_line_chars = max_line_chars

    def text_bytes(self, path):
        """Bytes of text in `path` (uncompressed): its size for a plain file."""
        if not str(path).endswith((".gz", ".xz")):
            return os.path.getsize(path)
        return self.counts(path, "text")["bytes"]

    def counts(self, path, kind):
        """`{"bytes": n, "lines": n, "reasons": {reason: n}}` of `path` read
        as `kind` ("text" or "tsv"), counted once and recorded."""
        key = json.dumps(
            {**file_key(path), "kind": kind, "max_line_chars": self.max_line_chars}, sort_keys=True
        )
        record = self._load().get(key)
        if record is None:
            record = self._count(path, kind)
            self._save(key, record)
        return record

    def _count(self, path, kind):
        # At start-up (sampling) for compressed files: say why the wait.
        compressed = str(path).endswith((".gz", ".xz"))
        logging.log(
            logging.INFO if compressed else logging.DEBUG,
            "Counting the lines of %s (once; recorded in %s)",
            path,
            self.path,
        )
        name, compression = readable(path, self.cache_dir)
        check = line_checks.check_text_lines if kind == "text" else line_checks.check_tsv_lines

        def tally(lines):
            reasons = check(lines, self.max_line_chars)[-1]
            # Line bytes plus one line end each.
            size = tf.reduce_sum(tf.strings.length(lines, unit="BYTE")) + tf.size(lines)
            return tf.math.bincount(reasons, minlength=len(line_checks.REASONS)), size

        batches = tf.data.TextLineDataset(name, compression).batch(_COUNT_BATCH).map(tally)
        reasons, size, damaged = np.zeros(len(line_checks.REASONS), np.int64), 0, 0
        iterator = iter(batches)
        while True:
            try:
                counts, batch_size = next(iterator)
            except StopIteration:
                break
            except tf.errors.DataLossError as error:
                damaged = 1
                logging.warning(
                    "%s is damaged (%s): the lines before are used, the rest is lost and "
                    "counted as `damaged`. Re-create or re-download the file.",
                    path,
                    error.message,
                )
                break
            reasons += counts.numpy()
            size += int(batch_size)
        if not compression:  # Plain, or an .xz file's plain copy.
            size = os.path.getsize(name)
        counted = {r: int(n) for r, n in zip(line_checks.REASONS, reasons) if n}
        return {
            "bytes": size,
            "lines": int(reasons.sum()),
            "reasons": {**counted, **({"damaged": 1} if damaged else {})},
        }

    def _load(self):
        try:
            with open(self.path, encoding="utf-8") as f:
                return json.load(f)
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def _save(self, key, record):
        """Merge `record` into the file (others may have added theirs)."""
        records = {**self._load(), key: record}
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        partial = f"{self.path}.partial-{os.getpid()}"
        with open(partial, "w", encoding="utf-8") as f:
            json.dump(records, f, indent=1, sort_keys=True)
        os.replace(partial, self.path)
