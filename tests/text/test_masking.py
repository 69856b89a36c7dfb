"""mask_tokens / target_sampling_weights: target rule, 80/10/10 statistics,
frequency weighting, seeding, tf.data/tf.function, and training on the
output."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from xlm_keras import XLMMaskedLM
from xlm_keras.text.masking import mask_tokens
from xlm_keras.text.masking import target_sampling_weights
from xlm_keras.text.packing import pack_pair
from xlm_keras.text.packing import pack_single

BOS, PAD, EOS, UNK = 0, 1, 2, 3
VOCAB, MASK = 1000, 999
SPECIALS = [BOS, PAD, EOS, UNK]


def _pieces(rng, num_rows, max_pieces, min_pieces=0, low=4, high=MASK):
    lengths = rng.integers(min_pieces, max_pieces + 1, num_rows)
    values = rng.integers(low, high, lengths.sum()).astype("int32")
    return tf.RaggedTensor.from_row_lengths(values, lengths)


def _mask(packed, **kwargs):
    x, labels, weight = mask_tokens(packed, MASK, VOCAB, SPECIALS, **kwargs)
    return tf.nest.map_structure(np.asarray, (x, labels, weight))


def _candidates(packed):
    ids = np.asarray(packed["token_ids"])
    return (np.asarray(packed["padding_mask"]) == 1) & ~np.isin(ids, SPECIALS + [MASK])


def test_targets_and_corruption_statistics():
    # 4-30 pieces: no truncation, and the at-least-1 rule (tested below)
    # does not lift the rate.
    pieces = _pieces(np.random.default_rng(0), 2000, 30, min_pieces=4)
    packed = pack_single(pieces, 32, BOS, EOS, PAD)
    x, labels, weight = _mask(packed, seed=(0, 1))
    ids = np.asarray(packed["token_ids"])
    assert x["mask_positions"].shape == labels.shape == weight.shape == (2000, 5)
    assert x["mask_positions"].dtype == labels.dtype == np.int32
    assert weight.dtype == np.float32

    candidates = _candidates(packed)
    count = candidates.sum(axis=1)
    expected = np.minimum(np.maximum(np.floor(0.15 * count + 0.5), np.minimum(count, 1)), 5)
    np.testing.assert_array_equal(weight.sum(axis=1), expected)
    assert abs(weight.sum() / count.sum() - 0.15) < 0.01

    real = weight == 1
    rows, cols = np.nonzero(real)[0], x["mask_positions"][real]
    assert candidates[rows, cols].all(), "a special or padding position became a target"
    assert len(set(zip(rows, cols))) == len(rows), "a position was chosen twice"
    np.testing.assert_array_equal(labels[real], ids[rows, cols])
    assert not labels[~real].any() and not x["mask_positions"][~real].any()

    corrupted = x["token_ids"][rows, cols]
    masked = corrupted == MASK
    kept = corrupted == ids[rows, cols]
    random = ~masked & ~kept
    assert abs(masked.mean() - 0.8) < 0.02
    assert abs(random.mean() - 0.1) < 0.02
    assert abs(kept.mean() - 0.1) < 0.02
    assert not np.isin(corrupted[random], SPECIALS + [MASK]).any()
    assert corrupted[random].max() < VOCAB
    untouched = np.ones(ids.shape, bool)
    untouched[rows, cols] = False
    np.testing.assert_array_equal(x["token_ids"][untouched], ids[untouched])
    for name in ("padding_mask", "position_ids"):
        np.testing.assert_array_equal(x[name], packed[name])


def test_at_least_one_target_per_nonempty_sequence_and_cap():
    packed = pack_single(tf.ragged.constant([[5], [5, 6, 7], [], [3, 3]]), 8, BOS, EOS, PAD)
    _, _, weight = _mask(packed, seed=(0, 0))
    np.testing.assert_array_equal(weight.sum(axis=1), [1, 1, 0, 0])
    long = pack_single(tf.ragged.constant([list(range(10, 70))]), 64, BOS, EOS, PAD)
    x, _, weight = _mask(long, max_targets=2, seed=(0, 0))
    assert x["mask_positions"].shape == (1, 2) and weight.sum() == 2
    _, labels, _ = _mask({k: v[0] for k, v in long.items()}, seed=(0, 0))
    assert labels.shape == (10,)  # unbatched; ceil(0.15 * 64)


def test_frequency_weighting_prefers_rare_tokens():
    rng = np.random.default_rng(1)
    common = rng.integers(10, 13, (1000, 20))
    ids = np.where(rng.random((1000, 20)) < 0.6, common, rng.integers(100, MASK, (1000, 20)))
    ids[:, 0] = 50  # weight 0 below: never a target
    packed = pack_single(tf.RaggedTensor.from_tensor(ids.astype("int32")), 22, BOS, EOS, PAD)
    counts = np.bincount(ids.ravel(), minlength=VOCAB)

    def rates(sample_alpha):
        weights = np.array(target_sampling_weights(counts, sample_alpha))
        weights[50] = 0.0
        x, labels, weight = _mask(packed, token_weights=weights, seed=(2, 3))
        chosen = labels[weight == 1]
        assert 50 not in chosen
        rare = np.isin(chosen, np.arange(100, MASK)).sum() / (ids >= 100).sum()
        return rare, np.isin(chosen, [10, 11, 12]).sum() / (ids < 13).sum()

    rare, frequent = rates(sample_alpha=0.0)  # uniform over seen tokens
    assert abs(rare - frequent) < 0.02
    rare, frequent = rates(sample_alpha=0.5)
    assert rare > 0.2 > 0.1 > frequent


def test_target_sampling_weights():
    np.testing.assert_allclose(target_sampling_weights([0, 1, 4, 100], 0.5), [0, 1, 0.5, 0.1])
    np.testing.assert_allclose(target_sampling_weights([0, 7, 9], 0.0), [0, 1, 1])
    with pytest.raises(ValueError, match="1-D"):
        target_sampling_weights([[1, 2]], 0.5)


def test_seeds_are_deterministic_and_seed_none_is_fresh():
    packed = pack_single(_pieces(np.random.default_rng(0), 64, 30), 32, BOS, EOS, PAD)
    first, again, other = (_mask(packed, seed=s) for s in [(4, 5), (4, 5), (4, 6)])
    for a, b in zip(tf.nest.flatten(first), tf.nest.flatten(again)):
        np.testing.assert_array_equal(a, b)
    assert (first[0]["mask_positions"] != other[0]["mask_positions"]).any()
    fresh = [_mask(packed)[0]["mask_positions"] for _ in range(2)]
    assert (fresh[0] != fresh[1]).any()
    traced = tf.function(lambda p, s: mask_tokens(p, MASK, VOCAB, SPECIALS, seed=s))
    unknown_length = tf.function(
        lambda p: mask_tokens(p, MASK, VOCAB, SPECIALS, seed=(4, 5)),
        input_signature=[{k: tf.TensorSpec([None, None], tf.int32) for k in packed}],
    )
    for outputs in (traced(packed, tf.constant([4, 5])), unknown_length(packed)):
        for a, b in zip(tf.nest.flatten(first), tf.nest.flatten(outputs)):
            np.testing.assert_array_equal(a, b)


def test_in_tf_data_with_per_element_seeds():
    pieces = _pieces(np.random.default_rng(3), 12, 20)
    packed = tf.data.Dataset.from_tensor_slices(pieces).map(
        lambda p: pack_single(p, 24, BOS, EOS, PAD)
    )
    seeded = (
        packed.enumerate()
        .map(lambda i, p: mask_tokens(p, MASK, VOCAB, SPECIALS, seed=tf.stack([i, 7])))
        .batch(12)
    )
    runs = [tf.nest.map_structure(np.asarray, next(iter(seeded))) for _ in range(2)]
    element = {k: v[5] for k, v in pack_single(pieces, 24, BOS, EOS, PAD).items()}
    eager = _mask(element, seed=(5, 7))
    for a, b, c in zip(*(tf.nest.flatten(r) for r in runs), tf.nest.flatten(eager)):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a[5], c)
    fresh = packed.batch(12).map(lambda p: mask_tokens(p, MASK, VOCAB, SPECIALS))
    x, labels, _ = next(iter(fresh))
    assert x["mask_positions"].shape == labels.shape == (12, 4)


def test_errors_name_the_bad_value():
    packed = pack_single(tf.ragged.constant([[5, 6]]), 6, BOS, EOS, PAD)
    with pytest.raises(ValueError, match="mask_rate=0"):
        mask_tokens(packed, MASK, VOCAB, SPECIALS, mask_rate=0)
    with pytest.raises(ValueError, match="mask_id=1000"):
        mask_tokens(packed, 1000, VOCAB, SPECIALS)
    with pytest.raises(ValueError, match="seed"):
        mask_tokens(packed, MASK, VOCAB, SPECIALS, seed=(1, 2, 3))
    with pytest.raises(ValueError, match="replace_with_random=0.5"):
        mask_tokens(packed, MASK, VOCAB, SPECIALS, replace_with_random=0.5)


@pytest.mark.slow
@pytest.mark.parametrize("preset", ["xlm_roberta_tiny", "xlm_tiny"])
def test_masked_lm_trains_on_masked_tlm_pairs(preset):
    model = XLMMaskedLM.from_preset(preset)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    rng = np.random.default_rng(4)
    packed = pack_pair(
        _pieces(rng, 16, 12),
        _pieces(rng, 16, 12),
        24,
        EOS,
        EOS,
        PAD,
        first_language_id=1,
        second_language_id=2,
        reset_positions=True,
    )
    x, labels, weight = mask_tokens(packed, MASK, VOCAB, SPECIALS, seed=(0, 0))
    if not model.backbone.has_language_embedding:
        del x["language_ids"]
    history = model.fit(
        x, labels, sample_weight=weight, epochs=1, batch_size=8, shuffle=False, verbose=0
    )
    assert np.isfinite(history.history["loss"][0])
