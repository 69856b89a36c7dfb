"""How often `moses_words` gives transformers' XLMTokenizer words, per language of a corpus.

  python tools/moses_agreement.py --corpus_dir=~/.cache/xlm_keras/corpus
  python tools/moses_agreement.py --corpus_dir=xlm_keras/data/sample_corpus --lowercase --show=5

Reads `mono/<language>.<split>.txt`, runs transformers' XLM pre-tokenisation (the reference:
`moses_pipeline`, Romanian preprocessing, `moses_tokenize`, then `lowercase_and_remove_accent`
with --lowercase; zh/ja/th split on whitespace, as `bypass_tokenizer=True`) and
`xlm_keras.text.moses.moses_words` (a tf.function over batches of 256) on every line, prints
a markdown row per language (sentences, % with exactly the same words) and then up to
--show differing sentences per language.
"""

import argparse
import json
import os
import tempfile
from pathlib import Path

import tensorflow as tf

from xlm_keras.text.moses import PRESEGMENTED_LANGUAGES
from xlm_keras.text.moses import moses_words

BATCH_SIZE = 256


def reference_tokenizer(directory):
    """transformers' XLMTokenizer over a one-word vocabulary written to `directory`: its
    pre-tokenisation does not read the vocabulary."""
    from transformers import XLMTokenizer

    vocabulary = {"<s>": 0, "</s>": 1, "<pad>": 2, "<unk>": 3, "a</w>": 4}
    Path(directory, "vocab.json").write_text(json.dumps(vocabulary))
    Path(directory, "merges.txt").write_text("#version: 0.2\n")
    return XLMTokenizer(
        vocab_file=os.path.join(directory, "vocab.json"),
        merges_file=os.path.join(directory, "merges.txt"),
    )


def transformers_words(tokenizer, text, language, *, lowercase):
    """The words `tokenizer._tokenize(text, language)` hands to BPE (list of str)."""
    from transformers.models.xlm import tokenization_xlm

    if language in PRESEGMENTED_LANGUAGES:
        return text.split()
    text = tokenizer.moses_pipeline(text, language)
    if language == "ro":
        text = tokenization_xlm.romanian_preprocessing(text)
    words = tokenizer.moses_tokenize(text, language)
    if lowercase:
        words = [word for word in tokenization_xlm.lowercase_and_remove_accent(words) if word]
    return words


def compare(lines, language, *, tokenizer, lowercase):
    """The lines whose words differ: [(text, reference words, moses_words words)]."""
    words = tf.function(
        lambda texts: moses_words(texts, language, lowercase_and_remove_accent=lowercase),
        input_signature=[tf.TensorSpec([None], tf.string)],
    )
    expected = [transformers_words(tokenizer, t, language, lowercase=lowercase) for t in lines]
    got = []
    for first in range(0, len(lines), BATCH_SIZE):
        batch = words(tf.constant(lines[first : first + BATCH_SIZE])).to_list()
        got += [[word.decode("utf-8") for word in row] for row in batch]
    return [(t, e, g) for t, e, g in zip(lines, expected, got) if e != g]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus_dir", required=True)
    parser.add_argument("--split", default="train")
    parser.add_argument("--lowercase", action="store_true")
    parser.add_argument("--limit", type=int, default=None, help="lines per language")
    parser.add_argument("--show", type=int, default=3, help="differing sentences per language")
    args = parser.parse_args()
    tokenizer = reference_tokenizer(tempfile.mkdtemp())
    print("| language | sentences | same words |")
    print("|---|---:|---:|")
    shown = []
    mono = Path(os.path.expanduser(args.corpus_dir), "mono")
    for path in sorted(mono.glob(f"*.{args.split}.txt")):
        language = path.name.split(".")[0]
        lines = path.read_text(encoding="utf-8").splitlines()[: args.limit]
        differing = compare(lines, language, tokenizer=tokenizer, lowercase=args.lowercase)
        same = 100 * (1 - len(differing) / len(lines))
        print(f"| {language} | {len(lines)} | {same:.2f} % |", flush=True)
        shown += [(language, *example) for example in differing[: args.show]]
    for language, text, expected, got in shown:
        print(f"\n{language}: {text!r}\n  transformers: {expected}\n  moses_words:  {got}")


if __name__ == "__main__":
    main()
