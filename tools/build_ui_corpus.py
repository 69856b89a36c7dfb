"""Build an out-of-domain en-<xx> test set from the gettext catalogues of Debian base packages.

  python tools/build_ui_corpus.py                      # en-fr into ~/.cache/xlm_keras/corpus_ui
  python tools/build_ui_corpus.py --languages=fr,de --exclude_corpus=''   # no overlap check

Fetches `PACKAGES` with `apt-get download` (no install), reads their message catalogues
(`usr/share/locale/<locale>/LC_MESSAGES/*.mo`) straight out of each .deb and keeps the
msgid (English) -> msgstr pairs that read as short prose: no header, plural or context
entries, nothing untranslated, no format specifiers (`%s`, `%1$d`, `{name}`), no multi-line
or aligned option tables, no control characters (the corpus readers skip such lines),
keyboard accelerators (`_File`, `&Open`) stripped, 3 to 40 English words, deduplicated by the
English side. These are user-interface and error messages of
command-line tools: another domain than the LibreOffice help of `build_corpus.py`, and no
pair shares a text (either side) with that corpus (`--exclude_corpus`, all its files).
Output, under `--output_dir`:

  parallel/en-<xx>.test.tsv   English TAB target, one pair per line, by package then msgid
  manifest.json               packages (version, sha256, licence, catalogues, pairs), pair
                              counts, and the entries dropped per reason
  LICENSES.md                 each package's licence
"""

import codecs
import logging
import re
import struct
from pathlib import Path

from build_corpus import LANGUAGES
from build_corpus import argument_parser
from build_corpus import clean_text
from build_corpus import download
from build_corpus import has_expected_script
from build_corpus import package_info
from build_corpus import package_licence_notice
from build_corpus import read_members
from build_corpus import write_lines
from build_corpus import write_metadata

