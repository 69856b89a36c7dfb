"""Train a multilingual SentencePiece model with XLM's native id layout."""

import io
import itertools
import os
import re

import numpy as np
import sentencepiece as spm
from absl import logging

from xlm_keras.data.readers import DEFAULT_MAX_LINE_CHARS
from xlm_keras.data.readers import CorpusStats
from xlm_keras.data.readers import raw_lines
from xlm_keras.data.sampling import language_sampling_probabilities

MODEL_TYPES = ("unigram", "bpe")
# The native layout's model ids 0-3 (as SentencePiece bos/pad/eos/unk) and
# its one user-defined piece.
SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>")
MASK_TOKEN = "<mask>"
# A training run's tokenizer sample (`run_sample_size`): sentences per
# vocabulary piece, and at most. SentencePiece's time and memory grow with
# the sample (docs/pretraining.md, "Corpora at scale").
SENTENCES_PER_PIECE = 64
MAX_RUN_SENTENCES = 1_000_000
# What `readers.read_text` refuses in a line: C0 controls but tab, and DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def train_sentencepiece(
    corpora,
    vocabulary_size,
    languages=None,
    model_type="unigram",
    character_coverage=0.9995,
    byte_fallback=False,
    sample_alpha=0.3,
    max_sentences=1_000_000,
    seed=0,
):
    """Train a SentencePiece model on a language-balanced sample.

    The sample draws language i at q_i ∝ p_i^sample_alpha (p_i: its share of
    the lines), see `sample_sentences`. The model has the native layout
    `<s>`=0, `<pad>`=1, `</s>`=2, `<unk>`=3, `<mask>`=4.

    Args:
        corpora: dict language code -> list of text files (one sentence per
            line, `.gz` and `.xz` allowed).
        vocabulary_size: int. Pieces in the model, specials included.
        languages: language codes in language-id order, the keys of
            `corpora`; default sorted.
        model_type: `"unigram"` or `"bpe"`.
        character_coverage: float in [0.98, 1]. Share of characters covered
            by pieces; the rarest become `<unk>` (or bytes with
            `byte_fallback`).
        byte_fallback: bool. Spell unknown characters as UTF-8 byte pieces.
        sample_alpha: float in [0, 1]. 1 keeps corpus proportions, 0 is
            uniform; XLM-R used 0.3.
        max_sentences: int. Most sentences in the training sample.
        seed: int. Seed of the sample and of SentencePiece.

    Returns: (the serialized SentencePiece model: bytes, the language codes
    in id order: list of str).
    """
    languages = _check_arguments(
        corpora, vocabulary_size, languages, model_type, character_coverage, max_sentences
    )
    sample = sample_sentences(corpora, sample_alpha, max_sentences, seed)
    logging.debug(
        "Tokenizer sample (sentences per language): %s",
        {code: len(lines) for code, lines in sample.items()},
    )
    model = io.BytesIO()
    spm.set_random_generator_seed(seed)
    try:
        _train(sample, model, vocabulary_size, model_type, character_coverage, byte_fallback)
    except RuntimeError as error:
        raise _vocabulary_size_error(error, vocabulary_size, character_coverage) from None
    return model.getvalue(), languages


def _vocabulary_size_error(error, vocabulary_size, character_coverage):
    """SentencePiece's refusal of `vocabulary_size` for this corpus as a
    one-line ValueError naming the settings; any other error as it is."""
    settings = "(data.vocabulary_size in a training config, --vocabulary_size for xlm-tokenizer)"
    most = re.search(
        r"Vocabulary size too high \(\d+\)\. Please set it to a value <= (\d+)", str(error)
    )
    if most:
        return ValueError(
            f"vocabulary_size={vocabulary_size} is more pieces than SentencePiece can learn "
            f"from this corpus, at most {most[1]}: set it to {most[1]} or less {settings}, "
            "or give the tokenizer more text"
        )
    least = re.search(r"Vocabulary size is smaller than required_chars\. \d+ vs (\d+)", str(error))
    if least:
        return ValueError(
            f"vocabulary_size={vocabulary_size} is fewer pieces than the {least[1]} characters "
            f"and special pieces that character_coverage={character_coverage} keeps: set it "
            f"to {least[1]} or more {settings}, or lower --character_coverage (xlm-tokenizer)"
        )
    return error


def _train(sample, model, vocabulary_size, model_type, character_coverage, byte_fallback):
    spm.SentencePieceTrainer.train(
        sentence_iterator=itertools.chain.from_iterable(sample.values()),
        model_writer=model,
        vocab_size=vocabulary_size,
        model_type=model_type,
        character_coverage=character_coverage,
        byte_fallback=byte_fallback,
        bos_id=0,
        pad_id=1,
        eos_id=2,
        unk_id=3,
        user_defined_symbols=[MASK_TOKEN],
        num_threads=os.cpu_count() or 1,
        minloglevel=1,
    )


def run_sample_size(vocabulary_size):
    """Sentences in the tokenizer sample of a training run that trains its
    own tokenizer of `vocabulary_size` pieces: `SENTENCES_PER_PIECE` per
    piece, at most `MAX_RUN_SENTENCES`."""
    return min(MAX_RUN_SENTENCES, SENTENCES_PER_PIECE * vocabulary_size)


