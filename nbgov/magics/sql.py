"""``%%sql`` / ``%sql``: run SQL in the notebook and record its column lineage.

The default engine is an in-process DuckDB database (``SqlMagics.duckdb``, in memory by
default) that reads the notebook's DataFrames by name and files directly
(``read_csv('x.csv')``, ``FROM 'x.parquet'``). ``--conn`` picks another: a SQLAlchemy
URL, a ``duckdb:///path.db`` URL, a name given earlier (``--conn wh=postgresql://…``
then ``--conn wh``), or a variable holding a DuckDB connection or a SQLAlchemy engine.
The connection a cell names stays the current one for the cells after it.

Order of work in a cell (STYLE.md, errors rule 3):

1. ``{name}`` parameters become the engine's bind parameters (:func:`bind_parameters`);
   values are never pasted into the SQL text.
2. The user's SQL runs. An error of the engine's is the cell's error, raised as the
   engine raised it (nbgov's frames hidden from the traceback).
3. The result of a final query is assigned (``--out``, default ``_sql``) and shown.
4. Guarded: the SQL is analysed by :func:`nbgov.sql.column_lineage` with schemas from
   :mod:`nbgov.magics.sqlschema`; the tables, files and DataFrames it read and wrote are
   recorded into the cell's capture, outputs with a ``columnLineage`` facet whose input
   fields name the same datasets as the run's inputs. SQL the engine ran but sqlglot
   cannot parse gives one notice naming the line and column.

The cell's run (one per cell, the spine's plumbing) gets the ``sql`` job facet (query
and dialect) from :meth:`SqlMagics.amend_events`, which the extension calls on the
events of each recorded cell. The same hook resolves SQL that other libraries ran
(SQLAlchemy, jupysql, ``duckdb.sql``): accesses the capture adapters recorded with
:attr:`~nbgov.capture.access.Access.query` get the column lineage of their statement.

If another extension (jupysql) already owns ``%sql`` / ``%%sql``, these magics are
registered as ``%nbsql`` / ``%%nbsql`` instead, and the notebook is told once.
"""

from __future__ import annotations

import functools
import linecache
import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, needs_local_scope, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets import Unicode

from nbgov.capture import access as _access
from nbgov.capture.access import Access, Location
from nbgov.capture.hooks import ORIGINAL_ATTR, location_for_path
from nbgov.magics import sqlschema
from nbgov.magics.naming import dataset_for, notebook_name

__all__ = ["DEFAULT_OUT", "BoundSql", "SqlMagics", "Statement", "bind_parameters"]

log = logging.getLogger(__name__)

#: the variable a query's result is assigned to without ``--out``
DEFAULT_OUT = "_sql"
#: ``Access.via`` of what ``%%sql`` records
VIA = "%%sql"
#: placeholder namespace handed to the lineage engine; every input field is renamed after
_ENGINE_NS = "nbgov-sql"

#: SQLAlchemy dialect name → sqlglot dialect
_ALCHEMY_DIALECTS = {
    "postgresql": "postgres", "sqlite": "sqlite", "mysql": "mysql", "mariadb": "mysql", "mssql": "tsql",
    "oracle": "oracle", "snowflake": "snowflake", "bigquery": "bigquery", "duckdb": "duckdb",
    "redshift": "redshift", "trino": "trino", "databricks": "databricks", "clickhouse": "clickhouse",
}
#: location kind (capture adapters) → sqlglot dialect, for SQL run outside ``%%sql``
_LOCATION_DIALECTS = {"sqlite": "sqlite", "duckdb": "duckdb", "postgres": "postgres", "mysql": "mysql",
                      "mssql": "tsql", "oracle": "oracle", "snowflake": "snowflake", "bigquery": "bigquery"}
#: DuckDB statement types whose result is a table to show
_DUCKDB_ROWS = frozenset({"SELECT", "EXPLAIN", "PRAGMA", "CALL", "EXECUTE", "MULTI", "RELATION"})
_FILE_LIKE = re.compile(r"(://|[/\\*?]|\.(csv|tsv|txt|parquet|json|jsonl|ndjson|xlsx|arrow|ipc|feather|avro)"
                        r"(\.(gz|zst|zstd|bz2|lz4|snappy))?$)", re.IGNORECASE)


# ------------------------------------------------------------------ parameters
@dataclass(frozen=True)
class Statement:
    """One statement of a cell after binding.

    Attributes:
        text: what the engine receives (placeholders, escapes the driver needs).
        parameters: the names it binds, in order of appearance.
    """

    text: str
    parameters: tuple[str, ...] = ()


@dataclass(frozen=True)
class BoundSql:
    """A cell's SQL with ``{name}`` turned into bind parameters.

    Attributes:
        query: the whole text with placeholders (what lineage parses and the ``sql``
            facet shows; never a bound value).
        text: the whole text as the engine receives it.
        statements: the statements, split on top-level ``;`` (empty ones dropped).
    """

    query: str
    text: str
    statements: tuple[Statement, ...]

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p for s in self.statements for p in s.parameters))


