"""Build `help_topic`, a cross-lingual classification task, from LibreOffice help.

  python tools/build_task_corpus.py      # into xlm_keras/finetuning/sample_tasks/help_topic

Each example is one prose paragraph of the LibreOffice help; its label is the help module
of its page, `text/<module>/...` (Writer, Calc, Impress/Draw, Basic, Math). The paragraphs
are read and cleaned as in `build_corpus.py` and kept only if translated into every one of
its 15 languages at the same (page path, paragraph id, occurrence), so the label of every
translation is known. Meant for zero-shot transfer: fine-tune on English, evaluate on all.

  <split>.<xx>.jsonl   {"text": ..., "label": ...} per line; train: English only;
                       validation and test: en + 15 languages, line i the same paragraph
  manifest.json        labels, module -> label, counts, selection rules, packages
  LICENSES.md          MPL-2.0 notice for the LibreOffice help text

The split is `build_corpus.split_of` on the English text with the corpus' test fraction:
test comes from the hash "test" side, train and validation from the "train" side, so no
test text occurs in the pretraining corpus' training split nor in train/validation.
"""

import collections
import json
import logging
from pathlib import Path

from build_corpus import LANGUAGES
from build_corpus import LICENCE
from build_corpus import argument_parser
from build_corpus import download
from build_corpus import has_expected_script
from build_corpus import licence_notice
from build_corpus import read_help
from build_corpus import split_of
from build_corpus import text_hash

TASK_NAME = "help_topic"
# LibreOffice help module (`text/<module>/...`) -> label; `LEFT_OUT` says why the others
# have none.
MODULE_LABELS = {
    "swriter": "writer",
    "scalc": "calc",
    "simpress": "impress_draw",
    "sdraw": "impress_draw",  # Draw and Impress share most of their help
    "sbasic": "basic",
    "smath": "math",
}
LABELS = list(dict.fromkeys(MODULE_LABELS.values()))
LEFT_OUT = {
    "shared": "help common to all modules (menus, dialogs, options): not module specific",
    "sdatabase": "Base: its paragraphs are hardly translated into ja, ko, vi, pl",
    "schart": "Chart: few multi-way texts (about 10 on the test side)",
}
SELECTION = [
    "paragraphs (<p>/<h1-6> with a par_id/hd_id id) of the help pages, cleaned as in "
    "tools/build_corpus.py (code paragraphs, hidden variants and broken embeds dropped)",
    "the English text has at least min_words words",
    "translated into all 15 languages at the same (page path, paragraph id, occurrence): "
    "target not empty, not equal to the English text, and in its script (ja zh ko ru el); "
    "the first such occurrence of an English text gives its translations",
    "no translation may also translate another English text anywhere in the help (often a "
    "stale translation; such a text could also sit on the other side of the split)",
    "deduplicated by English text; a text found under modules of different labels, or "
    "under a module without a label (e.g. shared), is dropped as ambiguous",
    "split by build_corpus.split_of(english, test_fraction): test from the 'test' side, "
    "train and validation from the 'train' side",
    "per label, by ascending text_hash of the English text: validation takes the first "
    "validation_per_label of the 'train' side, train the next train_per_label, test the "
    "first test_per_label of the 'test' side (all of them where a label has fewer)",
    "within a split, examples are ordered by text_hash of the English text",
]


def module_of(page_path):
    """The help module of a page path, e.g. "text/swriter/guide/a.html" -> "swriter"."""
    return page_path.split("/")[1]


def shared_translations(english, targets):
    """`{language: {text}}`: the texts that translate two or more different English texts.

    english, targets: as in `labelled_examples`.
    """
    shared = {}
    for language, paragraphs in targets.items():
        sources = collections.defaultdict(set)
        for key, english_text in english.items():
            text = paragraphs.get(key)
            if text and text != english_text:
                sources[text].add(english_text)
        shared[language] = {
            text for text, english_texts in sources.items() if len(english_texts) > 1
        }
    return shared


def labelled_examples(english, targets, min_words):
    """`{label: [(english_text, {language: text})]}` of the multi-way, unambiguous texts.

    english: `{(page_path, paragraph_id, occurrence): text}` (see `keyed_paragraphs`);
    targets: the same for each language, `{iso_language: {key: text}}`. Keeps the order
    of `english`. See `SELECTION` for the rules.
    """
    shared = shared_translations(english, targets)
    labels = collections.defaultdict(set)  # English text -> labels of all its pages
    translations = {}
    for key, english_text in english.items():
        if len(english_text.split()) < min_words:
            continue
        labels[english_text].add(MODULE_LABELS.get(module_of(key[0])))
        if english_text in translations:
            continue
        found = {language: paragraphs.get(key) for language, paragraphs in targets.items()}
        if all(
            text
            and text != english_text
            and has_expected_script(text, language)
            and text not in shared[language]
            for language, text in found.items()
        ):
            translations[english_text] = found
    examples = {label: [] for label in LABELS}
    for english_text, found in translations.items():
        text_labels = labels[english_text]
        if len(text_labels) == 1 and None not in text_labels:
            examples[text_labels.pop()].append((english_text, found))
    return examples


