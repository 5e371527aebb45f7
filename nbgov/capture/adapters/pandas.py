"""pandas readers and writers as data accesses.

Hooked: ``read_csv``, ``read_table``, ``read_parquet``, ``read_json``, ``read_excel``,
``read_feather``, ``read_pickle``, ``read_sql``, ``read_sql_query``, ``read_sql_table``
and the ``to_csv``, ``to_parquet``, ``to_json``, ``to_excel``, ``to_feather``,
``to_pickle``, ``to_sql`` methods of ``DataFrame`` (and of ``Series`` where pandas has
them). Calls through the module attribute (``pd.read_csv``) are seen; a name imported
before the extension loaded (``from pandas import read_csv``) keeps the original.

Locations (see :func:`nbgov.capture.hooks.location_for_path`): a path or ``file://``
URL is a ``file``; other URLs are recorded by scheme (``s3``, ``gs``, ``https`` …); an
open file object counts as its file; in-memory buffers and writes that return a string
(``df.to_csv()``) are not recorded.

SQL: ``read_sql_table`` and ``to_sql`` name the table; a query that is a bare
``SELECT * FROM t`` (or a bare table name) names ``t``; any other query records the
connection's database (no table) with the SQL text in :attr:`Access.query` — SQL-level
table lineage comes from ``nbgov.sql`` later. Connections understood: ``sqlite3``
connections, SQLAlchemy engines and connections, and SQLAlchemy URL strings.
"""

from __future__ import annotations

import re
import sys
from typing import Any
from urllib.parse import urlsplit

from nbgov.capture.access import Access, DeferredFields, Location
from nbgov.capture.hooks import Patch, argument, file_facets, location_for_path
from nbgov.capture.profile import block_types, column_labels, dtype_name

MODULE = "pandas"

__all__ = ["MODULE", "ReadSchema", "connection_location", "frame_dtypes", "frame_fields", "frame_schema", "patches"]

#: reader name → (position, keyword) of its path argument
_READERS = {
    "read_csv": (0, "filepath_or_buffer"),
    "read_table": (0, "filepath_or_buffer"),
    "read_parquet": (0, "path"),
    "read_json": (0, "path_or_buf"),
    "read_excel": (0, "io"),
    "read_feather": (0, "path"),
    "read_pickle": (0, "filepath_or_buffer"),
}
#: writer method → (position including self, keyword) of its path argument, owners
_WRITERS = {
    "to_csv": (1, "path_or_buf", ("DataFrame", "Series")),
    "to_parquet": (1, "path", ("DataFrame",)),
    "to_json": (1, "path_or_buf", ("DataFrame", "Series")),
    "to_excel": (1, "excel_writer", ("DataFrame", "Series")),
    "to_feather": (1, "path", ("DataFrame",)),
    "to_pickle": (1, "path", ("DataFrame", "Series")),
}


def frame_dtypes(df: Any) -> Any:
    """A pandas DataFrame's dtypes, one per column in order, as a sequence.

    The block manager's list when it has one: ``df.dtypes`` builds a Series indexed by the
    columns, about ten times the cost, and this runs after every cell that writes a frame.
    """
    try:
        dtypes = df._mgr.get_dtypes()
        if len(dtypes) == len(df.columns):
            return dtypes
    except Exception:  # noqa: BLE001, S110 - a pandas without it: the public route below
        pass
    return df.dtypes.to_numpy()


def frame_fields(obj: Any) -> tuple[tuple[str, str], ...] | None:
    """``(column, dtype)`` pairs of a DataFrame or Series (a Series unnamed is ``"0"``)."""
    pd = sys.modules.get("pandas")
    if pd is None:
        return None
    if isinstance(obj, pd.DataFrame):
        return tuple((str(c), dtype_name(t)) for c, t in zip(column_labels(obj), frame_dtypes(obj)))
    if isinstance(obj, pd.Series):
        return ((str(obj.name) if obj.name is not None else "0", str(obj.dtype)),)
    return None


