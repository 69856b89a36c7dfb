"""Training and evaluation batches for MLM, TLM and CLM, from a corpus
directory, as functions of `tf.distribute.InputContext`.

Every batch is a dict (the trainer's contract):
    x: model inputs; labels: int32 [batch, targets];
    sample_weight: float32 [batch, targets]; language: int32 [batch].
"""

import numpy as np
import tensorflow as tf

from xlm_keras.data import corpus
from xlm_keras.data.corpus_index import CorpusIndex
from xlm_keras.data.line_datasets import DEFAULT_CACHE_DIR
from xlm_keras.data.line_datasets import pair_batches
from xlm_keras.data.line_datasets import sentence_batches
from xlm_keras.data.readers import CorpusStats
from xlm_keras.data.readers import read_text
from xlm_keras.data.readers import read_tsv_pairs
from xlm_keras.data.readers import require_usable
from xlm_keras.data.sampling import language_sampling_probabilities
from xlm_keras.data.sampling import sample_languages
from xlm_keras.data.streams import token_windows
from xlm_keras.text.masking import mask_tokens
from xlm_keras.text.masking import target_sampling_weights
from xlm_keras.text.packing import pack_text

LINES_PER_CHUNK = 128
DEFAULT_SHUFFLE_BUFFER = 10_000
# Windows turned into examples per call: a tf.data function call per element
# costs more than the example itself.
WINDOWS_PER_CHUNK = 64
AUTOTUNE = tf.data.AUTOTUNE


class PipelineSpec:
    """What every pipeline needs to know.

    Args:
        tokenizer: `XLMTokenizer` (its languages define language ids).
        sequence_length: tokens per example.
        batch_size: examples per replica per micro-batch.
        mask_rate: share of tokens that become MLM/TLM targets.
        use_language_ids: feed `language_ids` (models with language embeddings).
        token_weights: optional float32 [vocab] target-sampling weights.
        seed: data order and masking seed.
        languages: optional list of language codes whose index is a
            language's id (its `language` metric index, and its
            `language_ids` with `use_language_ids`); default the
            tokenizer's (a tokenizer that lists none: a model without
            language embeddings, XLM-R).
        shuffle_buffer: lines shuffled per language (pair) in training, in
            blocks of `LINES_PER_CHUNK`; 0 or 1 keeps the file order.
        cache_dir: where `.xz` files are decompressed, and the corpus index
            when the corpus is not writable (`corpus_index`).
    """

    def __init__(
        self,
        tokenizer,
        sequence_length,
        batch_size,
        mask_rate=0.15,
        use_language_ids=True,
        token_weights=None,
        seed=0,
        languages=None,
        shuffle_buffer=DEFAULT_SHUFFLE_BUFFER,
        cache_dir=DEFAULT_CACHE_DIR,
    ):
        self.tokenizer = tokenizer
        self.languages = list(tokenizer.languages if languages is None else languages)
        self.sequence_length = sequence_length
        self.batch_size = batch_size
        self.mask_rate = mask_rate
        self.use_language_ids = use_language_ids
        self.token_weights = token_weights
        self.seed = seed
        self.shuffle_buffer = shuffle_buffer
        self.cache_dir = cache_dir
        self._files_read = {}

    def language_index(self, code):
        return self.languages.index(code)

    def index(self, corpus_dir):
        """The `CorpusIndex` of `corpus_dir`."""
        return CorpusIndex(corpus_dir, self.cache_dir)

    def read_files(self, corpus_dir, paths, kind):
        """Record that the pipelines read `paths` ("text" or "tsv") of
        `corpus_dir`, for `corpus_stats`."""
        for path in paths:
            self._files_read[str(path)] = (corpus_dir, kind)

    def corpus_stats(self):
        """`CorpusStats` of every file the pipelines read, whole files
        (counted once per file and recorded in the corpus index)."""
        stats = CorpusStats()
        for path, (corpus_dir, kind) in sorted(self._files_read.items()):
            for reason, n in self.index(corpus_dir).counts(path, kind)["reasons"].items():
                stats.counts[path][reason] += n
        return stats