# Packages whose .mo catalogues are read, with the licence of their text as their Debian
# copyright file (usr/share/doc/<package>/copyright) states it. Each ships `fr` catalogues in
# Debian 12; `*-l10n`/`*-locales` ones hold the catalogues of a package that ships none.
PACKAGES = {
    "adduser": "GPL-2+",
    "apt": "GPL-2+",
    "bash": "GPL-3+",
    "coreutils": "GPL-3+",
    "cpio": "GPL-3+",
    "diffutils": "GPL-3+",
    "dpkg": "GPL-2+",
    "findutils": "GPL-3+",
    "gnupg-l10n": "GPL-3+",
    "grep": "GPL-3+",
    "login": "BSD-3-clause",  # shadow
    "nano": "GPL-3+",
    "procps": "GPL-2+ and LGPL-2.1+",
    "psmisc": "GPL-2+",
    "sed": "GPL-3+",
    "sudo": "ISC",
    "tar": "GPL-3+",
    "util-linux-locales": "GPL-2+",
    "wget": "GPL-3+",
}
# Output language (as build_corpus.py names them) -> gettext locale directory.
LOCALES = {
    language: {"pt": "pt_BR", "zh": "zh_CN"}.get(language, language)
    for language in LANGUAGES.values()
}
MO_MAGIC = 0x950412DE
MIN_WORDS = 3
MAX_WORDS = 40
# printf conversions (`%s`, `%1$d`, `%-10s`, `%.*f`, `%(name)s`, `%%`) with the custom ones
# of some programs (GCC's `%qD`, `%<`, e2fsck's `%B`), and Python/brace fields (`{}`, `{0}`,
# `{name}`, `{name:>8}`), and the placeholders of GnuPG's option help (`|FILE|read FILE`)
# and of a build (`@GPG@`). A `%` before a space ("50% done") is prose.
FORMAT = re.compile(
    r"%(?:\d+\$|\([\w-]+\))?[-+#0'q]*(?:\d+|\*)?(?:\.(?:\d+|\*))?"
    r"(?:hh|h|ll|l|L|j|z|Z|t)?[A-Za-z%<>]"
    r"|\{[\w.]*(?:[!:][^{}]*)?\}"
    r"|^\|[^|\s]*\||@[A-Z_]+@"
)
# Once leading and trailing newlines are stripped: more than one line, a tab, aligned columns
# (3+ spaces) or an indented start (a row of an option table, " -v, --verbose  explain ...",
# or a piece of a longer message).
LAYOUT = re.compile(r"[\n\t]| {3}|^ ")
# Keyboard accelerator marks before a letter: a `_` starting a word (elsewhere it is part of
# an identifier: LC_ALL, _http._tcp) or a `&` ("Sa&ve"). Only a text's single mark of its kind
# is one ("&&" is an escaped "&").
ACCELERATORS = {"_": re.compile(r"(?<!\S)_(?=[^\W\d_])"), "&": re.compile(r"&(?=[^\W\d_])")}
# C0 controls and DEL: a line holding one is skipped by xlm_keras.data.readers.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Why an entry is left out, in the order the checks run.
REASONS = (
    "header",
    "context",
    "plural",
    "untranslated",
    "format_specifier",
    "layout",
    "control_chars",
    "too_short",
    "too_long",
    "wrong_script",
    "in_exclude_corpus",
    "duplicate",
)
SELECTION = [
    "all *.mo under usr/share/locale/<locale>/LC_MESSAGES/ of each package (fuzzy entries "
    "are never in a .mo file)",
    "dropped: the header (empty msgid), context (msgctxt\\x04msgid) and plural "
    "(msgid\\x00plural) entries, empty or untranslated ones (msgstr == msgid, also after "
    "cleaning), those with a format specifier or placeholder (%s, %1$d, {name}, |FILE|) or "
    "a layout (once leading/trailing newlines are stripped: a newline, a tab, 3+ spaces or a "
    "leading space) on either side",
    "cleaned: accelerators (_File, &Open) stripped, NFC, whitespace collapsed",
    "dropped: a control character left after cleaning (a terminal bell, an escape), which the "
    "corpus readers refuse",
    f"kept: {MIN_WORDS} to {MAX_WORDS} English words; the target in the language's script",
    "dropped: pairs with a side (case-sensitive, exact) among the texts of the exclude corpus",
    "ordered by package, catalogue, msgid; deduplicated by English text (first kept)",
]


def mo_charset(header):
    """The codec named by the `charset=` of a .mo header (bytes); UTF-8 if none is valid."""
    match = re.search(rb"charset=([\w.:-]+)", header)
    try:
        return codecs.lookup(match.group(1).decode("ascii")).name
    except (AttributeError, LookupError):
        return "utf-8"


def read_mo(data):
    """`[(msgid, msgstr)]` of a GNU .mo catalogue (its bytes), in file order, decoded with
    the charset its header names. Either byte order; raises ValueError if not a .mo file."""
    for order in "<>":
        if len(data) >= 20 and struct.unpack_from(order + "I", data)[0] == MO_MAGIC:
            break
    else:
        raise ValueError(f"Not a GNU .mo file: it starts with {data[:4].hex()}.")
    revision, count, originals, translations = struct.unpack_from(order + "4I", data, 4)
    if revision >> 16 > 1:
        raise ValueError(f"Unsupported .mo format revision {revision >> 16}.")

    def strings(offset):
        table = struct.unpack_from(f"{order}{2 * count}I", data, offset)
        return [data[start : start + length] for length, start in zip(table[::2], table[1::2])]

    entries = list(zip(strings(originals), strings(translations)))
    charset = mo_charset(dict(entries).get(b"", b""))
    return [(msgid.decode(charset), msgstr.decode(charset)) for msgid, msgstr in entries]


def strip_accelerators(text):
    """`text` without its keyboard accelerator mark: "_Open file" -> "Open file", "Sa&ve"
    -> "Save"."""
    for mark, pattern in ACCELERATORS.items():
        if text.count(mark) == 1:
            text = pattern.sub("", text)
    return text


