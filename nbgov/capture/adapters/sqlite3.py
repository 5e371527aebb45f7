"""sqlite3 statements as table-level data accesses.

Hooked: ``sqlite3.connect``. A connection it returns while the hooks are installed is
traced, unless ``connect`` was called by nbgov itself, by a library whose statements
another adapter records (SQLAlchemy's pool), or by IPython / Jupyter / coverage
machinery (:data:`INTERNAL_CALLERS`). Connections opened before the hooks were
installed are not traced (the C type cannot be patched); ``pd.read_sql`` on them is
still seen by the pandas adapter.

A traced connection is an instance of a subclass of the ``factory`` the caller asked
for (``sqlite3.Connection`` by default; ``isinstance`` checks hold) whose only change
is ``set_trace_callback``: nbgov's trace callback sees every statement the connection
runs (``execute``, ``executemany``, ``executescript``, cursors) and a callback the user
sets is kept and called after it, seeing every statement as without nbgov. Uninstalling
gives each connection the user's callback back (or none).

The trace callback fires when SQLite starts a statement. A statement that fails to
prepare (a syntax error, a missing table or column — the common failures) is never
traced and records nothing; a statement that fails while running (a constraint
violation) has been traced and records its attempted write. Methods are deliberately
not wrapped: IPython always shows a traceback's innermost frame, so a Python wrapper
around ``execute`` would appear in every failing statement's traceback.

Statements (:func:`classify`, cheap and regex-based, not a parser): ``SELECT`` /
``VALUES`` / ``WITH … SELECT`` read the tables of their ``FROM`` / ``JOIN`` clauses
(CTE names, table functions and the catalog excluded); ``INSERT`` / ``REPLACE`` /
``UPDATE`` / ``DELETE`` write their target; ``CREATE TABLE`` / ``VIEW`` (``AS SELECT``
too) and ``DROP`` / ``ALTER TABLE`` write theirs with a ``lifecycleStateChange``
facet; the tables a write reads from (``INSERT … SELECT``) are inputs. ``TEMP``
objects, ``PRAGMA``, transactions and ``ATTACH`` record nothing.

Locations: kind ``sqlite``, ``path`` the database file (absolute, or ``:memory:``)
and ``table`` as written in the statement; a table qualified by an attached database's
name (``aux.t``) is located in that database's file (``ATTACH 'file' AS aux`` is read
from the statement). The SQL text is kept in :attr:`Access.query` for reads and for
writes that read tables (``INSERT … SELECT``), with string literals replaced by ``?``
(the trace gives the SQL with bound values expanded), never for ``INSERT … VALUES``
(the values are data). Rows of an ``executemany`` after the first cost one
``startswith``.

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
_traced: weakref.WeakSet[Any] = weakref.WeakSet()
_classes: dict[type, type] = {}
_classes_lock = threading.Lock()
_state = {"on": False}

VIA = "sqlite3"
_ATTACH = re.compile(rf"^\s*ATTACH\s+(?:DATABASE\s+)?'((?:[^']|'')*)'\s+AS\s+({_IDENT})", re.IGNORECASE)
_DETACH = re.compile(rf"^\s*DETACH\s+(?:DATABASE\s+)?({_IDENT})", re.IGNORECASE)
_INSERT_VALUES = re.compile(rf"^\s*(?:INSERT(?:\s+OR\s+\w+)?|REPLACE)\s+INTO\s+{_QIDENT}\s*(?:\([^()]*\)\s*)?VALUES\b",
                            re.IGNORECASE)
_STRING = re.compile(r"'(?:[^']|'')*'")


class _Tracer:
    """The trace callback of one connection: records each statement, then calls the
    user's own callback (which sees every statement, as without nbgov).

    Attributes:
        user: the callback the user set (``set_trace_callback``), or ``None``.
        databases: ``{schema: path}`` of the connection (``main`` and attached ones).
    """

    __slots__ = ("__weakref__", "databases", "last", "user")

    def __init__(self, databases: dict[str, str], user: Callable[[str], Any] | None) -> None:
        self.databases = databases
        self.user = user
        #: (the capture, weakly, and "INSERT INTO t VALUES") just recorded: a weak reference, not an
        #: ``id()``, which a later cell's capture can reuse and so lose its first INSERT
        self.last: tuple[weakref.ref[Any], str] | None = None

    def __call__(self, sql: str) -> None:
        capture = _access._active
        if capture is not None and _state["on"] and not _access.nested():
            try:
                self._record(capture, sql)
            except Exception as exc:  # never inside the user's statement: recorded, not raised
                log.debug("capture:%s failed", VIA, exc_info=True)
                capture.fail(f"capture:{VIA}", exc)
        if self.user is not None:
            self.user(sql)

    def _record(self, capture: Any, sql: str) -> None:
        last = self.last
        if last is not None and last[0]() is capture and sql.startswith(last[1]):
            return  # one more row of an INSERT … VALUES already recorded (executemany)
        statement = classify(sql)
        if statement.kind == "attach":
            self._attach(sql)
            return
        if statement.kind not in ("read", "write"):
            return
        query = _STRING.sub("?", sql) if statement.keeps_query else sql  # bound values are expanded
        accesses = statement_accesses(statement, self.locate, VIA, query)
        if accesses:
            capture.extend(accesses)
        head = _INSERT_VALUES.match(sql) if statement.kind == "write" and not statement.reads else None
        self.last = (weakref.ref(capture), head.group(0)) if head is not None else None

    def _attach(self, sql: str) -> None:
        attach = _ATTACH.match(sql)
        if attach is not None:
            path = attach.group(1).replace("''", "'")
            if path and path != ":memory:" and not path.startswith("file:"):
                path = Location.file(path).get("path") or path
            self.databases[_unquote(attach.group(2))] = path or ":memory:"
            return
        detach = _DETACH.match(sql)
        if detach is not None:
            self.databases.pop(_unquote(detach.group(1)), None)

    def locate(self, schema: str | None, table: str) -> Location | None:
        if schema is not None and schema.lower() == "temp":
            return None
        key = "main" if schema is None else schema
        path = self.databases.get(key)
        if path is None:  # an attached name not seen: keep it as the schema
            return Location.of("sqlite", path=self.databases.get("main", ":memory:"), schema=schema, table=table)
        return Location.of("sqlite", path=path, table=table)


def _connection_class(base: type) -> type:
    """``base`` with a ``set_trace_callback`` that keeps nbgov's callback in front."""
    with _classes_lock:
        cls = _classes.get(base)
        if cls is not None:
            return cls

    def set_trace_callback(self: Any, callback: Callable[[str], Any] | None, /) -> None:
        tracer = getattr(self, "_nbgov_tracer", None)
        if tracer is None or not _state["on"]:
            self._nbgov_user_trace = callback
            base.set_trace_callback(self, callback)
        else:
            tracer.user = callback  # called after nbgov's

    cls = type(base.__name__, (base,), {
        "__module__": __name__, "__qualname__": base.__qualname__, "set_trace_callback": set_trace_callback,
    })
    with _classes_lock:
        return _classes.setdefault(base, cls)


