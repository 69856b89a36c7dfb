"""Labelled data for fine-tuning: local JSONL/TSV files or TFDS data sets,
read into plain records, one schema per task type.

Records (dicts):
    classification: text str, text_pair str ("" for single sentences),
        label int (index into the label names).
    tagging: tokens [str], tags [int] (one per token).
    qa: id str, question str, context str, answers [str],
        answer_starts [int] (character offsets into the context).

Local layout: `<dir>/<split>.<language>.jsonl` (or `.tsv`), and optionally
`<dir>/manifest.json` with `"labels": [...]` (label names in index order).
JSONL fields: classification `text` (or `sentence`, `premise`, `sentence1`),
optional `text_pair` (or `hypothesis`, `sentence2`), `label` (name or index);
tagging `tokens` and `tags` (or `ner_tags`; names or indices); qa `id`,
`question`, `context`, `answers` = {"text": [...], "answer_start": [...]}.
TSV columns: classification `text[<TAB>text_pair]<TAB>label`; tagging
`space-separated tokens<TAB>space-separated tags`. Malformed lines are
counted per file and reason (`CorpusStats`) and skipped.

TFDS (`tfds:<name>`, read from the user's TFDS data dir; nothing is
downloaded unless `download=True`): `xnli` (train from `multi_nli`),
`paws_x_wiki`, `wikiann`, `xquad` (train and English validation from
`squad`).
"""

import dataclasses
import glob
import json
import os
import re

from xlm_keras.data.readers import CorpusStats
from xlm_keras.data.readers import decoded_lines
from xlm_keras.data.readers import log_stats

SAMPLE_TASK_DIR = os.path.join(os.path.dirname(__file__), "sample_tasks", "help_topic")
TASK_TYPES = ("classification", "tagging", "qa")
SPLITS = ("train", "validation", "test")
FILE_NAME = re.compile(r"^(train|validation|test)\.([A-Za-z_-]+)\.(jsonl|tsv)$")
TEXT_FIELDS = ("text", "sentence", "premise", "sentence1")
PAIR_FIELDS = ("text_pair", "hypothesis", "sentence2")
TAG_FIELDS = ("tags", "ner_tags")


class RecordError(ValueError):
    """A malformed line; its message is the `CorpusStats` reason."""


def _first(example, fields, required=True):
    for field in fields:
        if field in example:
            return example[field]
    if required:
        raise RecordError("missing_field")
    return ""


def _label_index(value, label_names):
    """A label name or index -> index into `label_names`."""
    if isinstance(value, bool):
        raise RecordError("unknown_label")
    if isinstance(value, int) or (
        isinstance(value, str) and value.isdigit() and value not in label_names
    ):
        index = int(value)
        if 0 <= index < len(label_names):
            return index
        raise RecordError("unknown_label")
    if isinstance(value, str) and value in label_names:
        return label_names.index(value)
    raise RecordError("unknown_label")


def _text(value):
    if not isinstance(value, str) or not value.strip():
        raise RecordError("empty_text")
    return value.strip()


def classification_record(example, label_names):
    pair = _first(example, PAIR_FIELDS, required=False)
    return {
        "text": _text(_first(example, TEXT_FIELDS)),
        "text_pair": _text(pair) if pair else "",
        "label": _label_index(_first(example, ("label",)), label_names),
    }


def tagging_record(example, label_names):
    tokens, tags = example.get("tokens"), _first(example, TAG_FIELDS)
    if (
        not isinstance(tokens, list)
        or not tokens
        or not all(isinstance(t, str) and t.strip() for t in tokens)
    ):
        raise RecordError("bad_tokens")
    if not isinstance(tags, list) or len(tags) != len(tokens):
        raise RecordError("length_mismatch")
    return {
        "tokens": [t.strip() for t in tokens],
        "tags": [_label_index(tag, label_names) for tag in tags],
    }


def qa_record(example, label_names=None):
    del label_names
    context = example.get("context")
    answers = example.get("answers") or {}
    if not isinstance(answers, dict):
        raise RecordError("bad_answer")
    texts, starts = answers.get("text", []), answers.get("answer_start", [])
    if (
        not isinstance(context, str)
        or not context
        or not isinstance(texts, list)
        or not isinstance(starts, list)
        or len(texts) != len(starts)
    ):
        raise RecordError("bad_answer")
    for text, start in zip(texts, starts):
        if (
            not isinstance(text, str)
            or not text
            or not isinstance(start, int)
            or start < 0
            or context[start : start + len(text)] != text
        ):
            raise RecordError("bad_answer")
    return {
        "id": str(example.get("id", "")),
        "question": _text(example.get("question")),
        "context": context,
        "answers": list(texts),
        "answer_starts": list(starts),
    }


RECORD_MAKERS = {
    "classification": classification_record,
    "tagging": tagging_record,
    "qa": qa_record,
}


def _tsv_example(task_type, columns):
    if task_type == "classification" and len(columns) in (2, 3):
        return {
            "text": columns[0],
            "label": columns[-1].strip(),
            **({"text_pair": columns[1]} if len(columns) == 3 else {}),
        }
    if task_type == "tagging" and len(columns) == 2:
        return {"tokens": columns[0].split(), "tags": columns[1].split()}
    raise RecordError("wrong_columns")