def _mix(datasets, files, alpha, spec, corpus_dir, evaluation):
    """Training: sample sources forever at q ∝ p^alpha, p in bytes of
    text (uncompressed, from the corpus index). Evaluation: each source
    once, in order."""
    if evaluation:
        names = sorted(datasets)
        mixed = datasets[names[0]]
        for name in names[1:]:
            mixed = mixed.concatenate(datasets[name])
        return mixed
    index = spec.index(corpus_dir)
    probabilities = language_sampling_probabilities(
        {name: sum(index.text_bytes(p) for p in files[name]) for name in files}, alpha
    )
    return sample_languages(datasets, probabilities, seed=spec.seed)


def _finish(spec, examples, masked, skip, evaluation=False):
    """Batch, mask (seeded by batch index), drop unused inputs, prefetch."""
    batches = examples.batch(spec.batch_size, drop_remainder=not evaluation)

    def drop_unused(batch):
        if not spec.use_language_ids:
            batch["x"].pop("language_ids", None)
        return batch

    if masked:
        masking_ids = spec.tokenizer.masking_ids()

        @tf.autograph.experimental.do_not_convert
        def mask(index, batch):
            language = batch.pop("language")
            x, labels, weights = mask_tokens(
                batch,
                **masking_ids,
                mask_rate=spec.mask_rate,
                token_weights=spec.token_weights,
                seed=tf.stack([tf.cast(spec.seed, tf.int64), index]),
            )
            return drop_unused(
                {"x": x, "labels": labels, "sample_weight": weights, "language": language}
            )

        batches = batches.enumerate().map(mask, num_parallel_calls=AUTOTUNE)
    else:
        batches = batches.map(drop_unused)
    return batches.skip(skip).prefetch(AUTOTUNE)


def _reading(spec, input_context, evaluation):
    """The keyword arguments of `sentence_batches` / `pair_batches`:
    training shuffles, evaluation reads in file order."""
    return dict(
        batch_lines=LINES_PER_CHUNK,
        input_context=input_context,
        shuffle_buffer=0 if evaluation else spec.shuffle_buffer,
        seed=spec.seed,
        cache_dir=spec.cache_dir,
    )


def _stream_examples(spec, corpus_dir, files, alpha, context, window, to_examples, evaluation):
    """Language-mixed XLM streams (windows of `window` tokens). Language
    shares p_i are measured in bytes of text.

    `to_examples(windows, language)` maps int32 [n, window] to a dict of n
    examples (leading dimension n)."""
    tokenizer = spec.tokenizer
    per_language = {}
    for code, paths in files.items():
        language = spec.language_index(code)
        spec.read_files(corpus_dir, paths, "text")
        windows = token_windows(
            sentence_batches(paths, **_reading(spec, context, evaluation)).map(
                lambda lines, code=code: tokenizer.tokenize(lines, code),
                num_parallel_calls=AUTOTUNE,
            ),
            window,
            tokenizer.end_token_id,
        )
        per_language[code] = (
            windows.batch(WINDOWS_PER_CHUNK)
            .map(lambda w, language=language: to_examples(w, language))
            .unbatch()
        )
    return _mix(per_language, files, alpha, spec, corpus_dir, evaluation)


def mlm_dataset(
    spec, corpus_dir, languages, alpha, input_context=None, skip=0, split="train", evaluation=False
):
    """MLM on monolingual XLM streams: `</s>`-separated sentences cut into
    windows of `sequence_length`, languages sampled with exponent `alpha`."""
    files = _select(corpus.monolingual_files(corpus_dir, split), languages)
    length = spec.sequence_length

    def examples(windows, language):
        count = tf.shape(windows)[0]
        return {
            "token_ids": windows,
            "padding_mask": tf.ones([count, length], tf.int32),
            "position_ids": tf.tile(tf.range(length, dtype=tf.int32)[tf.newaxis], [count, 1]),
            "language_ids": tf.fill([count, length], tf.constant(language, tf.int32)),
            "language": tf.fill([count], tf.constant(language, tf.int32)),
        }

    examples = _stream_examples(
        spec, corpus_dir, files, alpha, input_context, length, examples, evaluation
    )
    return _finish(spec, examples, masked=True, skip=skip, evaluation=evaluation)


