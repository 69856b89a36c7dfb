"""XLM's BPE files (transformers' and the original release's) to an
`XLMBPETokenizer`.

transformers keeps `vocab.json` (pieces with `</w>` word ends, XLM's
special tokens first) and `merges.txt`; facebookresearch/XLM keeps fastBPE's
`codes` ("first second count" lines: the same merges) and `vocab` ("piece
count" lines, continuation pieces ending in `@@`, the dictionary's specials
not listed), whose ids are those of XLM's `Dictionary`. `learn_bpe` and
`write_bpe_files` make small ones of both kinds.
"""

import collections
import json
import os

from xlm_keras.models.xlm_bpe_tokenizer import MERGES_FILE
from xlm_keras.models.xlm_bpe_tokenizer import SPECIAL_TOKENS
from xlm_keras.models.xlm_bpe_tokenizer import VOCAB_FILE
from xlm_keras.models.xlm_bpe_tokenizer import XLMBPETokenizer
from xlm_keras.text.bpe import WORD_END

HF_TOKENIZER_CONFIG = "tokenizer_config.json"
# transformers' `XLMTokenizer` default when tokenizer_config.json says nothing.
HF_DEFAULT_LOWERCASE = True
# The original checkpoints trained on cased text: XLM-17 and XLM-100
# (transformers' `do_lowercase_and_remove_accent=False` for them); all the
# others (en, en-de, en-fr, en-ro, XNLI-15, TLM XNLI-15) lower-cased.
CASED_LANGUAGE_COUNTS = (17, 100)


def fastbpe_piece(word):
    """A fastBPE dictionary word in transformers' spelling: `hel@@` ->
    `hel`, a word end `lo` -> `lo</w>`; XLM's special tokens unchanged."""
    if word in SPECIAL_TOKENS:
        return word
    return word[:-2] if word.endswith("@@") else word + WORD_END


def fastbpe_vocabulary(path):
    """dict piece -> id of a fastBPE `vocab` file ("piece count" lines), with
    XLM's `Dictionary` ids: the 14 special tokens, then the file's pieces."""
    vocabulary = {token: i for i, token in enumerate(SPECIAL_TOKENS)}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            parts = line.rstrip("\n").split(" ")
            if len(parts) != 2 or not parts[1].isdigit():
                raise ValueError(
                    f"{path}:{number} is {line.rstrip()!r}; a fastBPE vocab has "
                    "'piece count' lines."
                )
            vocabulary.setdefault(fastbpe_piece(parts[0]), len(vocabulary))
    return vocabulary


def dictionary_vocabulary(word2id):
    """An XLM checkpoint's `dico_word2id` in transformers' spelling."""
    return {fastbpe_piece(word): i for word, i in word2id.items()}


def hf_lowercase(directory):
    """`do_lowercase_and_remove_accent` of a Hugging Face XLM directory's
    tokenizer_config.json (transformers' default when absent)."""
    path = os.path.join(directory, HF_TOKENIZER_CONFIG)
    if not os.path.isfile(path):
        return HF_DEFAULT_LOWERCASE
    with open(path, encoding="utf-8") as f:
        return bool(json.load(f).get("do_lowercase_and_remove_accent", HF_DEFAULT_LOWERCASE))


def bpe_tokenizer(checkpoint):
    """The `XLMBPETokenizer` of a checkpoint whose assets hold `vocab.json`
    and `merges.txt`, with its languages and `bpe_lowercase`; refused when
    its ids are not the model's embedding rows."""
    tokenizer = XLMBPETokenizer(
        vocabulary=checkpoint.assets[VOCAB_FILE],
        merges=checkpoint.assets[MERGES_FILE],
        languages=checkpoint.languages,
        lowercase_and_remove_accent=checkpoint.bpe_lowercase,
    )
    rows = checkpoint.backbone_config["vocabulary_size"]
    if tokenizer.vocabulary_size() != rows:
        raise ValueError(
            f"{checkpoint.source}: {VOCAB_FILE} has {tokenizer.vocabulary_size()} pieces but "
            f"the model has {rows} embeddings; the BPE files do not belong to this checkpoint."
        )
    return tokenizer


def _merge_pair(word, pair):
    merged, i = [], 0
    while i < len(word):
        if i < len(word) - 1 and (word[i], word[i + 1]) == pair:
            merged.append(word[i] + word[i + 1])
            i += 2
        else:
            merged.append(word[i])
            i += 1
    return tuple(merged)


def learn_bpe(words, num_merges):
    """fastBPE's learning on `words` (pure Python, for tests and
    benchmarks; fastBPE itself for real corpora): the most frequent adjacent
    pair merges first (ties broken by the pair), `num_merges` times.

    Returns: (codes: list of (first, second, count), vocabulary: list of
    (fastBPE word, count) in count order: `hel@@` continues, `lo` ends a
    word)."""
    spelled = collections.Counter(tuple(w[:-1]) + (w[-1] + WORD_END,) for w in words)
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
            words[i] = _merge_pair(words[i], best)
            count(i, 1)
        del pairs[best]
    spelled = dict(zip(words, counts))
    pieces = collections.Counter()
    for word, frequency in spelled.items():
        for piece in word:
            pieces[piece[:-4] if piece.endswith(WORD_END) else piece + "@@"] += frequency
    return codes, sorted(pieces.items(), key=lambda item: (-item[1], item[0]))


def write_bpe_files(directory, codes, vocab):
    """Write `learn_bpe`'s codes and vocabulary into `directory` in both
    formats: `codes` + `vocab` (fastBPE) and `vocab.json` + `merges.txt`
    (transformers). Returns the directory."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "codes"), "w", encoding="utf-8") as f:
        f.writelines(f"{a} {b} {count}\n" for a, b, count in codes)
    with open(os.path.join(directory, "vocab"), "w", encoding="utf-8") as f:
        f.writelines(f"{word} {count}\n" for word, count in vocab)
    with open(os.path.join(directory, "merges.txt"), "w", encoding="utf-8") as f:
        f.writelines(f"{a} {b} {count}\n" for a, b, count in codes)
    vocabulary = {token: i for i, token in enumerate(SPECIAL_TOKENS)}
    for word, _ in vocab:
        vocabulary[fastbpe_piece(word)] = len(vocabulary)
    with open(os.path.join(directory, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocabulary, f, ensure_ascii=False)
    return directory
