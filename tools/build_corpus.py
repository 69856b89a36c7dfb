"""Build a multi-way parallel corpus (English <-> N languages) from LibreOffice help.

  python tools/build_corpus.py                       # full corpus into ~/.cache/xlm_keras/corpus
  python tools/build_corpus.py --sample_dir=xlm_keras/data/sample_corpus

Fetches `libreoffice-help-en-us` and `libreoffice-help-<lang>` with `apt-get download`
(no install), reads the HTML help pages straight out of each .deb, and aligns the prose
paragraphs (`<p>`/`<h1-6>` with a `par_id`/`hd_id` id) by (page path, paragraph id,
occurrence). Output, under `--output_dir` (and `--sample_dir` for a small multi-way sample):

  parallel/en-<xx>.<split>.tsv   English TAB target, one pair per line
  mono/<xx>.<split>.txt          the texts of each language (en included), one per line
  manifest.json                  packages (version, sha256, licence) and line counts
  LICENSES.md                    MPL-2.0 notice for the LibreOffice help text

The split is a hash of the English side, so every translation of one English text lands
in the same split and no test text occurs in training.
"""

import argparse
import concurrent.futures
import hashlib
import json
import logging
import re
import subprocess
import tarfile
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

# apt package suffix -> short ISO code used in the output.
LANGUAGES = {
    "de": "de",
    "fr": "fr",
    "es": "es",
    "it": "it",
    "pt-br": "pt",
    "nl": "nl",
    "pl": "pl",
    "cs": "cs",
    "ru": "ru",
    "el": "el",
    "tr": "tr",
    "vi": "vi",
    "ja": "ja",
    "zh-cn": "zh",
    "ko": "ko",
}
ENGLISH_PACKAGE = "libreoffice-help-en-us"
LICENCE = "MPL-2.0"
SPLITS = ("train", "test")
# A target text in these languages must contain at least one character of its script.
SCRIPTS = {
    "ja": re.compile("[\u3040-\u30ff\u4e00-\u9fff]"),  # kana, kanji
    "zh": re.compile("[\u4e00-\u9fff]"),  # hanzi
    "ko": re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]"),  # hangul
    "ru": re.compile("[\u0400-\u04ff]"),  # cyrillic
    "el": re.compile("[\u0370-\u03ff\u1f00-\u1fff]"),  # greek
}
PARAGRAPH_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6"}
PARAGRAPH_ID_PREFIXES = ("par_id", "hd_id")
CODE_CLASSES = {"code", "codeintable", "smathcode", "example"}
BROKEN_EMBED = re.compile(r"\[text/\S+ not found\]")  # an embed the help build could not resolve
HELP_PAGE = re.compile(r"^\.?/?usr/share/libreoffice/help/[^/]+/(text/.+\.html)$")


def clean_text(text):
    """NFC-normalises `text` and collapses all whitespace (tabs, newlines) to single spaces."""
    return " ".join(unicodedata.normalize("NFC", text).split())


