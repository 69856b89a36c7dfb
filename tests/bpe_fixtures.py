"""XLM BPE files learned on the sample corpus, in transformers' and
fastBPE's formats, and transformers' `XLMTokenizer` built from them."""

import collections
import json
import os

import transformers

from xlm_keras.data.corpus import SAMPLE_CORPUS_DIR
from xlm_keras.models.xlm_bpe_tokenizer import SPECIAL_TOKENS

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


def _merge(word, pair):
    merged, i = [], 0
    while i < len(word):
        if i < len(word) - 1 and (word[i], word[i + 1]) == pair:
            merged.append(word[i] + word[i + 1])
            i += 2
        else:
            merged.append(word[i])
            i += 1
    return tuple(merged)


def learn_bpe(words, num_merges=NUM_MERGES):
    """fastBPE's learning on whitespace words: the most frequent adjacent
    pair merges first (ties broken by the pair). Returns (codes: list of
    (first, second, count), vocabulary: list of (fastBPE word, count) in
    count order: `hel@@` continues, `lo` ends a word)."""
    spelled = collections.Counter(tuple(w[:-1]) + (w[-1] + "</w>",) for w in words)
    words, counts = list(spelled), list(spelled.values())
    pairs, holders = collections.Counter(), collections.defaultdict(set)

    def count(i, sign):
        for pair in zip(words[i], words[i][1:]):
            pairs[pair] += sign * counts[i]
            holders[pair].add(i)

    for i in range(len(words)):
        count(i, 1)
    codes = []
    for _ in range(num_merges):
        best = max(pairs, key=lambda pair: (pairs[pair], pair), default=None)
        if best is None or pairs[best] <= 0:
            break
        codes.append((*best, pairs[best]))
        for i in sorted(holders.pop(best)):
            count(i, -1)
            words[i] = _merge(words[i], best)
            count(i, 1)
        del pairs[best]
    spelled = dict(zip(words, counts))
    pieces = collections.Counter()
    for word, count in spelled.items():
        for piece in word:
            pieces[piece[:-4] if piece.endswith("</w>") else piece + "@@"] += count
    return codes, sorted(pieces.items(), key=lambda item: (-item[1], item[0]))


def write_bpe_files(directory, lines):
    """Learn BPE on `lines` (dict language -> lines) and write both formats
    into `directory`: `codes` + `vocab` (fastBPE) and `vocab.json` +
    `merges.txt` (transformers). Returns the directory."""
    words = [word for texts in lines.values() for text in texts for word in text.split()]
    codes, vocab = learn_bpe(words)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "codes"), "w", encoding="utf-8") as f:
        f.writelines(f"{a} {b} {count}\n" for a, b, count in codes)
    with open(os.path.join(directory, "vocab"), "w", encoding="utf-8") as f:
        f.writelines(f"{word} {count}\n" for word, count in vocab)
    with open(os.path.join(directory, "merges.txt"), "w", encoding="utf-8") as f:
        f.writelines(f"{a} {b} {count}\n" for a, b, count in codes)
    vocabulary = {token: i for i, token in enumerate(SPECIAL_TOKENS)}
    for word, _ in vocab:
        vocabulary[word[:-2] if word.endswith("@@") else word + "</w>"] = len(vocabulary)
    with open(os.path.join(directory, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocabulary, f, ensure_ascii=False)
    return directory


def hf_tokenizer(directory, languages, lowercase=False):
    """transformers' `XLMTokenizer` of the files `write_bpe_files` wrote."""
    return transformers.XLMTokenizer(
        vocab_file=os.path.join(directory, "vocab.json"),
        merges_file=os.path.join(directory, "merges.txt"),
        do_lowercase_and_remove_accent=lowercase,
        lang2id={code: i for i, code in enumerate(languages)},
        id2lang=dict(enumerate(languages)),
    )
