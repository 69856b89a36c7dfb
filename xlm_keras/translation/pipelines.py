"""Translation batches from the parallel files of a corpus directory, as
functions of `tf.distribute.InputContext`.

Every direction `source-target` reads `parallel/<source>-<target>.<split>.tsv`
or, swapped, `parallel/<target>-<source>.<split>.tsv`, so one file trains
both directions. The first `hold_out` pairs of each train file are kept for
validation and never trained on.

The unsupervised objectives read monolingual text: with
`data.monolingual="halves"` a language's sentences are its side of the
even-numbered pairs (past the held-out ones) of a `<l1>-<l2>` file when it
is `l1`, of the odd-numbered ones when it is `l2`, so no sentence read has
its translation read too; with `"mono"` they are `mono/<lang>.train.txt`.

A training batch is a dict (the trainer's contract):
    x: `XLMSeq2SeqLMPreprocessor` outputs (encoder_* [batch, source_length],
        decoder_* [batch, target_length]; language ids when the model takes
        them, source language on the encoder side, target on the decoder);
    labels: int32 [batch, target_length], the next target ids;
    sample_weight: float32 [batch, target_length], 1 on real targets;
    language: int32 [batch], the row's index in `TranslationSpec.metric_names`
        (its direction; its language for `ae`);
    translate_to: int32 [batch], `bt` only: the language id that the
        training step translates the (target-language) text into first.
"""

import tensorflow as tf

from xlm_keras.data import corpus
from xlm_keras.data.length_buckets import batch_by_length
from xlm_keras.data.length_buckets import bucket_width
from xlm_keras.data.length_buckets import bucket_widths
from xlm_keras.data.readers import CorpusStats
from xlm_keras.data.readers import read_text
from xlm_keras.data.readers import read_tsv_pairs
from xlm_keras.data.readers import require_usable
from xlm_keras.data.sampling import sample_languages
from xlm_keras.data.streams import GENERATOR_CHUNK
from xlm_keras.data.streams import chunks
from xlm_keras.data.streams import replayed
from xlm_keras.data.streams import shard_of
from xlm_keras.data.streams import text_dataset
from xlm_keras.models.xlm_seq2seq_lm_preprocessor import SEQ2SEQ_KEYS

AUTOTUNE = tf.data.AUTOTUNE
SHUFFLE_BUFFER = 10_000


def direction_name(direction):
    """("en", "fr") -> "en-fr" (metric and report names)."""
    return "-".join(direction)


class TranslationSpec:
    """What the translation pipelines need to know.

    Args:
        preprocessor: `XLMSeq2SeqLMPreprocessor` configured for the model.
        directions: list of (source, target) language codes; a row's
            `language` is the index of its direction here.
        batch_size: pairs per replica per micro-batch.
        hold_out: first pairs of each train file kept for validation.
        seed: data order (and noise) seed.
        monolingual: "halves" or "mono", where `ae`/`bt` text comes from.
        noise: `XLMSeq2SeqLMPreprocessor.denoising` keyword arguments.
        bucket_by_length: `mt` batches group pairs of similar length
            (`data.length_buckets`); a batch of width `w` then holds
            `batch_size * max length // w` pairs, trimmed to `w` columns.
    """

    def __init__(
        self,
        preprocessor,
        directions,
        batch_size,
        hold_out=0,
        seed=0,
        monolingual="halves",
        noise=None,
        bucket_by_length=False,
    ):
        self.preprocessor = preprocessor
        self.directions = [tuple(d) for d in directions]
        self.batch_size = batch_size
        self.hold_out = hold_out
        self.seed = seed
        self.monolingual = monolingual
        self.noise = noise or {}
        self.bucket_by_length = bucket_by_length
        self.stats = CorpusStats()

    @property
    def direction_names(self):
        return [direction_name(d) for d in self.directions]

    @property
    def languages(self):
        return sorted({code for direction in self.directions for code in direction})

    @property
    def metric_names(self):
        """Per-row metric names: the directions, then the languages (`ae`)."""
        return self.direction_names + self.languages

    def partners(self, language):
        """The languages paired with `language` in the directions."""
        return partners(self.directions, language)


def partners(directions, language):
    """The languages paired with `language` in `directions`."""
    return sorted(
        {b for a, b in directions if a == language} | {a for a, b in directions if b == language}
    )


