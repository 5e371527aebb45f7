"""Regenerate the ``--help`` blocks of docs/cli.md from the ``nbgov`` command line itself.

docs/cli.md mixes prose (what a command is for, its JSON keys, exit codes) with one block
per command that is the command's ``--help`` output, verbatim. This script owns those
blocks: it rewrites each one between its markers

    <!-- BEGIN GENERATED: nbgov NAME --help (tools/gen_cli_docs.py) -->
    ...
    <!-- END GENERATED: nbgov NAME --help -->

and the overview of ``nbgov --help`` at the top. A command without a ``## nbgov NAME``
section gets a new one at the end (its help only: describe it, and list its JSON keys);
a generated block for a command that no longer exists is an error.

    python tools/gen_cli_docs.py           # rewrite docs/cli.md
    python tools/gen_cli_docs.py --check   # exit 1 if docs/cli.md is stale (what tests/test_docs.py does)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "cli.md"
#: help is rendered at this width whatever the terminal, so the page does not depend on who ran the script
WIDTH = 100

_BLOCK = re.compile(
    r"<!-- BEGIN GENERATED: (?P<cmd>nbgov(?: [\w-]+)?) --help \(tools/gen_cli_docs\.py\) -->\n"
    r".*?"
    r"<!-- END GENERATED: (?P=cmd) --help -->",
    re.DOTALL,
)


def commands() -> dict[str, click.Command]:
    """The registered commands by name, sorted."""
    from nbgov.cli import cli

    return dict(sorted(cli.commands.items()))


def help_text(name: str | None = None) -> str:
    """``nbgov --help`` (``name`` None) or ``nbgov NAME --help``, at :data:`WIDTH` columns."""
    from nbgov.cli import cli

    settings = {**cli.context_settings, "terminal_width": WIDTH, "max_content_width": WIDTH}
    ctx = click.Context(cli, info_name="nbgov", **settings)
    if name is None:
        return cli.get_help(ctx)
    command = cli.commands[name]
    sub = click.Context(command, info_name=name, parent=ctx, **settings)
    return command.get_help(sub)


def block(name: str | None) -> str:
    """The generated block (markers included) for ``nbgov [NAME] --help``."""
    cmd = "nbgov" if name is None else f"nbgov {name}"
    body = help_text(name).rstrip("\n")
    return (
        f"<!-- BEGIN GENERATED: {cmd} --help (tools/gen_cli_docs.py) -->\n"
        f"```text\n{body}\n```\n"
        f"<!-- END GENERATED: {cmd} --help -->"
    )


def render(text: str) -> str:
    """``text`` (the current page) with every generated block brought up to date.

    Raises:
        SystemExit: a generated block names a command that does not exist.
    """
    names = commands()
    seen: set[str] = set()

    def replace(match: re.Match[str]) -> str:
        cmd = match.group("cmd")
        name = cmd[len("nbgov ") :] if cmd != "nbgov" else None
        if name is not None and name not in names:
            raise SystemExit(
                f"docs/cli.md has a generated block for `{cmd}`, which is not a command any more"
            )
        seen.add(cmd)
        return block(name)

    out = _BLOCK.sub(replace, text)
    missing = [n for n in names if f"nbgov {n}" not in seen]
    for name in missing:
        if re.search(rf"^## nbgov {re.escape(name)}\s*$", out, re.MULTILINE):
            raise SystemExit(f"docs/cli.md: section `## nbgov {name}` has no generated --help block")
        out = out.rstrip("\n") + (
            f"\n\n## nbgov {name}\n\n{block(name)}\n\n"
            "Not described yet beyond its `--help`: say what it is for, its exit status and its JSON keys.\n"
        )
    if "nbgov" not in seen:
        raise SystemExit("docs/cli.md has no generated `nbgov --help` block")
    return out


def main(argv: list[str] | None = None) -> int:
    import docpage  # tools/docpage.py, beside this script (sys.path[0] when run as one)

    return docpage.run(PAGE, render, "tools/gen_cli_docs.py", __doc__.split("\n", 1)[0], argv)


if __name__ == "__main__":
    sys.exit(main())
