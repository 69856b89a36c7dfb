"""A corpus whose monolingual text is the disjoint halves of a parallel
corpus, for unsupervised translation end to end: the language model that
initialises it must not read the sentences' translations either.

  python tools/write_halves.py                     # en-fr of the full corpus
  python tools/write_halves.py --pair=en-de --output_dir=/tmp/halves_ende

Writes `mono/<l1>.train.txt` and `mono/<l2>.train.txt` with exactly the
sentences that `data.monolingual=halves` translation runs read (the first
`--validation_pairs` pairs held out, `l1` from the even pairs, `l2` from
the odd ones), and links `parallel/` to the source corpus's, so pretraining
and translation can both use `--output_dir` as `data.corpus_dir`.
"""

import os

from absl import app
from absl import flags

from xlm_keras.data.readers import CorpusStats
from xlm_keras.translation.config import base_mt_config
from xlm_keras.translation.pipelines import monolingual_sentences

HOME_CACHE = os.path.expanduser("~/.cache/xlm_keras")
_CORPUS_DIR = flags.DEFINE_string(
    "corpus_dir", os.path.join(HOME_CACHE, "corpus"), "Corpus with parallel/<l1>-<l2>.train.tsv."
)
_OUTPUT_DIR = flags.DEFINE_string(
    "output_dir", os.path.join(HOME_CACHE, "corpus_halves"), "Where the halves corpus goes."
)
_PAIR = flags.DEFINE_string("pair", "en-fr", "The language pair, <l1>-<l2>.")
_VALIDATION_PAIRS = flags.DEFINE_integer(
    "validation_pairs",
    base_mt_config().translation.validation_pairs,
    "Pairs held out for validation (the translation run's translation.validation_pairs).",
)


def write_halves(corpus_dir, output_dir, pair, hold_out):
    """Writes the halves corpus; returns {language: sentences written}."""
    languages = pair.split("-")
    if len(languages) != 2 or not all(languages):
        raise ValueError(f"--pair={pair!r} is not <l1>-<l2>, e.g. en-fr")
    if not os.path.isdir(os.path.join(corpus_dir, "parallel")):
        raise ValueError(
            f"{corpus_dir} has no parallel/ directory; build the corpus first "
            "(python tools/build_corpus.py) or pass --corpus_dir"
        )
    os.makedirs(os.path.join(output_dir, "mono"), exist_ok=True)
    link = os.path.join(output_dir, "parallel")
    if not os.path.lexists(link):
        os.symlink(os.path.abspath(os.path.join(corpus_dir, "parallel")), link)
    counts = {}
    for language, partner in (languages, languages[::-1]):
        sentences = monolingual_sentences(
            corpus_dir, "train", language, [partner], CorpusStats(), hold_out
        )
        path = os.path.join(output_dir, "mono", f"{language}.train.txt")
        with open(path, "w", encoding="utf-8") as f:
            counts[language] = 0
            for text in sentences:
                f.write(text + "\n")
                counts[language] += 1
    return counts


def main(argv):
    del argv
    counts = write_halves(
        os.path.expanduser(_CORPUS_DIR.value),
        os.path.expanduser(_OUTPUT_DIR.value),
        _PAIR.value,
        _VALIDATION_PAIRS.value,
    )
    print(f"Wrote {counts} sentences to {_OUTPUT_DIR.value}/mono")


if __name__ == "__main__":
    app.run(main)