def direction_files(corpus_dir, split, direction):
    """(paths, swapped) of the files holding `direction` in `split`;
    `swapped` when they are `<target>-<source>` files. Raises ValueError
    naming the pairs the corpus has when there is none."""
    files = corpus.parallel_files(corpus_dir, split)
    source, target = direction
    if (source, target) in files:
        return files[(source, target)], False
    if (target, source) in files:
        return files[(target, source)], True
    raise ValueError(
        f"translation.directions: {direction_name(direction)} has no "
        f"parallel/{source}-{target}.{split}.tsv (nor {target}-{source}) in {corpus_dir}, "
        f"which has {sorted(direction_name(p) for p in files)}."
    )


def read_direction(corpus_dir, split, direction, stats, skip=0, limit=None, shard=None):
    """Yield the (source, target) pairs of `direction` in `split`: pairs
    `skip ..` (counted over the whole files), at most `limit`, pair numbers
    `n % count == index` for `shard=(index, count)`."""
    paths, swapped = direction_files(corpus_dir, split, direction)
    number = 0
    for path in paths:
        for pair in read_tsv_pairs(path, stats):
            if limit is not None and number >= skip + limit:
                return
            if number >= skip and (shard is None or (number - skip) % shard[1] == shard[0]):
                yield pair[::-1] if swapped else pair
            number += 1


def evaluation_pairs(corpus_dir, split, direction, hold_out=0):
    """(sources, targets) lists of `direction`: the whole `split`, or the
    first `hold_out` pairs of it when `hold_out` (the validation pairs)."""
    pairs = list(
        read_direction(corpus_dir, split, direction, CorpusStats(), limit=hold_out or None)
    )
    if not pairs:
        raise ValueError(
            f"No {direction_name(direction)} pairs in the {split} files of {corpus_dir}."
        )
    sources, targets = zip(*pairs)
    return list(sources), list(targets)


def require_training_data(corpus_dir, directions, hold_out, monolingual, objectives):
    """Refuse, before compute, a direction or language that the objectives
    would read no training text from (ValueError naming the files and,
    when no line is usable, the skip reasons): `mt` needs pairs past the
    `hold_out` validation pairs, `ae` every language's monolingual text,
    `bt` every target language's. Reads each source up to its first usable
    item (a direction's usable pairs, at most `hold_out`, when validation
    holds them all out).

    Args:
        directions: list of (source, target) codes.
        hold_out: validation pairs at the start of each train file.
        monolingual: "halves" or "mono" (see `TranslationSpec`).
        objectives: names of the objectives that train.
    """
    for direction in directions if "mt" in objectives else ():
        paths, _ = direction_files(corpus_dir, "train", direction)
        require_usable(
            paths, read_tsv_pairs, f"translation.directions: {direction_name(direction)}"
        )
        stats = CorpusStats()
        if next(read_direction(corpus_dir, "train", direction, stats, skip=hold_out), None):
            continue
        raise ValueError(
            f"translation.validation_pairs={hold_out} holds out every pair of "
            f"{direction_name(direction)}: {', '.join(paths)} hold {stats.kept()} usable "
            f"pairs; set it below {stats.kept()} so that pairs are left to train on"
        )
    languages = (
        {code for direction in directions for code in direction} if "ae" in objectives else set()
    )
    languages |= {target for _, target in directions} if "bt" in objectives else set()
    for language in sorted(languages):
        what = f"data.monolingual={monolingual!r}: {language}"
        if monolingual == "mono":
            require_usable(_mono_files(corpus_dir, "train", language), read_text, what)
            continue
        sentences = monolingual_sentences(
            corpus_dir, "train", language, partners(directions, language), CorpusStats(), hold_out
        )
        if next(sentences, None) is None:
            raise ValueError(
                f"{what} has no sentence: its half of the train pairs past the {hold_out} "
                "held out (translation.validation_pairs) is empty; add pairs, lower "
                "translation.validation_pairs, or use data.monolingual='mono'"
            )


