"""Sentences/s of `XLMBPETokenizer` (Moses + BPE in the graph) against
transformers' `XLMTokenizer` (sacremoses + Python BPE) on the same sentences.

  python tools/bench_xlm_tokenizer.py                      # sample corpus, 5 rounds
  python tools/bench_xlm_tokenizer.py --merges=4000 --rounds=3 --batch_size=512

Sentences: every train line of the bundled corpus in a Moses-tokenised
language (zh and ja, pre-segmented in transformers too, left out), each with
its language code. BPE: `--merges` codes learned on those lines
(`convert.bpe_files.learn_bpe`), written as `vocab.json` + `merges.txt` for
both tokenizers; both lower-case and remove accents, as most XLM checkpoints.
In-graph: `tokenize` in a `tf.function`, batches of `--batch_size`, after one
warm-up pass. transformers: `_tokenize(text, lang=code)` and
`convert_tokens_to_ids` per sentence (its BPE cache warm after the first
round, as in a long-running process). The two alternate, round by round, in
one process; the table gives the medians and their ratio. First it prints,
per language, how many sentences get exactly transformers' ids.
"""

import collections
import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402
import transformers  # noqa: E402
from absl import app  # noqa: E402
from absl import flags  # noqa: E402

from xlm_keras.convert.bpe_files import learn_bpe  # noqa: E402
from xlm_keras.convert.bpe_files import write_bpe_files  # noqa: E402
from xlm_keras.data import corpus  # noqa: E402
from xlm_keras.models import XLMBPETokenizer  # noqa: E402
from xlm_keras.text.moses import PRESEGMENTED_LANGUAGES  # noqa: E402

_MERGES = flags.DEFINE_integer("merges", 2000, "BPE merges to learn.")
_ROUNDS = flags.DEFINE_integer("rounds", 5, "Timed rounds of each tokenizer, interleaved.")
_BATCH_SIZE = flags.DEFINE_integer("batch_size", 256, "Sentences per in-graph call.")


def corpus_sentences():
    """(sentences, language codes) of the sample corpus's train split."""
    sentences, codes = [], []
    files = corpus.monolingual_files(corpus.SAMPLE_CORPUS_DIR, "train")
    for code, paths in sorted(files.items()):
        if code in PRESEGMENTED_LANGUAGES:
            continue
        for path in paths:
            with open(path, encoding="utf-8") as f:
                lines = [line.strip() for line in f if line.strip()]
            sentences += lines
            codes += [code] * len(lines)
    return sentences, codes


def main(argv):
    del argv
    sentences, codes = corpus_sentences()
    directory = tempfile.mkdtemp(prefix="bench_xlm_bpe_")
    words = [word for sentence in sentences for word in sentence.lower().split()]
    write_bpe_files(directory, *learn_bpe(words, _MERGES.value))
    languages = sorted(set(codes))
    reference = transformers.XLMTokenizer(
        vocab_file=os.path.join(directory, "vocab.json"),
        merges_file=os.path.join(directory, "merges.txt"),
        do_lowercase_and_remove_accent=True,
        lang2id={code: i for i, code in enumerate(languages)},
        id2lang=dict(enumerate(languages)),
    )
    tokenizer = XLMBPETokenizer(
        vocabulary=os.path.join(directory, "vocab.json"),
        merges=os.path.join(directory, "merges.txt"),
        languages=languages,
        lowercase_and_remove_accent=True,
    )
    tokenize = tf.function(
        tokenizer.tokenize,
        input_signature=[tf.TensorSpec([None], tf.string), tf.TensorSpec([None], tf.string)],
    )
    size = _BATCH_SIZE.value
    batches = [
        (tf.constant(sentences[i : i + size]), tf.constant(codes[i : i + size]))
        for i in range(0, len(sentences), size)
    ]

    def in_graph():
        return [ids for text, code in batches for ids in tokenize(text, code).to_list()]

    def python():
        return [
            reference.convert_tokens_to_ids(reference._tokenize(sentence, lang=code))
            for sentence, code in zip(sentences, codes)
        ]

    same = collections.Counter(code for code, a, b in zip(codes, in_graph(), python()) if a == b)
    total = collections.Counter(codes)
    print(f"{len(sentences)} sentences, {_MERGES.value} merges; identical ids per language:")
    print(", ".join(f"{code} {same[code]}/{total[code]}" for code in languages))
    rates = {"in-graph": [], "transformers": []}
    for _ in range(_ROUNDS.value):
        for name, run in (("in-graph", in_graph), ("transformers", python)):
            start = time.perf_counter()
            run()
            rates[name].append(len(sentences) / (time.perf_counter() - start))
    medians = {name: statistics.median(values) for name, values in rates.items()}
    print("| tokenizer | sentences/s (median) | vs transformers |")
    print("| --- | ---: | ---: |")
    for name, rate in medians.items():
        print(f"| {name} | {rate:.0f} | {rate / medians['transformers']:.2f}x |")


if __name__ == "__main__":
    app.run(main)
