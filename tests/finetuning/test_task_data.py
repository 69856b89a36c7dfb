"""Labelled task data: local JSONL/TSV records, malformed-line accounting,
label names, and the TFDS adapters (on TFDS-shaped examples and mock data)."""

import json

import numpy as np
import pytest

from xlm_keras.finetuning import tfds_tasks
from xlm_keras.finetuning.task_data import SAMPLE_TASK_DIR
from xlm_keras.finetuning.task_data import open_task_data


def _write(directory, name, lines):
    """Write `lines` (str, bytes or dicts as JSON) one per line; return the path."""
    path = directory / name
    raw = [
        line
        if isinstance(line, bytes)
        else (json.dumps(line, ensure_ascii=False) if isinstance(line, dict) else line).encode(
            "utf-8"
        )
        for line in lines
    ]
    path.write_bytes(b"\n".join(raw) + b"\n")
    return str(path)


# === The bundled help_topic task ===


def test_help_topic_records_match_the_files():
    data = open_task_data(SAMPLE_TASK_DIR, "classification")
    with open(f"{SAMPLE_TASK_DIR}/manifest.json", encoding="utf-8") as f:
        labels = json.load(f)["labels"]
    assert data.label_names == labels
    assert data.languages("train") == ["en"]
    assert "de" in data.languages("test") and "ja" in data.languages("validation")
    for split, language in (("train", "en"), ("test", "ja")):
        path = f"{SAMPLE_TASK_DIR}/{split}.{language}.jsonl"
        with open(path, encoding="utf-8") as f:
            rows = [json.loads(line) for line in f]
        records = data.records(split, language)
        assert [r["label"] for r in records] == [labels.index(row["label"]) for row in rows]
        assert [r["text"] for r in records] == [row["text"].strip() for row in rows]
        assert all(r["text_pair"] == "" for r in records)
        assert data.stats.kept(path) == len(rows) and data.stats.skipped(path) == 0


# === Local files: the three record schemas ===


def test_classification_jsonl_single_and_pairs(tmp_path):
    _write(
        tmp_path,
        "train.en.jsonl",
        [
            {"text": " a cat ", "label": "pos"},
            {"premise": "p", "hypothesis": "h", "label": 0},
            {"sentence1": "s1", "sentence2": "s2", "label": "1"},
            {"sentence": "one", "text_pair": "", "label": "neg"},
        ],
    )
    data = open_task_data(str(tmp_path), "classification", label_names=["neg", "pos"])
    assert data.records("train", "en") == [
        {"text": "a cat", "text_pair": "", "label": 1},
        {"text": "p", "text_pair": "h", "label": 0},
        {"text": "s1", "text_pair": "s2", "label": 1},
        {"text": "one", "text_pair": "", "label": 0},
    ]


def test_classification_tsv_single_and_pairs(tmp_path):
    _write(tmp_path, "test.fr.tsv", ["un chat\tpos", "a\tb\tneg", "c\td\t1 ", "e\tpos\r"])
    data = open_task_data(str(tmp_path), "classification", label_names=["neg", "pos"])
    assert data.records("test", "fr") == [
        {"text": "un chat", "text_pair": "", "label": 1},
        {"text": "a", "text_pair": "b", "label": 0},
        {"text": "c", "text_pair": "d", "label": 1},
        {"text": "e", "text_pair": "", "label": 1},
    ]


def test_tagging_jsonl_and_tsv(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"labels": ["O", "B-LOC", "I-LOC"]}))
    _write(
        tmp_path,
        "train.en.jsonl",
        [
            {"tokens": ["in", "New", "York"], "tags": ["O", "B-LOC", "I-LOC"]},
            {"tokens": ["Köln"], "ner_tags": [1]},
        ],
    )
    _write(tmp_path, "validation.de.tsv", ["in  Köln\tO B-LOC", "Bad Ems\t1 2"])
    data = open_task_data(str(tmp_path), "tagging")
    assert data.label_names == ["O", "B-LOC", "I-LOC"]
    assert data.records("train", "en") == [
        {"tokens": ["in", "New", "York"], "tags": [0, 1, 2]},
        {"tokens": ["Köln"], "tags": [1]},
    ]
    assert data.records("validation", "de") == [
        {"tokens": ["in", "Köln"], "tags": [0, 1]},
        {"tokens": ["Bad", "Ems"], "tags": [1, 2]},
    ]


