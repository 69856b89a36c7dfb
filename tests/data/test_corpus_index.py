"""The corpus index: bytes of text (uncompressed) and line counts, counted
once per file and counted again when the file changes."""

import gzip
import json
import lzma
import os

from xlm_keras.data import CorpusIndex
from xlm_keras.data import CorpusStats
from xlm_keras.data import corpus
from xlm_keras.data import readers
from xlm_keras.data.corpus_index import index_path

TEXT = "".join(f"sentence {i}\n" for i in range(500)) + "\n\xff\n"


def test_sizes_are_uncompressed_bytes_recorded_once(tmp_path, monkeypatch):
    raw = TEXT.encode("latin-1")
    (tmp_path / "mono").mkdir()
    paths = {
        "plain": tmp_path / "mono" / "en.train.txt",
        "gz": tmp_path / "mono" / "fr.train.txt.gz",
        "xz": tmp_path / "mono" / "de.train.txt.xz",
    }
    paths["plain"].write_bytes(raw)
    paths["gz"].write_bytes(gzip.compress(raw))
    paths["xz"].write_bytes(lzma.compress(raw))
    index = CorpusIndex(tmp_path, cache_dir=tmp_path / "cache")
    for path in paths.values():
        assert index.text_bytes(path) == len(raw)
        counts = index.counts(path, "text")
        stats = CorpusStats()
        list(readers.read_text(path, stats))
        assert (
            counts["reasons"]
            == dict(stats.counts[str(path)])
            == {"kept": 500, "empty": 1, "bad_utf8": 1}
        )
        assert counts["lines"] == 502
    recorded = json.loads((tmp_path / "corpus_index.json").read_text())
    assert len(recorded) == 3  # The plain file's size needed no count: its lines did.

    monkeypatch.setattr(CorpusIndex, "_count", lambda *args: 1 / 0)  # Recorded: not counted.
    assert CorpusIndex(tmp_path, cache_dir=tmp_path / "cache").text_bytes(paths["gz"]) == len(raw)
    monkeypatch.undo()

    changed = raw + b"one more\n"
    paths["gz"].write_bytes(gzip.compress(changed))
    os.utime(paths["gz"], (1, 1))
    assert index.text_bytes(paths["gz"]) == len(changed)


def test_the_index_of_a_read_only_corpus_goes_to_the_cache(tmp_path):
    assert index_path(corpus.SAMPLE_CORPUS_DIR, tmp_path).startswith(str(tmp_path))
    (tmp_path / "c").mkdir()
    assert index_path(tmp_path / "c", tmp_path / "cache") == str(
        tmp_path / "c" / "corpus_index.json"
    )