_SPECIAL = re.compile(r"['\"`;{}$]|--|/\*")
_DOLLAR_QUOTE = re.compile(r"\$([A-Za-z_]\w*)?\$")
_PARAMETER = re.compile(r"\{([A-Za-z_]\w*)\}")
#: what SQLAlchemy's ``text()`` would take for a bind parameter
_ALCHEMY_COLON = re.compile(r"(?<![:\w\\]):(?=\w)")


def bind_parameters(sql: str, style: str = "duckdb") -> BoundSql:
    """Turn ``{name}`` into bind parameters; ``{{`` and ``}}`` are literal braces.

    Outside quotes, identifiers and comments, ``{name}`` (a Python identifier) becomes
    ``$name`` (``style="duckdb"``) or ``:name`` (``style="sqlalchemy"``, whose other
    colons are escaped so ``text()`` leaves them alone). Inside quotes everything stays as
    written: put ``{name}`` where a value goes (``WHERE id = {name}``), not in a string.

    Args:
        sql: the cell's SQL.
        style: ``"duckdb"`` or ``"sqlalchemy"``.

    Returns:
        The :class:`BoundSql`.
    """
    if style not in ("duckdb", "sqlalchemy"):
        raise ValueError(f"style must be 'duckdb' or 'sqlalchemy', got {style!r}")
    marker = "$" if style == "duckdb" else ":"
    statements: list[Statement] = []
    query: list[str] = []
    text: list[str] = []
    piece_q: list[str] = []
    piece_t: list[str] = []
    params: list[str] = []

    def user(chunk: str) -> None:
        piece_q.append(chunk)
        piece_t.append(_ALCHEMY_COLON.sub(r"\\:", chunk) if style == "sqlalchemy" else chunk)

    def close() -> None:
        q, t = "".join(piece_q), "".join(piece_t)
        query.append(q)
        text.append(t)
        if t.strip().rstrip(";").strip():
            statements.append(Statement(t.strip(), tuple(dict.fromkeys(params))))
        piece_q.clear()
        piece_t.clear()
        params.clear()

    i, n = 0, len(sql)
    while i < n:
        m = _SPECIAL.search(sql, i)
        if m is None:
            user(sql[i:])
            break
        if m.start() > i:
            user(sql[i:m.start()])
        i = m.start()
        token = m.group(0)
        if token in ("'", '"', "`"):
            j = i + 1
            while j < n:
                if sql[j] == token:
                    if j + 1 < n and sql[j + 1] == token:
                        j += 2
                        continue
                    break
                j += 1
            user(sql[i:j + 1])
            i = j + 1
        elif token == "--":
            j = sql.find("\n", i)
            j = n if j < 0 else j
            user(sql[i:j])
            i = j
        elif token == "/*":
            j = sql.find("*/", i + 2)
            j = n if j < 0 else j + 2
            user(sql[i:j])
            i = j
        elif token == "$":
            quote = _DOLLAR_QUOTE.match(sql, i)
            if quote is None:
                user("$")
                i += 1
            else:
                end = sql.find(quote.group(0), quote.end())
                j = n if end < 0 else end + len(quote.group(0))
                user(sql[i:j])
                i = j
        elif sql.startswith("{{", i) or sql.startswith("}}", i):
            user(token)
            i += 2
        elif token == "{" and (param := _PARAMETER.match(sql, i)) is not None:
            name = param.group(1)
            piece_q.append(marker + name)
            piece_t.append(marker + name)
            params.append(name)
            i = param.end()
        elif token == ";":
            user(";")
            close()
            i += 1
        else:
            user(token)
            i += 1
    close()
    return BoundSql("".join(query), "".join(text), tuple(statements))


# ------------------------------------------------------------------ engines
def _call_in(scope: Mapping[str, Any], globals_: dict[str, Any], fn: Any, *args: Any) -> Any:
    """``fn(*args)`` evaluated in a frame whose names are the notebook's, so DuckDB's
    replacement scan finds the DataFrames a query names."""
    __tracebackhide__ = True
    local = dict(scope) if scope is not globals_ else {}
    local.update(__nbgov_fn__=fn, __nbgov_args__=args, __tracebackhide__=True)
    return eval(_TRAMPOLINE, globals_, local)  # noqa: S307 - a fixed expression


_TRAMPOLINE_FILE = "<%%sql>"
_TRAMPOLINE = compile("__nbgov_fn__(*__nbgov_args__)", _TRAMPOLINE_FILE, "eval")
# the engine's error is raised from this frame, which IPython always shows: give it a line to show
linecache.cache[_TRAMPOLINE_FILE] = (1, None, ["engine.execute(statement)  # the cell's SQL\n"], _TRAMPOLINE_FILE)


