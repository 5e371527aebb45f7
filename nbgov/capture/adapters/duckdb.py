"""DuckDB queries as data accesses: files and tables read or written by SQL, frames scanned by name.

Hooked:

- **statements that run at the call**: ``duckdb.execute`` / ``executemany`` and
  ``DuckDBPyConnection.execute`` / ``executemany`` (every statement), and
  ``duckdb.sql`` / ``query`` / ``from_query`` and the same connection methods (every
  statement but a final ``SELECT``, which DuckDB keeps lazy as a relation);
- **relation terminals**, where a lazy ``SELECT`` actually reads: ``fetchall``, ``df``
  / ``fetchdf`` / ``to_df``, ``pl``, ``arrow`` / ``fetch_arrow_table`` /
  ``to_arrow_table``, the Arrow readers, ``fetchnumpy``, ``tf``, ``torch``,
  ``to_dicts``, ``iter_rows``, ``materialize``, ``show`` and the notebook display
  (``__repr__``, ``_repr_mimebundle_``) record the relation's reads; ``write_csv`` /
  ``to_csv`` and ``write_parquet`` / ``to_parquet`` add the file written, ``create`` /
  ``to_table`` and ``insert_into`` the table written.

So the read of ``rel = duckdb.sql("SELECT …")`` belongs to the cell that fetches,
displays or writes ``rel``; a cell that only builds a relation records nothing (as a
polars ``scan_*`` without ``collect``).

What a statement reads and writes comes from DuckDB's own parser, run on a private
in-memory connection (the user's connections are never asked to parse, so a pending
result is never disturbed):

- ``SELECT`` (also the query inside ``COPY (…) TO``, ``INSERT … SELECT`` and
  ``CREATE TABLE … AS``): ``json_serialize_sql`` gives the tree; every table reference
  (outside common table expressions) and every reader table function
  (``read_csv[_auto]``, ``read_parquet`` / ``parquet_scan``, ``read_json[_auto]``,
  ``read_ndjson``, ``read_xlsx`` … with literal paths, globs expanded) is an input.
- other statements: ``extract_statements`` gives each one's type and ``tokenize`` its
  tokens, enough to find ``COPY <query|table> TO|FROM 'path'``, the target of
  ``INSERT INTO`` / ``CREATE TABLE … AS`` / ``UPDATE`` / ``DELETE FROM``.
  ``CREATE VIEW``, DDL without data, ``ATTACH``, ``SET`` … record nothing.

A table reference is, in DuckDB's own order of precedence:

1. a table or view of the connection's catalog → ``duckdb`` location: ``path`` of the
   database file (``:memory:`` for an in-memory one), ``schema`` (``main`` when not
   written), ``table``;
2. a Python variable holding a DataFrame (pandas, polars, pyarrow) in the calling
   frames — DuckDB's replacement scan → ``dataframe`` location ``name=<variable>``, as
   the notebook's frame tracker names in-namespace frames; in a relation's SQL such a
   variable appears as a ``name AS (SELECT * FROM "__duckdb_source_…")`` CTE and is
   named from it;
3. a name that looks like a file (``'x.parquet'``, ``'data/*.csv'``, a URL) → the file;
4. anything else → a ``duckdb`` table (one created later in a script, a temp view).

Every access carries the statement's SQL text in :attr:`Access.query`. Fields are not
filled for DuckDB datasets: a statement's result is no single source's schema. A
statement DuckDB's parser refuses records nothing (it failed in DuckDB too).
"""

from __future__ import annotations

import functools
import glob
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from nbgov.capture import access as _access
from nbgov.capture.access import Access, Location
from nbgov.capture.hooks import ORIGINAL_ATTR, Describe, Patch, argument, file_facets, location_for_path

MODULE = "duckdb"

log = logging.getLogger(__name__)

__all__ = ["MODULE", "StatementIO", "analyse", "patches"]

