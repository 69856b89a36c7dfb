"""TF-native sentence and pair datasets: every compression and shard
layout read, the readers' checks applied in the graph, seeded shuffle,
per-worker file shards."""

import gzip
import lzma

import pytest
import tensorflow as tf

from xlm_keras.data import CorpusStats
from xlm_keras.data import pair_batches
from xlm_keras.data import readers
from xlm_keras.data import sentence_batches

# One line of each kind the readers skip, between good ones.
MESSY = (
    b"one\n\xff\xfe bad\n  two \t\r\n\n   \nx" + b"y" * 40 + b"\nctl\x01\n"
    b"\xc2\xa0nbsp\xc2\xa0\ncaf\xc3\xa9\n\xe3\x80\x80\nsurrogate \xed\xa0\x80\nc0 \xc0\xaf\n"
)
MAX_LINE_CHARS = 30


def _write(path, data):
    if str(path).endswith(".gz"):
        data = gzip.compress(data)
    elif str(path).endswith(".xz"):
        data = lzma.compress(data)
    path.write_bytes(data)
    return str(path)


def _sentences(dataset):
    return [s.decode() for batch in dataset.as_numpy_iterator() for s in batch]


def _pairs(dataset):
    return [
        (s.decode(), t.decode())
        for sources, targets in dataset.as_numpy_iterator()
        for s, t in zip(sources, targets)
    ]


@pytest.mark.parametrize("suffix", ["", ".gz", ".xz"])
def test_lines_are_kept_and_skipped_as_the_readers_do(tmp_path, suffix):
    path = _write(tmp_path / f"en.train.txt{suffix}", MESSY)
    stats = CorpusStats()
    expected = list(readers.read_text(path, stats, max_line_chars=MAX_LINE_CHARS))
    dataset = sentence_batches(
        [path], batch_lines=4, cache_dir=tmp_path / "cache", max_line_chars=MAX_LINE_CHARS
    )
    assert _sentences(dataset) == expected == ["one", "two", "nbsp", "café"]
    assert stats.skipped() == 8


def test_tsv_and_aligned_pairs_are_checked_as_the_readers_do(tmp_path):
    tsv = _write(tmp_path / "p.tsv.gz", b"a\tb\nbad\n\xff\tx\nc\t \n d \t e \r\nf\tg\th\n")
    expected = list(readers.read_tsv_pairs(tsv, CorpusStats()))
    assert _pairs(pair_batches([tsv], batch_lines=3)) == expected == [("a", "b"), ("d", "e")]
    source = _write(tmp_path / "s.txt", b"a\n\xff\nc\n\nd\n")
    target = _write(tmp_path / "t.txt.xz", b"b\nx\n\x02\ny\ne\n")
    expected = list(readers.read_parallel_files(source, target, CorpusStats()))
    dataset = pair_batches([(source, target)], batch_lines=2, cache_dir=tmp_path / "cache")
    assert _pairs(dataset) == expected == [("a", "b"), ("d", "e")]


def test_a_truncated_gzip_file_ends_at_the_damage(tmp_path):
    data = gzip.compress("".join(f"line {i}\n" for i in range(4000)).encode())
    path = tmp_path / "fr.train.txt.gz"
    path.write_bytes(data[: len(data) // 2])
    sentences = _sentences(sentence_batches([str(path)], batch_lines=64).repeat(2))
    count = len(sentences) // 2  # The last may be the start of the damaged line.
    assert count > 100 and sentences[:count] == sentences[count:]
    assert sentences[: count - 1] == [f"line {i}" for i in range(count - 1)]


def test_shards_are_read_whole_and_the_shuffle_is_seeded(tmp_path):
    lines = [f"line {i}" for i in range(300)]
    paths = [
        _write(tmp_path / f"en.train.{n:02d}.txt{suffix}", "".join(f"{t}\n" for t in part).encode())
        for n, (suffix, part) in enumerate(
            [("", lines[:100]), (".gz", lines[100:200]), (".xz", lines[200:])]
        )
    ]

    def read(**kw):
        return _sentences(sentence_batches(paths, batch_lines=16, cache_dir=tmp_path / "c", **kw))

    assert sorted(read()) == sorted(lines)
    shuffled = read(shuffle_buffer=50, seed=1)
    assert sorted(shuffled) == sorted(lines) and shuffled != read()
    assert shuffled == read(shuffle_buffer=50, seed=1) != read(shuffle_buffer=50, seed=2)


def _context(worker, count):
    return tf.distribute.InputContext(
        num_input_pipelines=count, input_pipeline_id=worker, num_replicas_in_sync=count
    )


@pytest.mark.parametrize("num_files", [1, 4])
def test_workers_read_disjoint_shards_that_cover_the_corpus(tmp_path, num_files):
    """Four files for two workers: two files each; one file: every other
    line."""
    lines = [f"line {i}" for i in range(40)]
    paths = [
        _write(
            tmp_path / f"en.train.{n}.txt", "".join(f"{t}\n" for t in lines[n::num_files]).encode()
        )
        for n in range(num_files)
    ]
    seen = [
        _sentences(sentence_batches(paths, batch_lines=4, input_context=_context(worker, 2)))
        for worker in range(2)
    ]
    assert not set(seen[0]) & set(seen[1])
    assert sorted(seen[0] + seen[1]) == sorted(lines)
    assert len(seen[0]) == len(seen[1]) == 20
