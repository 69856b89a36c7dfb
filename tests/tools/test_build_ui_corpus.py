"""tools/build_ui_corpus.py: its .mo reader (against .mo files written here, and by msgfmt where
installed), the cleaning with each reason to drop an entry counted, the check against the
training corpus and the files it writes. Offline: no apt."""

import json
import shutil
import struct
import subprocess

import pytest

from tests.helpers import load_script

build_ui_corpus = load_script("tools/build_ui_corpus.py")

HEADER = "Content-Type: text/plain; charset=UTF-8\n"
# (msgid, msgstr) entries, each kept or dropped for the reason named beside it.
ENTRIES = [
    ("", HEADER),  # header
    ("menu\x04Open the file", "Ouvrir le fichier"),  # context
    ("one file removed\x00%d files removed", "un fichier\x00%d fichiers"),  # plural
    ("Not translated at all", ""),  # untranslated
    ("GNU General Public License", "GNU General Public License"),  # untranslated
    ("_Same words here", "Same words _here"),  # untranslated once the marks are stripped
    ("cannot open %s for reading", "impossible d'ouvrir %s en lecture"),  # format_specifier
    ("skipping %1$d of %2$d files", "%1$d fichiers sur %2$d ignorés"),  # format_specifier
    ("value {name} is not valid", "la valeur {name} n'est pas valable"),  # format_specifier
    ("Usage: first line\nsecond line", "Usage : première ligne\nseconde"),  # layout
    ("  -v, --verbose  explain what is done", "  -v, --verbose  expliquer"),  # layout
    ("name:\tthe name of it", "nom :\tson nom"),  # layout
    ("\atimed out waiting for input", "\aattente de données expirée"),  # control_chars
    ("Only two", "Seulement deux"),  # too_short
    (" ".join(["word"] * 41), " ".join(["mot"] * 41)),  # too_long
    ("Text of the help corpus", "Texte du corpus d'aide"),  # in_exclude_corpus (English)
    ("Another valid message here", "Phrase du corpus"),  # in_exclude_corpus (French)
    ("_Open the file", "_Ouvrir le fichier"),  # kept, accelerators stripped
    ("Sa&ve all open files", "&Enregistrer tous les fichiers"),  # kept, accelerators stripped
    ("Memory exhausted, giving up\n", "Mémoire épuisée, abandon\n"),  # kept: trailing newline
    ("look up _http._tcp records", "chercher les enregistrements _http._tcp"),  # kept as is
    ("Save & exit now", "Enregistrer & quitter"),  # kept: "&" before a space is prose
    ("Disk is  full again", "Le disque est  plein"),  # kept, spaces collapsed
]
# A second catalogue that repeats an English text of the first: duplicate.
OTHER = [("", HEADER), ("_Open the file", "Ouvrir ce fichier")]
# In msgid order: "Sa&ve all" < "Save & exit" < "_Open" < "look up".
KEPT = [
    ("Disk is full again", "Le disque est plein"),
    ("Memory exhausted, giving up", "Mémoire épuisée, abandon"),
    ("Save all open files", "Enregistrer tous les fichiers"),
    ("Save & exit now", "Enregistrer & quitter"),
    ("Open the file", "Ouvrir le fichier"),
    ("look up _http._tcp records", "chercher les enregistrements _http._tcp"),
]
DROPPED = {
    "header": 2,
    "context": 1,
    "plural": 1,
    "untranslated": 3,
    "format_specifier": 3,
    "layout": 3,
    "control_chars": 1,
    "too_short": 1,
    "too_long": 1,
    "wrong_script": 0,
    "in_exclude_corpus": 2,
    "duplicate": 1,
}
EXCLUDED = {"Text of the help corpus", "Phrase du corpus"}


