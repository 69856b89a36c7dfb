"""Evaluation: per-language MLM/TLM accuracy and perplexity with
deterministic masking, and cross-lingual sentence retrieval."""

import numpy as np
import tensorflow as tf

from xlm_keras.data import corpus
from xlm_keras.data.readers import CorpusStats
from xlm_keras.data.readers import read_tsv_pairs
from xlm_keras.inference.encoder import hidden_states
from xlm_keras.inference.sliced_predict import sliced_predict
from xlm_keras.models.xlm_backbone import family
from xlm_keras.models.xlm_text_classifier import pool
from xlm_keras.pretraining import pipelines
from xlm_keras.text.packing import model_inputs
from xlm_keras.text.packing import pack_text


def masked_lm_metrics(task, spec, batches):
    """Per-language accuracy and perplexity of an `XLMMaskedLM` on batches
    from `pipelines.mlm_dataset/tlm_dataset(..., evaluation=True)`.

    Returns: dict language index -> {"accuracy", "perplexity", "targets"}.
    """
    sums = {}
    for batch in batches:
        logits = task(batch["x"], training=False)
        losses = tf.keras.losses.sparse_categorical_crossentropy(
            batch["labels"], logits, from_logits=True
        ).numpy()
        correct = np.argmax(logits, -1) == batch["labels"].numpy()
        weights = batch["sample_weight"].numpy()
        for row, language in enumerate(batch["language"].numpy()):
            total = sums.setdefault(int(language), np.zeros(3))
            total += [
                (losses[row] * weights[row]).sum(),
                (correct[row] * weights[row]).sum(),
                weights[row].sum(),
            ]
    return {
        language: {"accuracy": c / n, "perplexity": float(np.exp(loss / n)), "targets": int(n)}
        for language, (loss, c, n) in sums.items()
        if n > 0
    }


def encode_sentences(backbone, tokenizer, texts, language, sequence_length=128, batch_size=64):
    """Mean-pooled final hidden states (over real tokens) of `texts`, run
    in length-sorted slices (`sliced_predict`): the outputs of padded
    batches, to float round-off.

    Returns: float32 [len(texts), hidden_dim].
    """
    language_id = tokenizer.language_id(language) if backbone.has_language_embedding else None
    packed = pack_text(
        tokenizer,
        tf.constant(texts, tf.string),
        sequence_length,
        family(backbone),
        language_id=language_id,
        language=language,
    )
    return sliced_predict(
        backbone,
        mean_hidden_state,
        model_inputs(packed, backbone.has_language_embedding),
        batch_size,
    )


def mean_hidden_state(backbone, inputs):
    """float32 [B, H]: the mean of the final hidden states over real tokens."""
    return pool(hidden_states(backbone, inputs), inputs["padding_mask"], "mean")


def retrieval_accuracy(source, target):
    """Share of sentences whose nearest neighbour (cosine) among the other
    side's sentences is their translation, in both directions.

    Args: source, target: float [n, hidden], row i of each a translation pair.
    Returns: (source->target accuracy, target->source accuracy).
    """
    source = source / np.linalg.norm(source, axis=1, keepdims=True)
    target = target / np.linalg.norm(target, axis=1, keepdims=True)
    similarity = source @ target.T
    truth = np.arange(len(source))
    return (
        float(np.mean(similarity.argmax(1) == truth)),
        float(np.mean(similarity.argmax(0) == truth)),
    )


def retrieval_metrics(
    backbone, tokenizer, corpus_dir, languages, split="test", sequence_length=128, max_pairs=None
):
    """Retrieval accuracy for every `parallel/<l1>-<l2>.<split>.tsv` pair of
    the given languages. Returns: dict "l1-l2" -> {"forward", "backward",
    "pairs", "chance"}."""
    results = {}
    stats = CorpusStats()
    for (first, second), paths in sorted(corpus.parallel_files(corpus_dir, split).items()):
        if languages and not {first, second} <= set(languages):
            continue
        pairs = [pair for path in paths for pair in read_tsv_pairs(path, stats)][:max_pairs]
        a = encode_sentences(backbone, tokenizer, [p[0] for p in pairs], first, sequence_length)
        b = encode_sentences(backbone, tokenizer, [p[1] for p in pairs], second, sequence_length)
        forward, backward = retrieval_accuracy(a, b)
        results[f"{first}-{second}"] = {
            "forward": forward,
            "backward": backward,
            "pairs": len(pairs),
            "chance": 1.0 / len(pairs),
        }
    return results


def evaluate(
    model, tokenizer, corpus_dir, languages, sequence_length=64, batch_size=32, split="test"
):
    """Everything `xlm-eval` reports for a task or a bare backbone, as a
    JSON-ready dict (MLM/TLM metrics need an `XLMMaskedLM`). A corpus with
    no `parallel/` files in `split` (monolingual text of a new domain) gets
    MLM metrics only. A tokenizer that lists no languages (XLM-R) scores
    `languages`, or else every language of the corpus's `split`."""
    backbone = getattr(model, "backbone", model)
    if not tokenizer.languages:  # The codes only name the metrics.
        languages = list(languages) or sorted(corpus.monolingual_files(corpus_dir, split))
    spec = pipelines.PipelineSpec(
        tokenizer,
        sequence_length,
        batch_size,
        use_language_ids=backbone.has_language_embedding,
        seed=1234,
        languages=None if tokenizer.languages else languages,
    )
    names = dict(enumerate(spec.languages))
    parallel = bool(corpus.found_parallel_files(corpus_dir, split))
    report = {
        "retrieval": (
            retrieval_metrics(backbone, tokenizer, corpus_dir, languages, split) if parallel else {}
        )
    }
    objectives = [("mlm", pipelines.mlm_dataset)]
    if parallel:
        objectives.append(("tlm", pipelines.tlm_dataset))
    if hasattr(model, "masked_lm_head"):
        for objective, make in objectives:
            batches = make(spec, corpus_dir, languages, 1.0, split=split, evaluation=True)
            report[objective] = {
                names[k]: v for k, v in masked_lm_metrics(model, spec, batches).items()
            }
    return report
