"""XLM BPE files learned on the sample corpus, in transformers' and
fastBPE's formats (`convert.bpe_files`), and transformers' `XLMTokenizer` built from them."""

import os

import transformers

from xlm_keras.convert.bpe_files import learn_bpe
from xlm_keras.convert.bpe_files import write_bpe_files
from xlm_keras.data.corpus import SAMPLE_CORPUS_DIR

LINES_PER_LANGUAGE = 25
NUM_MERGES = 250


def sample_lines(split="train", limit=LINES_PER_LANGUAGE):
    """dict language -> the first `limit` lines of the sample corpus."""
    mono = os.path.join(SAMPLE_CORPUS_DIR, "mono")
    lines = {}
    for name in sorted(os.listdir(mono)):
        language, file_split, _ = name.split(".")
        if file_split == split:
            with open(os.path.join(mono, name), encoding="utf-8") as f:
                lines[language] = [line.strip() for line in f if line.strip()][:limit]
    return lines


def sample_bpe_files(directory):
    """BPE files learned on `sample_lines()` (`NUM_MERGES` merges), in both
    formats (`write_bpe_files`)."""
    words = [word for texts in sample_lines().values() for text in texts for word in text.split()]
    return write_bpe_files(directory, *learn_bpe(words, NUM_MERGES))


def hf_tokenizer(directory, languages, lowercase=False):
    """transformers' `XLMTokenizer` of the files `write_bpe_files` wrote."""
    return transformers.XLMTokenizer(
        vocab_file=os.path.join(directory, "vocab.json"),
        merges_file=os.path.join(directory, "merges.txt"),
        do_lowercase_and_remove_accent=lowercase,
        lang2id={code: i for i, code in enumerate(languages)},
        id2lang=dict(enumerate(languages)),
    )