def mo_bytes(entries, order="<"):
    """A GNU .mo file of `entries`, sorted by msgid as msgfmt does, no hash table."""
    entries = sorted((m.encode(), s.encode()) for m, s in entries)
    count = len(entries)
    originals = 28
    translations = originals + 8 * count
    offset = translations + 8 * count
    tables, blob = [[], []], b""
    for side in (0, 1):
        for entry in entries:
            tables[side] += [len(entry[side]), offset + len(blob)]
            blob += entry[side] + b"\0"
    header = struct.pack(order + "7I", 0x950412DE, 0, count, originals, translations, 0, 0)
    return header + struct.pack(f"{order}{4 * count}I", *tables[0], *tables[1]) + blob


@pytest.mark.parametrize("order", ["<", ">"])
def test_read_mo_either_byte_order(order):
    assert build_ui_corpus.read_mo(mo_bytes(ENTRIES, order)) == sorted(ENTRIES)


def test_read_mo_decodes_with_the_header_charset():
    header = "Content-Type: text/plain; charset=ISO-8859-1\n"
    data = mo_bytes([("", header), ("Quit", "Fermer")])
    data = data.replace(b"Fermer", "Fermé!".encode("latin-1"))
    assert build_ui_corpus.read_mo(data) == [("", header), ("Quit", "Fermé!")]


def test_read_mo_rejects_other_files():
    with pytest.raises(ValueError, match="Not a GNU .mo file"):
        build_ui_corpus.read_mo(b"<html></html> and some more bytes")


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="msgfmt (gettext) is not installed")
def test_read_mo_reads_what_msgfmt_writes(tmp_path):
    po = tmp_path / "fr.po"
    po.write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Open the file"\nmsgstr "Ouvrir le fichier"\n\n'
        'msgctxt "menu"\nmsgid "Quit"\nmsgstr "Quitter"\n\n'
        'msgid "one file"\nmsgid_plural "%d files"\nmsgstr[0] "un fichier"\n'
        'msgstr[1] "%d fichiers"\n\n'
        'msgid "Not yet"\nmsgstr ""\n',
        encoding="utf-8",
    )
    subprocess.run(["msgfmt", "-o", tmp_path / "fr.mo", po], check=True)
    entries = build_ui_corpus.read_mo((tmp_path / "fr.mo").read_bytes())
    assert dict(entries) == {
        "": "Content-Type: text/plain; charset=UTF-8\n",
        "Open the file": "Ouvrir le fichier",
        "menu\x04Quit": "Quitter",
        "one file\x00%d files": "un fichier\x00%d fichiers",
    }


@pytest.mark.parametrize(
    "text, stripped",
    [
        ("_Open the file", "Open the file"),
        ("Open _Recent", "Open Recent"),
        ("&Save", "Save"),
        ("Sa&ve", "Save"),
        ("Save & exit", "Save & exit"),
        ("Tom && Jerry", "Tom && Jerry"),
        ("set LC_ALL first", "set LC_ALL first"),
        ("(e.g. _http._tcp)", "(e.g. _http._tcp)"),
    ],
)
def test_strip_accelerators(text, stripped):
    assert build_ui_corpus.strip_accelerators(text) == stripped


@pytest.mark.parametrize(
    "text", ["%s", "%-10s", "%1$d", "%.*f", "%(name)s", "%%", "%qD", "{}", "{0}", "{name}"]
)
def test_format_specifiers_are_found(text):
    assert build_ui_corpus.FORMAT.search(f"value {text} here")


@pytest.mark.parametrize("text", ["50% done", "100 % des fichiers", "{a,b} braces"])
def test_percent_and_braces_in_prose_are_not_format_specifiers(text):
    assert not build_ui_corpus.FORMAT.search(text)


def test_select_pairs_counts_every_reason_and_keeps_the_rest_in_order():
    catalogues = [
        ("tool", "tool", build_ui_corpus.read_mo(mo_bytes(ENTRIES))),
        ("zz-other", "other", build_ui_corpus.read_mo(mo_bytes(OTHER))),
    ]
    pairs, per_package, dropped = build_ui_corpus.select_pairs(catalogues, "fr", EXCLUDED)
    assert pairs == KEPT
    assert per_package == {"tool": len(KEPT), "zz-other": 0}
    assert dropped == DROPPED
    assert list(dropped) == list(build_ui_corpus.REASONS)
    assert sum(dropped.values()) + len(pairs) == len(ENTRIES) + len(OTHER)


