"""Fit a fine-tuned classifier's `LanguageCentering` from unlabelled text."""

import numpy as np

from xlm_keras.finetuning import task_pipelines
from xlm_keras.finetuning.evaluation import language_id


def center_languages(model, spec, records, train_language):
    """Shift each language's mean pooled vector onto `train_language`'s.

    Args:
        model: `XLMTextClassifier` with `language_centering=True`.
        spec: the `TaskSpec` the model is evaluated with.
        records: dict language -> classification records (texts only are
            used; labels are ignored), `train_language` among them.
        train_language: language code the head was trained on.
    """
    means = {}
    for code, rows in records.items():
        code_id = language_id(spec, code)
        pooled = [model.pooled(batch["x"]).numpy() for batch in task_pipelines.task_dataset(
            spec, "classification", rows, code_id)]
        means[code_id] = np.concatenate(pooled).mean(0)
    model.centering.set_shifts(means, language_id(spec, train_language))
