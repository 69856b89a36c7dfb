"""tf.data building blocks: text sources read by Python generators and
sharded per worker by line (translation), and XLM's fixed-length token
streams for MLM/CLM. The pretraining path reads files TF-natively
(`line_datasets`)."""

import tensorflow as tf

from xlm_keras.data import readers

# Items per Python -> TensorFlow hand-over in the generators below; one call
# per line made `from_generator` the slowest stage of every pipeline (~15x).
GENERATOR_CHUNK = 256


def shard_of(input_context):
    """`(index, count)` of this input pipeline, or None for a single one.

    Args:
        input_context: `tf.distribute.InputContext` or None.
    """
    if input_context is None or input_context.num_input_pipelines == 1:
        return None
    return input_context.input_pipeline_id, input_context.num_input_pipelines


def text_dataset(
    paths, stats, shard=None, max_line_chars=readers.DEFAULT_MAX_LINE_CHARS, read_once=False
):
    """Validated sentences of text files as a dataset of tf.string scalars.

    Args:
        paths: list of text files (one sentence per line, `.gz` allowed).
        stats: `readers.CorpusStats`, updated while the dataset is iterated.
        shard: `(index, count)` line shard (see `shard_of`).
        read_once: later passes (`repeat`) replay the first from memory
            instead of reading the files again (`replayed`).
    """
    paths = [str(p) for p in paths]

    def generate():
        return chunks(
            line for path in paths for line in readers.read_text(path, stats, shard, max_line_chars)
        )

    return tf.data.Dataset.from_generator(
        replayed(generate) if read_once else generate,
        output_signature=tf.TensorSpec((None,), tf.string),
    ).unbatch()


def replayed(generate):
    """`generate` (a function returning an iterator) reading its source once:
    the items of its first complete pass are kept, and each later call
    yields them again; a pass left early keeps nothing. (`Dataset.cache()`
    does the same but warns, at the end of a run that stopped inside the
    first pass, that it discards what it kept.)"""
    kept = []

    def replay():
        if kept:
            yield from kept[0]
            return
        items = []
        for item in generate():
            items.append(item)
            yield item
        kept.append(items)

    return replay


def chunks(items):
    """Lists of `GENERATOR_CHUNK` consecutive items (the last may be
    shorter). Items read before an error are delivered before it, as they
    would be one by one."""
    chunk = []
    try:
        for item in items:
            chunk.append(item)
            if len(chunk) == GENERATOR_CHUNK:
                yield chunk
                chunk = []
    except Exception:
        if chunk:
            yield chunk
        raise
    if chunk:
        yield chunk


def token_windows(token_ids, window, separator_id):
    """XLM's bptt stream: sentences joined by `separator_id`, cut into windows.

    Every sentence is followed by the separator (`</s>` in XLM), the result
    is one long stream, and the stream is cut into consecutive windows of
    `window` tokens; the tail shorter than a window waits for the next
    sentences (and is dropped at the very end of a finite dataset).

    Args:
        token_ids: dataset of ragged int [lines, None] piece ids, a batch of
            sentences per element (tokenise batches: it is much faster).
        window: tokens per output element.
        separator_id: id appended after every sentence.

    Returns: dataset of int32 [window].
    """

    def join(ragged):
        separators = tf.fill([ragged.nrows(), 1], tf.constant(separator_id, tf.int32))
        return tf.concat([tf.cast(ragged, tf.int32), separators], axis=1).flat_values

    def cut(carry, tokens):
        stream = tf.concat([carry, tokens], axis=0)
        full = tf.shape(stream)[0] // window * window
        return stream[full:], tf.reshape(stream[:full], [-1, window])

    return token_ids.map(join).scan(tf.zeros([0], tf.int32), cut).unbatch()
