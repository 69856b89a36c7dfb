"""`map_length_slices` against a NumPy reference: every row's output in
request order, each slice padded only to its own longest row and within
the token budget."""

import numpy as np
import pytest
import tensorflow as tf

from xlm_keras.inference.length_slices import map_length_slices

LENGTHS = [3, 2, 7, 2, 5, 1, 7, 4]
T = 8


def _inputs(lengths):
    mask = (np.arange(T)[None] < np.array(lengths, int)[:, None]).astype("int32")
    token_ids = np.arange(len(lengths) * T, dtype="int32").reshape(-1, T) * mask
    return {"token_ids": tf.constant(token_ids), "padding_mask": tf.constant(mask)}


def _row_sums_and_widths(inputs):
    """[b, 2]: each row's id sum and the slice's padded length."""
    sums = tf.reduce_sum(inputs["token_ids"], axis=1)
    widths = tf.fill(tf.shape(sums), tf.shape(inputs["token_ids"])[1])
    return tf.cast(tf.stack([sums, widths], axis=1), tf.float32)


def _greedy_widths(lengths, budget):
    """Each row's slice width: rows in length order, a slice grows while
    its rows times its longest fit the budget (at least one row)."""
    order = np.argsort(lengths, kind="stable")
    widths, start = np.zeros(len(lengths), int), 0
    while start < len(order):
        end = start + 1
        while end < len(order) and (end + 1 - start) * lengths[order[end]] <= budget:
            end += 1
        widths[order[start:end]] = lengths[order[end - 1]]
        start = end
    return widths


@pytest.mark.parametrize("budget", [1, 8, 14, 1000])
def test_rows_come_back_in_order_from_slices_within_budget(budget):
    inputs = _inputs(LENGTHS)
    run = tf.function(
        lambda x: map_length_slices(_row_sums_and_widths, x, tokens_per_slice=budget),
        autograph=False,
    )
    output = run(inputs).numpy()
    np.testing.assert_array_equal(output[:, 0], inputs["token_ids"].numpy().sum(1))
    np.testing.assert_array_equal(output[:, 1], _greedy_widths(LENGTHS, budget))


def test_per_token_outputs_are_padded_back_to_the_request_length():
    inputs = _inputs(LENGTHS)
    run = tf.function(
        lambda x: map_length_slices(
            lambda s: tf.cast(s["token_ids"], tf.float32)[..., None],
            x,
            per_token=True,
            tokens_per_slice=8,
        ),
        autograph=False,
    )
    output = run(inputs)
    assert output.shape == (len(LENGTHS), T, 1)
    np.testing.assert_array_equal(output.numpy()[..., 0], inputs["token_ids"].numpy())


def test_an_empty_request_gives_empty_outputs():
    inputs = {name: value[:0] for name, value in _inputs(LENGTHS).items()}
    rows = tf.function(lambda x: map_length_slices(_row_sums_and_widths, x), autograph=False)
    tokens = tf.function(
        lambda x: map_length_slices(
            lambda s: tf.cast(s["token_ids"], tf.float32)[..., None], x, per_token=True
        ),
        autograph=False,
    )
    assert rows(inputs).shape == (0, 2)
    assert tokens(inputs).shape == (0, T, 1)