def clean_entry(msgid, msgstr, language):
    """`(reason, None)` if the entry is left out (a `REASONS` entry up to "wrong_script"),
    else `(None, (english, target))` cleaned."""
    if not msgid:
        return "header", None
    if "\x04" in msgid:
        return "context", None
    if "\x00" in msgid:
        return "plural", None
    if not msgstr or msgstr == msgid:
        return "untranslated", None
    if FORMAT.search(msgid) or FORMAT.search(msgstr):
        return "format_specifier", None
    if LAYOUT.search(msgid.strip("\n")) or LAYOUT.search(msgstr.strip("\n")):
        return "layout", None
    english, target = (clean_text(strip_accelerators(text)) for text in (msgid, msgstr))
    if CONTROL.search(english) or CONTROL.search(target):
        return "control_chars", None
    if target == english:
        return "untranslated", None
    words = len(english.split())
    if words < MIN_WORDS:
        return "too_short", None
    if words > MAX_WORDS:
        return "too_long", None
    if not has_expected_script(target, language):
        return "wrong_script", None
    return None, (english, target)


def select_pairs(catalogues, language, excluded=frozenset()):
    """The test pairs of `catalogues`, `[(package, domain, [(msgid, msgstr)])]`.

    Returns `(pairs, per_package, dropped)`: `[(english, target)]` ordered by package,
    domain (catalogue name) and msgid; `{package: pairs kept}`; `{reason: entries}` over
    `REASONS`. A pair with a side in `excluded` (a set of texts) is dropped, then every
    English text after its first.
    """
    entries = sorted(
        (package, domain, msgid, msgstr)
        for package, domain, messages in catalogues
        for msgid, msgstr in messages
    )
    dropped = dict.fromkeys(REASONS, 0)
    per_package = {package: 0 for package, _, _ in catalogues}
    pairs = {}
    for package, _, msgid, msgstr in entries:
        reason, pair = clean_entry(msgid, msgstr, language)
        if pair and (pair[0] in excluded or pair[1] in excluded):
            reason = "in_exclude_corpus"
        elif pair and pair[0] in pairs:
            reason = "duplicate"
        if reason:
            dropped[reason] += 1
        else:
            pairs[pair[0]] = pair[1]
            per_package[package] += 1
    return list(pairs.items()), per_package, dropped


def exclusion_texts(corpus_dir):
    """Every text of the corpus at `corpus_dir`: each side of its `parallel/*.tsv` lines
    and each line of its `mono/*.txt`, all splits."""
    tsvs = sorted(corpus_dir.glob("parallel/*.tsv"))
    if not tsvs:
        raise FileNotFoundError(
            f"No exclude corpus at {corpus_dir} (no parallel/*.tsv): run "
            "`python tools/build_corpus.py` first, or pass --exclude_corpus='' to skip the "
            "check against its texts."
        )
    texts = set()
    for path in tsvs:
        for line in path.read_text(encoding="utf-8").splitlines():
            texts.update(line.split("\t"))
    for path in sorted(corpus_dir.glob("mono/*.txt")):
        texts.update(path.read_text(encoding="utf-8").splitlines())
    return texts


def catalogue_pattern(locales):
    """Matches the .mo files of `locales` in a .deb; group 1 is "<locale>/<domain>.mo"."""
    names = "|".join(re.escape(locale) for locale in locales)
    return re.compile(rf"^\.?/?usr/share/locale/((?:{names})/LC_MESSAGES/[^/]+\.mo)$")


def read_catalogues(debs, locales):
    """`{locale: [(package, domain, [(msgid, msgstr)])]}` of the .mo files of `locales` in
    `debs`, `{package: deb}`."""
    catalogues = {locale: [] for locale in locales}
    pattern = catalogue_pattern(locales)
    for package, deb in debs.items():
        for path, data in sorted(read_members(deb, pattern).items()):
            locale, _, name = path.split("/")
            catalogues[locale].append((package, name.removesuffix(".mo"), read_mo(data)))
    return catalogues


