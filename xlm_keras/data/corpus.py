"""A multilingual corpus directory and its files.

Layout (what `tools/build_corpus.py` writes, and the bundled sample), per
language (pair) and split, one file or many shards, plain or compressed:
  mono/<lang>.<split>.txt                  one sentence per line
  mono/<lang>.<split>.00.txt               shards (any number of digits)
  mono/<lang>.<split>-00000-of-00002.txt   shards
  mono/<lang>/<lang>.<split>*.txt          a directory of the above
  parallel/<l1>-<l2>.<split>.tsv           `l1 text<TAB>l2 text`; the same
                                           shards and directories
  manifest.json                            sources, licences, counts
Each file may end in `.gz` or `.xz`. Hidden files (`.name`) are ignored;
any other file in mono/ or parallel/ that fits no layout is an error that
names it, never skipped.
"""

import glob
import os
import random
import re

SAMPLE_CORPUS_DIR = os.path.join(os.path.dirname(__file__), "sample_corpus")
COMPRESSIONS = (".gz", ".xz")
_SHARD = r"(?:\.\d+|-\d+-of-\d+)?"
_COMPRESSION = r"(?:\.gz|\.xz)?"
_MONO = re.compile(rf"(?P<lang>[^./]+)\.(?P<split>[^.]+?){_SHARD}\.txt{_COMPRESSION}")
_PARALLEL = re.compile(
    rf"(?P<src>[^./-]+)-(?P<tgt>[^./]+)\.(?P<split>[^.]+?){_SHARD}\.tsv{_COMPRESSION}"
)
_LAYOUTS = {
    "mono": (
        "<lang>.<split>.txt, <lang>.<split>.00.txt, <lang>.<split>-00000-of-00002.txt "
        "(each may end in .gz or .xz), or a directory <lang>/ of those"
    ),
    "parallel": (
        "<l1>-<l2>.<split>.tsv, <l1>-<l2>.<split>.00.tsv, "
        "<l1>-<l2>.<split>-00000-of-00002.tsv (each may end in .gz or .xz), "
        "or a directory <l1>-<l2>/ of those"
    ),
}
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")


def monolingual_files(corpus_dir, split):
    """dict language -> [path] of the language's `split` files in `mono/`
    (shards in name order)."""
    files = _listed(corpus_dir, "mono", split, lambda match: match["lang"])
    return _require(files, corpus_dir, f"mono/<lang>.{split}.txt")


def parallel_files(corpus_dir, split):
    """dict (lang1, lang2) -> [path] of the pair's `split` files in `parallel/`."""
    files = found_parallel_files(corpus_dir, split)
    return _require(files, corpus_dir, f"parallel/<l1>-<l2>.{split}.tsv")


def found_parallel_files(corpus_dir, split):
    """`parallel_files`, empty when the corpus has none (monolingual only)."""
    return _listed(corpus_dir, "parallel", split, lambda match: (match["src"], match["tgt"]))


def _listed(corpus_dir, folder, split, key):
    """dict key(match) -> [path] of `corpus_dir/folder` files of `split`."""
    pattern = _MONO if folder == "mono" else _PARALLEL
    files = {}
    for path, match in _matched_files(os.path.join(corpus_dir, folder), pattern, folder):
        if match["split"] == split:
            files.setdefault(key(match), []).append(path)
    return files


def _matched_files(folder_dir, pattern, folder):
    """(path, match) of every file of `folder_dir` and of its directories;
    ValueError naming a file that fits no layout."""
    for path in sorted(glob.glob(os.path.join(folder_dir, "*"))):
        name = os.path.basename(path)
        if not os.path.isdir(path):
            yield path, _match(path, pattern, folder)
            continue
        for inner in sorted(glob.glob(os.path.join(path, "*"))):
            match = _match(inner, pattern, folder)
            owner = match["lang"] if folder == "mono" else f"{match['src']}-{match['tgt']}"
            if owner != name:
                raise ValueError(
                    f"{inner} is in {folder}/{name}/ but names {owner!r}: a directory holds "
                    f"the files of its own name only. Files in {folder}/ are "
                    f"{_LAYOUTS[folder]}; move or rename it."
                )
            yield inner, match


def _match(path, pattern, folder):
    match = pattern.fullmatch(os.path.basename(path))
    if match and not os.path.isdir(path):
        return match
    compression = re.search(r"\.(?:txt|tsv)(\.[^.]+)$", path)
    why = (
        f"is compressed with {compression[1]}, which the reader cannot read (decompress it, "
        f"or recompress it with gzip or xz)"
        if compression
        else "fits no corpus layout"
    )
    raise ValueError(
        f"{path} {why}. Files in {folder}/ are {_LAYOUTS[folder]}; move other files out "
        f"of {folder}/."
    )


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