def sample_sentences(corpora, sample_alpha=0.3, max_sentences=1_000_000, seed=0):
    """A language-balanced, reproducible sample of corpus sentences, read in
    one pass.

    Each language's files are read once, in order: its lines are counted
    while a uniform random sample of up to `max_sentences` of them is kept (a
    reservoir, Li's algorithm L, seeded per language), so memory is at most
    `max_sentences` lines per language whatever the corpus size, and only the
    lines that enter the reservoir are decoded and checked (a malformed one is
    left out; the count includes it). Then, with q_i ∝ p_i^sample_alpha
    (p_i: its share of the lines), language i gets `round(q_i * size)` (at
    least one) of `size = min(max_sentences, lines in corpora)`: a random
    subset of its reservoir, or, when the language has fewer lines, every
    line repeated as evenly as possible.

    Args:
        corpora: dict language code -> list of text files (`.gz`, `.xz` allowed).
        sample_alpha: float in [0, 1]. The sampling exponent.
        max_sentences: int. Most sentences in the sample.
        seed: int.

    Returns: dict language code -> list of sentences (str).
    """
    reservoirs, counts = {}, {}
    for index, code in enumerate(sorted(corpora)):
        rng = np.random.default_rng([seed, index])
        reservoirs[code], counts[code] = _reservoir(corpora[code], max_sentences, rng)
    empty = sorted(code for code, lines in reservoirs.items() if not lines)
    if empty:
        raise ValueError(
            f"No usable lines for {empty} in {[corpora[code] for code in empty]}; give "
            "every language some text (the log lists skipped lines by reason)."
        )
    probabilities = language_sampling_probabilities(counts, sample_alpha)
    size = min(max_sentences, sum(counts.values()))
    rng = np.random.default_rng(seed)
    sample = {}
    for code in sorted(corpora):
        lines = reservoirs[code]
        wanted = max(1, round(probabilities[code] * size))
        if wanted < len(lines):
            sample[code] = [lines[i] for i in np.sort(rng.choice(len(lines), wanted, False))]
        else:
            repeats = _line_repeats(len(lines), wanted, rng)
            sample[code] = [line for line, n in zip(lines, repeats) for _ in range(n)]
    return sample


def _reservoir(paths, capacity, rng):
    """(up to `capacity` sentences drawn uniformly from the lines of `paths`:
    list of str, the number of lines read: int). Algorithm L draws how many
    lines to pass over, so a line passed over costs no Python step."""
    counter = itertools.count()
    # `counter` after the lines: zip draws a number only for a line.
    lines = zip(_raw_lines(paths), counter)
    reservoir = []
    for raw, _ in lines:
        _keep(reservoir, raw, len(reservoir))
        if len(reservoir) == capacity:
            break
    else:
        return reservoir, next(counter)
    weight = np.exp(np.log(1 - rng.random()) / capacity)
    while True:
        passed = int(np.log(1 - rng.random()) // np.log1p(-weight))
        line = next(itertools.islice(lines, passed, None), None)
        if line is None:
            return reservoir, next(counter)
        _keep(reservoir, line[0], int(rng.integers(capacity)))
        weight *= np.exp(np.log(1 - rng.random()) / capacity)


def _keep(reservoir, raw, slot):
    """Put the sentence of the line `raw` (bytes) into `reservoir[slot]`
    (appended at its end); a line `readers.read_text` would skip is left out."""
    try:
        text = raw.rstrip(b"\r\n").decode("utf-8")
    except UnicodeDecodeError:
        return
    if len(text) > DEFAULT_MAX_LINE_CHARS or _CONTROL.search(text) or not text.strip():
        return
    if slot == len(reservoir):
        reservoir.append(text.strip())
    else:
        reservoir[slot] = text.strip()


def _line_repeats(num_lines, num_samples, rng):
    """int [num_lines]: times each line is used, summing to `num_samples`."""
    repeats, extra = divmod(num_samples, num_lines)
    counts = np.full(num_lines, repeats)
    counts[rng.choice(num_lines, extra, replace=False)] += 1
    return counts


def _raw_lines(paths):
    stats = CorpusStats()
    return itertools.chain.from_iterable(raw_lines(path, stats) for path in paths)


def _check_arguments(
    corpora, vocabulary_size, languages, model_type, character_coverage, max_sentences
):
    """Fail before any reading; return the language list."""
    if not corpora or not isinstance(corpora, dict):
        raise ValueError(
            "corpora must be a non-empty dict language code -> list of text "
            f"files, e.g. {{'en': ['en.txt']}}; got {corpora!r}."
        )
    for code, paths in corpora.items():
        if isinstance(paths, str) or not paths:
            raise ValueError(
                f"corpora[{code!r}] must be a non-empty list of text files; got {paths!r}."
            )
    missing = [path for paths in corpora.values() for path in paths if not os.path.isfile(path)]
    if missing:
        raise FileNotFoundError(f"Corpus files not found: {missing}.")
    languages = sorted(corpora) if languages is None else list(languages)
    if sorted(languages) != sorted(corpora):
        raise ValueError(
            f"languages {languages} must list the languages of corpora, "
            f"{sorted(corpora)}, once each."
        )
    if not isinstance(vocabulary_size, int) or vocabulary_size <= 5:
        raise ValueError(
            f"vocabulary_size must be an int above the 5 special pieces; got {vocabulary_size!r}."
        )
    if model_type not in MODEL_TYPES:
        raise ValueError(f"model_type must be one of {MODEL_TYPES}; got {model_type!r}.")
    if not 0.98 <= character_coverage <= 1:
        raise ValueError(
            "character_coverage must be in [0.98, 1], SentencePiece's range; got "
            f"{character_coverage}."
        )
    if not isinstance(max_sentences, int) or max_sentences < 1:
        raise ValueError(f"max_sentences must be a positive int; got {max_sentences!r}.")
    return languages
