"""The committed sample corpus, and the cleaning/alignment functions of tools/build_corpus.py."""

import json
import re

import pytest

from tests.helpers import ROOT
from tests.helpers import load_script

build_corpus = load_script("tools/build_corpus.py")
SAMPLE_DIR = ROOT / "xlm_keras" / "data" / "sample_corpus"
# The 15 languages besides English, as tools/build_corpus.py names them.
LANGUAGES = list(build_corpus.LANGUAGES.values())
SPLITS = ("train", "test")
MAX_SAMPLE_BYTES = 5 * 2**20


def _lines(path):
    return path.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def manifest():
    return json.loads((SAMPLE_DIR / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pairs():
    """`{language: {split: [[english, target]]}}` of the sample's TSV files."""
    return {
        language: {
            split: [
                line.split("\t")
                for line in _lines(SAMPLE_DIR / "parallel" / f"en-{language}.{split}.tsv")
            ]
            for split in SPLITS
        }
        for language in LANGUAGES
    }


# === The committed sample ===


def test_every_language_present(manifest):
    assert sorted(manifest["parallel"]) == sorted(LANGUAGES)
    assert sorted(manifest["mono"]) == sorted(LANGUAGES + ["en"])
    for language in LANGUAGES:
        for split in SPLITS:
            assert manifest["parallel"][language][split] > 0, (language, split)


def test_rows_have_two_non_empty_columns(pairs):
    for language, splits in pairs.items():
        for split, rows in splits.items():
            for row in rows:
                assert len(row) == 2 and all(row), (language, split, row)
                assert row[0] != row[1], (language, split, row)


def test_no_test_english_in_train(pairs):
    train = {english for splits in pairs.values() for english, _ in splits["train"]}
    test = {english for splits in pairs.values() for english, _ in splits["test"]}
    assert test and not test & train
    for language in LANGUAGES + ["en"]:
        mono_train = set(_lines(SAMPLE_DIR / "mono" / f"{language}.train.txt"))
        mono_test = set(_lines(SAMPLE_DIR / "mono" / f"{language}.test.txt"))
        assert not mono_test & mono_train, language


def test_manifest_counts_match_files(manifest):
    for language, counts in manifest["parallel"].items():
        for split, count in counts.items():
            assert len(_lines(SAMPLE_DIR / "parallel" / f"en-{language}.{split}.tsv")) == count
    for language, counts in manifest["mono"].items():
        for split, count in counts.items():
            assert len(_lines(SAMPLE_DIR / "mono" / f"{language}.{split}.txt")) == count


def test_manifest_records_packages(manifest):
    names = {package["name"] for package in manifest["packages"]}
    assert "libreoffice-help-en-us" in names and "libreoffice-help-ja" in names
    for package in manifest["packages"]:
        assert package["licence"] == "MPL-2.0"
        assert re.fullmatch("[0-9a-f]{64}", package["sha256"])
        assert package["version"]
    assert "MPL-2.0" in (SAMPLE_DIR / "LICENSES.md").read_text(encoding="utf-8")


def test_sample_size():
    size = sum(path.stat().st_size for path in SAMPLE_DIR.rglob("*") if path.is_file())
    assert size <= MAX_SAMPLE_BYTES


def test_targets_are_in_their_script(pairs):
    japanese = re.compile("[\u3040-\u30ff\u4e00-\u9fff]")
    assert all(japanese.search(target) for split in SPLITS for _, target in pairs["ja"][split])
    for language in build_corpus.SCRIPTS:
        for split in SPLITS:
            for _, target in pairs[language][split]:
                assert build_corpus.has_expected_script(target, language), (language, target)


# === Cleaning and alignment ===

PAGE = """<html><body>
<h1 id="hd_id1" dir="auto">
<a name="x"></a>Adding &amp; Removing
</h1>
<p id="par_id2" class="paragraph">To undo, press <span class="switchinline"><span hidden="true"
  id="MACtextx_1" class="MAC">Command <span class="keycode">Cmd</span></span><span hidden="true"
  id="defaulttextx_1">Ctrl</span></span>+Z.<br>Then  &lt;save&gt;.</p>
<p id="par_id3" class="code">SELECT * FROM t</p>
<p dir="auto">No id: not aligned.</p>
<span class="switch"><span hidden="true" id="WINtextx_2" class="WIN">
<p id="par_id4" class="paragraph">Only on Windows.</p></span></span>
<p id="par_id2" class="paragraph">Again.</p>
<p id="par_id5" class="paragraph"> </p>
<p id="par_id6" class="paragraph">See [text/shared/a.xhp#b not found].</p>
</body></html>"""


def test_clean_text():
    assert build_corpus.clean_text(" a\tb\n c\u00a0 d ") == "a b c d"
    assert build_corpus.clean_text("e\u0301te\u0301") == "\u00e9t\u00e9"


def test_parse_help_page_keeps_default_variant_and_prose():
    assert build_corpus.parse_help_page(PAGE) == [
        ("hd_id1", "Adding & Removing"),
        ("par_id2", "To undo, press Ctrl+Z. Then <save>."),
        ("par_id4", "Only on Windows."),
        ("par_id2", "Again."),
        ("par_id5", ""),
        ("par_id6", "See [text/shared/a.xhp#b not found]."),
    ]


def test_keyed_paragraphs_counts_occurrences_and_drops_empty_and_broken():
    paragraphs = build_corpus.keyed_paragraphs({"text/b.html": PAGE, "text/a.html": PAGE})
    assert list(paragraphs)[:4] == [
        ("text/a.html", "hd_id1", 0),
        ("text/a.html", "par_id2", 0),
        ("text/a.html", "par_id4", 0),
        ("text/a.html", "par_id2", 1),
    ]
    assert len(paragraphs) == 8
    assert paragraphs[("text/b.html", "par_id2", 1)] == "Again."


@pytest.mark.parametrize(
    "language, text",
    [
        ("ja", "設定を開く"),
        ("ja", "ファイル"),
        ("zh", "打开设置"),
        ("ko", "설정 열기"),
        ("ru", "Открыть настройки"),
        ("el", "Άνοιγμα ρυθμίσεων"),
        ("de", "Einstellungen"),
    ],
)
def test_script_check_accepts_the_language(language, text):
    assert build_corpus.has_expected_script(text, language)


@pytest.mark.parametrize("language", ["ja", "zh", "ko", "ru", "el"])
def test_script_check_rejects_latin(language):
    assert not build_corpus.has_expected_script("Open settings (Ctrl+O)", language)


def test_align_drops_untranslated_wrong_script_and_duplicates():
    english = {
        ("p", "a", 0): "Open",
        ("p", "b", 0): "Save",
        ("p", "c", 0): "Ctrl",
        ("p", "d", 0): "Open",
        ("p", "e", 0): "Close",
        ("p", "f", 0): "Print",
    }
    japanese = {
        ("p", "a", 0): "開く",
        ("p", "b", 0): "Save",
        ("p", "c", 0): "(Ctrl)",
        ("p", "d", 0): "開く",
        ("p", "e", 0): "閉じる",
    }
    assert build_corpus.align(english, japanese, "ja") == [("Open", "開く"), ("Close", "閉じる")]


def test_split_is_by_english_and_deterministic():
    english = [f"Sentence number {i}." for i in range(4000)]
    splits = [build_corpus.split_of(text, 0.05) for text in english]
    assert splits == [build_corpus.split_of(text, 0.05) for text in english]
    assert 0.03 < splits.count("test") / len(english) < 0.07
    pairs = [(text, target) for text in english[:200] for target in ("a", "b")]
    by_split = build_corpus.split_pairs(pairs, 0.05)
    train = {english for english, _ in by_split["train"]}
    assert not train & {english for english, _ in by_split["test"]}
    assert len(by_split["train"]) + len(by_split["test"]) == len(pairs)


def test_monolingual_keeps_test_texts_out_of_train():
    corpus = {
        "de": {
            "train": [("Open", "Öffnen"), ("File", "Datei"), ("Open file", "Öffnen")],
            "test": [("Close", "Schließen"), ("Shut", "Öffnen")],
        }
    }
    assert build_corpus.monolingual(corpus) == {
        "en": {"train": ["Open", "File", "Open file"], "test": ["Close", "Shut"]},
        "de": {"train": ["Datei"], "test": ["Schließen", "Öffnen"]},
    }


def test_select_sample_is_multi_way():
    corpus = {
        "de": {
            "train": [("A", "a1"), ("B", "b1"), ("C", "c1"), ("A", "a2")],
            "test": [("T", "t1")],
        },
        "fr": {"train": [("A", "a3"), ("B", "b3")], "test": [("T", "t3"), ("U", "u3")]},
    }
    sample = build_corpus.select_sample(corpus, train_size=5, test_size=5)
    assert sample == {
        "de": {"train": [("A", "a1"), ("B", "b1")], "test": [("T", "t1")]},
        "fr": {"train": [("A", "a3"), ("B", "b3")], "test": [("T", "t3")]},
    }
    one = build_corpus.select_sample(corpus, train_size=1, test_size=0)
    assert [english for english, _ in one["de"]["train"]] == [e for e, _ in one["fr"]["train"]]
    assert len(one["de"]["train"]) == 1 and one["de"]["test"] == []