def build(languages, deb_dir, excluded, fetch=download):
    """Downloads `PACKAGES` and selects the pairs of each of `languages` (see
    `select_pairs`); `fetch(package_names, deb_dir)` gives their .deb files.

    Returns `(corpus, packages, dropped)`: `{language: [(english, target)]}`, the
    `package_info`s with their catalogues and pairs per language, `{language: {reason: n}}`.
    """
    unknown = sorted(set(languages) - set(LOCALES))
    if unknown:
        raise ValueError(f"Unknown languages {unknown}; expected some of {sorted(LOCALES)}.")
    debs = dict(zip(PACKAGES, fetch(list(PACKAGES), deb_dir)))
    catalogues = read_catalogues(debs, [LOCALES[language] for language in languages])
    packages = {name: package_info(deb, PACKAGES[name]) for name, deb in debs.items()}
    for info in packages.values():
        info.update(catalogues={}, pairs={})
    corpus, dropped = {}, {}
    for language in languages:
        found = catalogues[LOCALES[language]]
        corpus[language], per_package, dropped[language] = select_pairs(found, language, excluded)
        for name in PACKAGES:
            packages[name]["catalogues"][language] = [d for p, d, _ in found if p == name]
            packages[name]["pairs"][language] = per_package.get(name, 0)
            if name not in per_package:
                logging.warning("%s has no %s catalogue.", name, LOCALES[language])
        logging.info("%s: %d pairs; dropped %s", language, len(corpus[language]), dropped[language])
    return corpus, list(packages.values()), dropped


def licence_notice(packages):
    """LICENSES.md text: each package's licence and where its full terms are."""
    source = [
        "The text in this test set is the English messages and their translations from the",
        "gettext catalogues (.mo files) of these Debian packages, under",
    ]
    return package_licence_notice(source, packages)


def write_corpus(directory, corpus, packages, dropped, settings):
    """Writes the layout of the module docstring; returns the manifest."""
    for language, pairs in corpus.items():
        write_lines(
            directory / "parallel" / f"en-{language}.test.tsv",
            (f"{english}\t{target}" for english, target in pairs),
        )
    manifest = {
        "source": "gettext catalogues (.mo) of Debian packages: msgid (English) -> msgstr",
        "selection": SELECTION,
        **settings,
        "packages": packages,
        "parallel": {language: {"test": len(pairs)} for language, pairs in corpus.items()},
        "dropped": dropped,
    }
    write_metadata(directory, manifest, licence_notice(packages))
    return manifest


def optional_path(value):
    """`value` as a user path, None if empty."""
    return Path(value).expanduser() if value else None


def parse_args(argv=None):
    """The command-line options (see the module docstring)."""
    parser = argument_parser(
        __doc__, Path.home() / ".cache/xlm_keras/corpus_ui", "Where the test set is written."
    )
    parser.add_argument(
        "--languages",
        type=lambda value: value.split(","),
        default=["fr"],
        help=f"Comma-separated target languages, some of {','.join(LOCALES)}.",
    )
    parser.add_argument(
        "--exclude_corpus",
        type=optional_path,
        default=Path.home() / ".cache/xlm_keras/corpus",
        help="Corpus of build_corpus.py whose texts no pair may share; '' to skip the check.",
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    excluded = exclusion_texts(args.exclude_corpus) if args.exclude_corpus else set()
    corpus, packages, dropped = build(args.languages, args.deb_dir, excluded)
    settings = {
        "min_words": MIN_WORDS,
        "max_words": MAX_WORDS,
        "exclude_corpus": str(args.exclude_corpus) if args.exclude_corpus else None,
        "exclude_texts": len(excluded),
    }
    write_corpus(args.output_dir, corpus, packages, dropped, settings)
    logging.info("Wrote the test set to %s", args.output_dir)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    main()
