"""Regenerate the trait reference of docs/configuration.md from the configurable classes.

Every ``traitlets`` trait tagged ``config=True`` on a configurable class of the ``nbgov``
package (``Nbgov``, ``SqlMagics``, …) is one row: name, type, default, the environment
variable its default reads, and its help — all taken from the class, so the table
cannot drift from the code. Defaults are computed as a fresh kernel would see them with
no ``NBGOV_*`` variable set. The table sits between

    <!-- BEGIN GENERATED: traits (tools/gen_config_docs.py) -->
    <!-- END GENERATED: traits -->

    python tools/gen_config_docs.py           # rewrite docs/configuration.md
    python tools/gen_config_docs.py --check   # exit 1 if it is stale (what tests/test_docs.py does)
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "configuration.md"
BEGIN = "<!-- BEGIN GENERATED: traits (tools/gen_config_docs.py) -->"
END = "<!-- END GENERATED: traits -->"
_ENV = re.compile(r"\bNBGOV_[A-Z][A-Z_]*[A-Z]\b")


def configurables() -> list[type]:
    """Every ``Configurable`` subclass defined in the nbgov package that has config traits,
    sorted by name (modules that cannot be imported here — an optional dependency
    missing — are skipped)."""
    from traitlets.config import Configurable

    import nbgov

    for info in pkgutil.walk_packages(nbgov.__path__, "nbgov."):
        if info.name.endswith("__main__"):
            continue  # running it would start the command line
        try:
            importlib.import_module(info.name)
        except Exception:  # noqa: BLE001, S112 - an optional dependency missing: nothing configurable there
            continue
    found: dict[str, type] = {}
    todo = list(Configurable.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("nbgov.") and cls.class_own_traits(config=True):
            found[cls.__name__] = cls
    return [found[name] for name in sorted(found, key=lambda n: (n != "Nbgov", n))]


@contextmanager
def _clean_environment() -> Iterator[None]:
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("NBGOV_")}
    try:
        yield
    finally:
        os.environ.update(saved)


def _default(cls: type, name: str, trait: Any) -> Any:
    handler = getattr(cls, "_trait_default_generators", {}).get(name)
    if handler is not None:
        return handler.func(None)  # nbgov's default methods read only the environment
    return trait.default_value


def _env_var(cls: type, name: str, trait: Any) -> str | None:
    found = _ENV.findall(trait.help or "")
    if not found:
        handler = getattr(cls, "_trait_default_generators", {}).get(name)
        if handler is not None:
            found = _ENV.findall(inspect.getsource(handler.func))
    return found[0] if found else None


def _type(trait: Any) -> str:
    values = getattr(trait, "values", None)
    kind = type(trait).__name__
    return f"{kind} ({' | '.join(repr(v) for v in values)})" if values else kind


def traits() -> list[dict[str, Any]]:
    """One dict per config trait: ``name`` (``Class.trait``), ``type``, ``default``, ``env``, ``help``."""
    rows = []
    with _clean_environment():
        for cls in configurables():
            for name, trait in sorted(cls.class_own_traits(config=True).items()):
                rows.append(
                    {
                        "name": f"{cls.__name__}.{name}",
                        "type": _type(trait),
                        "default": _default(cls, name, trait),
                        "env": _env_var(cls, name, trait),
                        "help": " ".join((trait.help or "").split()),
                    }
                )
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def table() -> str:
    lines = ["| trait | type | default | environment | help |", "|---|---|---|---|---|"]
    for row in traits():
        env = f"`{row['env']}`" if row["env"] else "—"
        cells = [f"`{row['name']}`", _cell(row["type"]), f"`{row['default']!r}`", env, _cell(row["help"])]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def render(text: str) -> str:
    """``text`` with the trait table between the markers brought up to date."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"docs/configuration.md lacks the markers {BEGIN} … {END}")
    return text[: start + len(BEGIN)] + "\n" + table() + "\n" + text[end:]


def main(argv: list[str] | None = None) -> int:
    import docpage  # tools/docpage.py, beside this script (sys.path[0] when run as one)

    return docpage.run(PAGE, render, "tools/gen_config_docs.py", __doc__.split("\n", 1)[0], argv)


if __name__ == "__main__":
    sys.exit(main())
