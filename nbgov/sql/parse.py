"""Reading SQL with sqlglot: dialects, statements, parse errors, schemas and dataset names.

This module and :mod:`nbgov.sql.lineage` are the only places in nbgov that import sqlglot.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, SqlglotError, TokenError
from sqlglot.schema import MappingSchema

from nbgov.errors import ConfigError, SqlParseError

log = logging.getLogger(__name__)

_sqlglot_log = logging.getLogger("sqlglot")

#: Type given to columns whose type is not known or not understood.
UNKNOWN_TYPE = "UNKNOWN"

_TOKEN_REPR = re.compile(r"<Token token_type: TokenType\.(\w+), text: (.*?), line: \d+.*?>")


def get_dialect(dialect: str | None) -> Dialect:
    """The sqlglot dialect called ``dialect`` (``None``: sqlglot's default dialect).

    Raises:
        ConfigError: the dialect is unknown.
    """
    try:
        return Dialect.get_or_raise(dialect)
    except Exception as exc:  # sqlglot raises ValueError with a suggestion
        raise ConfigError(f"unknown SQL dialect {dialect!r}", source="dialect") from exc


class _Swallow(logging.Filter):
    """Turns sqlglot's warnings (e.g. "falling back to parsing as a Command") into DEBUG logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        log.debug("sqlglot: %s", record.getMessage())
        return False


@contextlib.contextmanager
def quiet_sqlglot() -> Iterator[None]:
    """Keep sqlglot from printing warnings into a notebook while nbgov reads SQL."""
    swallow = _Swallow()
    _sqlglot_log.addFilter(swallow)
    try:
        yield
    finally:
        _sqlglot_log.removeFilter(swallow)


def parse_statements(sql: str, dialect: Dialect) -> list[exp.Expr]:
    """Parse ``sql`` into its statements (empty statements are dropped).

    Raises:
        SqlParseError: the text is not SQL that sqlglot can read; carries line and column.
    """
    try:
        trees = dialect.parse(sql)
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        message = _clean(first.get("description") or str(exc).split(". Line ")[0])
        raise SqlParseError(message, line=first.get("line"), col=first.get("col")) from exc
    except TokenError as exc:
        line, col = _position(sql, getattr(exc, "end", None))
        raise SqlParseError(
            "could not tokenize SQL (unterminated string or quote?)", line=line, col=col
        ) from exc
    except RecursionError as exc:
        raise SqlParseError("SQL is nested too deeply to parse") from exc
    except Exception as exc:  # sqlglot may fail in other ways on arbitrary text
        raise SqlParseError(f"could not parse SQL: {type(exc).__name__}: {exc}") from exc
    return [tree for tree in trees if tree is not None]


def _clean(message: str) -> str:
    """Replace sqlglot's token reprs by their text (``end of input`` for the sentinel)."""

    def token(match: re.Match[str]) -> str:
        return "end of input" if match.group(1) == "SENTINEL" else repr(match.group(2))

    return _TOKEN_REPR.sub(token, message)


def _position(sql: str, offset: int | None) -> tuple[int | None, int | None]:
    if offset is None:
        return None, None
    offset = max(0, min(offset, len(sql)))
    line = sql.count("\n", 0, offset) + 1
    return line, offset - (sql.rfind("\n", 0, offset) + 1) + 1


def dataset_name(table: exp.Table) -> str | None:
    """The dataset name of a table reference: its parts as written, normalised, dot-joined.

    File readers (``read_parquet('x.parquet')``) name the file; other table functions
    (``generate_series(1, 3)``) are not datasets and give ``None``.
    """
    this = table.this
    if isinstance(this, exp.Identifier):
        return ".".join(part.name for part in table.parts)
    if isinstance(this, exp.Func):
        name = this.sql_name().lower() if not isinstance(this, exp.Anonymous) else this.name.lower()
        if name.startswith(("read_", "scan_")):
            for arg in this.iter_expressions():
                if isinstance(arg, exp.Literal) and arg.is_string:
                    return arg.this
                if isinstance(arg, exp.Array):
                    paths = [e.this for e in arg.expressions if isinstance(e, exp.Literal)]
                    if paths:
                        return ",".join(paths)
    return None


@functools.lru_cache(maxsize=4096)
def _table_parts(key: str, dialect: Dialect) -> tuple[str, ...]:
    """Split a schema key such as ``sales.orders`` or ``"My Db".t`` into SQL identifiers."""
    try:
        table = exp.to_table(key, dialect=dialect)
        return tuple(part.sql(dialect=dialect) for part in table.parts)
    except (SqlglotError, ValueError):
        return (exp.to_identifier(key, quoted=True).sql(dialect=dialect),)


@functools.lru_cache(maxsize=4096)
def _column_type(type_: str, dialect: Dialect) -> str:
    """``type_`` if sqlglot understands it in ``dialect``, else :data:`UNKNOWN_TYPE`."""
    try:
        exp.DataType.build(type_, dialect=dialect)
        return type_
    except (SqlglotError, ValueError):
        return UNKNOWN_TYPE


def _freeze(value: object) -> object:
    """A hashable copy of a schema mapping, to recognise a schema seen before."""
    if isinstance(value, Mapping):
        return tuple((k, _freeze(v)) for k, v in value.items())
    if isinstance(value, Sequence) and not isinstance(value, str):
        return tuple(_freeze(v) for v in value)
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


#: Recently built schemas: building sqlglot's normalised schema costs more than reading
#: a query, and a notebook passes the same schema again and again. A schema is rebuilt
#: after ``_BUILT_USES`` uses, because sqlglot's lookup caches keep the table nodes (and so
#: the trees) they were asked about.
_BUILT: OrderedDict[tuple, list] = OrderedDict()  # key -> [tables, schema, uses]
_BUILT_SIZE = 8
_BUILT_USES = 256
_built_lock = threading.Lock()


class Catalog:
    """The tables a statement can see: the caller's schema plus tables created earlier.

    The caller's mapping is ``{table: {column: type}}``; table keys may be qualified
    (``"sales.orders"``) or nested (``{"sales": {"orders": {...}}}``), columns may be a
    list of names when types are unknown. Keys of different depths are allowed: a shorter
    key matches a reference with fewer parts.

    Raises:
        ConfigError: the mapping is not shaped like a schema.
    """

    def __init__(self, schema: Mapping | None, dialect: Dialect) -> None:
        self.dialect = dialect
        self._tables: dict[tuple[str, ...], dict[str, str]] = {}
        self._schema: MappingSchema | None = None
        self._user: frozenset[tuple[str, ...]] = frozenset()
        self._dirty = False
        if not schema:
            return
        if not isinstance(schema, Mapping):
            raise ConfigError("schema must map table names to columns", source="schema")
        try:
            key: tuple | None = (_freeze(schema), type(dialect), str(dialect.normalization_strategy))
            hash(key)
        except TypeError:
            key = None
        with _built_lock:
            cached = _BUILT.get(key) if key is not None else None
            if cached is not None:
                cached[2] += 1
                if cached[2] > _BUILT_USES:
                    del _BUILT[key]
                    cached = None
                else:
                    _BUILT.move_to_end(key)
        if cached is not None:
            self._tables, self._schema = cached[0], cached[1]
        else:
            self._flatten(schema, ())
            self._schema = self._build() if self._tables else None
            if key is not None and self._schema is not None:
                with _built_lock:
                    _BUILT[key] = [self._tables, self._schema, 0]
                    while len(_BUILT) > _BUILT_SIZE:
                        _BUILT.popitem(last=False)
        self._user = frozenset(self._tables)

    def _flatten(self, mapping: Mapping, prefix: tuple[str, ...]) -> None:
        for key, value in mapping.items():
            if not isinstance(key, str):
                raise ConfigError(f"schema key {key!r} is not a string", source="schema")
            parts = prefix + _table_parts(key, self.dialect)
            if isinstance(value, Mapping):
                if value and all(isinstance(v, Mapping) for v in value.values()):
                    self._flatten(value, parts)
                    continue
                columns = {str(c): _column_type(str(t), self.dialect) for c, t in value.items()}
            elif isinstance(value, Sequence) and not isinstance(value, str):
                columns = {str(c): UNKNOWN_TYPE for c in value}
            else:
                raise ConfigError(f"columns of {key!r} must be a mapping or a list", source="schema")
            if len(parts) > 3:
                raise ConfigError(f"table name {'.'.join(parts)!r} has more than 3 parts", source="schema")
            self._tables[parts] = columns

    @property
    def schema(self) -> MappingSchema | None:
        """The sqlglot schema for these tables (``None`` when there are none)."""
        if self._dirty:
            self._dirty = False
            self._schema = self._build() if self._tables else None
        return self._schema

    def _build(self) -> MappingSchema:
        depth = max(len(parts) for parts in self._tables)
        nested: dict = {}
        for parts, columns in self._tables.items():
            # pad shorter names so that sqlglot's uniform-depth schema accepts them; a
            # reference with fewer parts still finds them by unique suffix
            node = nested
            for part in ('""',) * (depth - len(parts)) + parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = columns
        return MappingSchema(nested, dialect=self.dialect, normalize=True)

    def columns(self, table: exp.Table) -> list[str] | None:
        """The (normalised) column names of ``table``, or ``None`` if it is unknown."""
        schema = self.schema
        if schema is None:
            return None
        try:
            found = schema.find(table, raise_on_missing=False)
        except (SqlglotError, KeyError, ValueError):
            return None
        return list(found) if isinstance(found, dict) else None

    def register(self, table: exp.Table, columns: Sequence[str]) -> None:
        """Make a table created by an earlier statement visible to later ones.

        The caller's own schema wins: a table it describes is left as it is.
        """
        parts = tuple(part.sql(dialect=self.dialect) for part in table.parts)
        if not parts or len(parts) > 3 or parts in self._user or not columns:
            return
        quoted = {exp.to_identifier(c, quoted=True).sql(dialect=self.dialect): UNKNOWN_TYPE for c in columns}
        self._tables = {**self._tables, parts: quoted}  # copy: the cached mapping stays as it was
        self._dirty = True