def clm_dataset(
    spec, corpus_dir, languages, alpha, input_context=None, skip=0, split="train", evaluation=False
):
    """CLM on XLM streams: predict token t+1 from tokens <= t."""
    files = _select(corpus.monolingual_files(corpus_dir, split), languages)
    length = spec.sequence_length

    def examples(windows, language):
        count = tf.shape(windows)[0]
        return {
            "x": {
                "token_ids": windows[:, :-1],
                "padding_mask": tf.ones([count, length], tf.int32),
                "language_ids": tf.fill([count, length], tf.constant(language, tf.int32)),
            },
            "labels": windows[:, 1:],
            "sample_weight": tf.ones([count, length], tf.float32),
            "language": tf.fill([count], tf.constant(language, tf.int32)),
        }

    examples = _stream_examples(
        spec, corpus_dir, files, alpha, input_context, length + 1, examples, evaluation
    )
    return _finish(spec, examples, masked=False, skip=skip, evaluation=evaluation)


def tlm_dataset(
    spec, corpus_dir, languages, alpha, input_context=None, skip=0, split="train", evaluation=False
):
    """TLM on translation pairs: `</s> a </s></s> b </s>` with each token's
    own language id and positions restarting at the second sentence.
    Metrics are reported under the second language of the pair."""
    files = _select(corpus.parallel_files(corpus_dir, split), languages, pairs=True)
    tokenizer = spec.tokenizer
    per_pair = {}
    for (first, second), paths in files.items():
        ids = (spec.language_index(first), spec.language_index(second))

        @tf.autograph.experimental.do_not_convert
        def pack(sources, targets, ids=ids, codes=(first, second)):
            # XLM's frame in every family: TLM trains on `</s> a </s></s> b </s>`.
            packed = pack_text(
                tokenizer,
                sources,
                spec.sequence_length,
                "xlm",
                text_pair=targets,
                language_id=ids[0],
                pair_language_id=ids[1],
                reset_positions=True,
                language=codes[0],
                pair_language=codes[1],
            )
            packed["language"] = tf.fill([tf.shape(sources)[0]], ids[1])
            return packed

        spec.read_files(corpus_dir, paths, "tsv")
        per_pair[(first, second)] = (
            pair_batches(paths, **_reading(spec, input_context, evaluation))
            .map(pack, num_parallel_calls=AUTOTUNE)
            .unbatch()
        )
    examples = _mix(per_pair, files, alpha, spec, corpus_dir, evaluation)
    return _finish(spec, examples, masked=True, skip=skip, evaluation=evaluation)


def target_weights(spec, corpus_dir, languages, alpha, split="train"):
    """XLM's frequency-weighted MLM targets: float32 [vocabulary_size]
    weights `count ** -alpha` from one pass over the languages' monolingual
    `split` files (`masking.target_sampling_weights`; unseen ids get 0)."""
    tokenizer = spec.tokenizer
    counts = np.zeros(tokenizer.vocabulary_size(), np.int64)
    for code, paths in _select(corpus.monolingual_files(corpus_dir, split), languages).items():
        lines = sentence_batches(paths, **_reading(spec, None, evaluation=True))
        tokenized = lines.map(
            lambda lines, code=code: tokenizer.tokenize(lines, code), num_parallel_calls=AUTOTUNE
        )
        for ids in tokenized:
            counts += np.bincount(ids.flat_values.numpy(), minlength=len(counts))
    return target_sampling_weights(counts, alpha)


def require_usable_corpus(corpus_dir, languages, objectives, split="train"):
    """Refuse, before compute, a language (MLM, CLM) or language pair (TLM)
    whose `split` files hold no usable line (ValueError naming the files
    and their skip reasons). Reads each up to its first usable line."""
    if {"mlm", "clm"} & set(objectives):
        for code, paths in _select(corpus.monolingual_files(corpus_dir, split), languages).items():
            require_usable(
                paths,
                read_text,
                f"data.languages: {code}",
                f"fix or remove the file, or leave {code} out of data.languages",
            )
    if "tlm" in objectives:
        pairs = _select(corpus.parallel_files(corpus_dir, split), languages, pairs=True)
        for pair, paths in pairs.items():
            require_usable(
                paths,
                read_tsv_pairs,
                f"objectives.tlm: {'-'.join(pair)}",
                "fix or remove the file (TLM reads every pair file of data.languages)",
            )


def _select(files, languages, pairs=False):
    """Keep the requested languages (all when `languages` is empty)."""
    if not languages:
        return files
    wanted = set(languages)
    kept = {
        key: paths
        for key, paths in files.items()
        if (set(key) <= wanted if pairs else key in wanted)
    }
    if not kept:
        raise ValueError(
            f"None of the languages {sorted(wanted)} is in the corpus, which "
            f"has {sorted(files)}. Fix data.languages."
        )
    return kept