#: table functions that read files named by their first argument
_READERS = frozenset({
    "read_csv", "read_csv_auto", "sniff_csv", "read_parquet", "parquet_scan", "read_json", "read_json_auto",
    "read_json_objects", "read_json_objects_auto", "read_ndjson", "read_ndjson_auto", "read_ndjson_objects",
    "read_text", "read_blob", "read_xlsx", "st_read", "delta_scan", "iceberg_scan",
})
_FILE_LIKE = re.compile(r"(://|[*?\[]|\.(csv|tsv|txt|parquet|json|jsonl|ndjson|xlsx|arrow|ipc|feather|avro)"
                        r"(\.(gz|zst|zstd|bz2|lz4|snappy))?$)", re.IGNORECASE)
_SOURCE_PREFIX = "__duckdb_source_"
_LAZY_KINDS = ("SELECT",)


@dataclass
class StatementIO:
    """What one statement reads and writes, before names are resolved.

    Attributes:
        reads: table references as name parts (``("t",)``, ``("main", "t")``) or
            ``("file", path)`` pairs in :attr:`files`.
        files: files read (paths or URLs as written).
        frames: Python variables the SQL reads by name, known as such from the SQL.
        writes_table: the table written, as name parts.
        writes_file: the file written.
    """

    reads: list[tuple[str, ...]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    frames: list[str] = field(default_factory=list)
    writes_table: tuple[str, ...] | None = None
    writes_file: str | None = None


# ------------------------------------------------------------------- parsing
_parser_lock = threading.Lock()
_parser_con: Any = None


def _parser() -> Any:
    global _parser_con
    if _parser_con is None:
        import duckdb

        _parser_con = duckdb.connect(":memory:")
    return _parser_con


def _serialize(sql: str) -> dict[str, Any] | None:
    with _parser_lock:
        text = _parser().execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0]
    tree = json.loads(text)
    return None if tree.get("error") else tree


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def _constant_strings(expr: Any) -> list[str]:
    """The string literals of a constant or a list of constants (``['a', 'b']``)."""
    if not isinstance(expr, dict):
        return []
    if expr.get("class") == "CONSTANT":
        literal = expr.get("literal") or {}
        text = literal.get("text") if isinstance(literal, dict) else None
        return [text] if isinstance(text, str) and literal.get("kind") in ("STRING", "VARCHAR") else []
    if expr.get("class") == "FUNCTION" and expr.get("function_name") == "list_value":
        return [s for arg in expr.get("arguments") or [] for s in _constant_strings(_argument_expr(arg))]
    return []


def _argument_expr(arg: Any) -> Any:
    return arg.get("expression") if isinstance(arg, dict) and "expression" in arg else arg


def _select_io(sql: str, io: StatementIO) -> bool:
    """Add what a SELECT reads to ``io``; ``False`` when DuckDB cannot serialise it."""
    tree = _serialize(sql)
    if tree is None:
        return False
    ctes: set[str] = set()
    for node in _walk(tree):
        cte_map = node.get("cte_map")
        if isinstance(cte_map, dict):
            for entry in cte_map.get("map") or []:
                name = entry.get("key")
                if not isinstance(name, str):
                    continue
                ctes.add(name.lower())
                body = ((entry.get("value") or {}).get("query_node") or {}).get("from_table") or {}
                if body.get("type") == "BASE_TABLE" and str(body.get("table_name", "")).startswith(_SOURCE_PREFIX):
                    io.frames.append(name)
    for node in _walk(tree):
        kind = node.get("type")
        if kind == "BASE_TABLE":
            name = node.get("table_name") or ""
            parts = tuple(p for p in (node.get("catalog_name"), node.get("schema_name"), name) if p)
            if name.startswith(_SOURCE_PREFIX) or (len(parts) == 1 and name.lower() in ctes):
                continue
            io.reads.append(parts)
        elif kind == "TABLE_FUNCTION":
            function = node.get("function") or {}
            if str(function.get("function_name", "")).lower() in _READERS:
                args = function.get("arguments") or []
                if args:
                    io.files.extend(_constant_strings(_argument_expr(args[0])))
    return True


@dataclass(frozen=True)
class _Token:
    text: str
    kind: str
    start: int

    def keyword(self, *words: str) -> bool:
        return self.kind == "keyword" and self.text.lower() in words


