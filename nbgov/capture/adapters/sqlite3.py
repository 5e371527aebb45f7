"""sqlite3 statements as table-level data accesses.

Hooked: ``sqlite3.connect``. A connection it returns while the hooks are installed is
traced, unless ``connect`` was called by nbgov itself, by a library whose statements
another adapter records (SQLAlchemy's pool), or by IPython / Jupyter / coverage
machinery (:data:`INTERNAL_CALLERS`). Connections opened before the hooks were
installed are not traced (the C type cannot be patched); ``pd.read_sql`` on them is
still seen by the pandas adapter.

A traced connection is an instance of a subclass of the ``factory`` the caller asked
for (``sqlite3.Connection`` by default; ``isinstance`` checks hold) whose ``execute``,
``executemany``, ``executescript`` and ``cursor()`` (cursors of the same kind) record
what each statement read and wrote — after it succeeded: a failing statement records
nothing and its exception is the user's. ``executescript`` and any statement run
another way are seen through the connection's trace callback
(``set_trace_callback``); a trace callback the user sets is kept and called after
nbgov's (the user's callback sees every statement, exactly as without nbgov).

Statements (:func:`classify`, cheap and regex-based, not a parser): ``SELECT`` /
``VALUES`` / ``WITH … SELECT`` read the tables of their ``FROM`` / ``JOIN`` clauses
(CTE names, table functions and the catalog excluded); ``INSERT`` / ``REPLACE`` /
``UPDATE`` / ``DELETE`` write their target; ``CREATE TABLE`` / ``VIEW`` (``AS SELECT``
too) and ``DROP`` / ``ALTER TABLE`` write theirs with a ``lifecycleStateChange``
facet; the tables a write reads from (``INSERT … SELECT``) are inputs. ``TEMP``
objects, ``PRAGMA``, transactions and ``ATTACH`` record nothing.

Locations: kind ``sqlite``, ``path`` the database file (absolute, or ``:memory:``)
and ``table`` as written in the statement; a table qualified by an attached database's
name (``aux.t``) is located in that database's file. The SQL text is kept in
:attr:`Access.query` for reads and for writes that read tables (``INSERT … SELECT``),
never for ``INSERT … VALUES`` (the values are data).

Only the outermost call is recorded: ``pd.read_sql("SELECT …", con)`` and
``df.to_sql("t", con)`` record the pandas access only.
"""

from __future__ import annotations

import functools
import logging
import re
import sys
import threading
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from nbgov.capture import access as _access
from nbgov.capture.access import Access, Location
from nbgov.capture.adapters.builtins_open import Lifecycle
from nbgov.capture.hooks import ORIGINAL_ATTR, Patch

__all__ = ["INTERNAL_CALLERS", "MODULE", "Statement", "classify", "patches", "statement_accesses"]

MODULE = "sqlite3"

log = logging.getLogger(__name__)

#: top-level packages whose ``sqlite3.connect`` calls are never traced
INTERNAL_CALLERS = frozenset({
    "nbgov", "sqlalchemy", "IPython", "ipykernel", "jupyter_client", "jupyter_core", "jupyter_server",
    "notebook", "nbclient", "traitlets", "tornado", "zmq", "coverage", "_pytest", "pytest",
})

# ------------------------------------------------------------------- classifying SQL
#: catalog tables and schemas: never datasets
SYSTEM_TABLES = frozenset({"sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema",
                           "sqlite_sequence", "sqlite_stat1", "sqlite_stat4", "dual"})
SYSTEM_SCHEMAS = frozenset({"information_schema", "pg_catalog", "performance_schema", "mysql", "sys", "temp"})

_IDENT = r'(?:"(?:[^"]|"")+"|`[^`]+`|\[[^\]]+\]|[A-Za-z_][\w$]*(?![\w$]))'
_QIDENT = rf"{_IDENT}(?:\s*\.\s*{_IDENT})?"
_STOP = (r"(?:WHERE|JOIN|ON|GROUP|ORDER|LIMIT|UNION|LEFT|RIGHT|INNER|OUTER|CROSS|NATURAL|FULL|USING|"
         r"HAVING|WINDOW|EXCEPT|INTERSECT|SET|RETURNING|VALUES|SELECT|OFFSET|FETCH|FOR|INDEXED|NOT|AS)\b")