class HelpPageParser(HTMLParser):
    """Collects `(paragraph_id, text)` of the prose paragraphs of one help page.

    Entities are unescaped; inside a paragraph, hidden `<span>` variants (platform or
    module specific) are dropped except the default one (id starting with "default").
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.paragraphs = []
        self._tag = None  # tag of the open paragraph, None outside one
        self._id = None
        self._chunks = []
        self._span_depth = 0
        self._hidden_depth = None  # span depth where the open hidden variant began

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self._tag is None:
            paragraph_id = attrs.get("id") or ""
            if (
                tag in PARAGRAPH_TAGS
                and paragraph_id.startswith(PARAGRAPH_ID_PREFIXES)
                and attrs.get("class") not in CODE_CLASSES
            ):
                self._tag, self._id, self._chunks = tag, paragraph_id, []
                self._span_depth, self._hidden_depth = 0, None
        elif tag == "span":
            self._span_depth += 1
            is_variant = "hidden" in attrs and not (attrs.get("id") or "").startswith("default")
            if is_variant and self._hidden_depth is None:
                self._hidden_depth = self._span_depth
        elif tag == "br":
            self._chunks.append(" ")

    def handle_endtag(self, tag):
        if self._tag is None:
            return
        if tag == "span":
            if self._hidden_depth == self._span_depth:
                self._hidden_depth = None
            self._span_depth -= 1
        elif tag == self._tag:
            self.paragraphs.append((self._id, clean_text("".join(self._chunks))))
            self._tag = None

    def handle_data(self, data):
        if self._tag is not None and self._hidden_depth is None:
            self._chunks.append(data)


def parse_help_page(html):
    """`[(paragraph_id, text)]` of the prose paragraphs of one help page, in page order."""
    parser = HelpPageParser()
    parser.feed(html)
    parser.close()
    return parser.paragraphs


def keyed_paragraphs(pages):
    """Maps `(page_path, paragraph_id, occurrence)` to text for `pages`, `{path: html}`.

    Keys are inserted in page-path order then page order; empty paragraphs and those with
    a broken embed are left out.
    """
    paragraphs = {}
    for path in sorted(pages):
        seen = {}
        for paragraph_id, text in parse_help_page(pages[path]):
            occurrence = seen.get(paragraph_id, 0)
            seen[paragraph_id] = occurrence + 1
            if text and not BROKEN_EMBED.search(text):
                paragraphs[(path, paragraph_id, occurrence)] = text
    return paragraphs


def has_expected_script(text, language):
    """False if `language` has a script check (`SCRIPTS`) and `text` has none of its letters."""
    script = SCRIPTS.get(language)
    return script is None or bool(script.search(text))


def align(english, target, language):
    """Deduplicated `[(english_text, target_text)]` for the keys both paragraph maps share.

    Drops untranslated paragraphs (target equal to English) and targets that fail the
    script check of `language`. Keeps the order of `english`.
    """
    pairs = {}
    for key, english_text in english.items():
        target_text = target.get(key)
        if (
            target_text
            and target_text != english_text
            and has_expected_script(target_text, language)
        ):
            pairs.setdefault((english_text, target_text), None)
    return list(pairs)


def text_hash(text):
    """A stable 64-bit hash of `text` (first 8 bytes of its sha256)."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def split_of(english_text, test_fraction):
    """ "test" for the `test_fraction` of English texts with the smallest hashes, else "train"."""
    return "test" if text_hash(english_text) < test_fraction * 2**64 else "train"


def split_pairs(pairs, test_fraction):
    """`{split: [(english, target)]}` by the hash of the English side, order kept."""
    splits = {split: [] for split in SPLITS}
    for pair in pairs:
        splits[split_of(pair[0], test_fraction)].append(pair)
    return splits


def monolingual(corpus):
    """`{language: {split: [text]}}`: unique texts of each side (en included) of `corpus`.

    `corpus` is `{language: {split: [(english, target)]}}`. A text found in test is left
    out of train, so no test text occurs in training.
    """
    sides = {"en": 0, **{language: 1 for language in corpus}}
    mono = {}
    for language, side in sides.items():
        sources = corpus.values() if language == "en" else [corpus[language]]
        texts = {split: {} for split in SPLITS}
        for splits in sources:
            for split in SPLITS:
                texts[split].update((pair[side], None) for pair in splits[split])
        mono[language] = {
            "train": [text for text in texts["train"] if text not in texts["test"]],
            "test": list(texts["test"]),
        }
    return mono


def download(packages, deb_dir):
    """`apt-get download`s `packages` into `deb_dir` (kept files are reused); their paths."""
    deb_dir.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(
            ["apt-get", "download", *packages], cwd=deb_dir, check=True, stdout=subprocess.DEVNULL
        )
    except subprocess.CalledProcessError as error:
        raise RuntimeError(
            f"apt-get download failed ({error.returncode}) for some of {list(packages)}; apt's "
            "message above names the package. Check its name, or run `apt-get update` if the "
            "package lists are missing or stale."
        ) from error
    debs = []
    for package in packages:
        found = sorted(deb_dir.glob(f"{package}_*.deb"))
        if len(found) != 1:
            raise FileNotFoundError(
                f"Expected one {package}_*.deb in {deb_dir}, found {len(found)}; "
                "delete the stale ones and rerun."
            )
        debs.append(found[0])
    return debs


def read_help(apt_languages, deb_dir, fetch=download):
    """The paragraphs and `package_info` of the English help package and of
    `apt_languages`' (English first); `fetch(package_names, deb_dir)` gives
    their .deb files."""
    names = [ENGLISH_PACKAGE] + [f"libreoffice-help-{code}" for code in apt_languages]
    debs = fetch(names, deb_dir)
    with concurrent.futures.ProcessPoolExecutor() as pool:
        return list(pool.map(deb_paragraphs, debs)), list(pool.map(package_info, debs))