def _database_list(con: Any, base: type) -> dict[str, str]:
    """``{schema: absolute path or ":memory:"}`` of a new connection, before it is traced."""
    with _access.calling():
        rows = base.execute(con, "PRAGMA database_list").fetchall()
    return {name: path or ":memory:" for _, name, path in rows}


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
            except TypeError:  # a class that cannot be subclassed: untraced
                traced = None
        if traced is None:
            return original(*args, **kwargs)
        if len(args) > 5:
            args = (*args[:5], traced, *args[6:])
        else:
            kwargs = {**kwargs, "factory": traced}
        con = original(*args, **kwargs)  # the user's errors propagate unchanged
        try:
            _trace(con, factory)
        except Exception:  # the connection works, untraced
            log.debug("tracing a sqlite3 connection failed", exc_info=True)
        return con

    setattr(connect, ORIGINAL_ATTR, original)
    return connect


def _trace(con: Any, base: type) -> None:
    import sqlite3

    user = getattr(con, "_nbgov_user_trace", None)  # the factory's __init__ may have set one
    sqlite3.Connection.set_trace_callback(con, None)  # the user's callback does not see nbgov's PRAGMA
    try:
        databases = _database_list(con, base)
    except Exception:
        sqlite3.Connection.set_trace_callback(con, user)
        raise
    tracer = _Tracer(databases, user)
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
        user = tracer.user if tracer is not None else None
        try:
            sqlite3.Connection.set_trace_callback(con, user)
        except Exception:  # closed, or another thread's connection: its tracer stays, inert
            log.debug("could not detach a trace callback", exc_info=True)
        else:
            con._nbgov_tracer = None
            con._nbgov_user_trace = user
    _traced.clear()


_LIFECYCLE = Lifecycle(__name__, "_LIFECYCLE", _on, _off)


def patches() -> list[Patch]:
    """``sqlite3.connect`` and the switch that detaches every trace callback at uninstall."""
    return [_LIFECYCLE.patch(), Patch("sqlite3:connect", wrapper=_connect_wrapper, via="sqlite3.connect")]
