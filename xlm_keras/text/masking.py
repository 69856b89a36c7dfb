"""MLM/TLM target selection and corruption with stateless TensorFlow ops.

keras-hub's `MaskedLMMaskGenerator` and tensorflow-text's
`mask_language_model` draw with stateful, unseeded ops and cannot weight
targets by token frequency, so this module does both itself.
"""

import math

import tensorflow as tf

# Smallest positive normal float32: keeps Gumbel noise -log(-log(u)) finite.
_TINY = 1.1754944e-38


def target_sampling_weights(counts, sample_alpha):
    """XLM's target weights `count ** -sample_alpha` (rare tokens first).

    Args:
        counts: int or float [vocabulary_size], occurrences of each id.
        sample_alpha: float. 0 weighs all seen tokens alike; XLM uses 0-1.

    Returns: float32 [vocabulary_size]; 0 where the count is 0 (as in XLM,
    where unseen ids are the specials), and such ids are never targets.
    """
    counts = tf.cast(tf.convert_to_tensor(counts), tf.float32)
    if counts.shape.rank != 1:
        raise ValueError(
            f"`counts` must be 1-D, one count per token id. Received: shape={counts.shape}"
        )
    return tf.where(counts > 0, tf.pow(tf.maximum(counts, 1.0), -sample_alpha), 0.0)


def mask_tokens(
    inputs,
    mask_id,
    vocabulary_size,
    special_ids,
    mask_rate=0.15,
    max_targets=None,
    replace_with_mask=0.8,
    replace_with_random=0.1,
    token_weights=None,
    seed=None,
):
    """Choose MLM targets in packed inputs and corrupt them (BERT/XLM recipe).

    Candidates are real tokens (`padding_mask` 1) that are not in
    `special_ids` (nor `mask_id`) and, with `token_weights`, have weight > 0.
    Each sequence gets `round(mask_rate * candidates)` targets (halves round
    up), at least 1 when it has a candidate, at most `max_targets`. Targets
    are drawn without replacement, uniformly or with probability
    proportional to `token_weights[id]` (Gumbel top-k). Of the targets,
    `replace_with_mask` become `mask_id`, `replace_with_random` a uniform
    non-special id in `[0, vocabulary_size)`, the rest stay unchanged.

    Args:
        inputs: dict from `pack_single`/`pack_pair`: int [batch, seq]
            `token_ids` and `padding_mask`, other entries passed through.
            Unbatched [seq] inputs give unbatched outputs.
        mask_id: int. The tokenizer's `<mask>` id.
        vocabulary_size: int. Random replacements are drawn below it.
        special_ids: ints never chosen as targets nor as random replacements.
        mask_rate: float in (0, 1]. Share of candidates chosen as targets.
        max_targets: int. Width of the target outputs; default
            `max(1, ceil(mask_rate * seq))`, the most the rule can choose.
        replace_with_mask, replace_with_random: floats, shares of targets.
        token_weights: optional float [vocabulary_size], e.g. from
            `target_sampling_weights` (XLM's `sample_alpha`).
        seed: None for fresh randomness on every call (a seed drawn with
            the stateful `tf.random.uniform`, so `tf.random.set_seed` makes
            a run repeatable), or int [2] (tuple or tensor): the same seed
            on the same inputs gives the same output in every call and run.
            Per element in `tf.data`: `ds.enumerate().map(lambda i, x:
            mask_tokens(x, ..., seed=tf.stack([i, epoch])))`.

    Returns: `(x, labels, sample_weight)` for `XLMMaskedLM.fit`:
        x: `inputs` with corrupted `token_ids` and `mask_positions` int32
            [batch, max_targets] (ascending, padded with 0).
        labels: int32 [batch, max_targets], original ids (0 on padding).
        sample_weight: float32 [batch, max_targets], 1 on real targets.

    Example:
    >>> packed = pack_single(tf.ragged.constant([[5, 6, 7, 8]]), 8, 0, 2, 1)
    >>> x, labels, weight = mask_tokens(packed, mask_id=999,
    ...     vocabulary_size=1000, special_ids=[0, 1, 2, 3], seed=(1, 2))
    >>> x["mask_positions"].shape, labels.shape, weight.shape
    (TensorShape([1, 2]), TensorShape([1, 2]), TensorShape([1, 2]))
    """
    _check_shares(mask_rate, max_targets, replace_with_mask, replace_with_random)
    specials = _special_ids(mask_id, vocabulary_size, special_ids)
    inputs = {name: tf.convert_to_tensor(value) for name, value in inputs.items()}
    unbatched = inputs["token_ids"].shape.rank == 1
    if unbatched:
        inputs = {name: value[tf.newaxis] for name, value in inputs.items()}
    token_ids = tf.cast(inputs["token_ids"], tf.int32)
    if max_targets is None:
        max_targets = _default_max_targets(mask_rate, token_ids)
    select_seed, action_seed, random_seed = tf.unstack(
        tf.random.experimental.stateless_split(_seed_pair(seed), 3)
    )

    positions, is_target = _choose_targets(
        token_ids,
        inputs["padding_mask"],
        specials,
        mask_rate,
        max_targets,
        token_weights,
        select_seed,
    )
    labels = tf.gather(token_ids, positions, batch_dims=1) * tf.cast(is_target, tf.int32)

    # Corruption: mask / random id / unchanged.
    target_shape = tf.shape(positions)
    action = tf.random.stateless_uniform(target_shape, action_seed)
    random_ids = _random_non_special(target_shape, random_seed, vocabulary_size, specials)
    corrupted = tf.where(
        action < replace_with_mask,
        mask_id,
        tf.where(action < replace_with_mask + replace_with_random, random_ids, labels),
    )
    rows = tf.broadcast_to(tf.range(target_shape[0])[:, tf.newaxis], target_shape)
    indices = tf.boolean_mask(tf.stack([rows, positions], axis=-1), is_target)
    token_ids = tf.tensor_scatter_nd_update(
        token_ids, indices, tf.boolean_mask(corrupted, is_target)
    )

    x = {**inputs, "token_ids": token_ids, "mask_positions": positions}
    outputs = (x, labels, tf.cast(is_target, tf.float32))
    if unbatched:
        outputs = tf.nest.map_structure(lambda value: value[0], outputs)
    return outputs


