"""Build a monolingual corpus of man pages (another domain than the LibreOffice help) from Debian.

  python tools/build_man_corpus.py                   # en,fr,de into ~/.cache/xlm_keras/corpus_man
  python tools/build_man_corpus.py --languages=en,fr,de,es,ru

Fetches `manpages` (English: the Linux man-pages project, mostly sections 4, 5 and 7) and
`manpages-<xx>` (the manpages-l10n translations) with `apt-get download` (no install), reads
the pages (`usr/share/man/[<locale>/]man<N>/*.gz`; links left out) straight out of each .deb and
renders each with `groff -mandoc -Tutf8` (tables through tbl, no hyphenation, one output line
per paragraph, no bold or underline). Of each page it keeps the body lines (indented: not the
title, section headings or footer) that read as prose: not a table row, at least `MIN_WORDS`
words, letters at least `MIN_LETTER_SHARE` of the other characters (little code), whitespace
collapsed; deduplicated per language (first kept). Not alignable across languages: there is no
`parallel/`. Output, under `--output_dir`:

  mono/<xx>.<split>.txt   one paragraph per line, page by page (sorted by page path)
  manifest.json           packages (version, sha256, licence, pages) and line counts
  LICENSES.md             each package's licence

The split is a hash of the page's path below the language (`man1/at.1.gz`), so a test page
is a whole page no training text comes from, the same page in every language; a test text
that some training page also has is left out of train.
"""

import concurrent.futures
import gzip
import logging
import os
import re
import shutil
import subprocess
from pathlib import Path

from build_corpus import argument_parser
from build_corpus import clean_text
from build_corpus import download
from build_corpus import package_info
from build_corpus import package_licence_notice
from build_corpus import read_members
from build_corpus import split_of
from build_corpus import write_lines
from build_corpus import write_metadata

# Output language -> (Debian package, locale directory under usr/share/man; "" for English).
# Each package's pages are UTF-8 (checked for Debian 12); its licence is its copyright file's.
LANGUAGES = {
    "en": ("manpages", ""),
    "cs": ("manpages-cs", "cs"),
    "de": ("manpages-de", "de"),
    "el": ("manpages-el", "el"),
    "es": ("manpages-es", "es"),
    "fr": ("manpages-fr", "fr"),
    "it": ("manpages-it", "it"),
    "nl": ("manpages-nl", "nl"),
    "pl": ("manpages-pl", "pl"),
    "pt": ("manpages-pt-br", "pt_BR"),
    "ru": ("manpages-ru", "ru"),
    "vi": ("manpages-vi", "vi"),
}
LICENCES = {
    "manpages": "the Linux man-pages licences per page (mostly 'Linux-man-pages-copyleft', "
    "GPL-2+, BSD); see usr/share/doc/manpages/copyright"
}
TRANSLATION_LICENCE = "GPL-3+ (the manpages-l10n translations)"
SPLITS = ("train", "test")
MIN_WORDS = 5
MIN_LETTER_SHARE = 0.7
# A table row: two or more gaps of 3+ spaces between words (tbl's column gap is 3; prose has
# at most 2 after a sentence, a tagged paragraph one gap after its tag).
TABLE_ROW = re.compile(r"\S {3,}\S.* {3,}\S")
# groff: read UTF-8 (preconv), run tbl, man macros, UTF-8 text out without overstriking
# (-P-cbou), no hyphenation, a line length no paragraph reaches (one line per paragraph).
GROFF = ["groff", "-Kutf8", "-t", "-mandoc", "-Tutf8", "-P-cbou", "-rHY=0", "-rLL=20000n"]
SELECTION = [
    "pages: usr/share/man/[<locale>/]man<N>/*.gz regular files (links and '.so' includes left "
    "out), rendered with " + " ".join(GROFF),
    "kept per page: body lines (indented), not the first and last (title and footer) nor table "
    "rows (two gaps of 3+ spaces), with "
    f"at least {MIN_WORDS} words and letters at least {MIN_LETTER_SHARE} of the characters "
    "other than spaces; NFC, whitespace collapsed",
    "deduplicated per language (first kept, pages in path order); a test text left out of train",
]


def page_pattern(locale):
    """Matches the man pages of `locale` ("" for English) in a .deb; group 1 is
    "man<N>/<page>.gz"."""
    prefix = f"{re.escape(locale)}/" if locale else ""
    return re.compile(rf"^\.?/?usr/share/man/{prefix}(man\w+/[^/]+\.gz)$")


def render(source):
    """The text of one man page (roff source, bytes) as groff lays it out for a terminal."""
    done = subprocess.run(GROFF, input=source, capture_output=True, check=True)
    return done.stdout.decode("utf-8")


