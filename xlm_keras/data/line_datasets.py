"""Corpus files as TF-native `tf.data` pipelines: `TextLineDataset` over
plain and gzip files, interleaved over shards, sharded per worker by file,
shuffled with a seed, and checked line by line in the graph
(`line_checks`). No Python runs per element, so the datasets can be
checkpointed mid-stream (`tf.train.Checkpoint` of their iterator) and
served by the tf.data service.

`.xz` files: TensorFlow has no xz reader, so each is decompressed once,
streaming, into a cache directory (`decompressed`), which costs disk of
the uncompressed size; a Python generator per `.xz` file would avoid it but
would hold the GIL and make the dataset impossible to checkpoint or serve.
"""

import hashlib
import json
import lzma
import os
import shutil

import tensorflow as tf
from absl import logging

from xlm_keras.data import line_checks
from xlm_keras.data.readers import DEFAULT_MAX_LINE_CHARS

DEFAULT_CACHE_DIR = os.path.join("~", ".cache", "xlm_keras", "corpus_cache")
# Files read side by side: lines of several shards mix before the shuffle.
INTERLEAVED_FILES = 4
AUTOTUNE = tf.data.AUTOTUNE


def file_key(path):
    """`path`, size and modification time: what identifies a file's content
    for the caches (a changed file gets a new key)."""
    status = os.stat(path)
    return {"path": os.path.abspath(path), "size": status.st_size, "mtime": status.st_mtime}


def decompressed(path, cache_dir):
    """A plain copy of the `.xz` file `path` in `cache_dir`, written once
    (streaming, constant memory) and reused while `path` is unchanged."""
    key = file_key(path)
    digest = hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    cache_dir = os.path.expanduser(cache_dir)
    target = os.path.join(cache_dir, f"{digest}-{os.path.basename(path)[: -len('.xz')]}")
    if os.path.exists(target):
        return target
    os.makedirs(cache_dir, exist_ok=True)
    logging.info("Decompressing %s into %s (once: TensorFlow cannot read .xz)", path, target)
    partial = f"{target}.partial-{os.getpid()}"
    with lzma.open(path, "rb") as source, open(partial, "wb") as copy:
        shutil.copyfileobj(source, copy, 1 << 22)
    os.replace(partial, target)
    return target


def readable(path, cache_dir):
    """(file TensorFlow reads, its compression_type) for a corpus file."""
    path = str(path)
    if path.endswith(".xz"):
        return decompressed(path, cache_dir), ""
    return path, "GZIP" if path.endswith(".gz") else ""


def worker_files(paths, input_context):
    """(paths of this input pipeline, line shard) for `input_context`.

    With N pipelines and at least N files, pipeline i reads `paths[i::N]`
    (about 1/N of the bytes); with fewer files every pipeline reads them all
    and keeps every N-th line, `(i, N)` (logged once).
    """
    if input_context is None or input_context.num_input_pipelines == 1:
        return list(paths), None
    index, count = input_context.input_pipeline_id, input_context.num_input_pipelines
    if len(paths) >= count:
        return list(paths)[index::count], None
    logging.log_first_n(
        logging.INFO,
        "%d files for %d input pipelines (e.g. %s): each reads them all and keeps every "
        "%d-th line; write at least %d shards per language to read 1/%d of the "
        "bytes each.",
        1,
        len(paths),
        count,
        paths[0],
        count,
        count,
        count,
    )
    return list(paths), (index, count)


