"""Public cross-lingual benchmarks from TFDS, as `task_data` records.

Reads what the user has in their TFDS data dir (`download=False`, the
default, never fetches). Families, and where each split comes from:

    xnli         train: multi_nli (en); validation/test: xnli, per language
    paws_x_wiki  paws_x_wiki/<language>
    wikiann      wikiann/<language>
    xquad        train, validation (en): squad/v1.1; test: xquad/<language>
"""

import numpy as np

XNLI_LANGUAGES = tuple("ar bg de el en es fr hi ru sw th tr ur vi zh".split())
LANGUAGES = {
    "xnli": XNLI_LANGUAGES,
    "paws_x_wiki": tuple("de en es fr ja ko zh".split()),
    "wikiann": tuple("ar de el en es fr hi it ja ko nl pl pt ru sw th tr ur vi zh".split()),
    "xquad": tuple("ar de el en es hi ru th tr vi zh".split()),  # No ro in TFDS.
}
TASK_TYPES = {
    "xnli": "classification",
    "paws_x_wiki": "classification",
    "wikiann": "tagging",
    "xquad": "qa",
}
LABELS = {
    "xnli": ["entailment", "neutral", "contradiction"],
    "paws_x_wiki": ["different_meaning", "paraphrase"],
    "wikiann": ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"],
    "xquad": [],
}


def _check(name, task_type):
    if name not in TASK_TYPES:
        raise ValueError(
            f"tfds:{name} is not supported; choose one of {sorted(TASK_TYPES)}"
            " or a local directory of JSONL/TSV files."
        )
    if TASK_TYPES[name] != task_type:
        raise ValueError(
            f"tfds:{name} is a {TASK_TYPES[name]} data set, but the config's "
            f"task.type is {task_type!r}."
        )


def label_names(name, task_type):
    _check(name, task_type)
    return list(LABELS[name])


def source(name, split, language):
    """(TFDS builder name, TFDS split) holding `split` in `language`."""
    if language not in LANGUAGES[name]:
        raise ValueError(f"tfds:{name} has no language {language!r}; it has {LANGUAGES[name]}.")
    if name == "xnli":
        if split == "train":
            if language != "en":
                raise ValueError("tfds:xnli trains on English (multi_nli) only.")
            return "multi_nli", "train"
        return "xnli", split
    if name == "xquad":
        if split in ("train", "validation"):
            if language != "en":
                raise ValueError("tfds:xquad has train/validation in English (squad) only.")
            return "squad/v1.1", split
        return f"xquad/{language}", "test"
    return f"{name}/{language}", split


def _decode(value):
    return value.decode("utf-8") if isinstance(value, bytes) else value


def to_record(name, example, language):
    """One TFDS example (numpy) -> a task_data record."""
    if name == "xnli" and isinstance(example["premise"], dict):
        hypotheses = example["hypothesis"]
        languages = [_decode(v) for v in hypotheses["language"]]
        return {
            "text": _decode(example["premise"][language]),
            "text_pair": _decode(hypotheses["translation"][languages.index(language)]),
            "label": int(example["label"]),
        }
    if name in ("xnli", "paws_x_wiki"):  # multi_nli has plain premise/hypothesis.
        first = example.get("premise", example.get("sentence1"))
        second = example.get("hypothesis", example.get("sentence2"))
        return {
            "text": _decode(first),
            "text_pair": _decode(second),
            "label": int(example["label"]),
        }
    if name == "wikiann":
        return {
            "tokens": [_decode(t) for t in example["tokens"]],
            "tags": [int(t) for t in example["tags"]],
        }
    answers = example["answers"]
    return {
        "id": _decode(example["id"]),
        "question": _decode(example["question"]),
        "context": _decode(example["context"]),
        "answers": [_decode(t) for t in answers["text"]],
        "answer_starts": [int(s) for s in np.asarray(answers["answer_start"])],
    }


def records(task_data, split, language):
    """list of records of `split` in `language` from the user's TFDS data."""
    import tensorflow_datasets as tfds

    name = task_data.tfds_name
    _check(name, task_data.task_type)
    builder_name, tfds_split = source(name, split, language)
    try:
        dataset = tfds.load(
            builder_name,
            split=tfds_split,
            data_dir=task_data.tfds_data_dir,
            download=task_data.download,
        )
    except AssertionError as error:  # TFDS' "could not find data".
        raise FileNotFoundError(
            f"tfds:{name} needs {builder_name} ({tfds_split}) in the TFDS data dir "
            f"({task_data.tfds_data_dir or 'the TFDS default'}), and it is not there. Build it "
            f"where the internet is reachable (`tfds build {builder_name}`), copy the data "
            "dir here and set task.tfds_data_dir, or pass a local directory of JSONL files."
        ) from error
    return [to_record(name, example, language) for example in tfds.as_numpy(dataset)]
