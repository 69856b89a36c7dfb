"""Run a per-row model on a request's rows in length order, in slices that
pad only to their own longest row, and put the outputs back in request order.

A batch padded to its longest row spends most of the encoder's work on
`<pad>` when lengths vary (32 corpus sentences of median 21 tokens pad to 69
on average). Rows whose outputs do not depend on the other rows (attention
is masked to the row's own real tokens) give the same outputs, to float
round-off, in any slice; only the padded work changes. Core TensorFlow ops
only: the slices run in a `tf.while_loop`.
"""

import tensorflow as tf

# Padded tokens (rows x the slice's longest row) a slice may hold; a row
# longer than this runs alone. Measured on 2 CPU cores, 6 x 512 XLM-R layout,
# batch 32 of the `bench_serving --compare_hf` sentences, sentences/s of
# `ServingModule.embed` in one process (12 batches, 2 rounds):
# 64: 68, 128: 76-78, 256: 74-76, 512: 73, 1024: 56, 2048: 40, one slice: 32.
# Slices run in parallel (`tf.while_loop`'s default 10 iterations; with 1,
# 512 drops to 56).
TOKENS_PER_SLICE = 256


def slice_end(sorted_lengths, start, tokens_per_slice):
    """int32 scalar: the end (exclusive) of the slice that starts at row
    `start` of `sorted_lengths` (int32 [B], ascending): the most rows whose
    count times the last one's length fits `tokens_per_slice`, at least one."""
    rows = tf.range(tf.size(sorted_lengths))
    # (j - start + 1) * length[j] grows with j >= start: the rows that fit
    # are a prefix of [start, B).
    fits = (rows >= start) & ((rows - start + 1) * sorted_lengths <= tokens_per_slice)
    return start + tf.maximum(tf.reduce_sum(tf.cast(fits, tf.int32)), 1)


def map_length_slices(fn, inputs, per_token=False, tokens_per_slice=TOKENS_PER_SLICE):
    """`fn` over the rows of `inputs`, sorted by length and sliced.

    Args:
        fn: dict of int32 [b, t] model inputs -> float32 [b, ...] (one
            output per row) or, with `per_token`, float32 [b, t, ...]; the
            rows must not influence each other.
        inputs: dict of int32 [B, T] model inputs with `padding_mask`; each
            row's real tokens come first.
        per_token: whether `fn`'s output has a token axis; it comes back
            padded with zeros to T.
        tokens_per_slice: int. Padded tokens per slice (see `slice_end`).

    Returns: float32 [B, ...] (or [B, T, ...]) in the order of `inputs`.
    """
    lengths = tf.reduce_sum(inputs["padding_mask"], axis=1)
    order = tf.argsort(lengths, stable=True)
    sorted_lengths = tf.gather(lengths, order)
    sorted_inputs = {name: tf.gather(value, order) for name, value in inputs.items()}
    full_length = tf.shape(inputs["padding_mask"])[1]
    traced_shape = []  # fn's static output shape, learnt while tracing the body.

    def body(start, outputs):
        end = slice_end(sorted_lengths, start, tokens_per_slice)
        length = sorted_lengths[end - 1]
        output = fn({name: value[start:end, :length] for name, value in sorted_inputs.items()})
        traced_shape[:] = [output.shape[1:]]
        if per_token:
            pad = [[0, 0], [0, full_length - length]] + [[0, 0]] * (output.shape.rank - 2)
            output = tf.pad(output, pad)
        return end, outputs.write(outputs.size(), output)

    outputs = tf.TensorArray(tf.float32, size=0, dynamic_size=True, infer_shape=False)
    _, outputs = tf.while_loop(
        lambda start, _: start < tf.size(lengths), body, [tf.constant(0), outputs]
    )
    # fn's shape past the row (and token) axis; fully known.
    trailing = (traced_shape[0][1:] if per_token else traced_shape[0]).as_list()
    token_axis = [full_length] if per_token else []
    # No rows: no slice ran, and an empty TensorArray has no element shape
    # to concatenate.
    sorted_outputs = tf.cond(
        tf.size(lengths) > 0, outputs.concat, lambda: tf.zeros([0] + token_axis + trailing)
    )
    sorted_outputs.set_shape([None] + [None] * per_token + trailing)
    return tf.gather(sorted_outputs, tf.math.invert_permutation(order))