def _tokens(sql: str) -> list[_Token]:
    import duckdb

    raw = duckdb.tokenize(sql)
    out = []
    for i, (start, kind) in enumerate(raw):
        end = raw[i + 1][0] if i + 1 < len(raw) else len(sql)
        text = sql[start:end].strip()
        if text:
            out.append(_Token(text, getattr(kind, "name", str(kind)), start))
    return out


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1].replace(text[0] * 2, text[0])
    return text


def _name_at(tokens: list[_Token], i: int) -> tuple[tuple[str, ...], int]:
    """A dotted name starting at token ``i``: its parts and the index after it."""
    parts: list[str] = []
    while i < len(tokens) and tokens[i].kind in ("identifier", "keyword", "string_const"):
        parts.append(_unquote(tokens[i].text))
        i += 1
        if i < len(tokens) and tokens[i].text == ".":
            i += 1
            continue
        break
    return tuple(parts), i


def _closing(tokens: list[_Token], i: int) -> int:
    """The index of the ``)`` matching the ``(`` at ``i``."""
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j].text == "(":
            depth += 1
        elif tokens[j].text == ")":
            depth -= 1
            if depth == 0:
                return j
    return len(tokens) - 1


def _top_level(tokens: list[_Token], start: int, *words: str) -> int | None:
    depth = 0
    for j in range(start, len(tokens)):
        t = tokens[j]
        if t.text == "(":
            depth += 1
        elif t.text == ")":
            depth -= 1
        elif depth == 0 and t.keyword(*words):
            return j
    return None


def _query_from(sql: str, tokens: list[_Token], start: int, io: StatementIO) -> None:
    """The reads of the query that starts at or after token ``start`` (up to ON CONFLICT / RETURNING)."""
    begin = None
    for j in range(start, len(tokens)):
        if tokens[j].keyword("select", "with", "from", "values", "table") or tokens[j].text == "(":
            begin = j
            break
    if begin is None:
        return
    end = _top_level(tokens, begin + 1, "on", "returning")
    text = sql[tokens[begin].start: tokens[end].start if end is not None else len(sql)]
    _select_io(text, io)


def _copy_io(sql: str, tokens: list[_Token], io: StatementIO) -> None:
    i = 1
    source: tuple[str, ...] | None = None
    inner: str | None = None
    if i < len(tokens) and tokens[i].text == "(":
        close = _closing(tokens, i)
        inner = sql[tokens[i].start + 1: tokens[close].start]
        i = close + 1
    else:
        source, i = _name_at(tokens, i)
        if i < len(tokens) and tokens[i].text == "(":  # a column list
            i = _closing(tokens, i) + 1
    if i + 1 >= len(tokens) or not tokens[i].keyword("to", "from"):
        return
    path = _unquote(tokens[i + 1].text)
    if tokens[i].keyword("to"):
        io.writes_file = path
        if inner is not None:
            _select_io(inner, io)
        elif source:
            io.reads.append(source)
    elif source:
        io.files.append(path)
        io.writes_table = source


def analyse(sql: str, kind: str) -> StatementIO:
    """What one statement reads and writes, by DuckDB's own parser.

    Args:
        sql: one statement's text.
        kind: its ``StatementType`` name (``"SELECT"``, ``"COPY"``, ``"INSERT"`` …).

    Returns:
        Its :class:`StatementIO` (empty for statements that move no data).
    """
    io = StatementIO()
    if kind == "SELECT":
        _select_io(sql, io)
        return io
    tokens = _tokens(sql)
    if not tokens:
        return io
    if kind == "COPY":
        _copy_io(sql, tokens, io)
    elif kind == "INSERT":
        into = _top_level(tokens, 0, "into")
        if into is not None:
            io.writes_table, after = _name_at(tokens, into + 1)
            if (after + 1 < len(tokens) and tokens[after].text == "("
                    and not tokens[after + 1].keyword("select", "with", "from", "values", "table")):
                after = _closing(tokens, after) + 1  # a column list, not a query
            _query_from(sql, tokens, after, io)
    elif kind == "CREATE":
        table = _top_level(tokens, 0, "table", "view")
        as_ = _top_level(tokens, 0, "as")
        if table is not None and tokens[table].keyword("table") and as_ is not None:
            i = table + 1
            if tokens[i].keyword("if"):  # IF NOT EXISTS
                i += 3
            io.writes_table, _ = _name_at(tokens, i)
            _query_from(sql, tokens, as_ + 1, io)
    elif kind == "UPDATE":
        io.writes_table, _ = _name_at(tokens, 1)
    elif kind == "DELETE":
        start = _top_level(tokens, 0, "from")
        if start is not None:
            io.writes_table, _ = _name_at(tokens, start + 1)
    return io


