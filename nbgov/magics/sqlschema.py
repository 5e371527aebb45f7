"""Where ``%%sql`` finds the columns of the tables a query reads (for ``*`` expansion).

Column lineage (:func:`nbgov.sql.column_lineage`) needs ``{table: {column: type}}`` to
expand ``*`` and to attribute unqualified columns in joins. For each table a query
names, the first source that knows it wins:

1. **the engine's catalog** — DuckDB's ``information_schema.columns`` (and, for a file a
   query reads, DuckDB's ``DESCRIBE`` of it), or the SQLAlchemy inspector;
2. **DataFrame dtypes** of a pandas / polars / pyarrow frame bound to that name in the
   notebook's namespace (what DuckDB scans by name);
3. **the store's latest schema facet** of the dataset the name resolves to.

Keys are quoted SQL identifiers (``"main"."orders"``, ``"sales.csv"``) so that names
with dots or odd characters are looked up exactly as a query writes them. Every
function here is read-only and may raise; callers run them inside nbgov's guard.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "duckdb_catalog",
    "frame_columns",
    "quote",
    "sqlalchemy_catalog",
    "store_columns",
    "words",
]

log = logging.getLogger(__name__)

_WORD = re.compile(r"[A-Za-z_][\w$]*")

#: one table of a catalog: (catalog, schema, table) → {column: type}
Tables = dict[tuple[str, ...], dict[str, str]]


def quote(*parts: str) -> str:
    """``"a"."b"``: a schema key naming exactly these identifier parts."""
    return ".".join('"' + p.replace('"', '""') + '"' for p in parts)


def words(sql: str) -> set[str]:
    """The lower-cased identifier-like words of ``sql`` (a cheap filter for catalog lookups)."""
    return {w.lower() for w in _WORD.findall(sql)}


# ------------------------------------------------------------------------ engines
def duckdb_catalog(con: Any, wanted: Iterable[str] | None = None) -> Tables:
    """Columns of the tables and views of a DuckDB connection.

    Args:
        con: a ``duckdb.DuckDBPyConnection``.
        wanted: lower-cased table names to keep (``None``: all).

    Returns:
        ``{(catalog, schema, table): {column: type}}`` in column order.
    """
    keep = None if wanted is None else set(wanted)
    cursor = con.cursor()
    try:
        rows = cursor.execute(
            "SELECT table_catalog, table_schema, table_name, column_name, data_type "
            "FROM information_schema.columns ORDER BY table_catalog, table_schema, table_name, ordinal_position"
        ).fetchall()
    finally:
        cursor.close()
    out: Tables = {}
    for catalog, schema, table, column, type_ in rows:
        if keep is not None and table.lower() not in keep:
            continue
        out.setdefault((catalog, schema, table), {})[column] = type_
    return out


def duckdb_describe(con: Any, path: str) -> dict[str, str] | None:
    """The columns DuckDB reads from the file ``path`` (``DESCRIBE``; the file is sniffed)."""
    cursor = con.cursor()
    try:
        rows = cursor.execute(f"DESCRIBE SELECT * FROM {_literal(path)}").fetchall()
    finally:
        cursor.close()
    return {name: type_ for name, type_, *_ in rows} or None


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def sqlalchemy_catalog(engine: Any, names: Iterable[tuple[str | None, str]]) -> Tables:
    """Columns of the given ``(schema, table)`` pairs by the SQLAlchemy inspector.

    Tables the inspector does not know are left out.
    """
    from sqlalchemy import inspect

    inspector = inspect(engine)
    out: Tables = {}
    for schema, table in names:
        try:
            columns = inspector.get_columns(table, schema=schema)
        except Exception:  # noqa: BLE001 - not a table of this database
            log.debug("no columns for %s.%s", schema, table, exc_info=True)
            continue
        if columns:
            key = (schema, table) if schema else (table,)
            out[key] = {c["name"]: str(c["type"]) for c in columns}
    return out


# ------------------------------------------------------------------------ frames
def frame_columns(obj: Any) -> dict[str, str] | None:
    """``{column: dtype}`` of a pandas / polars / pyarrow frame, ``None`` for anything else.

    Reads only the frame's schema (no data).
    """
    from nbgov.capture.profile import frame_kind

    kind = frame_kind(obj)
    if kind == "pandas":
        return {str(c): str(t) for c, t in obj.dtypes.items()}
    if kind in ("polars", "polars-lazy"):
        schema = obj.collect_schema() if hasattr(obj, "collect_schema") else obj.schema
        return {str(c): str(t) for c, t in schema.items()}
    if kind == "pyarrow":
        return {f.name: str(f.type) for f in obj.schema}
    return None


# ------------------------------------------------------------------------ store
def store_columns(store: Any, namespace: str, name: str) -> dict[str, str] | None:
    """The latest ``schema`` facet the store holds for a dataset, or ``None``."""
    from nbgov.errors import NodeNotFoundError

    try:
        node: Mapping[str, Any] = store.dataset(namespace, name)
    except NodeNotFoundError:
        return None
    fields = node.get("fields") or []
    return {f["name"]: f.get("type") or "UNKNOWN" for f in fields if f.get("name")} or None