def test_select_pairs_checks_the_script():
    pairs, _, dropped = build_ui_corpus.select_pairs(
        [("tool", "tool", [("Open the file", "Open the file!"), ("Open the door", "Открыть")])],
        "ru",
    )
    assert pairs == [("Open the door", "Открыть")]
    assert dropped["wrong_script"] == 1


def test_exclusion_texts_reads_every_split_and_side(tmp_path):
    (tmp_path / "parallel").mkdir()
    (tmp_path / "mono").mkdir()
    (tmp_path / "parallel" / "en-fr.train.tsv").write_text("One\tUn\nTwo\tDeux\n")
    (tmp_path / "parallel" / "en-fr.test.tsv").write_text("Three\tTrois\n")
    (tmp_path / "mono" / "fr.train.txt").write_text("Quatre\n")
    assert build_ui_corpus.exclusion_texts(tmp_path) == {
        "One",
        "Un",
        "Two",
        "Deux",
        "Three",
        "Trois",
        "Quatre",
    }


def test_missing_exclude_corpus_says_how_to_build_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="tools/build_corpus.py.*--exclude_corpus=''"):
        build_ui_corpus.exclusion_texts(tmp_path / "corpus")


def test_empty_exclude_corpus_option_skips_the_check():
    assert build_ui_corpus.parse_args(["--exclude_corpus="]).exclude_corpus is None


def test_unknown_language_is_refused(tmp_path):
    with pytest.raises(ValueError, match="Unknown languages \\['xx'\\]"):
        build_ui_corpus.build(["xx"], tmp_path, set(), fetch=None)


def tiny_deb(directory):
    """A .deb of package `tiny` with a `fr` catalogue of `ENTRIES`, built by dpkg-deb."""
    root = directory / "tiny"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        "Package: tiny\nVersion: 1.0-1\nArchitecture: all\nMaintainer: Test <t@example.org>\n"
        "Description: a test package\n"
    )
    catalogue = root / "usr/share/locale/fr/LC_MESSAGES/tiny.mo"
    catalogue.parent.mkdir(parents=True)
    catalogue.write_bytes(mo_bytes(ENTRIES))
    (root / "usr/share/locale/de/LC_MESSAGES").mkdir(parents=True)
    (root / "usr/share/locale/de/LC_MESSAGES/tiny.mo").write_bytes(mo_bytes([("", HEADER)]))
    deb = directory / "tiny_1.0-1_all.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "--build", root, deb],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return deb


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb is not installed")
def test_build_and_write_from_a_deb(tmp_path, monkeypatch):
    monkeypatch.setattr(build_ui_corpus, "PACKAGES", {"tiny": "GPL-3+"})
    deb = tiny_deb(tmp_path)
    corpus, packages, dropped = build_ui_corpus.build(
        ["fr"], tmp_path, EXCLUDED, fetch=lambda names, deb_dir: [deb]
    )
    assert corpus == {"fr": KEPT}
    assert dropped == {"fr": {**DROPPED, "header": 1, "duplicate": 0}}
    assert packages[0]["name"] == "tiny" and packages[0]["version"] == "1.0-1"
    assert packages[0]["licence"] == "GPL-3+"
    assert packages[0]["catalogues"] == {"fr": ["tiny"]}
    assert packages[0]["pairs"] == {"fr": len(KEPT)}

    output = tmp_path / "out"
    build_ui_corpus.write_corpus(output, corpus, packages, dropped, {"min_words": 3})
    lines = (output / "parallel" / "en-fr.test.tsv").read_text(encoding="utf-8").splitlines()
    assert lines == [f"{english}\t{target}" for english, target in KEPT]
    manifest = json.loads((output / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parallel"] == {"fr": {"test": len(KEPT)}}
    assert manifest["dropped"]["fr"]["layout"] == 3
    assert manifest["min_words"] == 3
    assert "| `tiny` | 1.0-1 | GPL-3+ |" in (output / "LICENSES.md").read_text()