@dataclass
class _Ran:
    """What a cell's SQL did: the result to show and the catalog to resolve names in."""

    frame: Any = None
    returns_rows: bool = False
    tables: sqlschema.Tables = field(default_factory=dict)


class _DuckDB:
    """A DuckDB connection (in-process; the default engine)."""

    style = "duckdb"
    dialect = "duckdb"

    def __init__(self, con: Any, *, owned: bool, label: str) -> None:
        self.con = con
        self.owned = owned
        self.label = label

    def execute(self, bound: BoundSql, values: Mapping[str, Any], scope: Mapping[str, Any],
                globals_: dict[str, Any]) -> _Ran:
        __tracebackhide__ = True
        con = self.con
        statements = con.extract_statements(bound.text)  # DuckDB's own parser: its errors are the user's
        run = con.execute
        original = getattr(type(con).execute, ORIGINAL_ATTR, None)
        if original is not None and _access.nested():  # nbgov records this SQL itself: skip the hook
            run = functools.partial(original, con)
        for st in statements:
            params = {k: values[k] for k in st.named_parameters}
            _call_in(scope, globals_, run, st.query, params or None)
        rows = bool(statements) and statements[-1].type.name in _DUCKDB_ROWS
        return _Ran(frame=con.fetchdf() if rows else None, returns_rows=rows)

    def catalog(self, wanted: Iterable[str]) -> sqlschema.Tables:
        return sqlschema.duckdb_catalog(self.con, wanted)

    def describe_file(self, path: str) -> dict[str, str] | None:
        return sqlschema.duckdb_describe(self.con, path)

    def _databases(self) -> tuple[dict[str, str], str]:
        cursor = self.con.cursor()
        try:
            rows = cursor.execute("SELECT database_name, path, current_database() FROM duckdb_databases()").fetchall()
        finally:
            cursor.close()
        paths = {name.lower(): (os.path.abspath(path) if path else ":memory:") for name, path, _ in rows}
        current = rows[0][2].lower() if rows else "memory"
        return paths, current

    def table_location(self, parts: tuple[str, ...], tables: sqlschema.Tables) -> Location:
        """Where a table reference (lower-cased parts) lives, by the catalog."""
        paths, current = self._databases()
        lowered = {tuple(p.lower() for p in key): key for key in tables}
        if len(parts) == 3:
            catalog, schema, table = parts
        elif len(parts) == 2:
            first, table = parts
            catalog, schema = (first, "main") if first in paths else (current, first)
        else:
            found = [k for k in lowered if k[0] == current and k[2] == parts[0]]
            found = found or [k for k in lowered if k[2] == parts[0]]
            catalog, schema, table = found[0] if len(found) == 1 else (current, "main", parts[0])
        original = lowered.get((catalog, schema, table))
        if original is not None:
            catalog, schema, table = original
        return Location.of("duckdb", path=paths.get(catalog.lower(), ":memory:"), schema=schema, table=table)

    def close(self) -> None:
        if self.owned:
            self.con.close()


class _Alchemy:
    """A SQLAlchemy engine (any URL)."""

    style = "sqlalchemy"

    def __init__(self, engine: Any, *, owned: bool, label: str) -> None:
        self.engine = engine
        self.owned = owned
        self.label = label
        self.dialect = _ALCHEMY_DIALECTS.get(engine.dialect.name)

    def execute(self, bound: BoundSql, values: Mapping[str, Any], scope: Mapping[str, Any],
                globals_: dict[str, Any]) -> _Ran:
        __tracebackhide__ = True
        from sqlalchemy import text

        frame, rows = None, False
        with self.engine.begin() as conn:  # one transaction per cell: all statements or none
            result = None
            for st in bound.statements:
                result = conn.execute(text(st.text), {k: values[k] for k in st.parameters})
            if result is not None and result.returns_rows:
                import pandas as pd

                rows = True
                frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
        return _Ran(frame=frame, returns_rows=rows)

    def catalog(self, wanted: Iterable[str]) -> sqlschema.Tables:
        from sqlalchemy import inspect

        inspector = inspect(self.engine)
        keep = set(wanted)
        names = [(None, t) for t in [*inspector.get_table_names(), *inspector.get_view_names()] if t.lower() in keep]
        return sqlschema.sqlalchemy_catalog(self.engine, names)

    def describe_file(self, path: str) -> dict[str, str] | None:
        return None

    def table_location(self, parts: tuple[str, ...], tables: sqlschema.Tables) -> Location | None:
        from nbgov.capture.adapters.sqlalchemy import engine_location

        schema, table = (parts[-2], parts[-1]) if len(parts) >= 2 else (None, parts[0])
        for key in tables:  # the catalog's spelling of the name
            if key[-1].lower() == table.lower():
                table = key[-1]
                break
        return engine_location(self.engine, table, schema)

    def close(self) -> None:
        if self.owned:
            self.engine.dispose()


