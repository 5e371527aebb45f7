"""SQLAlchemy statements as table-level data accesses.

Hooked: one ``after_cursor_execute`` listener on the ``Engine`` class (so every engine,
created before or after, is seen), added when the hooks install and removed exactly when
they uninstall. ``after_cursor_execute`` fires only for a statement that succeeded, so a
failing statement records nothing. Statements SQLAlchemy runs for itself (dialect
initialisation, reflection of the catalog) are not datasets: the catalog is excluded
and so are statements that read no table.

Each statement is classified by :func:`nbgov.capture.adapters.sqlite3.classify`
(reads: ``SELECT`` … ``FROM`` / ``JOIN``; writes: ``INSERT`` / ``UPDATE`` / ``DELETE``
/ ``CREATE`` / ``DROP`` / ``ALTER`` with their target) and located from the engine's
URL the way the pandas adapter locates a connection
(:func:`nbgov.capture.adapters.pandas.connection_location`): ``postgres`` / ``mysql``
/ … with ``host``, ``port``, ``database``, ``schema`` (``public`` by default on
PostgreSQL) and ``table``; ``sqlite`` with the database file's absolute path;
``duckdb`` with its file's path. The URL's user name and password are never part of a
location. The statement SQLAlchemy sends (with placeholders, not the bound values) is
kept in :attr:`Access.query` for reads and for writes that read tables.

Only the outermost call is recorded: ``pd.read_sql`` / ``df.to_sql`` through an
engine record the pandas access only. A ``sqlite3`` connection SQLAlchemy's pool opens
is not traced by the sqlite3 adapter (no double counting).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from nbgov.capture import access as _access
from nbgov.capture.access import Location
from nbgov.capture.adapters.builtins_open import Lifecycle
from nbgov.capture.adapters.sqlite3 import classify, statement_accesses
from nbgov.capture.hooks import Patch

__all__ = ["MODULE", "engine_location", "patches"]

MODULE = "sqlalchemy"

log = logging.getLogger(__name__)

VIA = "sqlalchemy.execute"


def engine_location(connection: Any, table: str | None, schema: str | None = None) -> Location | None:
    """The location of ``schema.table`` behind a SQLAlchemy ``Connection`` or ``Engine``.

    Returns:
        The location, or ``None`` when the engine's URL cannot be read.
    """
    engine = getattr(connection, "engine", connection)
    url = getattr(engine, "url", None)
    if url is None:
        return None
    backend = url.get_backend_name()
    if backend in ("sqlite", "duckdb"):
        if schema is not None and schema.lower() == "main":
            schema = None
        if schema is not None and schema.lower() == "temp":
            return None
        path = url.database or ":memory:"
        if path != ":memory:":
            path = os.path.abspath(os.path.expanduser(path))
        return Location.of(backend, path=path, schema=schema, table=table)
    from nbgov.capture.adapters.pandas import connection_location

    return connection_location(engine, table, schema)


def _after_cursor_execute(conn: Any, cursor: Any, statement: Any, parameters: Any, context: Any,
                          executemany: bool) -> None:
    capture = _access._active
    if capture is None or _access.nested() or not isinstance(statement, str):
        return
    try:
        with _access.calling():
            classified = classify(statement)
            if classified.kind not in ("read", "write"):
                return

            def locate(schema: str | None, table: str) -> Location | None:
                return engine_location(conn, table, schema)

            accesses = statement_accesses(classified, locate, VIA, statement)
        if accesses:
            capture.extend(accesses)
    except Exception as exc:  # a listener must never fail the user's statement
        log.debug("capture:%s failed", VIA, exc_info=True)
        capture.fail(f"capture:{VIA}", exc)


def _on() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "after_cursor_execute", _after_cursor_execute):
        event.listen(Engine, "after_cursor_execute", _after_cursor_execute)


def _off() -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if event.contains(Engine, "after_cursor_execute", _after_cursor_execute):
        event.remove(Engine, "after_cursor_execute", _after_cursor_execute)


_LIFECYCLE = Lifecycle(__name__, "_LIFECYCLE", _on, _off)


def patches() -> list[Patch]:
    """The switch that adds the ``Engine`` listener at install and removes it at uninstall."""
    return [_LIFECYCLE.patch()]