def select_splits(examples, test_fraction, sizes):
    """`{split: [(english_text, label, {language: text})]}`, class-balanced by `sizes`.

    sizes: `{"train": n, "validation": n, "test": n}` examples per label (fewer where a
    label has fewer). See `SELECTION` for the rules.
    """
    splits = {split: [] for split in sizes}
    for label, items in examples.items():
        sides = {"train": [], "test": []}
        for item in sorted(items, key=lambda item: text_hash(item[0])):
            sides[split_of(item[0], test_fraction)].append(item)
        validation_end = sizes["validation"]
        chosen = {
            "validation": sides["train"][:validation_end],
            "train": sides["train"][validation_end : validation_end + sizes["train"]],
            "test": sides["test"][: sizes["test"]],
        }
        for split, chosen_items in chosen.items():
            splits[split] += [(english_text, label, found) for english_text, found in chosen_items]
    return {
        split: sorted(items, key=lambda item: text_hash(item[0])) for split, items in splits.items()
    }


def split_languages(split, languages):
    """The languages written for `split`: English only for train, else en + `languages`."""
    return ["en"] if split == "train" else ["en", *languages]


def write_task(directory, splits, languages, packages, settings):
    """Writes the files of the module docstring; returns the manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    counts = {}
    for split, items in splits.items():
        counts[split] = {}
        for language in split_languages(split, languages):
            lines = [
                json.dumps(
                    {"text": english_text if language == "en" else found[language], "label": label},
                    ensure_ascii=False,
                )
                for english_text, label, found in items
            ]
            (directory / f"{split}.{language}.jsonl").write_text(
                "".join(f"{line}\n" for line in lines), encoding="utf-8"
            )
            counts[split][language] = len(lines)
    label_counts = {
        split: {label: sum(item[1] == label for item in items) for label in LABELS}
        for split, items in splits.items()
    }
    fewer = {
        split: {
            label: count
            for label, count in per_label.items()
            if count < settings[f"{split}_per_label"]
        }
        for split, per_label in label_counts.items()
    }
    manifest = {
        "name": TASK_NAME,
        "description": "Which LibreOffice help module a help paragraph comes from. For "
        "zero-shot cross-lingual transfer: fine-tune on train (English only), "
        "evaluate on validation/test in every language; validation and test "
        "files are multi-way parallel (line i is the same paragraph in every "
        "language, with the same label).",
        "labels": LABELS,
        "modules": MODULE_LABELS,
        "left_out_modules": LEFT_OUT,
        "languages": ["en", *languages],
        "files": '<split>.<language>.jsonl, one {"text", "label"} object per line',
        **settings,
        "selection": SELECTION,
        "fewer_than_asked": {split: labels for split, labels in fewer.items() if labels},
        "fewer_than_asked_note": "these labels have no more usable multi-way texts on that "
        "hash side (test_fraction is fixed by the pretraining "
        "corpus), so that split is not balanced: report macro-F1 "
        "or per-label scores beside accuracy",
        "counts": counts,
        "label_counts": label_counts,
        "source": "LibreOffice help pages from Debian packages",
        "licence": LICENCE,
        "packages": packages,
    }
    (directory / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (directory / "LICENSES.md").write_text(licence_notice(packages), encoding="utf-8")
    return manifest


def cached_debs(names, deb_dir):
    """The .deb of each package in `deb_dir`, `apt-get download`ed if any is missing."""
    found = [sorted(deb_dir.glob(f"{name}_*.deb")) for name in names]
    if all(len(debs) == 1 for debs in found):
        return [debs[0] for debs in found]
    return download(names, deb_dir)


def parse_args(argv=None):
    """The command-line options (see the module docstring)."""
    task_dir = Path(__file__).resolve().parents[1] / "xlm_keras/finetuning/sample_tasks" / TASK_NAME
    parser = argument_parser(__doc__, task_dir, "Where the task files are written.")
    parser.add_argument(
        "--test_fraction",
        type=float,
        default=0.05,
        help="Share of English texts (by hash) on the test side; keep it equal "
        "to the corpus' so no test text is in pretraining.",
    )
    parser.add_argument(
        "--min_words",
        type=int,
        default=4,
        help="Fewest whitespace-separated words of a kept English text.",
    )
    for split, default, meaning in (
        ("train", 380, "English training examples per label."),
        ("validation", 60, "Validation examples per label (in every language)."),
        ("test", 100, "Test examples per label (in every language), or all there are."),
    ):
        parser.add_argument(f"--{split}_per_label", type=int, default=default, help=meaning)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    apt_languages = list(LANGUAGES)
    paragraphs, packages = read_help(apt_languages, args.deb_dir, fetch=cached_debs)
    languages = [LANGUAGES[code] for code in apt_languages]
    english, targets = paragraphs[0], dict(zip(languages, paragraphs[1:]))
    examples = labelled_examples(english, targets, args.min_words)
    available = {
        label: {
            side: sum(split_of(text, args.test_fraction) == side for text, _ in items)
            for side in ("train", "test")
        }
        for label, items in examples.items()
    }
    logging.info("Multi-way texts per label and hash side: %s", available)
    sizes = {
        "train": args.train_per_label,
        "validation": args.validation_per_label,
        "test": args.test_per_label,
    }
    splits = select_splits(examples, args.test_fraction, sizes)
    settings = {
        "test_fraction": args.test_fraction,
        "min_words": args.min_words,
        **{f"{split}_per_label": size for split, size in sizes.items()},
        "available": available,
    }
    manifest = write_task(args.output_dir, splits, languages, packages, settings)
    logging.info("Wrote %s to %s: %s", TASK_NAME, args.output_dir, manifest["label_counts"])


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    main()
