"""tools/build_man_corpus.py: which rendered lines are kept as prose, groff's layout of a page
written here (one line per paragraph, UTF-8, tables dropped), the page-level split and the
files it writes from a .deb built here. Offline: no apt."""

import gzip
import json
import shutil
import subprocess

import pytest

from tests.helpers import load_script

build_man_corpus = load_script("tools/build_man_corpus.py")
needs_groff = pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed")
needs_dpkg_deb = pytest.mark.skipif(
    shutil.which("dpkg-deb") is None, reason="dpkg-deb is not installed"
)

# Each line kept or dropped for the reason beside it.
RENDERED = "\n".join(
    [
        "LS(1)            User Commands            LS(1)",  # title
        "",
        "NAME",  # heading
        "       ls - list contents",  # too short
        "DESCRIPTION",  # heading
        "       List information about the FILEs.  Sort entries alphabetically.",  # kept
        "       -a, --all",  # too short
        "              do not ignore entries starting with a dot",  # kept
        "       -c     with -lt: sort by, and show, ctime",  # kept (a tagged paragraph)
        "       Signal      Standard   Action   Comment",  # table row
        "       0x1f 0x20 0x21 0x22 0x23 0x24",  # too few letters
        "       Éléments   présentés en français, avec des accents",  # kept
        "       GNU coreutils 9.1       April 2022       LS(1)",  # footer
        "",
    ]
)
KEPT = [
    "List information about the FILEs. Sort entries alphabetically.",
    "do not ignore entries starting with a dot",
    "-c with -lt: sort by, and show, ctime",
    "Éléments présentés en français, avec des accents",
]
PAGE = """.TH DEMO 1 2024 "demo 1.0" "Commandes"
.SH NOM
demo \\- un exemple
.SH DESCRIPTION
Cette commande affiche un texte
sur plusieurs lignes du source, mais un seul paragraphe très long à l'écran.
.TP
.B \\-v
Afficher davantage de détails pendant l'exécution du programme.
.TS
l l l.
Colonne	Autre	Encore
un	deux	trois
.TE
.PP
Un second paragraphe avec assez de mots pour rester.
"""
PAGE_PROSE = [
    "Cette commande affiche un texte sur plusieurs lignes du source, mais un seul paragraphe "
    "très long à l'écran.",
    "-v Afficher davantage de détails pendant l'exécution du programme.",
    "Un second paragraphe avec assez de mots pour rester.",
]


def test_prose_lines_keeps_indented_prose_only():
    assert build_man_corpus.prose_lines(RENDERED) == KEPT


@needs_groff
def test_render_lays_out_one_line_per_paragraph():
    rendered = build_man_corpus.render(PAGE.encode("utf-8"))
    assert build_man_corpus.prose_lines(rendered) == PAGE_PROSE


def test_missing_groff_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(build_man_corpus.shutil, "which", lambda name: None)
    with pytest.raises(FileNotFoundError, match="apt-get install groff-base"):
        build_man_corpus.build(["fr"], tmp_path, 0.1, fetch=None)


def test_split_keeps_pages_whole_and_test_out_of_train():
    texts = {f"man1/page{i}.1.gz": [f"text {i}", "shared boilerplate"] for i in range(40)}
    splits = build_man_corpus.split_texts(texts, test_fraction=0.3)
    test, train = set(splits["test"]), set(splits["train"])
    assert "shared boilerplate" in test and "shared boilerplate" not in train
    assert len(splits["test"]) == len(test) and len(splits["train"]) == len(train)
    test_pages = {i for i in range(40) if f"text {i}" in test}
    assert train == {f"text {i}" for i in range(40)} - {f"text {i}" for i in test_pages}
    assert 0 < len(test_pages) < 40


def test_unknown_language_is_refused(tmp_path):
    with pytest.raises(ValueError, match="Unknown languages \\['xx'\\]"):
        build_man_corpus.build(["xx"], tmp_path, 0.1, fetch=None)


def tiny_deb(directory):
    """A .deb of package `tiny` with a French page, a `.so` include and an English page."""
    root = directory / "tiny"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        "Package: tiny\nVersion: 1.0-1\nArchitecture: all\nMaintainer: Test <t@example.org>\n"
        "Description: a test package\n"
    )
    pages = {
        "usr/share/man/fr/man1/demo.1.gz": PAGE,
        "usr/share/man/fr/man1/alias.1.gz": ".so man1/demo.1\n",
        "usr/share/man/man1/demo.1.gz": PAGE.replace("Un second", "An English"),
    }
    for path, text in pages.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(gzip.compress(text.encode("utf-8")))
    deb = directory / "tiny_1.0-1_all.deb"
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "--build", root, deb],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return deb


@needs_groff
@needs_dpkg_deb
def test_build_and_write_from_a_deb(tmp_path, monkeypatch):
    monkeypatch.setitem(build_man_corpus.LANGUAGES, "fr", ("tiny", "fr"))
    deb = tiny_deb(tmp_path)
    corpus, packages = build_man_corpus.build(
        ["fr"], tmp_path, 0.0, fetch=lambda names, deb_dir: [deb]
    )
    assert corpus == {"fr": {"train": PAGE_PROSE, "test": []}}
    assert packages[0]["name"] == "tiny" and packages[0]["pages"] == 1
    assert packages[0]["licence"] == build_man_corpus.TRANSLATION_LICENCE

    output = tmp_path / "out"
    build_man_corpus.write_corpus(output, corpus, packages, {"test_fraction": 0.0})
    assert (output / "mono" / "fr.train.txt").read_text(encoding="utf-8").splitlines() == (
        PAGE_PROSE
    )
    assert (output / "mono" / "fr.test.txt").read_text(encoding="utf-8") == ""
    manifest = json.loads((output / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["mono"] == {"fr": {"train": 3, "test": 0}}
    assert "| `tiny` | 1.0-1 |" in (output / "LICENSES.md").read_text()