class ReadSchema(DeferredFields):
    """A DataFrame's columns as a reader returned it (or a writer wrote it), kept as references to its column
    ``Index`` and block list — no names converted, no dtypes looked up on the cell's path.

    pandas replaces (never mutates) both when a column is renamed, added, dropped or
    retyped, so while the frame still holds the very same two objects its schema is the
    one it was read with (:meth:`unchanged`); otherwise :meth:`resolve` reads the old
    names and each old block's dtype from the kept objects (as the frame tracker does).
    """

    __slots__ = ("_blocks", "_columns")

    def __init__(self, df: Any) -> None:
        super().__init__()
        self._columns = df.columns
        self._blocks = df._mgr.blocks

    def unchanged(self, obj: Any) -> bool:
        try:
            return obj.columns is self._columns and obj._mgr.blocks is self._blocks
        except Exception:  # noqa: BLE001 - an odd frame: described as it was read or written
            return False

    def resolve(self) -> tuple[tuple[str, str], ...]:
        names, types = block_types(self._columns, self._blocks)
        return tuple((n, t or "") for n, t in zip(names, types))


def frame_schema(obj: Any) -> tuple[tuple[str, str], ...] | DeferredFields | None:
    """What a reader or writer records as the columns of the frame it returned or wrote:
    a :class:`ReadSchema` for a pandas DataFrame with a block manager, else
    :func:`frame_fields` (a Series)."""
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(obj, pd.DataFrame):
        try:
            return ReadSchema(obj)
        except AttributeError:  # no block manager (a pandas without one): convert now
            pass
    return frame_fields(obj)


def _is_frame(obj: Any) -> bool:
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(obj, (pd.DataFrame, pd.Series))


def _file_access(direction: str, target: Any, via: str, frame: Any) -> list[Access]:
    location = location_for_path(target)
    if location is None:
        return []
    framed = _is_frame(frame)
    return [
        Access(
            direction,
            location,
            via,
            fields=frame_schema(frame) if framed else None,
            facets=file_facets(location),
            obj=frame if framed else None,
        )
    ]


def _reader(name: str) -> Patch:
    index, keyword = _READERS[name]
    via = f"pandas.{name}"

    def describe(args: tuple, kwargs: dict, result: Any) -> list[Access]:
        return _file_access("input", argument(args, kwargs, index, keyword), via, result)

    return Patch(f"pandas:{name}", describe, via=via)


def _writer(owner: str, name: str) -> Patch:
    index, keyword, _ = _WRITERS[name]
    via = f"pandas.{owner}.{name}"

    def describe(args: tuple, kwargs: dict, result: Any) -> list[Access]:
        target = argument(args, kwargs, index, keyword)
        if target is None:  # returns the text / bytes instead of writing
            return []
        pd = sys.modules.get("pandas")
        if pd is not None and isinstance(target, pd.ExcelWriter):  # its open file names the path
            target = getattr(getattr(target, "_handles", None), "handle", None)
        return _file_access("output", target, via, args[0] if args else None)

    return Patch(f"pandas:{owner}.{name}", describe, via=via)


# -------------------------------------------------------------------------- SQL
_BACKENDS = {"postgresql": "postgres", "mariadb": "mysql", "mssql": "sqlserver"}
_IDENT = r'(?:"[^"]+"|`[^`]+`|\[[^\]]+\]|[A-Za-z_][\w$]*)'
_BARE_TABLE = re.compile(rf"^\s*(?:select\s+\*\s+from\s+)?({_IDENT}(?:\s*\.\s*{_IDENT})?)\s*;?\s*$", re.IGNORECASE)


def _unquote(ident: str) -> str:
    ident = ident.strip()
    if ident[:1] in '"`[' and len(ident) >= 2:
        return ident[1:-1]
    return ident


def bare_table(sql: str) -> tuple[str | None, str] | None:
    """``(schema, table)`` when ``sql`` is only a table name or ``SELECT * FROM table``."""
    match = _BARE_TABLE.match(sql)
    if match is None:
        return None
    parts = [_unquote(p) for p in re.split(rf"\s*\.\s*(?={_IDENT})", match.group(1))]
    if len(parts) == 1 and parts[0].lower() in ("select", "with", "insert", "update", "delete"):
        return None
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


def _sqlite_path(con: Any) -> str:
    rows = con.execute("PRAGMA database_list").fetchall()
    for _, name, path in rows:
        if name == "main":
            return path or ":memory:"
    return ":memory:"


