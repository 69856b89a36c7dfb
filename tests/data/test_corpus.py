"""Corpus layouts: every layout of a language's files is listed, a file
that fits none is refused by name."""

import gzip
import lzma

import pytest

from xlm_keras.data import corpus


def _write(path, text="line\n"):
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode()
    if path.suffix == ".gz":
        data = gzip.compress(data)
    elif path.suffix == ".xz":
        data = lzma.compress(data)
    path.write_bytes(data)


def test_every_layout_is_listed_by_language_and_split(tmp_path):
    names = [
        "mono/en.train.txt",
        "mono/en.test.txt",
        "mono/fr.train.txt.gz",
        "mono/de.train.txt.xz",
        "mono/es.train.01.txt",
        "mono/es.train.00.txt",
        "mono/it.train-00001-of-00002.txt.gz",
        "mono/it.train-00000-of-00002.txt.gz",
        "mono/nl/nl.train.txt",
        "mono/nl/nl.train.00.txt.xz",
        "mono/.hidden",
        "parallel/en-fr.train.tsv.xz",
        "parallel/en-de/en-de.train-00000-of-00001.tsv",
        "parallel/en-de/en-de.test.tsv",
    ]
    for name in names:
        _write(tmp_path / name)
    mono = corpus.monolingual_files(tmp_path, "train")
    relative = {k: [str(p)[len(str(tmp_path)) + 1 :] for p in v] for k, v in mono.items()}
    assert relative == {
        "en": ["mono/en.train.txt"],
        "fr": ["mono/fr.train.txt.gz"],
        "de": ["mono/de.train.txt.xz"],
        "es": ["mono/es.train.00.txt", "mono/es.train.01.txt"],
        "it": ["mono/it.train-00000-of-00002.txt.gz", "mono/it.train-00001-of-00002.txt.gz"],
        "nl": ["mono/nl/nl.train.00.txt.xz", "mono/nl/nl.train.txt"],
    }
    assert sorted(corpus.monolingual_files(tmp_path, "test")) == ["en"]
    assert sorted(corpus.parallel_files(tmp_path, "train")) == [("en", "de"), ("en", "fr")]
    assert list(corpus.parallel_files(tmp_path, "test")) == [("en", "de")]


@pytest.mark.parametrize(
    "name, reason",
    [
        ("mono/en.train.txt.bz2", "compressed with .bz2"),
        ("mono/en.train.txt.zst", "compressed with .zst"),
        ("mono/notes.md", "fits no corpus layout"),
        ("mono/en/fr.train.txt", "names 'fr'"),
        ("parallel/en-fr.train.txt", "fits no corpus layout"),
    ],
)
def test_a_file_that_fits_no_layout_is_refused_by_name(tmp_path, name, reason):
    _write(tmp_path / "mono/en.train.txt")
    _write(tmp_path / "parallel/en-fr.train.tsv")
    _write(tmp_path / name)
    lister = corpus.monolingual_files if name.startswith("mono") else corpus.parallel_files
    with pytest.raises(ValueError, match=reason) as error:
        lister(tmp_path, "train")
    assert str(tmp_path / name) in str(error.value)
    assert "<lang>.<split>.00.txt" in str(error.value) or "<l1>-<l2>" in str(error.value)
