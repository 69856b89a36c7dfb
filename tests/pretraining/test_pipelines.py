"""MLM / TLM / CLM batches from the bundled corpus: layout and determinism."""

import numpy as np

from tests.conftest import LANGUAGES
from xlm_keras.data import corpus
from xlm_keras.models import XLMTokenizer
from xlm_keras.pretraining import pipelines


def _spec(tokenizer_dir, **kw):
    return pipelines.PipelineSpec(XLMTokenizer.from_preset(tokenizer_dir), 32, 4, **kw)


def _first(dataset):
    return next(iter(dataset))


def test_tlm_batch_layout(tokenizer_dir):
    spec = _spec(tokenizer_dir)
    batch = _first(pipelines.tlm_dataset(spec, corpus.SAMPLE_CORPUS_DIR, LANGUAGES, 0.5))
    x = {k: v.numpy() for k, v in batch["x"].items()}
    tok = spec.tokenizer
    for row in range(4):
        real = x["padding_mask"][row].astype(bool)
        ids, positions, languages = (
            x[k][row][real] for k in ("token_ids", "position_ids", "language_ids")
        )
        # </s> a </s> </s> b </s>: the second sentence restarts positions at 0.
        restart = np.flatnonzero(positions == 0)
        assert len(restart) == 2 and restart[0] == 0
        second = restart[1]
        assert languages[0] == tok.language_id("en")
        assert languages[second] == batch["language"].numpy()[row] != languages[0]
        assert set(languages[:second]) == {languages[0]}
        assert x["mask_positions"][row].max() < real.sum()
    assert batch["labels"].shape == batch["sample_weight"].shape == x["mask_positions"].shape


def test_mlm_stream_batch_and_language_sampling(tokenizer_dir):
    spec = _spec(tokenizer_dir)
    dataset = pipelines.mlm_dataset(spec, corpus.SAMPLE_CORPUS_DIR, LANGUAGES, 0.5)
    batch = _first(dataset)
    assert batch["x"]["token_ids"].shape == (4, 32)
    assert np.all(batch["x"]["padding_mask"].numpy() == 1)
    languages = batch["x"]["language_ids"].numpy()
    assert np.all(languages == batch["language"].numpy()[:, None])


def test_language_ids_dropped_for_models_without_them(tokenizer_dir):
    spec = _spec(tokenizer_dir, use_language_ids=False)
    batch = _first(pipelines.mlm_dataset(spec, corpus.SAMPLE_CORPUS_DIR, LANGUAGES, 0.5))
    assert "language_ids" not in batch["x"]


def test_clm_labels_are_next_tokens(tokenizer_dir):
    spec = _spec(tokenizer_dir)
    batch = _first(pipelines.clm_dataset(spec, corpus.SAMPLE_CORPUS_DIR, LANGUAGES, 0.5))
    ids, labels = batch["x"]["token_ids"].numpy(), batch["labels"].numpy()
    np.testing.assert_array_equal(ids[:, 1:], labels[:, :-1])


def test_evaluation_batches_are_deterministic_and_finite(tokenizer_dir):
    def masks():
        spec = _spec(tokenizer_dir, seed=7)
        batches = pipelines.mlm_dataset(
            spec, corpus.SAMPLE_CORPUS_DIR, ["fr"], 1.0, split="test", evaluation=True
        )
        return [b["x"]["mask_positions"].numpy() for b in batches]

    first, second = masks(), masks()
    assert len(first) == len(second) > 0
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_resume_skip_gives_the_same_later_batches(tokenizer_dir):
    spec = _spec(tokenizer_dir)
    full = list(pipelines.mlm_dataset(spec, corpus.SAMPLE_CORPUS_DIR, LANGUAGES, 0.5).take(5))
    skipped = list(
        pipelines.mlm_dataset(spec, corpus.SAMPLE_CORPUS_DIR, LANGUAGES, 0.5, skip=3).take(2)
    )
    for a, b in zip(full[3:], skipped):
        np.testing.assert_array_equal(a["x"]["token_ids"], b["x"]["token_ids"])
        np.testing.assert_array_equal(a["x"]["mask_positions"], b["x"]["mask_positions"])


def _target_rates(spec, batches=60):
    """Per token id: (occurrences, times chosen as a target) in MLM batches."""
    vocabulary = spec.tokenizer.vocabulary_size()
    seen, chosen = np.zeros(vocabulary), np.zeros(vocabulary)
    dataset = pipelines.mlm_dataset(spec, corpus.SAMPLE_CORPUS_DIR, LANGUAGES, 0.5)
    for batch in dataset.take(batches):
        x, labels, weights = batch["x"], batch["labels"].numpy(), batch["sample_weight"].numpy()
        original = x["token_ids"].numpy().copy()
        rows = np.repeat(np.arange(len(labels)), labels.shape[1]).reshape(labels.shape)
        real = weights > 0
        original[rows[real], x["mask_positions"].numpy()[real]] = labels[real]
        seen += np.bincount(original.ravel(), minlength=vocabulary)
        chosen += np.bincount(labels[real], minlength=vocabulary)
    return seen, chosen


def test_frequency_weighted_targets_follow_count_to_the_minus_alpha(tokenizer_dir):
    """With XLM's weights (alpha 0.5) a token becomes a target more often
    than with uniform choice in proportion to count^-alpha: on the same
    stream, log(weighted / uniform targets) falls with log(count) at slope
    -alpha, and rare tokens gain what frequent ones lose."""
    # File order: the fit's tolerance was set on it.
    spec = _spec(tokenizer_dir, seed=3, shuffle_buffer=0)
    alpha = 0.5
    weights = np.array(pipelines.target_weights(spec, corpus.SAMPLE_CORPUS_DIR, LANGUAGES, alpha))
    counts = np.where(weights > 0, weights, np.inf) ** (-1 / alpha)  # count = weight^(-1/alpha).
    seen, uniform = _target_rates(spec)
    spec.token_weights = weights
    seen_again, weighted = _target_rates(spec)
    np.testing.assert_array_equal(seen, seen_again)  # The same tokens; only targets differ.
    kept = (seen >= 40) & (uniform > 0) & (weighted > 0)
    kept[spec.tokenizer.special_token_ids] = False
    slope = np.polyfit(np.log(counts[kept]), np.log(weighted[kept] / uniform[kept]), 1)[0]
    assert -alpha - 0.1 < slope < -alpha + 0.1
    rare = (seen > 0) & (seen < 10)  # Too rare to fit: together they gain.
    assert weighted[rare].sum() > 1.5 * uniform[rare].sum()
