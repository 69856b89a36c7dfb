"""tools/build_scale_corpus.py at a tiny size: every layout holds the same
lines, of about the asked size, varied rather than repeated, in a corpus
directory that `corpus.monolingual_files` reads."""

import gzip
import lzma

from tests.helpers import load_script
from xlm_keras.data import corpus

build_scale_corpus = load_script("tools/build_scale_corpus.py")


def test_layouts_hold_the_same_varied_text_of_the_asked_size(tmp_path):
    counts = build_scale_corpus.build(
        corpus.SAMPLE_CORPUS_DIR,
        tmp_path,
        languages=["en", "fr", "de", "es"],
        gigabytes=0.002,
        layouts=["plain", "gz", "xz", "shards"],
        shards=3,
    )
    source = corpus.monolingual_files(corpus.SAMPLE_CORPUS_DIR, "train")["fr"][0]
    with open(source, encoding="utf-8") as f:
        source_lines = {line.strip() for line in f}
    for layout in ["plain", "gz", "xz", "shards"]:
        files = corpus.monolingual_files(str(tmp_path / layout), "train")
        assert sorted(files) == ["de", "en", "es", "fr"]
        assert sorted(corpus.monolingual_files(str(tmp_path / layout), "test")) == sorted(files)
    plain = (tmp_path / "plain/mono/fr.train.txt").read_bytes()
    assert 500_000 <= len(plain) < 500_000 + 20_000
    assert plain.count(b"\n") == counts["fr"]
    assert gzip.decompress((tmp_path / "gz/mono/fr.train.txt.gz").read_bytes()) == plain
    assert lzma.decompress((tmp_path / "xz/mono/fr.train.txt.xz").read_bytes()) == plain
    shards = corpus.monolingual_files(str(tmp_path / "shards"), "train")["fr"]
    assert [path.rsplit("/", 1)[1] for path in shards] == [
        f"fr.train-0000{i}-of-00003.txt" for i in range(3)
    ]
    parts = [open(path, "rb").read() for path in shards]
    assert b"".join(parts) == plain and min(map(len, parts)) > len(plain) / 4
    # The source's lines come back shuffled, some as they were, others
    # perturbed: most lines differ although the source is used several times.
    lines = plain.decode().splitlines()
    assert len(lines) > 3 * len(source_lines)
    verbatim = sum(line in source_lines for line in lines) / len(lines)
    assert 0.3 < verbatim < 0.5
    assert len(set(lines)) > 0.6 * len(lines)
    assert (tmp_path / "plain/parallel/en-fr.train.tsv").is_file()


def test_the_same_flags_write_the_same_bytes(tmp_path):
    def build(directory, seed):
        build_scale_corpus.build(
            corpus.SAMPLE_CORPUS_DIR,
            tmp_path / directory,
            languages=["fr"],
            gigabytes=0.0002,
            layouts=["plain"],
            shards=1,
            seed=seed,
        )
        return (tmp_path / directory / "plain/mono/fr.train.txt").read_bytes()

    assert build("a", seed=0) == build("b", seed=0) != build("c", seed=1)