_ALIAS = rf"(?:\s+(?:AS\s+)?(?!{_STOP}){_IDENT})?"
_FROM = re.compile(rf"\b(FROM|JOIN)\s+({_QIDENT})(?!\s*[.(])({_ALIAS})", re.IGNORECASE)
_MORE = re.compile(rf"\s*,\s*({_QIDENT})(?!\s*[.(])({_ALIAS})", re.IGNORECASE)
_LITERAL = re.compile(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?(?:\*/|$)", re.DOTALL)
_WORD = re.compile(r"[A-Za-z_]+")
_CTE = re.compile(rf"(?:\bWITH(?:\s+RECURSIVE)?|,)\s*({_IDENT})\s*(?:\(\s*\)\s*)?AS\b", re.IGNORECASE)
_MAIN = re.compile(r"\b(SELECT|VALUES|INSERT|REPLACE|UPDATE|DELETE)\b", re.IGNORECASE)
_WRITES = [
    ("INSERT", re.compile(rf"^\s*(?:INSERT(?:\s+OR\s+\w+)?|REPLACE)\s+INTO\s+({_QIDENT})", re.IGNORECASE), None),
    ("UPDATE", re.compile(rf"^\s*UPDATE(?:\s+OR\s+\w+)?\s+(?:ONLY\s+)?({_QIDENT})", re.IGNORECASE), None),
    ("DELETE", re.compile(rf"^\s*DELETE\s+FROM\s+(?:ONLY\s+)?({_QIDENT})", re.IGNORECASE), None),
    ("CREATE", re.compile(
        rf"^\s*CREATE\s+(?:(TEMP|TEMPORARY)\s+)?(?:VIRTUAL\s+|MATERIALIZED\s+|UNLOGGED\s+)?(?:TABLE|VIEW)\s+"
        rf"(?:IF\s+NOT\s+EXISTS\s+)?({_QIDENT})", re.IGNORECASE), "CREATE"),
    ("DROP", re.compile(rf"^\s*DROP\s+(?:TABLE|VIEW)\s+(?:IF\s+EXISTS\s+)?({_QIDENT})", re.IGNORECASE), "DROP"),
    ("ALTER", re.compile(rf"^\s*ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?({_QIDENT})", re.IGNORECASE),
     "ALTER"),
]

Table = tuple[str | None, str]  # (schema, table)


@dataclass(frozen=True)
class Statement:
    """What one SQL statement reads and writes, as far as a cheap look can tell.

    Attributes:
        kind: ``"read"``, ``"write"``, ``"attach"`` (``ATTACH`` / ``DETACH``) or ``"other"``.
        reads: tables read, ``(schema or None, table)``, in order of appearance.
        writes: the table written (at most one), same shape.
        lifecycle: ``"CREATE"``, ``"DROP"`` or ``"ALTER"`` for DDL, else ``None``.
    """

    kind: str
    reads: tuple[Table, ...] = ()
    writes: tuple[Table, ...] = ()
    lifecycle: str | None = None

    @property
    def keeps_query(self) -> bool:
        """Whether the SQL text is worth keeping: it reads tables (a write from VALUES does not)."""
        return bool(self.reads)


_OTHER = Statement("other")


def _unquote(ident: str) -> str:
    ident = ident.strip()
    if ident[:1] == '"' and len(ident) >= 2:
        return ident[1:-1].replace('""', '"')
    if ident[:1] in "`[" and len(ident) >= 2:
        return ident[1:-1]
    return ident


def _table(qident: str) -> Table:
    parts = re.findall(_IDENT, qident)
    names = [_unquote(p) for p in parts]
    return (names[0], names[1]) if len(names) == 2 else (None, names[0])


def _scopes(text: str) -> list[str]:
    """The text of each query scope: the statement, then each parenthesised sub-query,
    with every parenthesised group blanked out of its enclosing scope."""
    scopes: list[str] = []
    stack: list[list[str]] = [[]]
    for ch in text:
        if ch == "(":
            stack.append([])
        elif ch == ")" and len(stack) > 1:
            inner = "".join(stack.pop())
            word = _WORD.match(inner.lstrip())
            if word and word.group(0).upper() in ("SELECT", "WITH", "VALUES"):
                scopes.append(inner)
            stack[-1].append(" () ")
        else:
            stack[-1].append(ch)
    while len(stack) > 1:  # unbalanced: fold back
        inner = "".join(stack.pop())
        stack[-1].append(inner)
    return ["".join(stack[0]), *scopes]


def _reads(scopes: Iterable[str], exclude: set[str]) -> list[Table]:
    out: list[Table] = []
    for scope in scopes:
        for match in _FROM.finditer(scope):
            found = [match.group(2)]
            pos = match.end()
            if match.group(1).upper() == "FROM":
                while (more := _MORE.match(scope, pos)) is not None:
                    found.append(more.group(1))
                    pos = more.end()
            for qident in found:
                schema, table = _table(qident)
                if table.lower() in exclude or table.lower() in SYSTEM_TABLES or table.lower().startswith("pragma_"):
                    continue
                if schema is not None and schema.lower() in SYSTEM_SCHEMAS:
                    continue
                if (schema, table) not in out:
                    out.append((schema, table))
    return out


@functools.lru_cache(maxsize=512)
def classify(sql: str) -> Statement:
    """What ``sql`` (one statement) reads and writes; see the module docs.

    Never raises on any text; what it cannot read is ``kind == "other"``.
    """
    text = _LITERAL.sub(" '' ", sql)
    scopes = _scopes(text)
    top = scopes[0]
    head = _WORD.search(top)
    if head is None:
        return _OTHER
    word = head.group(0).upper()
    if word in ("ATTACH", "DETACH"):
        return Statement("attach")
    ctes: set[str] = set()
    if word == "WITH":
        ctes = {_unquote(m).lower() for m in _CTE.findall(top)}
        for scope in scopes[1:]:  # a CTE list's commas sit at the top level; names may nest
            ctes.update(_unquote(m).lower() for m in _CTE.findall(scope))
        main = _MAIN.search(top)
        if main is None:
            return _OTHER
        word = main.group(1).upper()
        top = top[main.start():]
    if word in ("SELECT", "VALUES"):
        reads = _reads([top, *scopes[1:]], ctes)
        return Statement("read", reads=tuple(reads)) if reads else _OTHER
    for name, pattern, lifecycle in _WRITES:
        if word != name and not (name == "INSERT" and word == "REPLACE"):
            continue
        match = pattern.match(top)
        if match is None:
            return _OTHER
        if name == "CREATE":
            if match.group(1):  # TEMP
                return _OTHER
            target = _table(match.group(2))
        else:
            target = _table(match.group(1))
        if target[0] is not None and target[0].lower() in SYSTEM_SCHEMAS:
            return _OTHER
        reads = [] if lifecycle in ("DROP", "ALTER") else _reads([top[match.end():], *scopes[1:]], ctes)
        reads = [t for t in reads if t != target]
        return Statement("write", reads=tuple(reads), writes=(target,), lifecycle=lifecycle)
    return _OTHER


def statement_accesses(statement: Statement, locate: Callable[[str | None, str], Location | None], via: str,
                       sql: str) -> list[Access]:
    """The accesses of one classified statement, ``locate(schema, table)`` naming each table."""
    out: list[Access] = []
    query = sql if statement.keeps_query else None
    for schema, table in statement.writes:
        location = locate(schema, table)
        if location is not None:
            facets = {"lifecycleStateChange": {"lifecycleStateChange": statement.lifecycle}} \
                if statement.lifecycle else {}
            out.append(Access("output", location, via, facets=facets, query=query))
    for schema, table in statement.reads:
        location = locate(schema, table)
        if location is not None:
            out.append(Access("input", location, via, query=query if not statement.writes else None))
    return out


# --------------------------------------------------------------- traced connections
_local = threading.local()  # .buffer: accesses of the wrapped call running on this thread
_traced: weakref.WeakSet[Any] = weakref.WeakSet()
_classes: dict[tuple[str, type], type] = {}
_classes_lock = threading.Lock()
_state = {"on": False}


class _Tracer:
    """The trace callback of one connection: records statements run outside the wrapped
    methods (``executescript``, …) and calls the user's own callback after."""

    __slots__ = ("__weakref__", "con", "user")

    def __init__(self, con: Any) -> None:
        self.con = weakref.ref(con)
        self.user: Callable[[str], Any] | None = None

    def __call__(self, sql: str) -> None:
        try:
            if _state["on"] and _access._active is not None:
                buffer = getattr(_local, "buffer", None)
                if buffer is not None:
                    buffer.append(sql)
                elif not _access.nested():
                    con = self.con()
                    if con is not None:
                        _record(con, [sql], "sqlite3.trace", None)
        except Exception:  # never inside the user's statement
            log.debug("sqlite3 trace failed", exc_info=True)
        if self.user is not None:
            self.user(sql)


def _database_list(con: Any) -> dict[str, str]:
    """``{schema: absolute path or ":memory:"}`` of a connection (run outside a statement).

    No trace callback sees the ``PRAGMA``: the caller puts the right one back afterwards.
    """
    import sqlite3

    out = {}
    sqlite3.Connection.set_trace_callback(con, None)
    with _access.calling():
        for _, name, path in super(_base(con), con).execute("PRAGMA database_list").fetchall():
            out[name] = path or ":memory:"
    return out


def _base(con: Any) -> type:
    for cls in type(con).__mro__:
        if getattr(cls, "_nbgov_traced", False):
            return cls
    return type(con)


def _locator(con: Any) -> Callable[[str | None, str], Location | None]:
    databases = con._nbgov_databases

    def locate(schema: str | None, table: str) -> Location | None:
        if schema is not None and schema.lower() == "temp":
            return None
        key = "main" if schema is None else schema
        path = databases.get(key) or databases.get(key.lower())
        if path is None:  # not attached (yet): keep the name as the schema
            return Location.of("sqlite", path=databases.get("main", ":memory:"), schema=schema, table=table)
        return Location.of("sqlite", path=path, table=table)

    return locate


def _record(con: Any, statements: Iterable[str], via: str, given: str | None) -> None:
    """Classify ``statements`` (or the ``given`` SQL, when one statement ran) and record them."""
    capture = _access._active
    if capture is None:
        return
    try:
        sqls = [given] if given is not None else list(dict.fromkeys(statements))
        accesses: list[Access] = []
        for sql in sqls:
            statement = classify(sql)
            if statement.kind == "attach":
                con._nbgov_stale = True
                continue
            if statement.kind in ("read", "write"):
                accesses += statement_accesses(statement, _locator(con), via, sql)
        if accesses:
            capture.extend(accesses)
    except Exception as exc:  # the guard: recorded, never raised
        log.debug("capture:%s failed", via, exc_info=True)
        capture.fail(f"capture:{via}", exc)


def _run(con: Any, via: str, given: str | None, call: Callable[[], Any]) -> Any:
    """Run one of the user's statement calls and record it if it succeeded and is outermost."""
    __tracebackhide__ = True
    capture = _access._active
    if capture is None or not _state["on"] or _access.nested():
        return call()
    previous = getattr(_local, "buffer", None)
    buffer: list[str] = []
    _local.buffer = buffer
    try:
        with _access.calling():
            result = call()
    finally:
        _local.buffer = previous
    if getattr(con, "_nbgov_stale", False):
        try:
            con._nbgov_databases = _database_list(con)
            con._nbgov_stale = False
        except Exception:  # keeps the old list
            log.debug("PRAGMA database_list failed", exc_info=True)
        finally:
            _restore_trace(con)
    with _access.calling():
        _record(con, buffer, via, given if isinstance(given, str) else None)
    return result


def _cursor_class(factory: type) -> type:
    key = ("cursor", factory)
    with _classes_lock:
        cls = _classes.get(key)
        if cls is None:
            def execute(self: Any, sql: str, parameters: Any = (), /) -> Any:
                __tracebackhide__ = True
                return _run(self.connection, "sqlite3.Cursor.execute", sql,
                            lambda: factory.execute(self, sql, parameters))

            def executemany(self: Any, sql: str, parameters: Any, /) -> Any:
                __tracebackhide__ = True
                return _run(self.connection, "sqlite3.Cursor.executemany", sql,
                            lambda: factory.executemany(self, sql, parameters))

            def executescript(self: Any, script: str, /) -> Any:
                __tracebackhide__ = True
                return _run(self.connection, "sqlite3.Cursor.executescript", None,
                            lambda: factory.executescript(self, script))

            cls = type(factory.__name__, (factory,), {
                "__module__": __name__, "__qualname__": factory.__qualname__, "_nbgov_traced": True,
                "execute": execute, "executemany": executemany, "executescript": executescript,
            })
            _classes[key] = cls
        return cls


def _connection_class(base: type) -> type:
    import sqlite3

    key = ("connection", base)
    with _classes_lock:
        cls = _classes.get(key)
        if cls is not None:
            return cls

    def execute(self: Any, sql: str, parameters: Any = (), /) -> Any:
        __tracebackhide__ = True
        return _run(self, "sqlite3.Connection.execute", sql, lambda: base.execute(self, sql, parameters))

    def executemany(self: Any, sql: str, parameters: Any, /) -> Any:
        __tracebackhide__ = True
        return _run(self, "sqlite3.Connection.executemany", sql, lambda: base.executemany(self, sql, parameters))

    def executescript(self: Any, script: str, /) -> Any:
        __tracebackhide__ = True
        return _run(self, "sqlite3.Connection.executescript", None, lambda: base.executescript(self, script))

    def cursor(self: Any, factory: Any = sqlite3.Cursor) -> Any:
        if isinstance(factory, type) and issubclass(factory, sqlite3.Cursor) and _state["on"]:
            try:
                factory = _cursor_class(factory)
            except TypeError:  # a final class: untraced cursors
                pass
        return base.cursor(self, factory)

    def set_trace_callback(self: Any, callback: Callable[[str], Any] | None, /) -> None:
        self._nbgov_user_trace = callback
        tracer = getattr(self, "_nbgov_tracer", None)
        if tracer is None or not _state["on"]:
            base.set_trace_callback(self, callback)
        else:
            tracer.user = callback  # called after nbgov's

    cls = type(base.__name__, (base,), {
        "__module__": __name__, "__qualname__": base.__qualname__, "_nbgov_traced": True,
        "execute": execute, "executemany": executemany, "executescript": executescript,
        "cursor": cursor, "set_trace_callback": set_trace_callback,
    })
    with _classes_lock:
        return _classes.setdefault(key, cls)


def _internal_caller(frame: Any) -> bool:
    name = (frame.f_globals.get("__name__") or "") if frame is not None else ""
    return name.split(".", 1)[0] in INTERNAL_CALLERS


def _connect_wrapper(original: Callable[..., Any]) -> Callable[..., Any]:
    import sqlite3

    @functools.wraps(original)
    def connect(*args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        if not _state["on"] or _access.nested() or _internal_caller(sys._getframe(1)):
            return original(*args, **kwargs)
        factory = kwargs.get("factory", args[5] if len(args) > 5 else sqlite3.Connection)
        traced = None
        if isinstance(factory, type) and issubclass(factory, sqlite3.Connection):
            try:
                traced = _connection_class(factory)
            except TypeError:  # a class that cannot be subclassed
                traced = None
        if traced is None:
            return original(*args, **kwargs)
        if len(args) > 5:
            args = (*args[:5], traced, *args[6:])
        else:
            kwargs = {**kwargs, "factory": traced}
        con = original(*args, **kwargs)  # the user's errors propagate unchanged
        try:
            _attach(con)
        except Exception:  # the connection works, untraced
            log.debug("tracing a sqlite3 connection failed", exc_info=True)
        return con

    setattr(connect, ORIGINAL_ATTR, original)
    return connect


def _restore_trace(con: Any) -> None:
    import sqlite3

    tracer = getattr(con, "_nbgov_tracer", None)
    sqlite3.Connection.set_trace_callback(con, tracer if tracer is not None else
                                          getattr(con, "_nbgov_user_trace", None))


def _attach(con: Any) -> None:
    import sqlite3

    try:
        con._nbgov_databases = _database_list(con)
    except Exception:
        _restore_trace(con)  # the factory's own callback stays
        raise
    con._nbgov_stale = False
    tracer = _Tracer(con)
    tracer.user = getattr(con, "_nbgov_user_trace", None)  # the factory's __init__ may have set one
    con._nbgov_tracer = tracer
    sqlite3.Connection.set_trace_callback(con, tracer)
    _traced.add(con)


def _on() -> None:
    _state["on"] = True


def _off() -> None:
    """Stop: every traced connection gets the user's own callback back (or none)."""
    import sqlite3

    _state["on"] = False
    for con in list(_traced):
        tracer = getattr(con, "_nbgov_tracer", None)
        try:
            sqlite3.Connection.set_trace_callback(con, tracer.user if tracer is not None else None)
        except Exception:  # closed, or another thread's connection: stays inert
            log.debug("could not detach a trace callback", exc_info=True)
        con._nbgov_tracer = None
    _traced.clear()


_LIFECYCLE = Lifecycle(__name__, "_LIFECYCLE", _on, _off)


def patches() -> list[Patch]:
    """``sqlite3.connect`` and the switch that detaches every trace callback at uninstall."""
    return [_LIFECYCLE.patch(), Patch("sqlite3:connect", wrapper=_connect_wrapper, via="sqlite3.connect")]