def test_qa_jsonl(tmp_path):
    context = "Köln liegt am Rhein."
    _write(
        tmp_path,
        "validation.de.jsonl",
        [
            {
                "id": "q1",
                "question": "Wo liegt Köln?",
                "context": context,
                "answers": {"text": ["am Rhein", "Rhein"], "answer_start": [11, 14]},
            },
            {
                "id": "q2",
                "question": "Nichts?",
                "context": context,
                "answers": {"text": [], "answer_start": []},
            },
        ],
    )
    data = open_task_data(str(tmp_path), "qa")
    assert data.label_names == []
    assert data.records("validation", "de") == [
        {
            "id": "q1",
            "question": "Wo liegt Köln?",
            "context": context,
            "answers": ["am Rhein", "Rhein"],
            "answer_starts": [11, 14],
        },
        {"id": "q2", "question": "Nichts?", "context": context, "answers": [], "answer_starts": []},
    ]
    _write(tmp_path, "test.de.tsv", ["a\tb"])
    with pytest.raises(ValueError, match="JSONL"):
        open_task_data(str(tmp_path), "qa").records("test", "de")


# === Malformed lines ===


def test_malformed_classification_lines_are_counted_and_skipped(tmp_path):
    path = _write(
        tmp_path,
        "train.en.jsonl",
        [
            {"text": "good", "label": "a"},
            '{"text": "broken", ',
            '["a", "list"]',
            "7",
            {"label": "a"},
            {"text": "x"},
            {"text": "x", "label": "zzz"},
            {"text": "x", "label": 5},
            {"text": "x", "label": True},
            {"text": "  ", "label": "a"},
            b'{"text": "caf\xe9", "label": "a"}',
            "",
            {"text": "also good", "label": "b"},
        ],
    )
    data = open_task_data(str(tmp_path), "classification", label_names=["a", "b"])
    assert [r["text"] for r in data.records("train", "en")] == ["good", "also good"]
    assert dict(data.stats.counts[path]) == {
        "kept": 2,
        "bad_json": 3,
        "missing_field": 2,
        "unknown_label": 3,
        "empty_text": 1,
        "bad_utf8": 1,
        "empty": 1,
    }


def test_malformed_tagging_and_qa_lines_are_counted_and_skipped(tmp_path):
    tags = _write(
        tmp_path, "train.en.tsv", ["a b\tO O", "a b\tO", "a\tO\tO", "a\tB-XYZ", "c d\tO O"]
    )
    context = "Der Rhein fließt."
    good = {
        "id": "1",
        "question": "Was?",
        "context": context,
        "answers": {"text": ["Rhein"], "answer_start": [4]},
    }
    qa = _write(
        tmp_path,
        "train.de.jsonl",
        [
            good,
            {**good, "answers": {"text": ["Rhein"], "answer_start": [5]}},
            {**good, "answers": {"text": ["Rhein"], "answer_start": [-13]}},
            {**good, "answers": {"text": ["Rhein", "x"], "answer_start": [4]}},
            {**good, "answers": [{"text": "Rhein", "answer_start": 4}]},
            {**good, "answers": {"text": "Rhein", "answer_start": 4}},
            {**good, "answers": {"text": [""], "answer_start": [0]}},
            {k: v for k, v in good.items() if k != "context"},
            {**good, "question": ""},
        ],
    )
    tagging = open_task_data(str(tmp_path), "tagging", label_names=["O", "B-PER"])
    assert tagging.records("train", "en") == [
        {"tokens": ["a", "b"], "tags": [0, 0]},
        {"tokens": ["c", "d"], "tags": [0, 0]},
    ]
    assert dict(tagging.stats.counts[tags]) == {
        "kept": 2,
        "length_mismatch": 1,
        "wrong_columns": 1,
        "unknown_label": 1,
    }
    qa_data = open_task_data(str(tmp_path), "qa")
    assert [r["answer_starts"] for r in qa_data.records("train", "de")] == [[4]]
    assert qa_data.stats.kept(qa) == 1 and qa_data.stats.skipped(qa) == 8
    assert qa_data.stats.counts[qa]["empty_text"] == 1


