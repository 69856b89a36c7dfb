"""Language sampling with an exponent: q_i ∝ p_i^alpha (XLM, XLM-R)."""

import numpy as np
import tensorflow as tf


def language_sampling_probabilities(counts, alpha):
    """Sampling probabilities that up-weight small languages.

    Args:
        counts: dict language -> number of sentences (or tokens).
        alpha: exponent; 1 keeps the corpus proportions, 0 is uniform,
            XLM used 0.5 and XLM-R 0.3.

    Returns: dict language -> probability, summing to 1.
    """
    if not counts:
        raise ValueError("No languages to sample from: `counts` is empty.")
    if not 0 <= alpha <= 1:
        raise ValueError(f"`alpha` must be in [0, 1]; got {alpha}.")
    empty = sorted(lang for lang, n in counts.items() if n <= 0)
    if empty:
        raise ValueError(f"Languages without data: {empty}. Remove them or add text.")
    languages = sorted(counts)
    shares = np.array([counts[lang] for lang in languages], dtype=np.float64)
    weights = (shares / shares.sum()) ** alpha
    return dict(zip(languages, (weights / weights.sum()).tolist()))


def sample_languages(datasets, probabilities, seed=None):
    """Interleave per-language datasets at the given rates, forever.

    Args:
        datasets: dict language -> `tf.data.Dataset` (repeated here).
        probabilities: dict language -> probability (same keys).
        seed: int for a reproducible order.

    Returns: a `tf.data.Dataset` drawing each element from language `l`
    with probability `probabilities[l]`.
    """
    languages = sorted(datasets)
    if sorted(probabilities) != languages:
        raise ValueError(
            f"Sampling probabilities cover {sorted(probabilities)} but the "
            f"datasets are {languages}."
        )
    return tf.data.Dataset.sample_from_datasets(
        [datasets[lang].repeat() for lang in languages],
        weights=[probabilities[lang] for lang in languages],
        seed=seed,
    )
