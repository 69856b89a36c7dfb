"""Fine-tuned task metrics per language, and the zero-shot cross-lingual
report: accuracy (classification), entity F1 (tagging, exact spans) or
exact match / F1 (QA, SQuAD v1.1 scoring as XQuAD uses it)."""

import weakref

import numpy as np
import tensorflow as tf
from absl import logging

from xlm_keras.finetuning import qa_features as qa
from xlm_keras.finetuning import task_pipelines
from xlm_keras.metrics import entity_f1
from xlm_keras.metrics import squad_metrics
from xlm_keras.models.xlm_token_classifier import word_tags
from xlm_keras.training import reports

MAIN_METRIC = {"classification": "accuracy", "tagging": "f1", "qa": "f1"}
EVAL_BATCH = 64


def check_language(spec, language):
    """A clear error for a language the model was not built for (one that
    takes language ids and has none for it)."""
    if spec.use_language_ids and language not in spec.tokenizer.languages:
        raise ValueError(
            f"Language {language!r} is not one of this model's languages "
            f"{spec.tokenizer.languages} (it has language embeddings or centers languages); "
            "evaluate only those languages, or use a model without language embeddings "
            "(XLM-R, xlm_mlm_100_1280)."
        )


_PREDICT_FUNCTIONS = weakref.WeakKeyDictionary()


def default_languages(spec, task_data, split):
    """The languages with `split` data that the model can take (all of them
    without language embeddings)."""
    languages = task_data.languages(split)
    if spec.use_language_ids:
        skipped = [code for code in languages if code not in spec.tokenizer.languages]
        if skipped:
            logging.warning("No language embedding for %s: left out of the report.", skipped)
        languages = [code for code in languages if code in spec.tokenizer.languages]
    return languages


def _logits(model, x):
    """The model's float32 outputs for a batch, through one compiled
    function per model (eager calls are several times slower)."""
    if model not in _PREDICT_FUNCTIONS:
        _PREDICT_FUNCTIONS[model] = tf.function(
            lambda inputs: model(inputs, training=False), reduce_retracing=True
        )
    return np.asarray(_PREDICT_FUNCTIONS[model](x), np.float32)


def classification_metrics(model, spec, records, language):
    """-> {"accuracy", "examples"}."""
    batches = task_pipelines.task_dataset(spec, "classification", records, language)
    correct = total = 0
    for batch in batches:
        predicted = _logits(model, batch["x"]).argmax(-1)
        correct += int(np.sum(predicted == batch["labels"].numpy()))
        total += len(predicted)
    return {"accuracy": correct / max(total, 1), "examples": total}


def predict_word_tags(model, spec, token_lists, language, label_names):
    """Tag names per word of each token list; a word cut by truncation gets
    "O" (or the first label when there is no "O")."""
    predictions = []
    for start in range(0, len(token_lists), EVAL_BATCH):
        batch = token_lists[start : start + EVAL_BATCH]
        x, positions = spec.preprocessor.pack_words(tf.ragged.constant(batch, tf.string), language)
        predictions += word_tags(
            _logits(model, x).argmax(-1),
            positions.numpy(),
            [len(tokens) for tokens in batch],
            label_names,
        )
    return predictions


def tagging_metrics(model, spec, records, language, label_names):
    """-> seqeval-style entity precision / recall / F1 and counts."""
    predicted = predict_word_tags(
        model, spec, [r["tokens"] for r in records], language, label_names
    )
    truth = [[label_names[t] for t in r["tags"]] for r in records]
    scores = entity_f1(truth, predicted)
    return {
        key: scores[key]
        for key in (
            "precision",
            "recall",
            "f1",
            "true_entities",
            "predicted_entities",
            "correct_entities",
        )
    }


def qa_metrics(model, spec, records, language, max_answer_length=30):
    """-> {"exact_match", "f1" (percent), "count"}."""
    features = qa.qa_features(spec, records, language)
    logits = [
        _logits(model, {k: v[i : i + EVAL_BATCH] for k, v in features.x.items()})
        for i in range(0, len(features.labels), EVAL_BATCH)
    ]
    answers = qa.predict_answers(features, np.concatenate(logits), max_answer_length)
    keys = [r["id"] or str(i) for i, r in enumerate(records)]
    return squad_metrics(
        dict(zip(keys, answers)), {key: r["answers"] for key, r in zip(keys, records)}
    )


def task_metrics(model, spec, task_data, records, language):
    """Metrics of `records` in `language` (see the `*_metrics` functions)."""
    if task_data.task_type == "classification":
        return classification_metrics(model, spec, records, language)
    if task_data.task_type == "tagging":
        return tagging_metrics(model, spec, records, language, task_data.label_names)
    return qa_metrics(model, spec, records, language)


def zero_shot_report(model, spec, task_data, records, split="test", train_language="en"):
    """Every language's metrics on `split`, with averages.

    Args: records: dict language -> the records of `split` in it.

    Returns: JSON-ready dict: task_type, metric (the main one), split,
    train_language, languages {code: metrics}, average (all languages),
    transfer_average (all but the training language) and baselines
    (classification: accuracy of a uniform guess and of always answering
    the most frequent class of the first language's data).
    """
    metric = MAIN_METRIC[task_data.task_type]
    per_language, baselines = {}, {}
    for code, rows in records.items():
        per_language[code] = task_metrics(model, spec, task_data, rows, code)
        if task_data.task_type == "classification" and not baselines:
            counts = np.bincount([r["label"] for r in rows], minlength=len(task_data.label_names))
            baselines = {
                "uniform": 1.0 / len(counts),
                "majority_class": float(counts.max() / counts.sum()),
            }
    transfer = [m[metric] for code, m in per_language.items() if code != train_language]
    return {
        "baselines": baselines,
        "task_type": task_data.task_type,
        "metric": metric,
        "split": split,
        "train_language": train_language,
        "languages": per_language,
        "average": float(np.mean([m[metric] for m in per_language.values()])),
        "transfer_average": float(np.mean(transfer)) if transfer else None,
    }


def format_report(report):
    """A Markdown table: one row per language, then averages and baselines."""
    metric = report["metric"]
    columns = {
        "classification": ["accuracy", "examples"],
        "tagging": ["precision", "recall", "f1", "true_entities"],
        "qa": ["exact_match", "f1", "count"],
    }[report["task_type"]]
    lines = [f"| language | {' | '.join(columns)} |", "|---" + "|---:" * len(columns) + "|"]
    for code, metrics in sorted(report["languages"].items()):
        marker = " (train)" if code == report["train_language"] else ""
        cells = [
            f"{metrics[c]:.3f}" if isinstance(metrics[c], float) else str(metrics[c])
            for c in columns
        ]
        lines.append(f"| {code}{marker} | {' | '.join(cells)} |")
    lines.append(f"| average | {report['average']:.3f} ({metric}) |")
    if report["transfer_average"] is not None:
        lines.append(
            f"| average without {report['train_language']} | "
            f"{report['transfer_average']:.3f} ({metric}) |"
        )
    for name, value in report.get("baselines", {}).items():
        lines.append(f"| {name.replace('_', ' ')} baseline | {value:.3f} |")
    return "\n".join(lines)


def write_report(report, json_path, writer=None, step=0):
    """The report as JSON, and as TensorBoard text + scalars when `writer`."""
    metric = report["metric"]
    scalars = {
        f"zero_shot/{metric}/{code}": row[metric] for code, row in report["languages"].items()
    }
    scalars[f"zero_shot/{metric}/average"] = report["average"]
    text = (f"zero_shot/{report['split']}", format_report(report))
    reports.write_report(report, json_path, writer, step, text, scalars)