def _statements(query: Any) -> list[tuple[str, str]]:
    """``(text, type name)`` of each statement of a query (a string or a parsed Statement)."""
    if hasattr(query, "query") and hasattr(query, "type"):
        return [(query.query, query.type.name)]
    if not isinstance(query, str):
        return []
    with _parser_lock:
        statements = _parser().extract_statements(query)
    return [(s.query, s.type.name) for s in statements]


# ---------------------------------------------------------------- resolving
def _user_value(name: str) -> Any:
    """The value of ``name`` in the nearest calling frame outside nbgov and duckdb, as
    DuckDB's replacement scan finds it; ``None`` when unbound."""
    frame = sys._getframe(1)
    depth = 0
    while frame is not None and depth < 64:
        module = frame.f_globals.get("__name__", "") or ""
        if not (module.startswith(("nbgov.capture", "duckdb", "_duckdb"))):
            for scope in (frame.f_locals, frame.f_globals):
                if name in scope:
                    return scope[name]
        frame = frame.f_back
        depth += 1
    return None


def _is_frame(value: Any) -> bool:
    if value is None:
        return False
    from nbgov.capture.profile import frame_kind

    if frame_kind(value) is not None:
        return True
    pa_ds = sys.modules.get("pyarrow.dataset")
    return pa_ds is not None and isinstance(value, pa_ds.Dataset)


def _in_catalog(con: Any, parts: tuple[str, ...]) -> bool:
    kind = getattr(con, "_table_kind", None)
    if kind is None:  # no cheap catalog question on this DuckDB: the Python variable wins
        return False
    return kind(parts) != "none"


class _Databases:
    """The database files behind one connection, asked once per describe through a cursor."""

    def __init__(self, con: Any) -> None:
        self._con = con
        self._paths: dict[str, str] | None = None
        self._current = ""

    def is_database(self, name: str) -> bool:
        self.path(None)
        return name.lower() in (self._paths or {})

    def path(self, catalog: str | None) -> str:
        if self._paths is None:
            self._paths = {}
            cursor = self._con.cursor()
            try:
                rows = cursor.execute(
                    "SELECT database_name, path, current_database() FROM duckdb_databases()").fetchall()
            finally:
                cursor.close()
            for name, path, current in rows:
                self._paths[name.lower()] = Location.file(path).get("path") if path else ":memory:"
                self._current = current
        key = (catalog or self._current).lower()
        return self._paths.get(key, ":memory:")


def _table_location(databases: _Databases, parts: tuple[str, ...]) -> Location:
    if len(parts) >= 3:
        catalog, schema, table = parts[-3:]
    elif len(parts) == 2:  # ``db.t`` when ``db`` is an attached database, else ``schema.t``
        first, table = parts
        catalog, schema = (first, "main") if databases.is_database(first) else (None, first)
    else:
        catalog, schema, table = None, "main", parts[0]
    return Location.of("duckdb", path=databases.path(catalog), schema=schema, table=table)


def _file_locations(path: str) -> list[Location]:
    if "://" not in path and glob.has_magic(path):
        matches = sorted(glob.glob(os.path.expanduser(path)))
        if matches:
            return [Location.file(m) for m in matches]
    location = location_for_path(path)
    return [location] if location is not None else []


