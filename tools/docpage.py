"""The command-line part the doc generators share: rewrite a page, or ``--check`` it.

``python tools/gen_*.py`` rewrites its page; ``--check`` exits 1 and prints a diff when the
page is stale (what ``tests/test_docs.py`` asserts, without the diff).
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(page: Path, render: Callable[[str], str], script: str, description: str,
        argv: list[str] | None = None) -> int:
    """Rewrite *page* as ``render(current text)``, or with ``--check`` say whether it is stale."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="exit 1 (and show a diff) if the page is stale")
    args = parser.parse_args(argv)
    current = page.read_text(encoding="utf-8")
    wanted = render(current)
    name = page.relative_to(ROOT).as_posix()
    if args.check:
        if wanted == current:
            return 0
        sys.stdout.writelines(
            difflib.unified_diff(current.splitlines(True), wanted.splitlines(True), name, f"{name} (generated)")
        )
        print(f"{name} is stale: run python {script}", file=sys.stderr)
        return 1
    if wanted != current:
        page.write_text(wanted, encoding="utf-8")
        print(f"{name} updated")
    return 0