def mt_dataset(spec, corpus_dir, input_context=None, skip=0, split="train"):
    """Training batches of every direction, forever: each direction's pairs
    (past the held-out ones) shuffled and repeated, directions drawn with
    equal probability (grouped by length with `spec.bucket_by_length`),
    `skip` batches into the stream."""
    shard = shard_of(input_context)
    per_direction = {}
    for index, direction in enumerate(spec.directions):
        source, target = direction

        def generate(direction=direction):
            for chunk in chunks(
                read_direction(
                    corpus_dir, split, direction, spec.stats, skip=spec.hold_out, shard=shard
                )
            ):
                yield tuple(zip(*chunk))

        strings = tf.TensorSpec((None,), tf.string)
        # Read once, then shuffle and repeat from memory.
        pairs = tf.data.Dataset.from_generator(
            replayed(generate), output_signature=(strings, strings)
        ).unbatch()
        per_direction[index] = pairs.shuffle(SHUFFLE_BUFFER, seed=spec.seed + index).map(
            lambda s, t, index=index, source=source, target=target: {
                "source": s,
                "target": t,
                "source_language": source,
                "target_language": target,
                "language": tf.constant(index, tf.int32),
            }
        )
    if spec.bucket_by_length:
        batches = _length_bucketed_batches(_equal_mix(per_direction, spec), spec)
    else:
        batches = _equal_mix_batches(per_direction, spec).map(
            _pack_pairs(spec.preprocessor), num_parallel_calls=AUTOTUNE
        )
    return batches.skip(skip).prefetch(AUTOTUNE)


def _equal_mix(datasets, spec):
    """Examples drawn from `datasets` (a dict of example datasets) with
    equal probability, forever."""
    return sample_languages(datasets, {key: 1 / len(datasets) for key in datasets}, seed=spec.seed)


def _equal_mix_batches(datasets, spec):
    """Batches of `spec.batch_size` from `_equal_mix`."""
    return _equal_mix(datasets, spec).batch(spec.batch_size, drop_remainder=True)


def _length_bucketed_batches(examples, spec):
    """Packed training batches of pairs of similar length: about
    `batch_size * max length` tokens a side per batch, each batch trimmed
    to its bucket's width (one batch shape per width)."""
    preprocessor = spec.preprocessor
    lengths = (preprocessor.encoder_sequence_length, preprocessor.decoder_sequence_length)
    widths = bucket_widths(max(lengths))
    packed = (
        examples.batch(GENERATOR_CHUNK)
        .map(_pack_pairs(preprocessor), num_parallel_calls=AUTOTUNE)
        .unbatch()
    )

    def length(example):
        return tf.reduce_max(_real_lengths(example["x"]))

    def trim(batch):
        width = bucket_width(tf.reduce_max(_real_lengths(batch["x"])), widths)
        source_width, target_width = (tf.minimum(width, limit) for limit in lengths)
        x = {
            name: value[:, : source_width if name.startswith("encoder_") else target_width]
            for name, value in batch["x"].items()
        }
        cut = {key: batch[key][:, :target_width] for key in ("labels", "sample_weight")}
        return {**batch, "x": x, **cut}

    batches = batch_by_length(packed, length, widths, spec.batch_size * max(lengths))
    return batches.map(trim, num_parallel_calls=AUTOTUNE)


def _real_lengths(x):
    """int32 [2] or [batch, 2]: real (unpadded) tokens of source and target."""
    masks = (x["encoder_padding_mask"], x["decoder_padding_mask"])
    return tf.stack([tf.reduce_sum(tf.cast(mask, tf.int32), axis=-1) for mask in masks], axis=-1)


def _pack_pairs(preprocessor):
    """A batch of `{source, target, source_language, target_language, ...}`
    -> a training batch; the other keys (`language`, `translate_to`) pass
    through."""

    @tf.autograph.experimental.do_not_convert
    def pack(batch):
        extra = {key: batch.pop(key) for key in list(batch) if key not in SEQ2SEQ_KEYS}
        x, labels, weights = preprocessor(batch)
        return {"x": x, "labels": labels, "sample_weight": weights, **extra}

    return pack


def monolingual_sentences(corpus_dir, split, language, partners, stats, hold_out=0):
    """Yield `language`'s half of the parallel `split` files it shares with
    `partners`: its side of the even-numbered pairs past the first
    `hold_out` of `<language>-<partner>` files, of the odd-numbered ones of
    `<partner>-<language>` files."""
    for partner in partners:
        _, swapped = direction_files(corpus_dir, split, (language, partner))
        pairs = read_direction(corpus_dir, split, (language, partner), stats, skip=hold_out)
        for number, (text, _) in enumerate(pairs):
            if number % 2 == int(swapped):
                yield text