def argument_parser(doc, output_dir, output_meaning):
    """A parser of the options that both corpus tools take: `--output_dir`
    (default `output_dir`) and `--deb_dir`; `doc`'s first line describes it."""
    parser = argparse.ArgumentParser(
        description=doc.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--output_dir", type=Path, default=output_dir, help=output_meaning)
    parser.add_argument(
        "--deb_dir",
        type=Path,
        default=Path.home() / ".cache/xlm_keras/debs",
        help="Where the downloaded .deb files are kept.",
    )
    return parser


def package_info(deb, licence=LICENCE):
    """Name, version, sha256 and `licence` (the LibreOffice help's by default) of one .deb."""
    fields = subprocess.run(
        ["dpkg-deb", "-f", deb, "Package", "Version"], check=True, capture_output=True, text=True
    ).stdout
    info = dict(line.split(": ", 1) for line in fields.splitlines())
    return {
        "name": info["Package"],
        "version": info["Version"],
        "file": deb.name,
        "sha256": hashlib.sha256(deb.read_bytes()).hexdigest(),
        "licence": licence,
    }


def read_members(deb, pattern):
    """`{key: bytes}` of the files in `deb` whose path `pattern` (a compiled regex) matches,
    keyed by the match's first group; read straight out of the .deb, nothing installed."""
    members = {}
    process = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE)
    with tarfile.open(fileobj=process.stdout, mode="r|") as archive:
        for member in archive:
            match = pattern.match(member.name)
            if match and member.isfile():
                members[match.group(1)] = archive.extractfile(member).read()
    if process.wait():
        raise RuntimeError(f"dpkg-deb --fsys-tarfile {deb} failed ({process.returncode}).")
    return members


def read_help_pages(deb):
    """`{page_path: html}` of the help pages in `deb`, e.g. "text/swriter/main0000.html"."""
    return {path: html.decode("utf-8") for path, html in read_members(deb, HELP_PAGE).items()}


def deb_paragraphs(deb):
    """Keyed paragraphs (see `keyed_paragraphs`) of every help page in `deb`."""
    return keyed_paragraphs(read_help_pages(deb))


def build(apt_languages, deb_dir, test_fraction):
    """Downloads and aligns; returns `(corpus, packages)`.

    corpus: `{iso_language: {split: [(english, target)]}}`; packages: `package_info`s.
    """
    unknown = sorted(set(apt_languages) - set(LANGUAGES))
    if unknown:
        raise ValueError(f"Unknown languages {unknown}; expected some of {sorted(LANGUAGES)}.")
    paragraphs, packages = read_help(apt_languages, deb_dir)
    english = paragraphs[0]
    corpus = {}
    for code, target in zip(apt_languages, paragraphs[1:]):
        language = LANGUAGES[code]
        corpus[language] = split_pairs(align(english, target, language), test_fraction)
        logging.info("%s: %s", language, {s: len(corpus[language][s]) for s in SPLITS})
    return corpus, packages


def select_sample(corpus, train_size, test_size):
    """A multi-way sample of `corpus`: the same English texts in every language.

    Per split, takes the English texts translated into every language, the `train_size`
    (or `test_size`) with the smallest hashes, each with its first translation.
    """
    sizes = {"train": train_size, "test": test_size}
    sample = {language: {} for language in corpus}
    for split, size in sizes.items():
        shared = set.intersection(
            *({english for english, _ in splits[split]} for splits in corpus.values())
        )
        chosen = set(sorted(shared, key=text_hash)[:size])
        for language, splits in corpus.items():
            first = {}
            for english, target in splits[split]:
                if english in chosen:
                    first.setdefault(english, target)
            sample[language][split] = list(first.items())
    return sample