# === Label names and errors ===


def test_labels_come_from_train_files_without_a_manifest(tmp_path):
    _write(
        tmp_path,
        "train.en.jsonl",
        [{"text": "x", "label": "sports"}, {"text": "y", "label": "arts"}, "7", "not json"],
    )
    _write(tmp_path, "test.de.jsonl", [{"text": "z", "label": "zzz"}])
    data = open_task_data(str(tmp_path), "classification")
    assert data.label_names == ["arts", "sports"]
    assert [r["label"] for r in data.records("train", "en")] == [1, 0]
    with pytest.raises(ValueError, match="test.de.jsonl .* no usable record .*unknown_label 1"):
        data.records("test", "de")
    assert data.stats.counts[str(tmp_path / "test.de.jsonl")]["unknown_label"] == 1


def test_integer_labels_from_train_files_are_the_index_range(tmp_path):
    _write(tmp_path, "train.en.jsonl", [{"text": "x", "label": label} for label in (0, 2, 11)])
    data = open_task_data(str(tmp_path), "classification")
    assert data.label_names == [str(i) for i in range(12)]
    assert [r["label"] for r in data.records("train", "en")] == [0, 2, 11]


def test_tag_names_from_train_files(tmp_path):
    _write(tmp_path, "train.en.tsv", ["a b\tO B-PER", "c\tI-PER"])
    assert open_task_data(str(tmp_path), "tagging").label_names == ["B-PER", "I-PER", "O"]


def test_errors_name_the_problem(tmp_path):
    with pytest.raises(FileNotFoundError, match="no <split>.<language>"):
        open_task_data(str(tmp_path), "classification")
    with pytest.raises(ValueError, match="task type"):
        open_task_data(str(tmp_path), "regression")
    _write(tmp_path, "train.en.jsonl", [{"text": "x", "label": "a"}])
    data = open_task_data(str(tmp_path), "classification")
    with pytest.raises(FileNotFoundError, match="'fr'.*train.en"):
        data.records("train", "fr")
    with pytest.raises(FileNotFoundError, match="No test data"):
        data.records("test", "en")
    _write(tmp_path, "train.en.jsonl", [{"text": "x"}])
    with pytest.raises(ValueError, match="No labels found"):
        open_task_data(str(tmp_path), "classification")


# === TFDS adapters ===


def test_tfds_sources():
    assert tfds_tasks.source("xnli", "train", "en") == ("multi_nli", "train")
    assert tfds_tasks.source("xnli", "test", "sw") == ("xnli", "test")
    assert tfds_tasks.source("paws_x_wiki", "validation", "ja") == ("paws_x_wiki/ja", "validation")
    assert tfds_tasks.source("wikiann", "train", "de") == ("wikiann/de", "train")
    assert tfds_tasks.source("xquad", "train", "en") == ("squad/v1.1", "train")
    assert tfds_tasks.source("xquad", "validation", "en") == ("squad/v1.1", "validation")
    assert tfds_tasks.source("xquad", "test", "de") == ("xquad/de", "test")
    for bad in (("xnli", "train", "fr"), ("xquad", "train", "de"), ("wikiann", "test", "xx")):
        with pytest.raises(ValueError):
            tfds_tasks.source(*bad)
    with pytest.raises(ValueError, match="tagging"):
        open_task_data("tfds:wikiann", "classification")
    with pytest.raises(ValueError, match="not supported"):
        open_task_data("tfds:imdb", "classification")
    data = open_task_data("tfds:xnli", "classification")
    assert data.label_names == ["entailment", "neutral", "contradiction"]
    assert data.languages("test") == list(tfds_tasks.XNLI_LANGUAGES)


