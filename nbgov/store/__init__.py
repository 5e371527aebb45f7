"""The lineage store: one ``Store`` interface, SQLite (default) and PostgreSQL backends."""

from __future__ import annotations

import os
from pathlib import Path

from nbgov.errors import ConfigError
from nbgov.store.base import DEFAULT_DEPTH, ImportResult, OutboxItem, Store
from nbgov.store.sqlite import SQLiteStore

#: where the store lives when neither an argument nor ``NBGOV_STORE`` says otherwise
DEFAULT_STORE = Path(".nbgov") / "lineage.db"

__all__ = [
    "DEFAULT_DEPTH",
    "DEFAULT_STORE",
    "ImportResult",
    "OutboxItem",
    "SQLiteStore",
    "Store",
    "open_store",
    "store_location",
]


def store_location(location: str | os.PathLike[str] | None = None) -> str:
    """The store to use: ``location``, else ``$NBGOV_STORE``, else ``.nbgov/lineage.db``."""
    if location is not None and str(location).strip():
        return str(location)
    env = os.environ.get("NBGOV_STORE", "").strip()
    return env or str(DEFAULT_STORE)


def open_store(location: str | os.PathLike[str] | None = None, *, migrate: bool = True) -> Store:
    """Open (creating and migrating if needed) the store at ``location``.

    Args:
        location: a file path, ``sqlite:///path``, or a ``postgresql://`` URL; default
            from :func:`store_location`.
        migrate: apply pending migrations.

    Raises:
        ConfigError: the location names an unsupported scheme.
        StoreError: the store cannot be opened.
    """
    loc = store_location(location)
    lower = loc.lower()
    if lower.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        from nbgov.store.postgres import PostgresStore

        url = "postgresql://" + loc.split("://", 1)[1]
        return PostgresStore(url, migrate=migrate)
    if lower.startswith("sqlite:///"):
        return SQLiteStore(loc[len("sqlite:///") :], migrate=migrate)
    if "://" in loc:
        raise ConfigError(
            f"unsupported store {loc.split('://', 1)[0]!r}: use a file path, sqlite:///path or postgresql://…",
            source="NBGOV_STORE" if location is None else "store",
        )
    return SQLiteStore(loc, migrate=migrate)
