"""Batching by length: each example in the narrowest bucket that holds it,
`tokens_per_batch // width` examples per batch, every example kept."""

import collections

import tensorflow as tf

from xlm_keras.data.length_buckets import batch_by_length
from xlm_keras.data.length_buckets import bucket_width
from xlm_keras.data.length_buckets import bucket_widths


def test_widths_end_at_the_maximum_length():
    assert bucket_widths(40) == [16, 24, 32, 40]
    assert bucket_widths(16) == [16]
    assert bucket_widths(128)[-1] == 128 and bucket_widths(128)[-2] == 96


def test_bucket_width_is_the_narrowest_that_holds_the_length():
    widths = [16, 24, 32, 40]
    got = [int(bucket_width(tf.constant(n), widths)) for n in (1, 16, 17, 24, 25, 40)]
    assert got == [16, 16, 24, 24, 32, 40]


def test_batches_hold_one_bucket_and_its_share_of_tokens():
    lengths = [n % 40 + 1 for n in range(400)]
    examples = tf.data.Dataset.from_tensor_slices(tf.constant(lengths, tf.int32))
    widths = bucket_widths(40)
    seen = collections.Counter()
    for batch in batch_by_length(examples, lambda n: n, widths, tokens_per_batch=96):
        values = batch.numpy().tolist()
        width = int(bucket_width(tf.reduce_max(batch), widths))
        assert len(values) == 96 // width
        smaller = [w for w in widths if w < width]
        assert all((smaller[-1] if smaller else 0) < n <= width for n in values)
        seen.update(values)
    # Only each bucket's last, incomplete batch is dropped.
    for width in widths:
        per_batch = 96 // width
        in_bucket = [
            n for n in lengths if n <= width and not any(n <= w for w in widths if w < width)
        ]
        kept = sum(seen[n] for n in set(in_bucket))
        assert len(in_bucket) - per_batch < kept <= len(in_bucket)