def test_tfds_examples_to_records():
    # As tfds.as_numpy yields them: bytes strings, numpy arrays, int labels.
    xnli = {
        "premise": {"de": b"Ein Hund.", "fr": b"Un chien."},
        "hypothesis": {
            "language": np.array([b"de", b"fr"]),
            "translation": np.array([b"Ein Tier.", b"Un animal."]),
        },
        "label": np.int64(0),
    }
    assert tfds_tasks.to_record("xnli", xnli, "fr") == {
        "text": "Un chien.",
        "text_pair": "Un animal.",
        "label": 0,
    }
    multi_nli = {"premise": b"A dog.", "hypothesis": b"An animal.", "label": np.int64(2)}
    assert tfds_tasks.to_record("xnli", multi_nli, "en") == {
        "text": "A dog.",
        "text_pair": "An animal.",
        "label": 2,
    }
    paws = {"sentence1": "Größer.".encode(), "sentence2": b"Klein.", "label": np.int64(1)}
    assert tfds_tasks.to_record("paws_x_wiki", paws, "de") == {
        "text": "Größer.",
        "text_pair": "Klein.",
        "label": 1,
    }
    wikiann = {
        "tokens": np.array([b"in", "Köln".encode()]),
        "tags": np.array([0, 5]),
        "langs": np.array([b"de", b"de"]),
        "spans": np.array(["LOC: Köln".encode()]),
    }
    assert tfds_tasks.to_record("wikiann", wikiann, "de") == {
        "tokens": ["in", "Köln"],
        "tags": [0, 5],
    }
    squad = {
        "id": b"5733",
        "title": b"T",
        "question": b"Wo?",
        "context": "In Köln.".encode(),
        "answers": {"text": np.array(["Köln".encode()]), "answer_start": np.array([3], np.int32)},
    }
    assert tfds_tasks.to_record("xquad", squad, "de") == {
        "id": "5733",
        "question": "Wo?",
        "context": "In Köln.",
        "answers": ["Köln"],
        "answer_starts": [3],
    }
    assert tfds_tasks.LABELS["wikiann"][5] == "B-LOC"


def test_tfds_names_match_the_builders():
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=1, policy=tfds.testing.MockPolicy.USE_CODE):
        for name, builder in (
            ("xnli", "xnli"),
            ("paws_x_wiki", "paws_x_wiki/de"),
            ("wikiann", "wikiann/de"),
        ):
            features = tfds.builder(builder).info.features
            label = features["tags"].feature if name == "wikiann" else features["label"]
            assert label.names == tfds_tasks.LABELS[name]
        for language in tfds_tasks.LANGUAGES["xquad"]:
            tfds.builder(f"xquad/{language}")


def test_tfds_records_from_mock_data():
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=3, policy=tfds.testing.MockPolicy.USE_CODE):
        tagging = open_task_data("tfds:wikiann", "tagging").records("validation", "fr")
        pairs = open_task_data("tfds:paws_x_wiki", "classification").records("test", "ja")
    assert len(tagging) == len(pairs) == 3
    for record in tagging:
        assert len(record["tokens"]) and all(isinstance(t, str) for t in record["tokens"])
        assert all(0 <= t < len(tfds_tasks.LABELS["wikiann"]) for t in record["tags"])
    for record in pairs:
        assert isinstance(record["text"], str) and isinstance(record["text_pair"], str)
        assert record["label"] in (0, 1)


def test_missing_tfds_data_names_the_builder_and_the_fix(tmp_path):
    data = open_task_data("tfds:xnli", "classification", tfds_data_dir=str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"xnli \(test\).*tfds build xnli"):
        data.records("test", "de")


def test_a_file_without_a_usable_record_is_refused_naming_its_skips(tmp_path):
    path = _write(tmp_path, "validation.fr.jsonl", [b"\xff", {"text": "x", "label": "zzz"}, ""])
    _write(tmp_path, "train.en.jsonl", [{"text": "x", "label": "a"}])
    data = open_task_data(str(tmp_path), "classification", label_names=["a", "b"])
    with pytest.raises(ValueError) as error:
        data.records("validation", "fr")
    assert str(error.value) == (
        f"{path} (validation data of 'fr') has no usable record (skipped 3: bad_utf8 1, "
        "empty 1, unknown_label 1); fix the file, or leave 'fr' out of the run's languages"
    )


def test_a_file_read_twice_is_counted_once(tmp_path):
    path = _write(tmp_path, "train.en.jsonl", [{"text": "x", "label": "a"}, "7"])
    data = open_task_data(str(tmp_path), "classification", label_names=["a"])
    assert data.records("train", "en") == data.records("train", "en")
    assert dict(data.stats.counts[path]) == {"kept": 1, "bad_json": 1}
