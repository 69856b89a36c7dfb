"""Readers count and skip malformed lines and keep every good one."""

import gzip

import pytest

from xlm_keras.data import CorpusStats
from xlm_keras.data import readers

GOOD = [
    "Hello world.",
    "Bonjour le monde.",
    "こんにちは世界。",
    "مرحبا بالعالم",
    "e\u0301te\u0301 🌍",
]


def _write(path, lines):
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_text_reader_counts_each_kind_of_bad_line(tmp_path):
    raw = [g.encode() for g in GOOD] + [
        b"\xff\xfe broken utf-8",
        b"   ",
        b"",
        b"nul\x00byte",
        b"x" * 50,
    ]
    path = _write(tmp_path / "c.txt", raw)
    stats = CorpusStats()
    kept = list(readers.read_text(path, stats, max_line_chars=40))
    assert kept == GOOD
    counts = stats.counts[str(path)]
    assert counts == {"kept": 5, "bad_utf8": 1, "empty": 2, "control_chars": 1, "too_long": 1}
    assert f"{path}: kept 5, skipped 5" in stats.summary()


def test_summary_names_the_files_with_skipped_lines_and_every_file_on_request():
    stats = CorpusStats()
    for path, reason in [("b.txt", "kept"), ("a.txt", "kept"), ("a.txt", "kept")]:
        stats.add(path, reason)
    stats.add("b.txt", "bad_utf8")
    assert stats.summary().splitlines() == [
        "kept 3, skipped 1 in 2 files",
        "b.txt: kept 1, skipped 1 (bad_utf8 1)",
    ]
    assert stats.summary(every_file=True).splitlines()[1:] == [
        "a.txt: kept 2, skipped 0",
        "b.txt: kept 1, skipped 1 (bad_utf8 1)",
    ]


def test_gzip_text(tmp_path):
    path = tmp_path / "c.txt.gz"
    with gzip.open(path, "wb") as f:
        f.write("\n".join(GOOD).encode())
    assert list(readers.read_text(path, CorpusStats())) == GOOD


def test_tsv_pairs(tmp_path):
    path = _write(
        tmp_path / "p.tsv",
        [b"Hello\tBonjour", b"one column", b"a\tb\tc", b"\tempty source", b"Cat\tChat"],
    )
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


def _damaged_gzip(path, how, count=400):
    """A `.gz` of `count` lines, cut in half (`truncated`) or with a CRC
    that does not match (`crc`)."""
    data = gzip.compress("".join(f"line {i}\n" for i in range(count)).encode())
    if how == "truncated":
        data = data[: len(data) // 2]
    else:
        data = data[:-8] + bytes(4) + data[-4:]  # Zero the CRC32 field.
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("how", ["truncated", "crc"])
def test_damaged_gzip_keeps_readable_lines_and_counts_the_damage(tmp_path, how, caplog):
    path = _damaged_gzip(tmp_path / "fr.train.txt.gz", how)
    stats = CorpusStats()
    kept = list(readers.read_text(path, stats))
    assert kept == [f"line {i}" for i in range(len(kept))] and kept
    assert stats.counts[str(path)]["damaged"] == 1
    assert "damaged 1" in stats.summary()
    assert any(
        str(path) in record.getMessage() and "damaged" in record.getMessage()
        for record in caplog.records
    )


def test_damaged_side_of_parallel_files_ends_the_pairs(tmp_path):
    src = _damaged_gzip(tmp_path / "a.en.gz", "truncated")
    tgt = _write(tmp_path / "a.fr", [f"ligne {i}".encode() for i in range(400)])
    stats = CorpusStats()
    pairs = list(readers.read_parallel_files(src, tgt, stats))
    assert pairs and pairs[-1] == (f"line {len(pairs) - 1}", f"ligne {len(pairs) - 1}")
    assert stats.counts[f"{src}|{tgt}"]["damaged"] == 1


def test_a_file_read_again_is_counted_once_each_shard_once(tmp_path):
    path = _write(tmp_path / "c.txt", [g.encode() for g in GOOD] + [b"\xff"])
    stats = CorpusStats()
    for _ in range(3):
        assert list(readers.read_text(path, stats)) == GOOD
    assert stats.counts[str(path)] == {"kept": 5, "bad_utf8": 1}
    pairs = _write(tmp_path / "p.tsv", [b"a\tb", b"one column"])
    for shard in [(0, 2), (1, 2), (0, 2)]:
        list(readers.read_tsv_pairs(pairs, stats, shard=shard))
    assert stats.counts[str(pairs)] == {"kept": 1, "wrong_columns": 1}


def test_require_usable_names_each_file_and_its_skip_reasons(tmp_path):
    bad = _write(tmp_path / "fr.train.txt", [b"", b"\xff\xfe", b"  "])
    empty = tmp_path / "fr.train.txt.gz"
    with gzip.open(empty, "wb"):
        pass
    with pytest.raises(ValueError) as error:
        readers.require_usable([bad, empty], readers.read_text, "data.languages: fr")
    assert str(error.value) == (
        f"data.languages: fr has no usable line in {bad} (skipped 3: bad_utf8 1, empty 2); "
        f"{empty} (no lines); fix or replace the file"
    )
    good = _write(tmp_path / "en.train.txt", [b"", b"Hello"])
    readers.require_usable([bad, good], readers.read_text, "data.languages: en")