def licence_notice(packages):
    """LICENSES.md text: the MPL-2.0 notice and the source packages."""
    lines = [
        "# Licences",
        "",
        "The text in this corpus comes from the LibreOffice help (https://help.libreoffice.org),",
        "as packaged by Debian. It is Copyright The Document Foundation and its contributors,",
        "licensed under the Mozilla Public License 2.0 (MPL-2.0): https://mozilla.org/MPL/2.0/.",
        "The Source Code Form is in the LibreOffice help repository",
        "(https://git.libreoffice.org/help) and in these Debian packages:",
        "",
    ]
    lines += [f"- `{p['name']}` {p['version']} (sha256 `{p['sha256']}`)" for p in packages]
    lines += ["", "Tools and code in this repository are under the repository's own licence.", ""]
    return "\n".join(lines)


def package_licence_notice(source_lines, packages):
    """LICENSES.md text for text taken from Debian packages under each
    package's own licence: `source_lines` say where the text comes from,
    then a table of the packages (name, version, licence, sha256)."""
    lines = ["# Licences", "", *source_lines]
    lines += [
        "each package's licence as its Debian copyright file (`usr/share/doc/<package>/copyright`)",
        "states it; the full licence texts are in Debian's `/usr/share/common-licenses/`.",
        "",
        "| package | version | licence | sha256 |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| `{p['name']}` | {p['version']} | {p['licence']} | `{p['sha256']}` |" for p in packages
    ]
    lines += ["", "Tools and code in this repository are under the repository's own licence.", ""]
    return "\n".join(lines)


def write_lines(path, lines):
    """Writes `lines`, one per line, UTF-8."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")


def write_corpus(directory, corpus, packages, settings):
    """Writes `corpus` in the layout of the module docstring; returns the manifest."""
    mono = monolingual(corpus)
    for language, splits in corpus.items():
        for split, pairs in splits.items():
            write_lines(
                directory / "parallel" / f"en-{language}.{split}.tsv",
                (f"{english}\t{target}" for english, target in pairs),
            )
    for language, splits in mono.items():
        for split, texts in splits.items():
            write_lines(directory / "mono" / f"{language}.{split}.txt", texts)
    manifest = {
        "source": "LibreOffice help pages from Debian packages, aligned by "
        "(page path, paragraph id, occurrence)",
        "split": "sha256 of the English text; the smallest test_fraction of hashes is test",
        **settings,
        "packages": packages,
        "parallel": {
            language: {split: len(pairs) for split, pairs in splits.items()}
            for language, splits in corpus.items()
        },
        "mono": {
            language: {split: len(texts) for split, texts in splits.items()}
            for language, splits in mono.items()
        },
    }
    write_metadata(directory, manifest, licence_notice(packages))
    return manifest


def write_metadata(directory, manifest, licences):
    """`manifest.json` (the dict `manifest`) and `LICENSES.md` (the text `licences`)."""
    (directory / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (directory / "LICENSES.md").write_text(licences, encoding="utf-8")


def parse_args(argv=None):
    """The command-line options (see the module docstring)."""
    parser = argument_parser(
        __doc__, Path.home() / ".cache/xlm_keras/corpus", "Where the full corpus is written."
    )
    parser.add_argument(
        "--languages",
        type=lambda value: value.split(","),
        default=list(LANGUAGES),
        help="Comma-separated LibreOffice help languages, as apt spells them.",
    )
    parser.add_argument(
        "--test_fraction",
        type=float,
        default=0.05,
        help="Share of English texts (by hash) in the test split.",
    )
    parser.add_argument(
        "--sample_dir", type=Path, help="If set, also write a small multi-way sample here."
    )
    parser.add_argument(
        "--sample_train",
        type=int,
        default=800,
        help="English texts per language in the sample's train split.",
    )
    parser.add_argument(
        "--sample_test",
        type=int,
        default=200,
        help="English texts per language in the sample's test split.",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    settings = {"test_fraction": args.test_fraction}
    corpus, packages = build(args.languages, args.deb_dir, args.test_fraction)
    write_corpus(args.output_dir, corpus, packages, settings)
    logging.info("Wrote the corpus to %s", args.output_dir)
    if args.sample_dir:
        sample = select_sample(corpus, args.sample_train, args.sample_test)
        sample_settings = {
            **settings,
            "sample": "multi-way: per split, the English texts translated into every "
            "language with the smallest hashes, each with its first translation",
            "sample_train": args.sample_train,
            "sample_test": args.sample_test,
        }
        write_corpus(args.sample_dir, sample, packages, sample_settings)
        logging.info("Wrote the sample to %s", args.sample_dir)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    main()
