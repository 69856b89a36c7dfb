"""The documents hold together: a short README that links every docs/ page,
relative links that resolve inside the repository, no page that points
outside it, and a preset table that matches the registry."""

import pathlib
import re

from xlm_keras.models.presets import PRESETS

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, ROOT / "DESIGN.md", ROOT / "export" / "README.md", *sorted(DOCS.glob("*.md"))]
# [text](target), with an optional "title"; images too.
LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
MAX_README_LINES = 250


def links(page):
    """Link targets of a markdown page, code blocks and code spans excluded."""
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return LINK.findall(re.sub(r"`[^`\n]*`", "", text))


def anchors(page):
    """GitHub's heading anchors of a markdown page."""
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    found = set()
    for heading in re.findall(r"^#+\s+(.*?)\s*$", text, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        found.add(slug)
    return found


def test_pages_exist():
    assert len(PAGES) > 3 and all(page.is_file() for page in PAGES)


def test_readme_is_short():
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines <= MAX_README_LINES, f"README.md has {lines} lines; move detail into docs/"


def test_readme_links_every_docs_page():
    linked = {(README.parent / target.split("#")[0]).resolve() for target in links(README)}
    unlinked = [page.name for page in sorted(DOCS.iterdir()) if page.resolve() not in linked]
    assert not unlinked, f"README.md does not link docs/{unlinked}"


def test_relative_links_resolve_inside_the_repository():
    broken = []
    for page in PAGES:
        for target in links(page):
            path, _, anchor = target.partition("#")
            resolved = (page.parent / path).resolve() if path else page
            if "://" in target or target.startswith(("/", "mailto:")):
                broken.append(f"{page.relative_to(ROOT)}: {target} leaves the repository")
            elif ROOT not in resolved.parents or not resolved.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target} is not a file of the repository")
            elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
                broken.append(f"{page.relative_to(ROOT)}: {target} has no heading #{anchor}")
    assert not broken, "\n".join(broken)


def test_no_page_points_outside_the_repository():
    outside = [
        f"{page.relative_to(ROOT)}:{number}: {line.strip()}"
        for page in PAGES
        for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\b(https?|ftp)://|\bwww\.", line)
    ]
    assert not outside, "\n".join(outside)


def test_readme_preset_table_matches_the_registry():
    rows = {}
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        if line.startswith("| `") and cells[0] in PRESETS:
            rows[cells[0]] = cells
    assert sorted(rows) == sorted(PRESETS)
    for name, cells in rows.items():
        preset = PRESETS[name]
        config = preset.config
        assert cells[1:4] == [
            preset.task,
            f"{config['num_layers']} x {config['hidden_dim']}",
            f"{preset.params:,}",
        ], name
        assert cells[5] == (preset.source or ""), name