def prose_lines(rendered):
    """The paragraphs of a rendered page (`render`) that read as prose (see the module
    docstring), cleaned, in page order."""
    lines = [line for line in rendered.splitlines() if line.strip()][1:-1]
    kept = []
    for line in lines:
        if not line[:1].isspace() or TABLE_ROW.search(line):
            continue  # a section heading or a table row
        text = clean_text(line)
        characters = text.replace(" ", "")
        letters = sum(c.isalpha() for c in characters)
        if len(text.split()) >= MIN_WORDS and letters >= MIN_LETTER_SHARE * len(characters):
            kept.append(text)
    return kept


def read_pages(deb, locale):
    """`{page_path: roff source}` of the man pages of `locale` in `deb`, `.so` includes left
    out."""
    pages = {}
    for path, data in read_members(deb, page_pattern(locale)).items():
        source = gzip.decompress(data)
        if not source.lstrip().startswith(b".so "):
            pages[path] = source
    return pages


def page_texts(pages):
    """`{page_path: [paragraph]}` of `pages`, `{page_path: roff source}`, rendered in parallel."""
    paths = sorted(pages)
    with concurrent.futures.ThreadPoolExecutor(os.cpu_count()) as pool:
        rendered = pool.map(render, (pages[path] for path in paths))
        return {path: prose_lines(text) for path, text in zip(paths, rendered)}


def split_texts(texts, test_fraction):
    """`{split: [paragraph]}` of one language's `{page_path: [paragraph]}`: each page's split
    by the hash of its path; deduplicated (first kept, pages in path order), a test text left
    out of train."""
    splits = {split: {} for split in SPLITS}
    for path in sorted(texts):
        splits[split_of(path, test_fraction)].update(dict.fromkeys(texts[path]))
    return {
        "train": [text for text in splits["train"] if text not in splits["test"]],
        "test": list(splits["test"]),
    }


def build(languages, deb_dir, test_fraction, fetch=download):
    """Downloads the packages of `languages` and splits their pages' prose; `fetch(package_names,
    deb_dir)` gives their .deb files.

    Returns `(corpus, packages)`: `{language: {split: [paragraph]}}`, the `package_info`s with
    the number of pages read.
    """
    unknown = sorted(set(languages) - set(LANGUAGES))
    if unknown:
        raise ValueError(f"Unknown languages {unknown}; expected some of {sorted(LANGUAGES)}.")
    if shutil.which("groff") is None:
        raise FileNotFoundError("groff is not installed: `apt-get install groff-base`.")
    names = [LANGUAGES[language][0] for language in languages]
    corpus, packages = {}, []
    for language, deb in zip(languages, fetch(names, deb_dir)):
        package, locale = LANGUAGES[language]
        pages = read_pages(deb, locale)
        corpus[language] = split_texts(page_texts(pages), test_fraction)
        packages.append(
            {**package_info(deb, LICENCES.get(package, TRANSLATION_LICENCE)), "pages": len(pages)}
        )
        logging.info(
            "%s: %d pages, %s", language, len(pages), {s: len(corpus[language][s]) for s in SPLITS}
        )
    return corpus, packages


def licence_notice(packages):
    """LICENSES.md text: each package's licence."""
    source = (
        "The text in this corpus is rendered from the man pages of these Debian packages, under"
    )
    return package_licence_notice([source], packages)


def write_corpus(directory, corpus, packages, settings):
    """Writes the layout of the module docstring; returns the manifest."""
    for language, splits in corpus.items():
        for split, texts in splits.items():
            write_lines(directory / "mono" / f"{language}.{split}.txt", texts)
    manifest = {
        "source": "man pages of Debian packages, rendered with groff: monolingual",
        "selection": SELECTION,
        "split": "sha256 of the page path below the language (man1/at.1.gz); the smallest "
        "test_fraction of hashes is test",
        **settings,
        "packages": packages,
        "mono": {
            language: {split: len(texts) for split, texts in splits.items()}
            for language, splits in corpus.items()
        },
    }
    write_metadata(directory, manifest, licence_notice(packages))
    return manifest


def parse_args(argv=None):
    """The command-line options (see the module docstring)."""
    parser = argument_parser(
        __doc__, Path.home() / ".cache/xlm_keras/corpus_man", "Where the corpus is written."
    )
    parser.add_argument(
        "--languages",
        type=lambda value: value.split(","),
        default=["en", "fr", "de"],
        help=f"Comma-separated languages, some of {','.join(LANGUAGES)}.",
    )
    parser.add_argument(
        "--test_fraction",
        type=float,
        default=0.1,
        help="Share of pages (by hash of their path) in the test split.",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    settings = {"test_fraction": args.test_fraction}
    corpus, packages = build(args.languages, args.deb_dir, args.test_fraction)
    write_corpus(args.output_dir, corpus, packages, settings)
    logging.info("Wrote the corpus to %s", args.output_dir)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    main()
