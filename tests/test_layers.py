"""The architecture rules of ../shared/STYLE.md, checked on every module's imports.

model ← sql / capture / store / emit ← governance ← views / widgets / magics / cli / server.
One adapter per third-party library: only emit/ imports openlineage, only sql/ imports
sqlglot; nothing below the top layer imports IPython, ipywidgets or click. Imports under
``if TYPE_CHECKING:`` are type hints, not dependencies, and are ignored.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "nbgov"

LAYER = {
    "model": 0, "errors": 0,
    "sql": 1, "capture": 1, "store": 1, "emit": 1,
    "governance": 2, "importing": 2, "render": 2,  # services the faces share
    "views": 2.5,  # renderings the faces share (the only importer of graphviz and ipywidgets)
    "__main__": 4,  # `python -m nbgov` runs the CLI face
    "__init__": 4,  # the package root re-exports the API and hands %load_ext to the magics
}
TOP = 3  # the faces: views, widgets, magics, cli, server
ONLY_IN = {"openlineage": {"emit"}, "sqlglot": {"sql"}}
TOP_ONLY = ("IPython", "ipywidgets", "click", "anywidget", "jupyter_server", "tornado")


def _area(module: Path) -> str:
    rel = module.relative_to(PACKAGE)
    name = rel.parts[0].removesuffix(".py")
    return "cli" if name.startswith("cli_") else name  # cli_*.py: commands registered on the cli group


def _imports(module: Path) -> list[str]:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_only.update(id(n) for child in node.body for n in ast.walk(child))
    names = []
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "schemas" not in p.parts)


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_layers(module: Path) -> None:
    area = _area(module)
    level = LAYER.get(area, TOP)
    for name in _imports(module):
        root = name.split(".")[0]
        if root in ONLY_IN:
            assert area in ONLY_IN[root], f"{module.name}: only {ONLY_IN[root]} may import {root}"
        if root in TOP_ONLY:
            assert level >= LAYER["views"], f"{module.relative_to(PACKAGE)} (layer {area}) imports {root}"
        if root == "nbgov" and "." in name:
            target = name.split(".")[1]
            target = "cli" if target.startswith("cli_") else target
            target_level = LAYER.get(target, TOP)
            assert target_level < level or target == area or target in ("errors", "model"), (
                f"{module.relative_to(PACKAGE)} imports {name}: {target} is not below {area}"
            )


def test_the_rules_see_real_violations(tmp_path: Path) -> None:
    """The checker itself must catch a violation (a test that cannot fail proves nothing)."""
    bad = tmp_path / "bad.py"
    bad.write_text("from nbgov.cli import main\nimport IPython\n")
    assert _imports(bad) == ["nbgov.cli", "IPython"]
    typed = tmp_path / "typed.py"
    typed.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import IPython\n")
    assert _imports(typed) == ["typing"]