def _choose_targets(token_ids, padding_mask, specials, mask_rate, max_targets, token_weights, seed):
    """Gumbel top-k over candidates.

    Returns: positions int32 [batch, max_targets] (ascending, 0 where not a
    target) and is_target bool [batch, max_targets] (a prefix of each row).
    """
    is_special = tf.reduce_any(token_ids[..., tf.newaxis] == specials, axis=-1)
    candidate = (tf.cast(padding_mask, tf.int32) > 0) & ~is_special
    uniform = tf.random.stateless_uniform(tf.shape(token_ids), seed, minval=_TINY)
    keys = -tf.math.log(-tf.math.log(uniform))
    if token_weights is not None:
        weights = tf.gather(tf.cast(token_weights, tf.float32), token_ids)
        candidate &= weights > 0
        keys += tf.math.log(tf.where(candidate, weights, 1.0))
    keys = tf.where(candidate, keys, -math.inf)

    num_candidates = tf.reduce_sum(tf.cast(candidate, tf.int32), axis=1)
    num_targets = tf.floor(mask_rate * tf.cast(num_candidates, tf.float32) + 0.5)
    num_targets = tf.maximum(tf.cast(num_targets, tf.int32), tf.minimum(num_candidates, 1))
    num_targets = tf.minimum(num_targets, max_targets)

    # Candidates have finite keys, so the top `num_targets` are candidates;
    # -inf columns let `max_targets` exceed `seq`.
    length = tf.shape(token_ids)[1]
    keys = tf.pad(
        keys, [[0, 0], [0, tf.maximum(max_targets - length, 0)]], constant_values=-math.inf
    )
    chosen = tf.math.top_k(keys, k=max_targets).indices
    is_target = tf.range(max_targets)[tf.newaxis] < num_targets[:, tf.newaxis]
    positions = tf.sort(tf.where(is_target, chosen, length), axis=1)
    return tf.where(is_target, positions, 0), is_target


