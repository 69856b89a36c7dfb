"""Batches of examples of similar length (fairseq's and tensor2tensor's
"batch by tokens"): an example joins the narrowest bucket width that holds
it, and a batch of width `w` holds `tokens_per_batch // w` examples, so
short sentences stop paying for the padding of long ones. Each width is
one batch shape: an XLA-compiled step compiles once per width."""

import tensorflow as tf

# Bucket widths: steps of about 1.4x, so padding inside a bucket stays under ~30 %.
WIDTHS = (16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)


def bucket_widths(max_length):
    """The widths below `max_length`, then `max_length` itself (ascending)."""
    return [width for width in WIDTHS if width < max_length] + [max_length]


def bucket_width(length, widths):
    """int32 scalar: the narrowest of `widths` (ascending) that is >= `length`
    (int32 scalar, at most the last width)."""
    widths = tf.constant(widths, tf.int32)
    return tf.gather(widths, tf.searchsorted(widths, tf.reshape(length, [1]))[0])


def batch_by_length(examples, length_fn, widths, tokens_per_batch):
    """Batches of `examples` grouped by bucket width, forever if `examples` is.

    Args:
        examples: a dataset of fixed-shape (e.g. padded) examples.
        length_fn: example -> int32 scalar, its length (at most `widths[-1]`).
        widths: ascending bucket widths (`bucket_widths`).
        tokens_per_batch: a batch of width `w` has `tokens_per_batch // w`
            examples (at least one); incomplete batches are dropped.
    """
    return examples.bucket_by_sequence_length(
        length_fn,
        bucket_boundaries=[width + 1 for width in widths[:-1]],
        bucket_batch_sizes=[max(tokens_per_batch // width, 1) for width in widths],
        drop_remainder=True,
    )
