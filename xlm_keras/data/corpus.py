"""A multilingual corpus directory and its files.

Layout (what `tools/build_corpus.py` writes, and the bundled sample):
  mono/<lang>.<split>.txt            one sentence per line
  parallel/<lang1>-<lang2>.<split>.tsv   `lang1 text<TAB>lang2 text`
  manifest.json                      sources, licences, counts
"""

import glob
import os
import random
import re

SAMPLE_CORPUS_DIR = os.path.join(os.path.dirname(__file__), "sample_corpus")
_MONO = re.compile(r"(?P<lang>[^.]+)\.(?P<split>[^.]+)\.txt(?:\.gz)?")
_PARALLEL = re.compile(r"(?P<src>[^.-]+)-(?P<tgt>[^.]+)\.(?P<split>[^.]+)\.tsv(?:\.gz)?")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")


def monolingual_files(corpus_dir, split):
    """dict language -> [path] of `mono/<lang>.<split>.txt` files."""
    files = {}
    for path in sorted(glob.glob(os.path.join(corpus_dir, "mono", "*"))):
        match = _MONO.fullmatch(os.path.basename(path))
        if match and match["split"] == split:
            files.setdefault(match["lang"], []).append(path)
    return _require(files, corpus_dir, f"mono/<lang>.{split}.txt")


def parallel_files(corpus_dir, split):
    """dict (lang1, lang2) -> [path] of `parallel/<l1>-<l2>.<split>.tsv`."""
    files = found_parallel_files(corpus_dir, split)
    return _require(files, corpus_dir, f"parallel/<l1>-<l2>.{split}.tsv")


def found_parallel_files(corpus_dir, split):
    """`parallel_files`, empty when the corpus has none (monolingual only)."""
    files = {}
    for path in sorted(glob.glob(os.path.join(corpus_dir, "parallel", "*"))):
        match = _PARALLEL.fullmatch(os.path.basename(path))
        if match and match["split"] == split:
            files.setdefault((match["src"], match["tgt"]), []).append(path)
    return files


def _require(files, corpus_dir, pattern):
    if not files:
        raise FileNotFoundError(
            f"No {pattern} files in {corpus_dir}. Build a corpus with "
            "`python tools/build_corpus.py` or use the bundled sample "
            f"({SAMPLE_CORPUS_DIR})."
        )
    return files


def sample_test_sentences(count, seed=0):
    """`count` sentences cut from every language's `mono/<lang>.test.txt` of
    the bundled sample (split after . ! ? and their CJK forms), shuffled,
    cycled if fewer: the benchmarks' multilingual input."""
    pieces = []
    for paths in monolingual_files(SAMPLE_CORPUS_DIR, "test").values():
        for path in paths:
            with open(path, encoding="utf-8") as f:
                for line in f:
                    pieces += [p.strip() for p in _SENTENCE_END.split(line) if p.strip()]
    random.Random(seed).shuffle(pieces)
    return [pieces[i % len(pieces)] for i in range(count)]