def read_records(path, task_type, label_names, stats):
    """Records of one local file; malformed lines are counted and skipped.

    Yields: record dicts (see the module docstring).
    """
    stats = stats.first_read(path)  # Each line counted once per run.
    make = RECORD_MAKERS[task_type]
    is_tsv = str(path).endswith(".tsv")
    if is_tsv and task_type == "qa":
        raise ValueError(f"{path}: QA data must be JSONL (SQuAD fields), not TSV.")
    for _, line in decoded_lines(path, stats, max_line_chars=1_000_000):
        if not line.strip():
            stats.add(path, "empty")
            continue
        try:
            if is_tsv:
                example = _tsv_example(task_type, line.split("\t"))
            else:
                try:
                    example = json.loads(line)
                except json.JSONDecodeError as error:
                    raise RecordError("bad_json") from error
                if not isinstance(example, dict):
                    raise RecordError("bad_json")
            record = make(example, label_names)
        except RecordError as error:
            stats.add(path, str(error))
            continue
        stats.add(path, "kept")
        yield record
    log_stats(path, stats)


@dataclasses.dataclass
class TaskData:
    """Where a task's labelled examples come from.

    Attributes:
        task_type: one of `TASK_TYPES`.
        label_names: list of str (classes or tags; [] for QA).
        files: (split, language) -> local path, or None for TFDS.
        tfds_name: TFDS family (`xnli`, `paws_x_wiki`, `wikiann`, `xquad`) or None.
        stats: `CorpusStats` of the local lines read so far.
    """

    task_type: str
    label_names: list
    files: dict = None
    tfds_name: str = None
    tfds_data_dir: str = None
    download: bool = False
    stats: CorpusStats = dataclasses.field(default_factory=CorpusStats)

    def languages(self, split):
        """Languages with data for `split` (local data; TFDS: the family's)."""
        if self.files is not None:
            return sorted(language for s, language in self.files if s == split)
        from xlm_keras.finetuning import tfds_tasks

        return list(tfds_tasks.LANGUAGES[self.tfds_name])

    def records(self, split, language):
        """list of records of `split` in `language`."""
        if self.files is None:
            from xlm_keras.finetuning import tfds_tasks

            return tfds_tasks.records(self, split, language)
        path = self.files.get((split, language))
        if path is None:
            have = sorted(f"{s}.{code}" for s, code in self.files)
            raise FileNotFoundError(
                f"No {split} data for language {language!r}; the data has {have}."
            )
        records = list(read_records(path, self.task_type, self.label_names, self.stats))
        if not records:
            raise ValueError(
                f"{path} ({split} data of {language!r}) has no usable record "
                f"({self.stats.unusable(path)}); fix the file, or leave {language!r} out of "
                "the run's languages"
            )
        return records


def open_task_data(source, task_type, label_names=(), tfds_data_dir=None, download=False):
    """`TaskData` for a local directory or `tfds:<name>`.

    Label names come from `label_names`, else the directory's manifest.json
    `labels`, else (local) the sorted labels of the train files; TFDS data
    sets have their own.
    """
    if task_type not in TASK_TYPES:
        raise ValueError(f"task type {task_type!r} unknown; choose one of {TASK_TYPES}.")
    if source.startswith("tfds:"):
        from xlm_keras.finetuning import tfds_tasks

        name = source[len("tfds:") :]
        return TaskData(
            task_type, tfds_tasks.label_names(name, task_type), None, name, tfds_data_dir, download
        )
    directory = os.path.expanduser(source)
    files = {}
    for path in sorted(glob.glob(os.path.join(directory, "*"))):
        match = FILE_NAME.match(os.path.basename(path))
        if match:
            files[(match.group(1), match.group(2))] = path
    if not files:
        raise FileNotFoundError(
            f"{source!r} has no <split>.<language>.jsonl/.tsv files (split one of "
            f"{SPLITS}); see xlm_keras/finetuning/task_data.py for the layout, or pass tfds:<name>."
        )
    label_names = list(label_names) or _manifest_labels(directory)
    if not label_names and task_type != "qa":
        label_names = _labels_in_files(
            [p for (split, _), p in files.items() if split == "train"], task_type
        )
    return TaskData(task_type, label_names, files)


def _manifest_labels(directory):
    path = os.path.join(directory, "manifest.json")
    if not os.path.isfile(path):
        return []
    with open(path, encoding="utf-8") as f:
        return list(json.load(f).get("labels", []))


def _labels_in_files(paths, task_type):
    """Label names seen in local train files: sorted names, or "0" .. "n-1"
    when every label is an index (so that an index keeps its meaning)."""
    names = set()
    for path in paths:
        for _, line in decoded_lines(path, CorpusStats(), 1_000_000):
            try:
                example = (
                    _tsv_example(task_type, line.split("\t"))
                    if path.endswith(".tsv")
                    else json.loads(line)
                )
                if not isinstance(example, dict):
                    continue
                values = (
                    [_first(example, ("label",))]
                    if task_type == "classification"
                    else _first(example, TAG_FIELDS)
                )
            except (RecordError, json.JSONDecodeError):
                continue
            if isinstance(values, list):
                names.update(str(v) for v in values if not isinstance(v, bool))
    if not names:
        raise ValueError(
            f"No labels found in {paths}; list them as `labels` in manifest.json "
            "or in the config's task.label_names."
        )
    if all(name.isdigit() for name in names):
        return [str(i) for i in range(max(int(name) for name in names) + 1)]
    return sorted(names)