def monolingual_dataset(spec, corpus_dir, language, shard, split="train"):
    """tf.string sentences of `language` (see `monolingual_sentences`, or
    `mono/<language>.<split>.txt` when `spec.monolingual == "mono"`), read
    once, then shuffled from memory (`sample_languages` repeats it)."""
    if spec.monolingual == "mono":
        files = _mono_files(corpus_dir, split, language)
        text = text_dataset(files, spec.stats, shard, read_once=True)
    else:

        def generate():
            sentences = monolingual_sentences(
                corpus_dir, split, language, spec.partners(language), spec.stats, spec.hold_out
            )
            kept = (
                text
                for number, text in enumerate(sentences)
                if shard is None or number % shard[1] == shard[0]
            )
            for chunk in chunks(kept):
                yield list(chunk)

        text = tf.data.Dataset.from_generator(
            replayed(generate), output_signature=tf.TensorSpec((None,), tf.string)
        ).unbatch()
    seed = spec.seed + 1000 + spec.languages.index(language)
    return text.shuffle(SHUFFLE_BUFFER, seed=seed)


def ae_dataset(spec, corpus_dir, input_context=None, skip=0):
    """Denoising auto-encoding batches (XLM's `ae` steps), forever: each
    language's monolingual sentences (languages drawn with equal
    probability) as targets, their noised copies as sources
    (`XLMSeq2SeqLMPreprocessor.denoising`; batch `n` of pipeline `i` is
    noised with the seed `[data seed + i, n]`)."""
    shard = shard_of(input_context)
    offset = len(spec.directions)
    per_language = {
        language: monolingual_dataset(spec, corpus_dir, language, shard).map(
            lambda text, language=language: {
                "text": text,
                "code": language,
                "language": tf.constant(offset + spec.languages.index(language), tf.int32),
            }
        )
        for language in spec.languages
    }
    pipeline = shard[0] if shard else 0
    preprocessor = spec.preprocessor

    @tf.autograph.experimental.do_not_convert
    def pack(number, batch):
        seed = tf.stack([tf.constant(spec.seed + pipeline, tf.int32), tf.cast(number, tf.int32)])
        x, labels, weights = preprocessor.denoising(
            batch["text"], batch["code"], seed, **spec.noise
        )
        return {"x": x, "labels": labels, "sample_weight": weights, "language": batch["language"]}

    return (
        _equal_mix_batches(per_language, spec)
        .enumerate()
        .skip(skip)
        .map(pack, num_parallel_calls=AUTOTUNE)
        .prefetch(AUTOTUNE)
    )


def bt_dataset(spec, corpus_dir, input_context=None, skip=0):
    """Back-translation batches (XLM's `bt` steps), forever: for direction
    `s-t` (drawn with equal probability) a monolingual `t` sentence on both
    sides, and `translate_to` = the id of `s`; the training step replaces
    the source side by the model's `t -> s` translation
    (`back_translation.back_translation_transform`), so `s-t` learns from
    a synthetic source."""
    shard = shard_of(input_context)
    tokenizer = spec.preprocessor.tokenizer
    per_direction = {}
    for index, (source, target) in enumerate(spec.directions):
        per_direction[index] = monolingual_dataset(spec, corpus_dir, target, shard).map(
            lambda text, index=index, source=source, target=target: {
                "source": text,
                "target": text,
                "source_language": target,
                "target_language": target,
                "language": tf.constant(index, tf.int32),
                "translate_to": tf.constant(tokenizer.language_id(source), tf.int32),
            }
        )
    return (
        _equal_mix_batches(per_direction, spec)
        .skip(skip)
        .map(_pack_pairs(spec.preprocessor), num_parallel_calls=AUTOTUNE)
        .prefetch(AUTOTUNE)
    )


def _mono_files(corpus_dir, split, language):
    """`mono/<language>.<split>.txt` files; ValueError when there is none."""
    files = corpus.monolingual_files(corpus_dir, split)
    if language not in files:
        raise ValueError(
            f"data.monolingual='mono': no mono/{language}.{split}.txt in {corpus_dir} "
            f"(it has {sorted(files)}); add that file, or use data.monolingual='halves' "
            "to read the parallel files' halves"
        )
    return files[language]
