"""The documents hold together: a short README that links every docs/ page,
relative links that resolve inside the repository, no page that points
outside it, and a preset table that matches the registry."""

import pathlib
import re

import tomllib

from xlm_keras.models.presets import PRESETS

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, ROOT / "DESIGN.md", ROOT / "export" / "README.md", *sorted(DOCS.glob("*.md"))]
# [text](target), with an optional "title"; images too.
LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
MAX_README_LINES = 250
# Repository paths the pages name in prose or commands.
REPO_PATH = re.compile(r"(?<![\w/.~$])((?:configs|tools|xlm_keras|tests|export|docs)/[\w./-]*\w)")
PACKAGES = sorted(p.stem for p in (ROOT / "xlm_keras").iterdir() if not p.name.startswith("_"))


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
        raw = [cell.strip() for cell in line.strip().strip("|").split("|")]
        cells = [cell.strip("`") for cell in raw]
        if line.startswith("| `") and cells[0] in PRESETS:
            rows[cells[0]] = cells, raw[4]
    assert sorted(rows) == sorted(PRESETS)
    for name, (cells, description) in rows.items():
        preset = PRESETS[name]
        config = preset.config
        assert cells[1:4] == [
            preset.task,
            f"{config['num_layers']} x {config['hidden_dim']}",
            f"{preset.params:,}",
        ], name
        assert description == preset.description, name
        assert cells[5] == (preset.source or ""), name


def test_reliability_names_every_program():
    """docs/reliability.md's one-line error promise lists every console
    script of pyproject.toml."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        programs = set(tomllib.load(f)["project"]["scripts"])
    promise = re.search(r"Every program \(([^)]*)\)", (DOCS / "reliability.md").read_text())
    assert promise and set(re.findall(r"`(xlm-[\w-]+)`", promise.group(1))) == programs


def test_tests_follow_the_package_folders():
    """README and DESIGN.md say tests/ has a folder for every package of
    xlm_keras (where a module's own test file, if it has one, lives)."""
    packages = sorted(
        p.name for p in (ROOT / "xlm_keras").iterdir() if (p / "__init__.py").is_file()
    )
    missing = [name for name in packages if not (ROOT / "tests" / name / "__init__.py").is_file()]
    assert packages and not missing, f"no tests/<package>/ for {missing}"


def test_named_repository_paths_exist():
    missing = [
        f"{page.relative_to(ROOT)}: {path}"
        for page in PAGES
        for path in REPO_PATH.findall(page.read_text(encoding="utf-8"))
        if not (ROOT / path).exists()
    ]
    assert not missing, "\n".join(missing)


def python_names(page):
    """Dotted names of the package in code spans: `xlm_keras.a.b` on every
    page, and `a.b` (package-relative) on DESIGN.md."""
    prefix = r"xlm_keras\." if page.name != "DESIGN.md" else r"(?:xlm_keras\.)?"
    name = re.compile(rf"{prefix}((?:{'|'.join(PACKAGES)})(?:\.\w+)*)(?:\(.*\))?")
    for span in re.findall(r"`([^`\n]+)`", page.read_text(encoding="utf-8")):
        match = name.fullmatch(span)
        if match:
            yield match.group(1)


def defines(module_path, name):
    source = module_path.read_text(encoding="utf-8")
    return re.search(
        rf"^(?:(?:def|class)\s+{name}\b|{name}\s*[:=]|from\s+\S+\s+import\s+{name}\b)", source, re.M
    )


def test_named_modules_and_functions_exist():
    """`xlm_keras.data.readers.read_text`: the longest prefix that is a
    module, then a name that module defines or imports."""
    missing = []
    for page in PAGES:
        for dotted in python_names(page):
            parts = dotted.split(".")
            for end in range(len(parts), 0, -1):
                base = ROOT.joinpath("xlm_keras", *parts[:end])
                module = base.with_suffix(".py") if base.with_suffix(".py").is_file() else None
                module = module or (
                    base / "__init__.py" if (base / "__init__.py").is_file() else None
                )
                if module:
                    break
            rest = parts[end:]
            if module is None or (rest and not defines(module, rest[0])):
                missing.append(f"{page.relative_to(ROOT)}: {dotted}")
    assert not missing, "\n".join(missing)
