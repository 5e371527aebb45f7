"""What every ``nbgov`` command shares: the ``--store`` and ``--format`` options, opening
the store for one command, and JSON output. Used by :mod:`nbgov.cli` and the command
modules it registers (``cli_impact``, ``cli_pii``, ``cli_model``, …), so each option reads
and behaves the same in every command."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from nbgov.store import Store

F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["depth_option", "echo_json", "format_option", "opened_store", "store_option"]


def store_option(default_help: str = "$NBGOV_STORE, else .nbgov/lineage.db") -> Callable[[F], F]:
    """``--store LOCATION``: a SQLite file, ``sqlite:///path`` or a ``postgresql://`` URL."""
    return click.option(
        "--store", "store_loc", metavar="LOCATION", default=None,
        help=f"Lineage store: a SQLite file path, sqlite:///path or postgresql://… URL [default: {default_help}].",
    )


def format_option(*choices: str) -> Callable[[F], F]:
    """``--format``: the first choice is the default (``text``, ``json`` when none given)."""
    choices = choices or ("text", "json")
    return click.option(
        "--format", "fmt", type=click.Choice(choices), default=choices[0], show_default=True,
        help="Output format; json keys are documented in docs/cli.md.",
    )


def depth_option(fn: F) -> F:
    """``--depth N``: job hops to follow (the store's default)."""
    from nbgov.store import DEFAULT_DEPTH

    return click.option(
        "--depth", type=click.IntRange(min=0), default=DEFAULT_DEPTH, show_default=True,
        help="How many job hops to follow from the node.",
    )(fn)


@contextlib.contextmanager
def opened_store(location: str | None) -> Iterator[Store]:
    """Open the store for one command and close it afterwards."""
    from nbgov.store import open_store

    store = open_store(location)
    try:
        yield store
    finally:
        store.close()


def echo_json(value: Any) -> None:
    """Pretty-printed JSON on standard output (non-JSON values as their text)."""
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))