def _resolve(con: Any, io: StatementIO, via: str, sql: str, *, depth: int = 0) -> list[Access]:
    """The accesses of one analysed statement on ``con``."""
    databases = _Databases(con)
    out: list[Access] = []

    def add(direction: str, location: Location) -> None:
        out.append(Access(direction, location, via, facets=file_facets(location), query=sql))

    for name in io.frames:
        add("input", Location.of("dataframe", name=name))
    for path in io.files:
        for location in _file_locations(path):
            add("input", location)
    for parts in io.reads:
        if _in_catalog(con, parts):
            add("input", _table_location(databases, parts))
            continue
        if len(parts) == 1:
            value = _user_value(parts[0])
            if _is_frame(value):
                add("input", Location.of("dataframe", name=parts[0]))
                continue
            if depth < 4 and _is_relation(value):
                out.extend(_relation_reads(value, via, depth=depth + 1))
                continue
            if _FILE_LIKE.search(parts[0]):
                for location in _file_locations(parts[0]):
                    add("input", location)
                continue
        add("input", _table_location(databases, parts))
    if io.writes_file:
        for location in _file_locations(io.writes_file):
            add("output", location)
    if io.writes_table:
        add("output", _table_location(databases, io.writes_table))
    return out


def _statement_accesses(con: Any, query: Any, via: str, *, lazy_last: bool) -> list[Access]:
    statements = _statements(query)
    if lazy_last and statements and statements[-1][1] in _LAZY_KINDS:
        statements = statements[:-1]
    out: list[Access] = []
    for text, kind in statements:
        out.extend(_resolve(con, analyse(text, kind), via, text))
    return out


# ----------------------------------------------------------------- relations
def _is_relation(value: Any) -> bool:
    duckdb = sys.modules.get("duckdb")
    return duckdb is not None and isinstance(value, duckdb.DuckDBPyRelation)


def _relation_con(rel: Any) -> Any:
    con = getattr(rel, "_con", None)
    if con is None:
        import duckdb

        con = duckdb.default_connection()
    return con


def _relation_reads(rel: Any, via: str, *, depth: int = 0) -> list[Access]:
    sql = rel.sql_query()
    io = StatementIO()
    if not _select_io(sql, io):
        return []
    return _resolve(_relation_con(rel), io, via, sql, depth=depth)


def _terminal(name: str) -> Patch:
    via = f"duckdb.DuckDBPyRelation.{name}"

    def describe(args: tuple, kwargs: dict, result: Any) -> list[Access]:
        return _relation_reads(args[0], via)

    return Patch(f"duckdb:DuckDBPyRelation.{name}", describe, via=via)


def _relation_writer(name: str, keyword: str, kind: str) -> Patch:
    via = f"duckdb.DuckDBPyRelation.{name}"

    def describe(args: tuple, kwargs: dict, result: Any) -> list[Access]:
        rel = args[0]
        out = _relation_reads(rel, via)
        target = argument(args, kwargs, 1, keyword)
        if kind == "file":
            locations = _file_locations(str(target))
        else:
            parts = tuple(_unquote(p) for p in str(target).split("."))
            locations = [_table_location(_Databases(_relation_con(rel)), parts)]
        query = out[0].query if out else None
        out += [Access("output", loc, via, facets=file_facets(loc), query=query) for loc in locations]
        return out

    return Patch(f"duckdb:DuckDBPyRelation.{name}", describe, via=via)


# --------------------------------------------------------------- connections
#: runs the original in a frame with the caller's globals and locals (see _in_callers_frame)
_TRAMPOLINE = compile("__nbgov_original__(*__nbgov_args__, **__nbgov_kwargs__)", "<nbgov: duckdb call>", "eval")


