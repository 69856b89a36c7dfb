"""The package layering of DESIGN.md, read from the imports: a package
imports only packages below it, and no module imports another module's
private name."""

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "xlm_keras"
# Top to bottom; a package may import the packages of any lower level.
LAYERS = [
    {"cli"},
    {"pretraining", "finetuning", "translation", "serving", "convert"},
    {"training"},
    {"models"},
    {"inference"},
    {"layers"},
    {"text", "data", "metrics"},
    {"paths", "ranges", "native_stderr", "keras_hub_internals", "config_files"},
]
LEVEL = {name: level for level, names in enumerate(LAYERS) for name in names}


def imports_of(path):
    """(line, imported module, imported names) of every xlm_keras import."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "xlm_keras":
                yield node.lineno, node.module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "xlm_keras":
                    yield node.lineno, alias.name, []


def package_of(module_parts):
    """The layer name of `xlm_keras.<name>...`, or None for the top module."""
    return module_parts[1] if len(module_parts) > 1 else None


def modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, path.relative_to(PACKAGE.parent).with_suffix("").parts


def test_every_package_has_a_layer():
    packages = {package_of(parts) for _, parts in modules()} - {None, "__init__"}
    assert packages <= set(LEVEL), f"add {sorted(packages - set(LEVEL))} to LAYERS"


def test_no_package_imports_one_above_it():
    upward = []
    for path, parts in modules():
        importer = package_of(parts)
        if importer in (None, "__init__"):
            continue  # xlm_keras/__init__.py: the public API sits on top.
        for line, module, names in imports_of(path):
            targets = [module.split(".")]
            if len(targets[0]) == 1:  # from xlm_keras import convert, ...
                targets = [["xlm_keras", name] for name in names]
            for target in targets:
                imported = package_of(target)
                if imported != importer and LEVEL[imported] <= LEVEL[importer]:
                    upward.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {module}")
    assert not upward, "\n".join(upward)


def test_no_private_name_crosses_modules():
    crossing = []
    roots = [PACKAGE, PACKAGE.parent / "tests", PACKAGE.parent / "tools"]
    for path in sorted(p for root in roots for p in root.rglob("*.py")):
        for line, module, names in imports_of(path):
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private or any(
                part.startswith("_") and not part.startswith("__") for part in module.split(".")
            ):
                crossing.append(f"{path.relative_to(PACKAGE.parent)}:{line} {module} {private}")
    assert not crossing, "\n".join(crossing)