def _url_location(url: Any, table: str | None, schema: str | None) -> Location | None:
    """A location from a SQLAlchemy ``URL`` or a URL string."""
    if isinstance(url, str):
        sa_url = sys.modules.get("sqlalchemy.engine.url")
        if sa_url is not None:
            try:
                url = sa_url.make_url(url)
            except Exception:  # noqa: BLE001, S110 - any parse failure: fall back to urlsplit
                pass
    if isinstance(url, str):
        parts = urlsplit(url)
        backend = parts.scheme.split("+", 1)[0].lower()
        database = parts.path[1:] if backend == "sqlite" else parts.path.lstrip("/")
        host, port = parts.hostname, parts.port
    else:
        backend, database, host, port = url.get_backend_name(), url.database, url.host, url.port
    backend = _BACKENDS.get(backend, backend)
    if backend == "sqlite":
        path = database or ":memory:"
        if path != ":memory:":
            path = Location.file(path).get("path")
        return Location.of("sqlite", path=path, schema=schema, table=table)
    if backend == "postgres" and table and not schema:
        schema = "public"
    return Location.of(backend, host=host or "localhost", port=port, database=database, schema=schema,
                       table=table)


def connection_location(con: Any, table: str | None = None, schema: str | None = None) -> Location | None:
    """The location of ``table`` (or of the database, without a table) behind ``con``.

    Args:
        con: a ``sqlite3.Connection``, a SQLAlchemy ``Engine`` / ``Connection``, or a
            SQLAlchemy URL string.
        table: the table name, if known.
        schema: its schema, if known.

    Returns:
        The location, or ``None`` for a connection type it does not know.
    """
    sqlite3 = sys.modules.get("sqlite3")
    if sqlite3 is not None and isinstance(con, sqlite3.Connection):
        path = _sqlite_path(con)
        if path != ":memory:":
            path = Location.file(path).get("path")
        return Location.of("sqlite", path=path, schema=schema, table=table)
    url = getattr(con, "url", None)
    if url is None:
        url = getattr(getattr(con, "engine", None), "url", None)
    if url is None and isinstance(con, str):
        url = con
    if url is None:
        return None
    return _url_location(url, table, schema)


def _sql_text(sql: Any) -> str:
    return sql if isinstance(sql, str) else str(sql)


def _query_reader(name: str) -> Patch:
    via = f"pandas.{name}"

    def describe(args: tuple, kwargs: dict, result: Any) -> list[Access]:
        framed = _is_frame(result)
        return sql_read_access(_sql_text(argument(args, kwargs, 0, "sql")), argument(args, kwargs, 1, "con"), via,
                               fields=frame_schema(result) if framed else None, obj=result if framed else None)

    return Patch(f"pandas:{name}", describe, via=via)


def sql_read_access(sql: str, con: Any, via: str, *, fields: Any = None, obj: Any = None) -> list[Access]:
    """The input a query read through ``con``: the table when the query is a bare table
    (``SELECT * FROM t`` or a name), else the connection's database with the SQL in
    ``Access.query`` for the notebook face to resolve. Shared by the DataFrame libraries'
    ``read_sql``-like readers."""
    bare = bare_table(sql)
    schema, table = bare if bare else (None, None)
    location = connection_location(con, table, schema)
    if location is None:
        return []
    return [Access("input", location, via, fields=fields, query=None if bare else sql, obj=obj)]


def _describe_read_sql_table(args: tuple, kwargs: dict, result: Any) -> list[Access]:
    table = argument(args, kwargs, 0, "table_name")
    con = argument(args, kwargs, 1, "con")
    schema = argument(args, kwargs, 2, "schema")
    location = connection_location(con, str(table), schema)
    if location is None:
        return []
    framed = _is_frame(result)
    return [Access("input", location, "pandas.read_sql_table", fields=frame_schema(result) if framed else None,
                   obj=result if framed else None)]


def _to_sql(owner: str) -> Patch:
    via = f"pandas.{owner}.to_sql"

    def describe(args: tuple, kwargs: dict, result: Any) -> list[Access]:
        frame = args[0]
        table = argument(args, kwargs, 1, "name")
        con = argument(args, kwargs, 2, "con")
        schema = argument(args, kwargs, 3, "schema")
        location = connection_location(con, str(table), schema)
        if location is None:
            return []
        return [Access("output", location, via, fields=frame_schema(frame), obj=frame)]

    return Patch(f"pandas:{owner}.to_sql", describe, via=via)


def patches() -> list[Patch]:
    """The pandas patches (pandas is imported by the caller already)."""
    out = [_reader(name) for name in _READERS]
    out += [_query_reader("read_sql"), _query_reader("read_sql_query")]
    out.append(Patch("pandas:read_sql_table", _describe_read_sql_table, via="pandas.read_sql_table"))
    for name, (_, _, owners) in _WRITERS.items():
        out += [_writer(owner, name) for owner in owners]
    out += [_to_sql("DataFrame"), _to_sql("Series")]
    return out