def _check_shares(mask_rate, max_targets, replace_with_mask, replace_with_random):
    """Raises ValueError unless the target share, count and replacement
    shares are valid."""
    if not 0.0 < mask_rate <= 1.0:
        raise ValueError(f"`mask_rate` must be in (0, 1]. Received: mask_rate={mask_rate!r}")
    if max_targets is not None and (not isinstance(max_targets, int) or max_targets < 1):
        raise ValueError(
            "`max_targets` must be a positive int or None (default "
            f"ceil(mask_rate * seq)). Received: max_targets={max_targets!r}"
        )
    if min(replace_with_mask, replace_with_random) < 0 or (
        replace_with_mask + replace_with_random > 1
    ):
        raise ValueError(
            "`replace_with_mask` and `replace_with_random` are shares of the "
            "targets: each >= 0, summing to at most 1. Received: "
            f"replace_with_mask={replace_with_mask!r}, "
            f"replace_with_random={replace_with_random!r}"
        )


def _special_ids(mask_id, vocabulary_size, special_ids):
    """Validated special ids (mask id included) as a sorted int32 tensor."""
    specials = sorted({int(i) for i in special_ids} | {int(mask_id)})
    if specials[0] < 0 or specials[-1] >= vocabulary_size:
        raise ValueError(
            f"Special ids {specials} (with mask_id={mask_id}) must lie in "
            f"[0, vocabulary_size={vocabulary_size}). Check the tokenizer's "
            "ids and `vocabulary_size`."
        )
    if vocabulary_size <= len(specials):
        raise ValueError(
            f"`vocabulary_size={vocabulary_size}` leaves no non-special id for "
            f"random replacements (special ids: {specials}). Pass the model's "
            "vocabulary size."
        )
    return tf.constant(specials, tf.int32)


def _default_max_targets(mask_rate, token_ids):
    """`max(1, ceil(mask_rate * seq))`: an int when `seq` is static."""
    if token_ids.shape[1] is not None:
        # round() drops float noise such as 0.15 * 20 = 3.0000000000000004.
        return max(1, math.ceil(round(mask_rate * token_ids.shape[1], 6)))
    targets = tf.math.ceil(mask_rate * tf.cast(tf.shape(token_ids)[1], tf.float32))
    return tf.maximum(1, tf.cast(targets, tf.int32))


def _seed_pair(seed):
    """int64 [2] seed for stateless ops; a fresh random one for None."""
    if seed is None:
        return tf.random.uniform([2], maxval=tf.int64.max, dtype=tf.int64)
    seed = tf.convert_to_tensor(seed)
    if not seed.dtype.is_integer or not seed.shape.is_compatible_with([2]):
        raise ValueError(
            "`seed` must be None or two ints, e.g. (epoch, index) or a [2] "
            f"int tensor. Received: seed={seed!r}"
        )
    return tf.cast(seed, tf.int64)


def _random_non_special(shape, seed, vocabulary_size, specials):
    """Uniform ids from `[0, vocabulary_size)` minus `specials` (sorted)."""
    num_specials = specials.shape[0]
    ids = tf.random.stateless_uniform(
        shape, seed, maxval=vocabulary_size - num_specials, dtype=tf.int32
    )
    # Skipping each special in ascending order maps the r-th draw to the
    # r-th non-special id.
    for i in range(num_specials):
        ids += tf.cast(ids >= specials[i], tf.int32)
    return ids
