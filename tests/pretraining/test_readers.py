"""Readers count and skip malformed lines and keep every good one."""

import gzip

import pytest

from xlm_keras.pretraining import CorpusStats
from xlm_keras.pretraining import readers

GOOD = ["Hello world.", "Bonjour le monde.", "こんにちは世界。", "مرحبا بالعالم", "e\u0301te\u0301 🌍"]


def _write(path, lines):
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_text_reader_counts_each_kind_of_bad_line(tmp_path):
    raw = [g.encode() for g in GOOD] + [
        b"\xff\xfe broken utf-8", b"   ", b"", b"nul\x00byte", b"x" * 50,
    ]
    path = _write(tmp_path / "c.txt", raw)
    stats = CorpusStats()
    kept = list(readers.read_text(path, stats, max_line_chars=40))
    assert kept == GOOD
    counts = stats.counts[str(path)]
    assert counts == {"kept": 5, "bad_utf8": 1, "empty": 2, "control_chars": 1, "too_long": 1}
    assert f"{path}: kept 5, skipped 5" in stats.report()


def test_gzip_text(tmp_path):
    path = tmp_path / "c.txt.gz"
    with gzip.open(path, "wb") as f:
        f.write("\n".join(GOOD).encode())
    assert list(readers.read_text(path, CorpusStats())) == GOOD


def test_tsv_pairs(tmp_path):
    path = _write(tmp_path / "p.tsv", [
        "Hello\tBonjour".encode(), b"one column", "a\tb\tc".encode(), b"\tempty source",
        "Cat\tChat".encode(),
    ])
    stats = CorpusStats()
    assert list(readers.read_tsv_pairs(path, stats)) == [("Hello", "Bonjour"), ("Cat", "Chat")]
    assert stats.counts[str(path)] == {"kept": 2, "wrong_columns": 2, "empty_side": 1}


def test_parallel_files(tmp_path):
    src = _write(tmp_path / "a.en", [b"Hello", b"bad", b"Cat"])
    tgt = _write(tmp_path / "a.fr", [b"Bonjour", b"\xff", b"Chat"])
    stats = CorpusStats()
    pairs = list(readers.read_parallel_files(src, tgt, stats))
    assert pairs == [("Hello", "Bonjour"), ("Cat", "Chat")]
    assert stats.skipped() == 1
    short = _write(tmp_path / "b.fr", [b"Bonjour"])
    with pytest.raises(ValueError, match="different numbers of lines"):
        list(readers.read_parallel_files(src, short, CorpusStats()))


def test_shards_are_disjoint_and_complete(tmp_path):
    lines = [f"sentence {i}".encode() for i in range(101)] + [b"", b"\xff"]
    path = _write(tmp_path / "c.txt", lines)
    shards = [list(readers.read_text(path, CorpusStats(), shard=(i, 3))) for i in range(3)]
    flat = [line for shard in shards for line in shard]
    assert len(flat) == len(set(flat)) == 101
    assert sorted(flat) == sorted(f"sentence {i}" for i in range(101))