# ------------------------------------------------------------------ lineage helpers
def _field_key(f: Mapping[str, Any]) -> tuple[str, str, str]:
    return (f["namespace"], f["name"], f["field"])


def _merge_fields(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    merged: dict[tuple[str, str, str], dict[str, Any]] = {}
    for item in items:
        key = _field_key(item)
        if key not in merged:
            merged[key] = {**item, "transformations": list(item.get("transformations", []))}
        else:
            seen = merged[key]["transformations"]
            seen.extend(t for t in item.get("transformations", []) if t not in seen)
    return [merged[k] for k in sorted(merged)]


def remap_facet(facet: Mapping[str, Any], names: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    """A ``columnLineage`` body with each input field's ``(namespace, name)`` replaced by
    ``names[name]`` (the dataset the run lists), fields merged and sorted."""

    def fix(f: Mapping[str, Any]) -> dict[str, Any]:
        namespace, name = names.get(f["name"], (f["namespace"], f["name"]))
        return {**f, "namespace": namespace, "name": name}

    return {
        "fields": {k: {"inputFields": _merge_fields(fix(f) for f in v["inputFields"])}
                   for k, v in facet["fields"].items()},
        "dataset": _merge_fields(fix(f) for f in facet["dataset"]),
    }


def merge_facets(first: Mapping[str, Any] | None, second: Mapping[str, Any]) -> dict[str, Any]:
    """Two ``columnLineage`` bodies of one dataset (two statements writing it) as one."""
    if not first:
        return dict(second)
    fields = {k: {"inputFields": list(v["inputFields"])} for k, v in first["fields"].items()}
    for k, v in second["fields"].items():
        fields.setdefault(k, {"inputFields": []})["inputFields"] = _merge_fields(
            [*fields.get(k, {}).get("inputFields", []), *v["inputFields"]])
    return {"fields": fields, "dataset": _merge_fields([*first["dataset"], *second["dataset"]])}


def _informative(facet: Mapping[str, Any]) -> bool:
    return bool(facet["dataset"]) or any(v["inputFields"] for v in facet["fields"].values())


def _written_file_columns(connection: _DuckDB | _Alchemy, location: Location) -> dict[str, str] | None:
    """The columns and types of a file a statement wrote (``COPY (…) TO 'out.parquet'``), as
    DuckDB describes the file it wrote: the query's result columns with Parquet's exact types,
    or the types DuckDB reads back from CSV / JSON. None when the engine cannot describe
    files (SQLAlchemy) or the target is not one readable file (a partitioned folder)."""
    path = location.get("path")
    if not path or not os.path.isfile(path):
        return None
    try:
        return connection.describe_file(path)
    except Exception:  # noqa: BLE001 - a format DuckDB cannot read back: the file keeps no schema
        log.debug("cannot describe %s", path, exc_info=True)
        return None


def _parts(name: str) -> tuple[str, ...]:
    return tuple(p.strip('"').lower() for p in name.split("."))


# ------------------------------------------------------------------ the magics
@dataclass
class _Options:
    conn: str | None = None
    dialect: str | None = None
    out: str | None = None
    lineage: bool = True


_VALUE_OPTIONS = ("--conn", "--dialect", "--out")
_OPTION = re.compile(r"\s*(--[A-Za-z][\w-]*)(?=[\s=]|$)")
_VALUE = re.compile(r"(?:=|\s+)(\S+)")


@magics_class
class SqlMagics(Magics):
    """``%%sql`` and ``%sql`` for one shell, registered by the nbgov extension.

    Configure with ``%config SqlMagics.duckdb = "warehouse.duckdb"`` (the default
    engine's database file) or ``SqlMagics.out`` (the result variable).
    """

    duckdb = Unicode(":memory:", help="Database of the default DuckDB engine: ':memory:' or a file").tag(config=True)
    out = Unicode(DEFAULT_OUT, help="Variable a query's result is assigned to when --out is not given").tag(config=True)

    def __init__(self, shell: Any, extension: Any, **kwargs: Any) -> None:
        super().__init__(shell=shell, config=shell.config, **kwargs)
        self.extension = extension
        self.names: dict[str, str] = {}  # the magic names in use: kind -> name
        self._connections: dict[str, Any] = {}  # label -> _DuckDB | _Alchemy
        self._current: str | None = None
        # this cell's %%sql runs as (query, dialect) and whether one said --no-lineage; kept
        # with the cell's token so that a cell nbgov did not record leaves nothing behind
        self._pending: list[tuple[str, str | None]] = []
        self._skip = False
        self._cell: Any = None
        self._registered = False

    # ------------------------------------------------------------- lifecycle
    def register(self) -> SqlMagics:
        """Register ``%sql``/``%%sql`` (``%nbsql``/``%%nbsql`` when another extension owns
        ``sql``). Idempotent."""
        if self._registered:
            return self
        manager = self.shell.magics_manager
        taken = [kind for kind in ("line", "cell")
                 if "sql" in manager.magics[kind]
                 and getattr(manager.magics[kind]["sql"], "__self__", None) is not self]
        name = "nbsql" if taken else "sql"
        for kind in ("line", "cell"):
            method = self.magics[kind].pop("sql")
            self.magics[kind][name] = method
            self.names[kind] = name
        if taken:
            owner = getattr(manager.magics[taken[0]]["sql"], "__module__", None) or "another extension"
            print(f"nbgov: %sql is already registered by {owner.split('.')[0]}; "
                  "nbgov's SQL magics are %nbsql and %%nbsql")
        manager.register(self)
        self._registered = True
        return self

    def unregister(self) -> None:
        """Remove the magics and this configurable; close owned connections."""
        if not self._registered:
            return
        self._registered = False
        shell = self.shell
        manager = shell.magics_manager
        for kind, name in self.names.items():
            if getattr(manager.magics[kind].get(name), "__self__", None) is self:
                del manager.magics[kind][name]
        if manager.registry.get(type(self).__name__) is self:
            del manager.registry[type(self).__name__]
        while self in shell.configurables:
            shell.configurables.remove(self)
        for connection in self._connections.values():
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - closing is best effort
                log.debug("closing %s failed", connection.label, exc_info=True)
        self._connections.clear()

    def _this_cell(self) -> None:
        """Forget what an earlier cell left (the extension stamps each cell it captures)."""
        token = getattr(self.extension, "_cell_started", None)
        if token is not self._cell:
            self._cell, self._pending, self._skip = token, [], False

    # ------------------------------------------------------------- the magic
    @no_var_expand
    @needs_local_scope
    @magic_arguments()
    @argument("--conn", metavar="CONN",
              help="engine: a SQLAlchemy URL, duckdb:///file.db, NAME=URL (remembered), a NAME given "
                   "before, or a variable holding a DuckDB connection / SQLAlchemy engine; "
                   "default: the current one (at first, in-process DuckDB)")
    @argument("--dialect", help="sqlglot dialect for lineage (default: the engine's)")
    @argument("--out", metavar="VAR", help=f"variable for the result (default: {DEFAULT_OUT})")
    @argument("--no-lineage", action="store_true",
              help="do not analyse this SQL (no column lineage, no sql facet)")
    @line_cell_magic("sql")
    def sql(self, line: str, cell: str | None = None, local_ns: dict[str, Any] | None = None) -> Any:
        """Run SQL; a final query's result is assigned (``--out``) and shown.

        ``{name}`` binds the value of a notebook variable as a parameter (``{{``/``}}``
        are literal braces). ``%sql [options] SQL`` runs one line; ``%%sql [options]``
        runs the cell.
        """
        __tracebackhide__ = True
        options, rest = self._options(line)
        query = cell if cell is not None else rest
        if cell is not None and rest.strip():
            raise UsageError(f"%%{self.names['cell']} takes only options on its first line, got {rest.strip()!r}")
        connection = self._connection(options.conn, local_ns)
        if not query.strip():
            return None
        if options.dialect is not None:
            self._check_dialect(options.dialect)
        bound = bind_parameters(query, connection.style)
        user_ns = self.shell.user_ns
        scope = {**user_ns, **(local_ns or {})}
        missing = [p for p in bound.parameters if p not in scope]
        if missing:
            raise UsageError(f"{{{missing[0]}}} is not defined (write {{{{ and }}}} for literal braces)")
        values = {p: scope[p] for p in bound.parameters}
        out = options.out or self.out
        capture = _access.active()
        self._this_cell()
        if options.lineage and capture is not None:
            with _access.calling():  # the capture adapters stay quiet: nbgov records this SQL itself
                ran = connection.execute(bound, values, scope, user_ns)
        else:
            self._skip = self._skip or not options.lineage
            ran = connection.execute(bound, values, scope, user_ns)
        if ran.returns_rows:
            user_ns[out] = ran.frame
        if options.lineage and capture is not None:
            dialect = options.dialect or connection.dialect
            self._pending.append((bound.query, dialect))
            guard = self._guard()
            with guard.running("sql lineage"), _access.calling():
                _access.record(*self._accesses(connection, bound, dialect, ran, out, scope))
        return ran.frame if ran.returns_rows else None

    def _options(self, line: str) -> tuple[_Options, str]:
        """Leading ``--options`` of ``line`` and the SQL after them (quotes kept as written)."""
        i, consumed = 0, []
        while (m := _OPTION.match(line, i)) is not None:
            name = m.group(1)
            i = m.end()
            if name in _VALUE_OPTIONS:
                value = _VALUE.match(line, i)
                if value is None:
                    raise UsageError(f"{name} needs a value\n{self._usage()}")
                consumed.append(f"{name} {value.group(1)}")
                i = value.end()
            elif name == "--no-lineage":
                consumed.append(name)
            else:
                raise UsageError(f"unknown option {name}\n{self._usage()}")
        try:
            args = parse_argstring(self.sql, " ".join(consumed))
        except UsageError as exc:
            raise UsageError(f"{exc}\n{self._usage()}") from None
        return _Options(conn=args.conn, dialect=args.dialect, out=args.out, lineage=not args.no_lineage), line[i:]

    def _usage(self) -> str:
        return self.sql.parser.format_usage().replace("::", "").strip().replace("%sql", f"%%{self.names['cell']}", 1)

    @staticmethod
    def _check_dialect(dialect: str) -> None:
        from nbgov.errors import ConfigError
        from nbgov.sql import column_lineage

        try:
            column_lineage("SELECT 1", dialect=dialect)
        except ConfigError as exc:
            raise UsageError(f"--dialect: {exc}") from None

    # ------------------------------------------------------------ connections
    def _connection(self, spec: str | None, local_ns: Mapping[str, Any] | None) -> _DuckDB | _Alchemy:
        if spec is None:
            label = self._current or "duckdb"
            if label not in self._connections:
                self._connections[label] = self._open_duckdb(self.duckdb, label)
            return self._connections[label]
        spec = spec.strip().strip("'\"")
        label, sep, url = spec.partition("=")
        if not sep or "://" in label:
            label, url = spec, ""
        if url:
            if label in self._connections:
                self._connections.pop(label).close()
            self._connections[label] = self._open(url, label)
        elif label not in self._connections:
            value = {**self.shell.user_ns, **(local_ns or {})}.get(label)
            self._connections[label] = self._wrap(value, label) if value is not None else self._open(label, label)
        self._current = label
        return self._connections[label]

    def _open(self, url: str, label: str) -> _DuckDB | _Alchemy:
        if url == "duckdb" or url.startswith("duckdb:"):
            path = url.partition("://")[2].lstrip("/") if "://" in url else ""
            if url.startswith("duckdb:///"):
                path = url[len("duckdb:///"):]
            return self._open_duckdb(path or ":memory:", label)
        if "://" not in url:
            raise UsageError(f"--conn {url!r}: not a connection name, a variable or a URL")
        try:
            from sqlalchemy import create_engine

            return _Alchemy(create_engine(url), owned=True, label=label)
        except Exception as exc:
            raise UsageError(f"--conn: {type(exc).__name__}: {exc}") from None

    @staticmethod
    def _open_duckdb(path: str, label: str) -> _DuckDB:
        import duckdb

        if path not in ("", ":memory:"):
            path = os.path.abspath(os.path.expanduser(path))
        return _DuckDB(duckdb.connect(path or ":memory:"), owned=True, label=label)

    @staticmethod
    def _wrap(value: Any, label: str) -> _DuckDB | _Alchemy:
        duckdb = __import__("sys").modules.get("duckdb")
        if duckdb is not None and isinstance(value, duckdb.DuckDBPyConnection):
            return _DuckDB(value, owned=False, label=label)
        engine = getattr(value, "engine", None)
        if engine is not None and hasattr(engine, "dialect") and hasattr(engine, "begin"):
            return _Alchemy(engine, owned=False, label=label)
        raise UsageError(f"--conn {label}: {type(value).__name__} is not a DuckDB connection or a SQLAlchemy engine")

    # ---------------------------------------------------------------- lineage
    def _guard(self) -> Any:
        return self.extension.guard

    def _naming(self) -> tuple[str, str]:
        ext = self.extension
        session = getattr(ext, "_session", None)
        notebook = session.notebook if session is not None else notebook_name(self.shell.user_ns, ext.notebook)
        return ext.namespace, notebook

    def _store(self) -> Any:
        opener = getattr(self.extension, "_open_store", None)
        return opener() if opener is not None and self.extension.enabled else None

    def _accesses(self, connection: _DuckDB | _Alchemy, bound: BoundSql, dialect: str | None, ran: _Ran,
                  out: str, scope: Mapping[str, Any]) -> list[Access]:
        """What the cell's SQL read and wrote, with schemas and column lineage."""
        from nbgov.errors import SqlParseError
        from nbgov.sql import column_lineage

        job_namespace, notebook = self._naming()
        wanted = sqlschema.words(bound.query)
        tables = connection.catalog(wanted)
        schema: dict[str, dict[str, str]] = {sqlschema.quote(*k): v for k, v in tables.items()}
        frames: dict[str, str] = {}  # lower-cased name -> variable
        for name, value in scope.items():
            if name.lower() in wanted and not name.startswith("_"):
                columns = sqlschema.frame_columns(value)
                if columns is not None and not any(k[-1].lower() == name.lower() for k in tables):
                    frames[name.lower()] = name
                    schema[sqlschema.quote(name)] = columns
        try:
            lineage = column_lineage(bound.query, dialect=dialect, schema=schema, namespace=_ENGINE_NS)
        except SqlParseError as exc:
            self._guard().report("sql lineage", exc)
            return []

        locations: dict[str, Location] = {}
        columns_of: dict[str, dict[str, str]] = {}

        def locate(name: str) -> Location | None:
            if name in locations:
                return locations[name]
            parts = _parts(name)
            known = any(tuple(p.lower() for p in k)[-len(parts):] == parts for k in tables)
            location: Location | None
            if not known and len(parts) == 1 and parts[0] in frames:
                location = Location.of("dataframe", name=frames[parts[0]])
                columns_of[name] = schema[sqlschema.quote(frames[parts[0]])]
            elif not known and _FILE_LIKE.search(name):
                location = location_for_path(name)
            else:
                location = connection.table_location(parts, tables)
                for key, cols in tables.items():
                    if location is not None and key[-1] == location.get("table"):
                        columns_of[name] = cols
            if location is not None:
                locations[name] = location
            return location

        if lineage.unresolved:  # star over something the catalog and the frames do not know
            extra: dict[str, dict[str, str]] = {}
            store = None
            for name in lineage.inputs:
                location = locate(name)
                if location is None or name in columns_of:
                    continue
                cols = connection.describe_file(name) if location.kind == "file" else None
                if cols is None:
                    store = store or self._store()
                    if store is not None:
                        cols = sqlschema.store_columns(store, *dataset_for(location, job_namespace=job_namespace,
                                                                             notebook=notebook))
                if cols:
                    columns_of[name] = cols
                    extra[sqlschema.quote(name)] = cols
            if extra:
                lineage = column_lineage(bound.query, dialect=dialect, schema={**schema, **extra},
                                         namespace=_ENGINE_NS)

        names: dict[str, tuple[str, str]] = {}
        for name in (*lineage.inputs, *lineage.outputs):
            location = locate(name)
            if location is not None:
                names[name] = dataset_for(location, job_namespace=job_namespace, notebook=notebook)

        accesses: list[Access] = []
        for name in lineage.inputs:
            location = locations.get(name)
            if location is None:
                continue
            cols = columns_of.get(name)
            obj = scope.get(location.get("name") or "") if location.kind == "dataframe" else None
            accesses.append(Access("input", location, VIA, fields=tuple(cols.items()) if cols else None, obj=obj))
        written: dict[str, dict[str, Any]] = {}
        for statement in lineage:
            if statement.output is not None and statement.output in locations:
                facet = remap_facet(statement.to_facet(), names)
                written[statement.output] = merge_facets(written.get(statement.output), facet)
        for name, facet in written.items():
            cols = columns_of.get(name)
            if cols is None and locations[name].kind == "file":  # COPY … TO 'file': what DuckDB wrote
                cols = _written_file_columns(connection, locations[name])
            accesses.append(Access("output", locations[name], VIA, fields=tuple(cols.items()) if cols else None,
                                   facets={"columnLineage": facet} if _informative(facet) else {}))
        last = lineage.statements[-1] if lineage.statements else None
        if ran.returns_rows and last is not None and last.output is None and last.has_output:
            facet = remap_facet(last.to_facet(), names)
            accesses.append(Access("output", Location.of("dataframe", name=out), VIA,
                                   facets={"columnLineage": facet} if _informative(facet) else {}, obj=ran.frame))
        return accesses

    # ------------------------------------------------------------ cell events
    def amend_events(self, events: list[dict[str, Any]], accesses: Iterable[Access]) -> list[dict[str, Any]]:
        """Finish a recorded cell's events (called by the extension, inside its guard).

        - a cell that ran ``%%sql``: every event gets the ``sql`` job facet (query and
          dialect; several runs in one cell are joined with ``;``);
        - SQL that capture adapters recorded (``Access.query``, outside ``%%sql``): the
          outputs of its statements get a ``columnLineage`` facet.
        """
        from nbgov.emit.events import facet

        self._this_cell()
        pending, self._pending = self._pending, []
        if pending:
            query = ";\n".join(q.strip().rstrip(";") for q, _ in pending)
            dialects = {d for _, d in pending}
            payload = {"query": query, "dialect": dialects.pop() if len(dialects) == 1 else None}
            built = facet("sql", {k: v for k, v in payload.items() if v is not None}, kind="job")
            for event in events:
                event["job"].setdefault("facets", {})["sql"] = built
        if not self._skip and events:
            with self._guard().running("sql lineage"), _access.calling():
                self._resolve_queries(events[-1], [a for a in accesses if a.via != VIA])
        self._skip = False
        return events

    def _resolve_queries(self, event: dict[str, Any], accesses: list[Access]) -> None:
        """Column lineage for SQL other libraries ran, by the names their accesses give."""
        if not any(a.query for a in accesses) or not event.get("outputs"):
            return  # before the imports: a cell without SQL never loads sqlglot
        from nbgov.emit.events import facet
        from nbgov.errors import SqlParseError
        from nbgov.sql import column_lineage

        parent = event.get("run", {}).get("facets", {}).get("parent", {}).get("job", {})
        job_namespace, notebook = event["job"]["namespace"], parent.get("name") or self._naming()[1]
        outputs = {(d["namespace"], d["name"]): d for d in event["outputs"]}
        by_query: dict[str, list[Access]] = {}
        for access in accesses:
            if access.query:
                by_query.setdefault(access.query, []).append(access)
        store = None
        for query, group in by_query.items():
            dialect = next((_LOCATION_DIALECTS[a.location.kind] for a in group
                            if a.location.kind in _LOCATION_DIALECTS), None)
            # names resolve among every dataset of the cell that the statement's engine holds:
            # an adapter may keep the query on the written table only
            engine_kinds = {a.location.kind for a in group}
            by_name: dict[str, Location] = {}
            for a in accesses:
                loc = a.location
                if loc.kind in engine_kinds and loc.get("table"):
                    by_name[(loc.get("table") or "").lower()] = loc
                    if loc.get("schema"):
                        by_name[f"{loc.get('schema')}.{loc.get('table')}".lower()] = loc
                elif loc.kind == "dataframe" and loc.get("name"):
                    by_name[(loc.get("name") or "").lower()] = loc
                elif loc.kind == "file":
                    by_name[loc.get("path") or ""] = loc

            def find(name: str) -> Location | None:
                return by_name.get(name.lower()) or by_name.get(os.path.abspath(name))

            schema = {}
            for a in accesses:
                if a.direction == "input" and a.location.get("table"):
                    cols = dict(a.fields) if a.fields else None
                    if cols is None:
                        store = store or self._store()
                        if store is not None:
                            cols = sqlschema.store_columns(store, *dataset_for(
                                a.location, job_namespace=job_namespace, notebook=notebook))
                    if cols:
                        schema[sqlschema.quote(a.location.get("table") or "")] = cols
            try:
                lineage = column_lineage(query, dialect=dialect, schema=schema, namespace=_ENGINE_NS)
            except SqlParseError as exc:
                self._guard().report("sql lineage", exc)
                continue
            names = {}
            for name in (*lineage.inputs, *lineage.outputs):
                loc = find(name)
                if loc is not None:
                    names[name] = dataset_for(loc, job_namespace=job_namespace, notebook=notebook)
            for statement in lineage:
                if statement.output is None or statement.output not in names:
                    continue
                target = outputs.get(names[statement.output])
                body = remap_facet(statement.to_facet(), names)
                if target is None or not _informative(body):
                    continue
                previous = target.get("facets", {}).get("columnLineage")
                if previous is not None:
                    body = merge_facets({k: previous[k] for k in ("fields", "dataset") if k in previous}, body)
                target.setdefault("facets", {})["columnLineage"] = facet("columnLineage", body)


# ----------------------------------------------------- database-level accesses
def resolve_query_tables(accesses: list[Access]) -> list[Access]:
    """Name the tables behind accesses that only know their database and the SQL.

    Capture adapters record a query whose tables they cannot name (``pd.read_sql(query,
    con)`` with any query but ``SELECT * FROM t``) as an access to the connection's
    database carrying the SQL; the capture layer may not parse SQL. Here each such access
    becomes one access per table the statement reads (inputs) or writes (outputs), by
    ``nbgov.sql``. SQL that does not parse, or names no table, keeps the database-level
    access: lineage to the database is still better than none.

    Args:
        accesses: a cell's accesses, in order.

    Returns:
        The accesses with database-level ones replaced by table-level ones.
    """
    from nbgov.errors import NbgovError
    from nbgov.sql import column_lineage

    out: list[Access] = []
    for access in accesses:
        loc = access.location
        if not access.query or loc.get("table") or loc.kind not in _LOCATION_DIALECTS:
            out.append(access)
            continue
        try:
            lineage = column_lineage(access.query, dialect=_LOCATION_DIALECTS[loc.kind])
        except NbgovError:
            out.append(access)
            continue
        tables = lineage.inputs if access.direction == "input" else lineage.outputs
        if not tables:
            out.append(access)
            continue
        base = {k: v for k, v in loc.parts if k not in ("schema", "table")}
        for table in tables:
            schema, _, name = table.rpartition(".")
            if loc.kind == "sqlite":  # SQLite has no schemas but attached databases; keep the table
                schema = ""
            target = Location.of(loc.kind, **base, schema=schema or loc.get("schema"), table=name)
            out.append(Access(access.direction, target, access.via, query=access.query))
    return out