def _line_blocks(files, *, batch_lines, line_shard, shuffle_buffer, seed):
    """Blocks of `batch_lines` consecutive raw lines of `files` ([(path,
    compression_type)] or, for aligned pairs, [((path, type), (path,
    type))]): files interleaved, a damaged gzip file ending at the damage
    (`ignore_errors`) and cut to the line shard (every N-th line, so that a
    file smaller than N blocks still feeds every pipeline), then the shuffle,
    which moves whole blocks: tf.data pays per element, and a block keeps
    XLM's stream of consecutive sentences together."""

    def read(path, compression):
        lines = tf.data.TextLineDataset(path, compression).ignore_errors()
        return lines if line_shard is None else lines.shard(line_shard[1], line_shard[0])

    if isinstance(files[0][0], tuple):
        sources = [(s[0], t[0]) for s, t in files], [(s[1], t[1]) for s, t in files]
        names = tf.data.Dataset.from_tensor_slices(sources)

        def open_file(paths, compressions):
            sides = [read(paths[i], compressions[i]) for i in range(2)]
            return tf.data.Dataset.zip(tuple(sides)).batch(batch_lines)
    else:
        names = tf.data.Dataset.from_tensor_slices(tuple(map(list, zip(*files))))

        def open_file(path, compression):
            return read(path, compression).batch(batch_lines)

    if shuffle_buffer > 1:
        names = names.shuffle(len(files), seed=seed)
    blocks = names.interleave(
        open_file,
        cycle_length=min(len(files), INTERLEAVED_FILES),
        num_parallel_calls=AUTOTUNE,
        deterministic=True,
    )
    if shuffle_buffer > 1:
        blocks = blocks.shuffle(max(1, shuffle_buffer // batch_lines), seed=seed)
    return blocks


def _kept(*columns_and_reasons):
    """Drop the rows whose reason is not KEPT: (column [n'], ...)."""
    *columns, reasons = columns_and_reasons
    keep = tf.equal(reasons, line_checks.KEPT)
    kept = tuple(tf.boolean_mask(column, keep) for column in columns)
    return kept[0] if len(kept) == 1 else kept


def sentence_batches(
    paths,
    *,
    batch_lines,
    input_context=None,
    shuffle_buffer=0,
    seed=0,
    cache_dir=DEFAULT_CACHE_DIR,
    max_line_chars=DEFAULT_MAX_LINE_CHARS,
):
    """Sentences of text files, checked as `readers.read_text` checks them.

    Args:
        paths: text files, one sentence per line (`.gz`, `.xz` allowed).
        batch_lines: lines read per element; the malformed ones are dropped.
        input_context: `tf.distribute.InputContext` (see `worker_files`).
        shuffle_buffer: lines the shuffle holds, in blocks of `batch_lines`
            consecutive lines (0 or 1: file order).
        seed: seed of the file order and the shuffle.
        cache_dir: where `.xz` files are decompressed.

    Returns: dataset of string [<= batch_lines] stripped sentences.
    """
    mine, line_shard = worker_files(paths, input_context)
    files = [readable(path, cache_dir) for path in mine]
    blocks = _line_blocks(
        files,
        batch_lines=batch_lines,
        line_shard=line_shard,
        shuffle_buffer=shuffle_buffer,
        seed=seed,
    )
    return blocks.map(
        lambda batch: _kept(*line_checks.check_text_lines(batch, max_line_chars)),
        num_parallel_calls=AUTOTUNE,
    )


def pair_batches(
    paths,
    *,
    batch_lines,
    input_context=None,
    shuffle_buffer=0,
    seed=0,
    cache_dir=DEFAULT_CACHE_DIR,
    max_line_chars=DEFAULT_MAX_LINE_CHARS,
):
    """Translation pairs, checked as `readers.read_tsv_pairs` (or
    `read_parallel_files`) checks them; arguments as `sentence_batches`.

    Args:
        paths: two-column TSV files (`source<TAB>target`), or
            `(source_file, target_file)` tuples of line-aligned files (one
            kind per call).

    Returns: dataset of (source, target) string [<= batch_lines] pairs.
    """
    mine, line_shard = worker_files(paths, input_context)
    aligned = isinstance(mine[0], (tuple, list))
    if aligned:
        files = [tuple(readable(side, cache_dir) for side in pair) for pair in mine]
    else:
        files = [readable(path, cache_dir) for path in mine]
    blocks = _line_blocks(
        files,
        batch_lines=batch_lines,
        line_shard=line_shard,
        shuffle_buffer=shuffle_buffer,
        seed=seed,
    )

    def check(*batch):
        if aligned:
            return _kept(*line_checks.check_aligned_lines(*batch, max_line_chars))
        return _kept(*line_checks.check_tsv_lines(batch[0], max_line_chars))

    return blocks.map(check, num_parallel_calls=AUTOTUNE)
