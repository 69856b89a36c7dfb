"""The committed `help_topic` task, and the selection functions of tools/build_task_corpus.py."""

import json

import pytest

from tests.helpers import ROOT
from tests.helpers import load_script

build_corpus = load_script("tools/build_corpus.py")
build_task_corpus = load_script("tools/build_task_corpus.py")
TASK_DIR = ROOT / "xlm_keras" / "finetuning" / "sample_tasks" / "help_topic"
CORPUS_DIR = ROOT / "xlm_keras" / "data" / "sample_corpus"
LANGUAGES = ["en", *build_corpus.LANGUAGES.values()]
SPLITS = ("train", "validation", "test")
MAX_TASK_BYTES = 4 * 2**20


def _split_languages(split):
    return ["en"] if split == "train" else LANGUAGES


@pytest.fixture(scope="module")
def manifest():
    return json.loads((TASK_DIR / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rows():
    """`{split: {language: [{"text", "label"}]}}` of the committed files."""
    return {
        split: {
            language: [
                json.loads(line)
                for line in (TASK_DIR / f"{split}.{language}.jsonl")
                .read_text(encoding="utf-8")
                .splitlines()
            ]
            for language in _split_languages(split)
        }
        for split in SPLITS
    }


# === The committed task ===


def test_files_are_exactly_the_expected_ones():
    expected = {
        f"{split}.{language}.jsonl" for split in SPLITS for language in _split_languages(split)
    }
    assert {path.name for path in TASK_DIR.glob("*.jsonl")} == expected


def test_rows_are_text_and_known_label(rows, manifest):
    assert manifest["labels"] == build_task_corpus.LABELS
    assert set(manifest["modules"].values()) == set(manifest["labels"])
    for split, languages in rows.items():
        for language, examples in languages.items():
            assert {example["label"] for example in examples} == set(manifest["labels"])
            for example in examples:
                assert set(example) == {"text", "label"}, (split, language, example)
                assert example["text"].strip(), (split, language)


def test_evaluation_files_are_multi_way(rows):
    for split in ("validation", "test"):
        english = rows[split]["en"]
        for language in LANGUAGES[1:]:
            examples = rows[split][language]
            assert [e["label"] for e in examples] == [e["label"] for e in english], language
            assert all(e["text"] != en["text"] for e, en in zip(examples, english)), language
            assert len({e["text"] for e in examples}) == len(examples), (split, language)


def test_counts_match_manifest(rows, manifest):
    for split, languages in rows.items():
        assert manifest["counts"][split] == {
            language: len(examples) for language, examples in languages.items()
        }
        english = [example["label"] for example in languages["en"]]
        assert manifest["label_counts"][split] == {
            label: english.count(label) for label in manifest["labels"]
        }


def test_no_test_text_in_training(rows):
    test = {example["text"] for example in rows["test"]["en"]}
    assert test
    for split in ("train", "validation"):
        assert not test & {example["text"] for example in rows[split]["en"]}, split
    for language in LANGUAGES:
        pretraining = set(
            (CORPUS_DIR / "mono" / f"{language}.train.txt").read_text(encoding="utf-8").splitlines()
        )
        test = {example["text"] for example in rows["test"][language]}
        assert not test & pretraining, language
        validation = {example["text"] for example in rows["validation"][language]}
        assert not test & validation, language


def test_splits_follow_the_corpus_hash(rows, manifest):
    fraction = manifest["test_fraction"]
    for split, expected in (("train", "train"), ("validation", "train"), ("test", "test")):
        assert {build_corpus.split_of(e["text"], fraction) for e in rows[split]["en"]} == {
            expected
        }, split


def test_manifest_records_packages_and_licence(manifest):
    assert len(manifest["packages"]) == len(LANGUAGES)
    for package in manifest["packages"]:
        assert package["licence"] == "MPL-2.0" and len(package["sha256"]) == 64
    assert "MPL-2.0" in (TASK_DIR / "LICENSES.md").read_text(encoding="utf-8")


def test_task_size():
    size = sum(path.stat().st_size for path in TASK_DIR.iterdir())
    assert size <= MAX_TASK_BYTES


# === Selection ===


def test_labelled_examples_keeps_multi_way_unambiguous_texts():
    english = {
        ("text/swriter/a.html", "p1", 0): "Insert a table here.",
        ("text/swriter/a.html", "p2", 0): "Too short.",
        ("text/simpress/b.html", "p1", 0): "Draw a shape there.",
        ("text/sdraw/c.html", "p1", 0): "Draw a shape there.",
        ("text/scalc/d.html", "p1", 0): "Open the dialog now.",
        ("text/swriter/e.html", "p1", 0): "Open the dialog now.",
        ("text/shared/f.html", "p1", 0): "Save the file now.",
        ("text/scalc/f.html", "p1", 0): "Save the file now.",
        ("text/smath/g.html", "p1", 0): "Type the formula here.",
        ("text/smath/g.html", "p2", 0): "Type the formula here.",
        ("text/sbasic/h.html", "p1", 0): "Call the macro here.",
        ("text/smath/i.html", "p1", 0): "Scale the brackets here.",
        ("text/smath/i.html", "p2", 0): "Scale the parentheses here.",
    }
    german = {key: f"de {text}" for key, text in english.items()}
    japanese = {key: f"日本 {text}" for key, text in english.items()}
    japanese[("text/smath/g.html", "p1", 0)] = "Type the formula here."  # untranslated
    japanese[("text/sbasic/h.html", "p1", 0)] = "Latin only"  # fails the script check
    german[("text/smath/i.html", "p2", 0)] = "de Scale the brackets here."  # shared
    examples = build_task_corpus.labelled_examples(
        english, {"de": german, "ja": japanese}, min_words=4
    )
    assert examples == {
        "writer": [
            (
                "Insert a table here.",
                {"de": "de Insert a table here.", "ja": "日本 Insert a table here."},
            )
        ],
        "calc": [],
        "impress_draw": [
            (
                "Draw a shape there.",
                {"de": "de Draw a shape there.", "ja": "日本 Draw a shape there."},
            )
        ],
        "basic": [],
        "math": [
            (
                "Type the formula here.",
                {"de": "de Type the formula here.", "ja": "日本 Type the formula here."},
            )
        ],
    }


def test_select_splits_is_balanced_deterministic_and_by_hash():
    fraction = 0.3
    examples = {
        label: [(f"{label} text {i}", {"de": f"{label} Text {i}"}) for i in range(40)]
        for label in build_task_corpus.LABELS
    }
    sizes = {"train": 5, "validation": 3, "test": 4}
    splits = build_task_corpus.select_splits(examples, fraction, sizes)
    assert splits == build_task_corpus.select_splits(examples, fraction, sizes)
    for split, size in sizes.items():
        labels = [label for _, label, _ in splits[split]]
        assert all(labels.count(label) == size for label in build_task_corpus.LABELS), split
        side = "test" if split == "test" else "train"
        assert all(build_corpus.split_of(text, fraction) == side for text, _, _ in splits[split])
    train_texts = {text for text, _, _ in splits["train"]}
    assert not train_texts & {text for text, _, _ in splits["validation"]}