def _in_callers_frame(caller: Any, original: Callable[..., Any], args: tuple, kwargs: dict) -> Any:
    """``original(*args, **kwargs)`` called from a frame that sees the caller's names.

    DuckDB finds a DataFrame a query names (``SELECT * FROM df``) in the Python frame
    that called it — a wrapper's own frame would hide the user's variables. The call is
    evaluated with the caller's globals and (for a function's frame) a copy of its
    locals, so the replacement scan finds what it would find without nbgov.
    """
    __tracebackhide__ = True  # IPython hides this frame from the user's traceback
    f_globals = caller.f_globals
    scope = {} if caller.f_locals is f_globals else dict(caller.f_locals)
    scope.update(__nbgov_original__=original, __nbgov_args__=args, __nbgov_kwargs__=kwargs,
                 __tracebackhide__=True)
    return eval(_TRAMPOLINE, f_globals, scope)


def _sql_wrapper(describe: Describe, via: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A :class:`Patch` wrapper factory doing what :func:`nbgov.capture.hooks.wrap` does,
    but calling the original through :func:`_in_callers_frame` (always, capturing or not)."""
    stage = f"capture:{via}"

    def factory(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            __tracebackhide__ = True
            caller = sys._getframe(1)
            capture = _access.active()
            if capture is None or _access.nested():
                return _in_callers_frame(caller, original, args, kwargs)
            with _access.calling():
                result = _in_callers_frame(caller, original, args, kwargs)
                try:
                    accesses = describe(args, kwargs, result)
                    if accesses:
                        capture.extend(accesses)
                except Exception as exc:
                    log.debug("%s failed", stage, exc_info=True)
                    capture.fail(stage, exc)
            return result

        setattr(wrapper, ORIGINAL_ATTR, original)
        return wrapper

    return factory


def _module_con(kwargs: dict) -> Any:
    con = kwargs.get("connection")
    if con is None:
        import duckdb

        con = duckdb.default_connection()
    return con


def _module_call(name: str, *, lazy_last: bool) -> Patch:
    via = f"duckdb.{name}"

    def describe(args: tuple, kwargs: dict, result: Any) -> list[Access]:
        query = argument(args, kwargs, 0, "query")
        return _statement_accesses(_module_con(kwargs), query, via, lazy_last=lazy_last)

    return Patch(f"duckdb:{name}", via=via, wrapper=_sql_wrapper(describe, via))


def _connection_call(name: str, *, lazy_last: bool) -> Patch:
    via = f"duckdb.DuckDBPyConnection.{name}"

    def describe(args: tuple, kwargs: dict, result: Any) -> list[Access]:
        query = argument(args, kwargs, 1, "query")
        return _statement_accesses(args[0], query, via, lazy_last=lazy_last)

    return Patch(f"duckdb:DuckDBPyConnection.{name}", via=via, wrapper=_sql_wrapper(describe, via))


_TERMINALS = ("fetchall", "df", "fetchdf", "to_df", "pl", "arrow", "fetch_arrow_table", "to_arrow_table",
              "fetch_arrow_reader", "to_arrow_reader", "fetch_record_batch", "record_batch", "fetchnumpy",
              "fetchone", "fetchmany", "tf", "torch", "to_dicts", "iter_rows", "materialize", "show",
              "__repr__", "_repr_mimebundle_")
_WRITERS = (("write_csv", "file_name", "file"), ("to_csv", "file_name", "file"),
            ("write_parquet", "file_name", "file"), ("to_parquet", "file_name", "file"),
            ("create", "table_name", "table"), ("to_table", "table_name", "table"),
            ("insert_into", "table_name", "table"))


def patches() -> list[Patch]:
    """The DuckDB patches (duckdb is imported by the caller already)."""
    import duckdb

    out: list[Patch] = []
    for name, lazy in (("execute", False), ("executemany", False), ("sql", True), ("query", True),
                       ("from_query", True)):
        if hasattr(duckdb, name):
            out.append(_module_call(name, lazy_last=lazy))
        if hasattr(duckdb.DuckDBPyConnection, name):
            out.append(_connection_call(name, lazy_last=lazy))
    relation = duckdb.DuckDBPyRelation
    out += [_terminal(name) for name in _TERMINALS
            if name in vars(relation) or (not name.startswith("__") and hasattr(relation, name))]
    out += [_relation_writer(name, keyword, kind) for name, keyword, kind in _WRITERS if hasattr(relation, name)]
    return out
