"""Fit a fine-tuned classifier's `LanguageCentering` from unlabelled text."""

import numpy as np

from xlm_keras.finetuning import task_pipelines


def with_task_languages(tokenizer, task_data, splits):
    """`tokenizer`, listing the task data's languages (those with data in
    any of `splits`) when it lists none (XLM-R): centering needs a language
    id per language, not a language embedding."""
    if tokenizer.languages:
        return tokenizer
    languages = sorted({code for split in splits for code in task_data.languages(split)})
    return tokenizer.with_languages(languages)


def center_languages(model, spec, records, train_language):
    """Shift each language's mean pooled vector onto `train_language`'s.

    Args:
        model: `XLMTextClassifier` with `language_centering=True`.
        spec: the `TaskSpec` the model is evaluated with.
        records: dict language -> classification records (texts only are
            used; labels are ignored), `train_language` among them.
        train_language: language code the head was trained on.
    """
    language_id = spec.tokenizer.language_id
    means = {}
    for code, rows in records.items():
        pooled = [
            model.pooled(batch["x"]).numpy()
            for batch in task_pipelines.task_dataset(spec, "classification", rows, code)
        ]
        means[language_id(code)] = np.concatenate(pooled).mean(0)
    model.centering.set_shifts(means, language_id(train_language))
