"""Column-level lineage of SQL: one parse, one qualify and one walk over sqlglot's scopes.

For each statement the text is parsed once, qualified once (``sqlglot.optimizer.qualify``
with the caller's schema), and its scopes are traversed once in sqlglot's post-order, so
that every CTE, derived table, subquery and set-operation branch is analysed exactly once
and its output columns are reused by every scope that reads it. Column references are
resolved against those per-scope results; nothing calls ``sqlglot.lineage.lineage()``.

Only malformed SQL raises (:class:`~nbgov.errors.SqlParseError`). Anything the engine
cannot resolve — a column of a table whose schema is unknown, a construct it does not
understand, or an internal failure — is reported in ``unresolved`` while table-level
lineage is still returned.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any, Union

from sqlglot import exp
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope

from nbgov.sql import parse as _parse
from nbgov.sql.result import (
    DIRECT_SUBTYPES,
    ColumnLineage,
    InputField,
    OutputColumn,
    StatementLineage,
    Transformation,
    Unresolved,
)

log = logging.getLogger(__name__)

#: Namespace of input fields when the caller gives none.
DEFAULT_NAMESPACE = "default"

_IDENTITY, _TRANSFORMATION, _AGGREGATION = 0, 1, 2

#: Dialects whose SELECT items may refer to an alias defined earlier in the same SELECT.
_LATERAL_ALIAS_DIALECTS = frozenset(
    {"snowflake", "duckdb", "spark", "spark2", "databricks", "redshift", "teradata", "clickhouse"}
)

#: Hashing, masking and encryption functions (names without underscores): a value that
#: passes through one is masked.
_MASKING = re.compile(
    r"^(md5\w*|sha\d*(digest|hex|binary)?|\w*hash\w*|xxh\w*|murmur\w*|\w*fingerprint\w*"
    r"|crc32\w*|hmac\w*|mask\w*|\w+mask|redact\w*|anonymi[sz]e\w*|\w*encrypt\w*|tokeni[sz]e\w*)$"
)

_LEAVES = (
    exp.Literal,
    exp.Identifier,
    exp.DataType,
    exp.Null,
    exp.Boolean,
    exp.Star,
    exp.Placeholder,
    exp.Parameter,
    exp.Var,
)

#: Window functions that number rows: no value flows into them, and no table either.
_RANKING = (exp.RowNumber, exp.Rank, exp.DenseRank, exp.PercentRank, exp.CumeDist, exp.Ntile)
#: Window functions that read one other row's value: no aggregation.
_VALUE_WINDOW = (exp.Lag, exp.Lead, exp.FirstValue, exp.LastValue, exp.NthValue)

_masking_by_class: dict[type, bool] = {}

Source = Union[exp.Table, Scope, "_Info"]


def column_lineage(
    sql: str,
    *,
    dialect: str | None = None,
    schema: Mapping[str, Any] | None = None,
    namespace: str | None = None,
) -> ColumnLineage:
    """Column-level lineage of every statement in ``sql``.

    Args:
        sql: one or more SQL statements.
        dialect: sqlglot dialect name (``duckdb``, ``postgres``, ``snowflake``, ``bigquery``,
            ``spark``, ``sqlite``, …); ``None`` reads sqlglot's default dialect.
        schema: ``{table: {column: type}}``; table names may be qualified
            (``"sales.orders"``) or nested, columns may be a list of names. Needed to expand
            ``*`` and to attribute unqualified columns when several tables are joined.
            Tables created by earlier statements of ``sql`` are added to it.
        namespace: namespace of every input field (default ``"default"``).

    Returns:
        An immutable :class:`~nbgov.sql.result.ColumnLineage`.

    Raises:
        SqlParseError: ``sql`` is malformed; carries line and column.
        ConfigError: the dialect is unknown or ``schema`` is not shaped like a schema.
    """
    read = _parse.get_dialect(dialect)
    namespace = namespace or DEFAULT_NAMESPACE
    with _parse.quiet_sqlglot():
        trees = _parse.parse_statements(sql, read)
        catalog = _parse.Catalog(schema, read)
        statements = []
        for index, tree in enumerate(trees):
            statements.append(_analyse(tree, index, read, catalog, namespace))
    return ColumnLineage(tuple(statements), namespace=namespace, dialect=dialect)


def _analyse(
    tree: exp.Expr, index: int, dialect: Any, catalog: _parse.Catalog, namespace: str
) -> StatementLineage:
    analyser = _Statement(tree, index, dialect, catalog, namespace)
    try:
        return analyser.run()
    except Exception as exc:  # degrade: table-level lineage, the failure listed as unresolved
        log.debug("column lineage of statement %d failed", index, exc_info=True)
        return analyser.table_level(f"internal error: {type(exc).__name__}: {exc}")


class _Acc:
    """What one expression (or one scope's row set) depends on, while it is being built."""

    __slots__ = ("direct", "indirect", "problems", "tables")

    def __init__(self) -> None:
        self.direct: dict[tuple[str, str], set[tuple[int, str | None]]] = {}
        self.indirect: dict[tuple[str, str], set[str]] = {}
        self.tables: dict[str, None] = {}
        self.problems: dict[tuple[str, str], None] = {}


class _Col(_Acc):
    """One output column of a scope."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def renamed(self, name: str) -> _Col:
        col = _Col(name)
        col.direct, col.indirect, col.tables, col.problems = (
            self.direct,
            self.indirect,
            self.tables,
            self.problems,
        )
        return col


class _Info:
    """The analysed output of one scope: its columns by position and its row dependencies."""

    __slots__ = ("_by_name", "branches", "cols", "fallback", "row_tables", "rows", "star_problems", "stars")

    def __init__(self) -> None:
        self.cols: list[_Col] = []
        self._by_name: dict[str, int] | None = None
        self.rows = _Acc()
        self.row_tables: dict[str, None] = {}
        self.stars: list[Source] = []  # sources of a `*` that could not be expanded
        self.fallback: _Col | None = None  # table functions: any column comes from all inputs
        self.branches: tuple[_Info, ...] = ()  # set operations: unknown names resolve in all
        self.star_problems: list[tuple[int, str, str]] = []

    def index(self, name: str) -> int | None:
        if self._by_name is None:
            by_name: dict[str, int] = {}
            for i, col in enumerate(self.cols):
                by_name.setdefault(col.name, i)
            self._by_name = by_name
        return self._by_name.get(name)

    @property
    def opaque(self) -> bool:
        """Whether the column names are not all known."""
        return bool(
            self.stars
            or (self.fallback is not None and not self.cols)
            or any(b.opaque for b in self.branches)
        )


class _Frame:
    """Name resolution inside one scope: its sources, aliases and lambda variables."""

    __slots__ = ("aliases", "parent", "row_tables", "selected", "sources")

    def __init__(self, sources: dict[str, Source], selected: list[str], parent: _Frame | None) -> None:
        self.sources = sources
        self.selected = selected
        self.parent = parent
        self.aliases: dict[str, _Col] = {}
        self.row_tables: dict[str, None] = {}


def _struct_root(node: exp.Dot) -> tuple[exp.Column | None, str]:
    """``t.s.a.b`` as the column ``t.s`` and the path ``a.b`` (``None`` if not rooted at a column)."""
    parts = []
    root: exp.Expr = node
    while type(root) is exp.Dot:
        parts.append(root.expression.name)
        root = root.this
    if type(root) is exp.Column and type(root.this) is not exp.Star:
        return root, ".".join(reversed(parts))
    return None, ""


def _is_masking(node: exp.Func) -> bool:
    cls = type(node)
    if cls is exp.Anonymous:
        return bool(_MASKING.match(node.name.lower().replace("_", "")))
    found = _masking_by_class.get(cls)
    if found is None:
        names = (cls.__name__.lower(), cls.sql_name().lower().replace("_", ""))
        found = _masking_by_class[cls] = any(_MASKING.match(name) for name in names)
    return found


def _written_table(tree: exp.Expr) -> exp.Table | None:
    """The table a statement writes, found without analysing it (for degraded results)."""
    node = tree.args.get("into") if isinstance(tree, exp.Select) else tree.this
    if isinstance(tree, (exp.Insert, exp.Create, exp.Merge, exp.Update, exp.Delete, exp.Select)):
        if isinstance(node, (exp.Into, exp.Schema)):
            node = node.this
        return node if isinstance(node, exp.Table) else None
    return None


def _int_literal(node: exp.Expr) -> int | None:
    if type(node) is exp.Literal and not node.is_string and node.this.isdigit():
        return int(node.this)
    return None


class _Statement:
    """Analyses one statement."""

    def __init__(
        self, tree: exp.Expr, index: int, dialect: Any, catalog: _parse.Catalog, namespace: str
    ) -> None:
        self.tree = tree
        self.index = index
        self.dialect = dialect
        self.catalog = catalog
        self.namespace = namespace
        self.lateral_alias = type(dialect).__name__.lower() in _LATERAL_ALIAS_DIALECTS
        self.infos: dict[int, _Info] = {}  # id(scope) -> info
        self.by_expr: dict[int, _Info] = {}  # id(scope.expression) -> info
        self.frames: dict[int, _Frame] = {}
        self.ds_cache: dict[int, str | None] = {}
        self.col_cache: dict[int, list[str] | None] = {}
        self.frame = _Frame({}, [], None)
        self.clause = "select"
        self.bound: list[str] = []
        self.scopes: list[Scope] = []
        self.kind = "OTHER"
        self.target: exp.Table | None = None
        self.problems: dict[tuple[str, str], None] = {}
        self.extra_tables: list[exp.Table] = []  # DML relations outside any query scope
        self.windows: dict[str, exp.Window] = {}  # named windows of the SELECT being walked
        self.dml_scope: Scope | None = None  # UPDATE / MERGE / DELETE: the statement's scope

    # ------------------------------------------------------------------ statement level

    def run(self) -> StatementLineage:
        tree = self.tree
        kind, target, query, column_list = self._classify(tree)
        self.kind, self.target = kind, target
        if query is None and not isinstance(tree, (exp.Merge, exp.Update, exp.Delete)):
            if isinstance(tree, exp.Command):
                self.problems[(str(tree.this), "statement not understood by the SQL parser")] = None
            return self._result([], _Acc(), [])

        if query is not None:
            self._tag_unnamed(query)
        try:
            qualify(
                tree,
                dialect=self.dialect,
                schema=self.catalog.schema,
                validate_qualify_columns=False,
                quote_identifiers=False,
                identify=False,
            )
        except Exception:  # a partly qualified tree is still an equivalent query
            log.debug("qualify failed on statement %d; resolving the rest itself", self.index, exc_info=True)

        self.scopes = traverse_scope(tree)
        dml = self._dml_frame(tree) if query is None else None
        for scope in self.scopes:
            self._scope(scope)

        if dml is not None:
            cols, rows = self._dml(tree, *dml)
            return self._result(cols, rows, [])

        info = self.by_expr.get(id(query)) or self.by_expr.get(id(query.unnest()))
        if info is None:
            if isinstance(query, exp.Values):
                return self._result([], _Acc(), [])
            raise RuntimeError("the statement's query has no scope")
        cols = list(info.cols)
        names = self._output_names(tree, kind, target, cols, column_list)
        cols = [col if col.name == name else col.renamed(name) for col, name in zip(cols, names)]
        if (
            target is not None
            and kind in ("CREATE TABLE AS", "CREATE VIEW", "SELECT INTO")
            and not info.opaque
        ):
            self.catalog.register(target, [c.name for c in cols])
        return self._result(cols, info.rows, info.star_problems)

    def _classify(self, tree: exp.Expr) -> tuple[str, exp.Table | None, exp.Expr | None, list[str] | None]:
        """(kind, written table, query producing the columns, explicit column list)."""
        if isinstance(tree, exp.Query):
            into = tree.args.get("into") if isinstance(tree, exp.Select) else None
            if isinstance(into, exp.Into) and isinstance(into.this, exp.Table):
                return "SELECT INTO", into.this, tree, None
            return "SELECT", None, tree, None
        if isinstance(tree, exp.Insert):
            target, columns = self._target(tree.this)
            query = tree.expression if isinstance(tree.expression, (exp.Query, exp.Values)) else None
            return "INSERT", target, query, columns
        if isinstance(tree, exp.Create):
            target, columns = self._target(tree.this)
            query = tree.expression if isinstance(tree.expression, exp.Query) else None
            create_kind = (tree.args.get("kind") or "").upper()
            if query is not None:
                return ("CREATE VIEW" if "VIEW" in create_kind else "CREATE TABLE AS"), target, query, columns
            if create_kind in ("TABLE", "VIEW", "SCHEMA", "DATABASE", "INDEX"):
                return "DDL", target if create_kind == "TABLE" else None, None, None
            return "OTHER", None, None, None
        if isinstance(tree, (exp.Merge, exp.Update, exp.Delete)):
            target, _ = self._target(tree.this)
            return tree.key.upper(), target, None, None
        if isinstance(tree, exp.Copy):
            files = [f.this for f in tree.args.get("files") or [] if isinstance(f, exp.Literal)]
            this = tree.this
            if tree.args.get("kind"):  # COPY t FROM 'file'
                target, _ = self._target(this)
                return "COPY", target, None, None
            query = this.unnest() if isinstance(this, exp.Subquery) else None
            if query is None and isinstance(this, exp.Table):
                query = exp.select("*").from_(this.copy())
                tree.set("this", exp.Subquery(this=query))
            target = exp.Table(this=exp.to_identifier(",".join(files), quoted=True)) if files else None
            return "COPY", target, query, None
        if isinstance(tree, (exp.Drop, exp.Alter)):
            return "DDL", None, None, None
        return "OTHER", None, None, None

    @staticmethod
    def _target(node: exp.Expr | None) -> tuple[exp.Table | None, list[str] | None]:
        if isinstance(node, exp.Schema):
            columns = [
                e.name for e in node.expressions if isinstance(e, (exp.ColumnDef, exp.Identifier, exp.Column))
            ]
            table = node.this if isinstance(node.this, exp.Table) else None
            return table, columns or None
        return (node if isinstance(node, exp.Table) else None), None

    def _tag_unnamed(self, query: exp.Expr) -> None:
        """Remember the SQL text of unaliased expressions: they name the output column."""
        naming = query
        while True:
            naming = naming.unnest()
            if isinstance(naming, exp.SetOperation):
                naming = naming.this
                continue
            break
        if not isinstance(naming, exp.Select):
            return
        for projection in naming.expressions:
            if not projection.output_name and not projection.is_star:
                projection.meta["nbgov_name"] = projection.sql(dialect=self.dialect)

    def _output_names(
        self,
        tree: exp.Expr,
        kind: str,
        target: exp.Table | None,
        cols: list[_Col],
        column_list: list[str] | None,
    ) -> list[str]:
        names = [c.name for c in cols]
        if column_list:
            if len(column_list) != len(cols):
                self.problems[
                    (
                        f"({', '.join(column_list)})",
                        f"{len(column_list)} target columns for {len(cols)} values",
                    )
                ] = None
            return column_list[: len(cols)] + names[len(column_list) :]
        if kind == "INSERT" and target is not None:
            known = self.catalog.columns(target)
            if known:
                partition = target.args.get("partition")
                static = (
                    {e.this.name for e in partition.expressions if isinstance(e, exp.EQ)}
                    if partition
                    else set()
                )
                known = [c for c in known if c not in static]
                if len(known) == len(cols):
                    return known
        return names

    def _result(
        self, cols: list[_Col], rows: _Acc, star_problems: list[tuple[int, str, str]]
    ) -> StatementLineage:
        ns = self.namespace
        output = self._dataset(self.target) if self.target is not None else None
        columns = []
        unresolved: dict[Unresolved, None] = {}
        referenced: set[str] = set()
        for position, col in enumerate(cols):
            inputs = tuple(
                InputField(
                    ns,
                    ds,
                    field,
                    tuple(
                        Transformation("DIRECT", DIRECT_SUBTYPES[rank], mask is not None, mask)
                        for rank, mask in sorted(trs, key=lambda t: (t[0], t[1] or ""))
                    ),
                )
                for (ds, field), trs in sorted(col.direct.items())
            )
            indirect = self._indirect(col.indirect)
            columns.append(OutputColumn(position, col.name, inputs, indirect, tuple(col.tables)))
            referenced.update(ds for ds, _ in col.direct)
            referenced.update(ds for ds, _ in col.indirect)
            for reference, reason in col.problems:
                unresolved[Unresolved(reference, reason, col.name, position)] = None
        for position, reference, reason in star_problems:
            unresolved[Unresolved(reference, reason, None, position)] = None
        for reference, reason in {**rows.problems, **self.problems}:
            unresolved[Unresolved(reference, reason)] = None
        referenced.update(ds for ds, _ in rows.indirect)
        inputs = self._inputs()
        if output is not None and output in referenced and output not in inputs:
            inputs = inputs + (output,)
        return StatementLineage(
            index=self.index,
            kind=self.kind,
            output=output,
            inputs=inputs,
            columns=tuple(columns),
            dataset=self._indirect(rows.indirect),
            unresolved=tuple(unresolved),
            namespace=ns,
        )

    def _indirect(self, indirect: dict[tuple[str, str], set[str]]) -> tuple[InputField, ...]:
        out = []
        for (ds, field), subtypes in sorted(indirect.items()):
            transformations = tuple(
                sorted((Transformation("INDIRECT", s) for s in subtypes), key=lambda t: t.sort_key)
            )
            out.append(InputField(self.namespace, ds, field, transformations))
        return tuple(out)

    def _inputs(self) -> tuple[str, ...]:
        """Physical datasets read by the statement, in order of appearance."""
        found: list[tuple[int, str]] = []
        target = self.target
        for scope in self.scopes:
            for table in scope.tables:
                if table is target or scope.sources.get(table.alias_or_name) is not table:
                    continue
                ds = self._dataset(table)
                if ds is not None:
                    found.append((table.this.meta.get("start", 0) if table.this._meta else 0, ds))
        for table in self.extra_tables:
            ds = self._dataset(table)
            if ds is not None:
                found.append((table.this.meta.get("start", 0) if table.this._meta else 0, ds))
        found.sort(key=lambda item: item[0])
        return tuple(dict.fromkeys(ds for _, ds in found))

    def table_level(self, reason: str) -> StatementLineage:
        """Degraded result: the datasets read and written, and why columns are missing."""
        try:
            target = self.target if self.target is not None else _written_table(self.tree)
            output = self._dataset(target) if target is not None else None
            ctes = {cte.alias_or_name for cte in self.tree.find_all(exp.CTE)}
            inputs = []
            for table in self.tree.find_all(exp.Table):
                if table is target or (not table.args.get("db") and table.name in ctes):
                    continue
                ds = self._dataset(table)
                if ds is not None:
                    inputs.append(ds)
        except Exception:  # noqa: BLE001 - the degraded answer itself must not raise
            output, inputs = None, []
        return StatementLineage(
            index=self.index,
            kind=self.kind,
            output=output,
            inputs=tuple(dict.fromkeys(inputs)),
            columns=(),
            dataset=(),
            unresolved=(Unresolved("statement", reason),)
            + tuple(Unresolved(r, why) for r, why in self.problems),
            namespace=self.namespace,
        )

    # ------------------------------------------------------------------ scopes

    def _scope(self, scope: Scope) -> None:
        expression = scope.expression
        try:
            if isinstance(expression, exp.Select):
                info = self._select(scope)
            elif isinstance(expression, exp.SetOperation):
                info = self._set_operation(scope)
            elif isinstance(expression, exp.Subquery):
                info = self._wrapper(scope)
            elif isinstance(expression, (exp.UDTF, exp.Lateral)):
                info = self._udtf(scope)
            else:
                return
        except Exception as exc:
            log.debug("scope %r failed", scope, exc_info=True)
            self.problems[
                (expression.sql(dialect=self.dialect)[:80], f"internal error: {type(exc).__name__}: {exc}")
            ] = None
            return
        outer = scope.outer_columns
        if outer and not isinstance(expression, (exp.UDTF, exp.Lateral)):
            info.cols = [
                col.renamed(outer[i]) if i < len(outer) and outer[i] and outer[i] != col.name else col
                for i, col in enumerate(info.cols)
            ]
            info._by_name = None
        self.infos[id(scope)] = info
        self.by_expr[id(expression)] = info

    def _frame(self, scope: Scope) -> _Frame:
        frame = self.frames.get(id(scope))
        if frame is None:
            expression = scope.expression
            if isinstance(expression, exp.Select):
                selected = list(dict.fromkeys(n for n, _ in scope.references if n in scope.sources))
            elif isinstance(expression, (exp.UDTF, exp.Lateral)):
                selected = list(scope.lateral_sources)
            else:
                selected = []
            parent = scope.parent
            correlated = (
                parent is not None
                and scope.can_be_correlated
                and (
                    parent is self.dml_scope
                    or isinstance(parent.expression, (exp.Select, exp.UDTF, exp.Lateral))
                )
            )
            frame = _Frame(scope.sources, selected, self._frame(parent) if correlated else None)
            self.frames[id(scope)] = frame
        return frame

    def _select(self, scope: Scope) -> _Info:
        select = scope.expression
        info = _Info()
        frame = self._frame(scope)
        for name in frame.selected:
            self._source_rows(frame.sources[name], info)
        frame.row_tables = info.row_tables
        self.frame = frame
        self.windows = {w.name: w for w in select.args.get("windows") or [] if isinstance(w, exp.Window)}

        self.clause = "select"
        for position, projection in enumerate(select.expressions):
            self._projection(projection, info, frame)

        rows = info.rows
        args = select.args
        self.clause = "join"
        for join in args.get("joins") or []:
            on = join.args.get("on")
            if on is not None:
                self._visit(on, "JOIN", _TRANSFORMATION, None, rows)
            for ident in join.args.get("using") or []:
                self._using(ident.name, frame, rows)
        where = args.get("where")
        if where is not None:
            self.clause = "where"
            self._visit(where.this, "FILTER", _TRANSFORMATION, None, rows)
        group = args.get("group")
        if group is not None:
            self.clause = "group"
            for item in group.expressions:
                self._clause_item(item, "GROUP_BY", info, rows)
        for key, subtype in (("having", "FILTER"), ("qualify", "FILTER")):
            node = args.get(key)
            if node is not None:
                self.clause = key
                self._visit(node.this, subtype, _TRANSFORMATION, None, rows)
        distinct = args.get("distinct")
        if distinct is not None and distinct.args.get("on") is not None:
            self.clause = "group"
            for item in distinct.args["on"].expressions:
                self._clause_item(item, "GROUP_BY", info, rows)
        order = args.get("order")
        if order is not None:
            self.clause = "order"
            for item in order.expressions:
                self._clause_item(item.this if isinstance(item, exp.Ordered) else item, "SORT", info, rows)
        self.clause = "select"
        return info

    def _source_rows(self, source: Source, info: _Info) -> None:
        """A source's own row dependencies (its filters, joins…) shape this scope's rows too."""
        if isinstance(source, exp.Table):
            ds = self._dataset(source)
            if ds is not None:
                info.row_tables[ds] = None
            return
        sinfo = self._info(source)
        if sinfo is None:
            return
        info.row_tables.update(sinfo.row_tables)
        rows = info.rows
        for key, subtypes in sinfo.rows.indirect.items():
            rows.indirect.setdefault(key, set()).update(subtypes)
        rows.problems.update(sinfo.rows.problems)

    def _clause_item(self, item: exp.Expr, subtype: str, info: _Info, rows: _Acc) -> None:
        position = _int_literal(item)
        if position is not None:
            if 0 < position <= len(info.cols):
                self._compose(info.cols[position - 1], subtype, _TRANSFORMATION, None, rows, "")
            return
        self._visit(item, subtype, _TRANSFORMATION, None, rows)

    def _using(self, name: str, frame: _Frame, rows: _Acc) -> None:
        for source_name in frame.selected:
            source = frame.sources[source_name]
            columns = self._source_columns(source)
            if columns is None or name in columns:
                self._from_source(source, name, "JOIN", _TRANSFORMATION, None, rows, "", name)

    def _projection(self, projection: exp.Expr, info: _Info, frame: _Frame) -> None:
        if isinstance(projection, exp.Aliases):
            names = [e.name for e in projection.expressions]
            inner = projection.this
        elif isinstance(projection, exp.Alias):
            names = [projection.alias]
            inner = projection.this
        else:
            names = [projection.alias_or_name]
            inner = projection
        if type(inner) is exp.Star or (type(inner) is exp.Column and type(inner.this) is exp.Star):
            self._star(inner, info, frame)
            return
        if names[0].startswith("_col_") or not names[0]:
            names[0] = (
                inner.meta_get("nbgov_name")
                or projection.meta_get("nbgov_name")
                or names[0]
                or f"_col_{len(info.cols)}"
            )
        core = inner
        while type(core) is exp.Paren:
            core = core.this
        identity = type(core) is exp.Column or (type(core) is exp.Dot and _struct_root(core)[0] is not None)
        col = _Col(names[0])
        self._visit(inner, None, _IDENTITY if identity else _TRANSFORMATION, None, col)
        info.cols.append(col)
        frame.aliases.setdefault(col.name, col)
        for name in names[1:]:
            info.cols.append(col.renamed(name))

    def _star(self, star: exp.Expr, info: _Info, frame: _Frame) -> None:
        """Expand a ``*`` that qualify left alone (a source's columns were not all known)."""
        if type(star) is exp.Column:
            names = [star.table] if star.table in frame.sources else []
            if not names:
                info.star_problems.append(
                    (len(info.cols), f"{star.table}.*", f"unknown table or alias {star.table!r}")
                )
            star = star.this
        else:
            names = frame.selected
        excluded = {c.name for c in star.args.get("except_") or []}
        replaced = {a.alias: a.this for a in star.args.get("replace") or [] if isinstance(a, exp.Alias)}
        renamed = {a.this.name: a.alias for a in star.args.get("rename") or [] if isinstance(a, exp.Alias)}
        for name in names:
            source = frame.sources[name]
            columns = self._ordered_columns(source)
            if columns is None:
                info.stars.append(source)
                label = self._label(source, name)
                info.star_problems.append(
                    (
                        len(info.cols),
                        f"{label}.*",
                        f"columns of {label} are unknown (no schema): * not expanded",
                    )
                )
                continue
            for column in columns:
                if column in excluded:
                    continue
                col = _Col(renamed.get(column, column))
                if column in replaced:
                    self._visit(replaced[column], None, _TRANSFORMATION, None, col)
                else:
                    self._from_source(source, column, None, _IDENTITY, None, col, "", column)
                info.cols.append(col)
                frame.aliases.setdefault(col.name, col)

    def _label(self, source: Source, name: str) -> str:
        if isinstance(source, exp.Table):
            return self._dataset(source) or name
        info = self._info(source)
        if info is not None and len(info.stars) == 1:
            return self._label(info.stars[0], name)
        return name

    def _set_operation(self, scope: Scope) -> _Info:
        operation = scope.expression
        left, right = (self.infos.get(id(s)) for s in scope.set_operation_scopes)
        if left is None or right is None:
            raise RuntimeError("a branch of the set operation has no lineage")
        info = _Info()
        info.branches = (left, right)
        for col in left.cols:
            merged = _Col(col.name)
            self._compose(col, None, _IDENTITY, None, merged, "")
            info.cols.append(merged)
        info.star_problems.extend(left.star_problems)
        except_ = isinstance(operation, exp.Except)
        by_name = bool(operation.args.get("by_name"))
        for position, col in enumerate(right.cols):
            if except_:
                self._compose(col, "FILTER", _TRANSFORMATION, None, info.rows, "")
                continue
            index = info.index(col.name) if by_name else position
            if index is None or index >= len(info.cols):
                info.star_problems.append(
                    (position, col.name, "set operation branches have different columns")
                )
                continue
            self._compose(col, None, _IDENTITY, None, info.cols[index], "")
        for branch in (left, right):
            info.row_tables.update(branch.row_tables)
            for key, subtypes in branch.rows.indirect.items():
                info.rows.indirect.setdefault(key, set()).update(subtypes)
            info.rows.problems.update(branch.rows.problems)
        self._order_by_name(operation, info)
        return info

    def _order_by_name(self, node: exp.Expr, info: _Info) -> None:
        """ORDER BY of a set operation or a parenthesised query: by output name or position."""
        order = node.args.get("order")
        if order is None:
            return
        for item in order.expressions:
            item = item.this if isinstance(item, exp.Ordered) else item
            for column in [item] if type(item) is exp.Column else item.find_all(exp.Column):
                index = info.index(column.name)
                if index is not None:
                    self._compose(info.cols[index], "SORT", _TRANSFORMATION, None, info.rows, "")
            position = _int_literal(item)
            if position is not None and 0 < position <= len(info.cols):
                self._compose(info.cols[position - 1], "SORT", _TRANSFORMATION, None, info.rows, "")

    def _wrapper(self, scope: Scope) -> _Info:
        """A parenthesised query, ``(SELECT …) ORDER BY …``: its inner query, re-sorted."""
        wrapper = scope.expression
        inner = self.by_expr.get(id(wrapper.unnest()))
        if inner is None:
            raise RuntimeError("parenthesised query has no lineage")
        info = _Info()
        info.cols = list(inner.cols)
        info.stars, info.fallback, info.branches = inner.stars, inner.fallback, inner.branches
        info.star_problems = list(inner.star_problems)
        info.row_tables.update(inner.row_tables)
        for key, subtypes in inner.rows.indirect.items():
            info.rows.indirect.setdefault(key, set()).update(subtypes)
        info.rows.problems.update(inner.rows.problems)
        self._order_by_name(wrapper, info)
        return info

    def _udtf(self, scope: Scope) -> _Info:
        """UNNEST / LATERAL / table functions: each output column comes from the arguments."""
        node = scope.expression
        frame = self._frame(scope)
        self.frame, self.clause = frame, "select"
        info = _Info()
        names = node.alias_column_names
        if isinstance(node, exp.Lateral) and isinstance(node.this, exp.Subquery):
            inner = self.by_expr.get(id(node.this.unnest()))
            if inner is None:
                raise RuntimeError("lateral subquery has no lineage")
            info.cols = [col.renamed(names[i]) if i < len(names) else col for i, col in enumerate(inner.cols)]
            self._source_rows(inner, info)
            return info
        if isinstance(node, exp.Unnest):
            arguments = list(node.expressions)
        elif isinstance(node, exp.Lateral):
            arguments = [node.this]
        else:
            arguments = list(node.iter_expressions())
            arguments = [a for a in arguments if not isinstance(a, exp.TableAlias)]
        if not names and node.alias:
            names = [node.alias]
        accs = []
        for argument in arguments:
            acc = _Col("")
            self._visit(argument, None, _TRANSFORMATION, None, acc)
            accs.append(acc)
        everything = _Col("")
        for acc in accs:
            self._compose(acc, None, _TRANSFORMATION, None, everything, "")
        if len(names) == len(accs):
            info.cols = [acc.renamed(name) for acc, name in zip(accs, names)]
        else:
            info.cols = [everything.renamed(name) for name in names]
        offset = node.args.get("offset")
        if isinstance(offset, exp.Expr) and offset.name:
            info.cols.append(_Col(offset.name))
        info.fallback = everything
        return info

    # ------------------------------------------------------------------ DML without a query

    def _dml_frame(self, tree: exp.Expr) -> tuple[_Frame, list[exp.Expr]]:
        """Name resolution for UPDATE / MERGE / DELETE: the target and the FROM / USING relations.

        Built before the scopes are walked, so that subqueries in SET, WHERE or WHEN
        clauses can refer to it (correlation); subqueries and CTEs stay scopes, analysed
        by the time they are read.
        """
        frame = _Frame({}, [], None)
        by_expr = {id(scope.expression): scope for scope in self.scopes}
        ctes: dict[str, Scope] = {}
        with_ = tree.args.get("with_")
        if with_ is not None:
            for cte in with_.expressions:
                scope = by_expr.get(id(cte.this.unnest()))
                if scope is not None:
                    ctes[cte.alias_or_name] = scope
        joins: list[exp.Expr] = []

        def add(relation: exp.Expr | None) -> None:
            if isinstance(relation, exp.Table):
                name = relation.alias_or_name
                source: Source = relation
                if not relation.args.get("db") and relation.name in ctes:
                    source = ctes[relation.name]
                elif self._dataset(relation) is not None and relation is not self.target:
                    self.extra_tables.append(relation)
            elif isinstance(relation, exp.Subquery):
                name = relation.alias_or_name
                scope = by_expr.get(id(relation.unnest())) or by_expr.get(id(relation))
                if scope is None:
                    self.problems[(name or "subquery", "subquery could not be analysed")] = None
                    return
                source = scope
            else:
                return
            frame.sources[name] = source
            frame.selected.append(name)
            for join in relation.args.get("joins") or []:
                joins.append(join)
                add(join.this)

        target = tree.this
        relations: list[exp.Expr] = []
        from_ = tree.args.get("from_")
        if isinstance(from_, exp.From):
            relations.append(from_.this)
        using = tree.args.get("using")
        relations.extend(using if isinstance(using, list) else [using] if isinstance(using, exp.Expr) else [])
        for join in tree.args.get("joins") or []:
            joins.append(join)
            relations.append(join.this)
        for relation in relations:
            add(relation)

        if isinstance(target, exp.Table):
            name = target.alias_or_name
            aliased = frame.sources.get(target.name)
            if (
                not target.args.get("db")
                and not target.alias
                and isinstance(aliased, exp.Table)
                and aliased is not target
            ):
                # T-SQL: UPDATE t SET … FROM tab1 t — the target is an alias of a FROM table
                self.target = aliased
            elif name not in frame.sources:
                frame.sources[name] = target
                frame.selected.insert(0, name)
        for scope in self.scopes:  # the statement's own scope: parent of its subqueries
            if scope.parent is not None and scope.parent.expression is tree:
                self.frames[id(scope.parent)] = frame
                self.dml_scope = scope.parent
                break
        return frame, joins

    def _dml(self, tree: exp.Expr, frame: _Frame, joins: list[exp.Expr]) -> tuple[list[_Col], _Acc]:
        self.frame, self.clause = frame, "select"
        info = _Info()
        for source in frame.sources.values():
            self._source_rows(source, info)
        rows = info.rows
        frame.row_tables = info.row_tables

        self.clause = "join"
        for join in joins:
            on = join.args.get("on")
            if on is not None:
                self._visit(on, "JOIN", _TRANSFORMATION, None, rows)
        on = tree.args.get("on")
        if on is not None:
            self._visit(on, "JOIN", _TRANSFORMATION, None, rows)
        where = tree.args.get("where")
        if where is not None:
            self.clause = "where"
            self._visit(where.this, "FILTER", _TRANSFORMATION, None, rows)
        self.clause = "select"

        cols: dict[str, _Col] = {}
        if isinstance(tree, exp.Update):
            self._assignments(tree.expressions, cols, None)
        elif isinstance(tree, exp.Merge):
            whens = tree.args.get("whens")
            for when in whens.expressions if whens is not None else []:
                condition = None
                if when.args.get("condition") is not None:
                    condition = _Acc()
                    self._visit(when.args["condition"], "CONDITIONAL", _TRANSFORMATION, None, condition)
                then = when.args.get("then")
                if isinstance(then, exp.Update):
                    self._assignments(then.expressions, cols, condition)
                elif isinstance(then, exp.Insert):
                    self._merge_insert(then, cols, condition)
        return list(cols.values()), rows

    def _column_for(self, cols: dict[str, _Col], name: str) -> _Col:
        col = cols.get(name)
        if col is None:
            col = cols[name] = _Col(name)
        return col

    def _assignments(
        self, assignments: list[exp.Expr], cols: dict[str, _Col], condition: _Acc | None
    ) -> None:
        for assignment in assignments:
            if type(assignment) is exp.Star:
                self._all_by_name(cols, condition)
                continue
            if not isinstance(assignment, exp.EQ):
                continue
            self._assign(assignment.this.name, assignment.expression, cols, condition)

    def _assign(self, name: str, value: exp.Expr, cols: dict[str, _Col], condition: _Acc | None) -> None:
        col = self._column_for(cols, name)
        core = value
        while type(core) is exp.Paren:
            core = core.this
        self._visit(value, None, _IDENTITY if type(core) is exp.Column else _TRANSFORMATION, None, col)
        if condition is not None:
            for key, subtypes in condition.indirect.items():
                col.indirect.setdefault(key, set()).update(subtypes)
            col.problems.update(condition.problems)

    def _merge_insert(self, insert: exp.Insert, cols: dict[str, _Col], condition: _Acc | None) -> None:
        if type(insert.this) is exp.Star:
            self._all_by_name(cols, condition)
            return
        names = (
            [e.name for e in insert.this.expressions]
            if isinstance(insert.this, (exp.Tuple, exp.Schema))
            else []
        )
        values = insert.expression
        values = (
            list(values.expressions)
            if isinstance(values, exp.Tuple)
            else [values]
            if values is not None
            else []
        )
        if not names and self.target is not None:
            names = self.catalog.columns(self.target) or []
        if len(names) != len(values):
            self.problems[("INSERT", f"{len(names)} target columns for {len(values)} values")] = None
        for name, value in zip(names, values):
            self._assign(name, value, cols, condition)

    def _all_by_name(self, cols: dict[str, _Col], condition: _Acc | None) -> None:
        """MERGE … UPDATE SET * / INSERT *: every source column to the same-named target column."""
        frame = self.frame
        for name in frame.selected:
            source = frame.sources[name]
            if isinstance(source, exp.Table) and source is self.tree.this:
                continue
            columns = self._ordered_columns(source)
            if columns is None:
                self.problems[
                    (f"{self._label(source, name)}.*", "columns unknown (no schema): * not expanded")
                ] = None
                continue
            for column in columns:
                self._assign(column, exp.column(column, table=name), cols, condition)

    # ------------------------------------------------------------------ expressions

    def _visit(self, node: exp.Expr, kind: str | None, rank: int, mask: str | None, acc: _Acc) -> None:
        """Record what ``node`` depends on into ``acc``.

        ``kind`` is ``None`` while the value flows into the output (DIRECT, with ``rank``
        IDENTITY < TRANSFORMATION < AGGREGATION and ``mask`` the masking function seen on
        the way), or the INDIRECT subtype once the node only decides which rows or which
        branch (JOIN, FILTER, GROUP_BY, SORT, WINDOW, CONDITIONAL).
        """
        cls = type(node)
        if cls is exp.Column:
            if type(node.this) is exp.Star:
                if kind is None:
                    acc.tables.update(self.frame.row_tables)
            else:
                self._column(node, kind, rank, mask, acc, "")
            return
        if isinstance(node, _LEAVES):
            return
        visit = self._visit
        inner = max(_TRANSFORMATION, rank)
        if cls is exp.Dot:
            root, path = _struct_root(node)
            if root is not None:
                self._column(root, kind, rank, mask, acc, path)
                return
        elif cls is exp.Paren or cls is exp.Alias:
            visit(node.this, kind, rank, mask, acc)
            return
        elif cls is exp.Case:
            condition = kind or "CONDITIONAL"
            if node.this is not None:
                visit(node.this, condition, inner, None, acc)
            for branch in node.args.get("ifs") or []:
                visit(branch.this, condition, inner, None, acc)
                if branch.args.get("true") is not None:
                    visit(branch.args["true"], kind, inner, mask, acc)
            if node.args.get("default") is not None:
                visit(node.args["default"], kind, inner, mask, acc)
            return
        elif cls is exp.If:
            visit(node.this, kind or "CONDITIONAL", inner, None, acc)
            for key in ("true", "false"):
                if node.args.get(key) is not None:
                    visit(node.args[key], kind, inner, mask, acc)
            return
        elif cls is exp.Window:
            visit(node.this, kind, rank, mask, acc)
            self._window_spec(node, kind or "WINDOW", acc, set())
            return
        elif cls is exp.Filter:
            visit(node.this, kind, rank, mask, acc)
            visit(node.expression, kind or "CONDITIONAL", inner, None, acc)
            return
        elif cls is exp.Subquery or isinstance(node, (exp.Select, exp.SetOperation)):
            self._subquery(node, kind, inner, mask, acc)
            return
        elif cls is exp.Exists:
            self._subquery(node.this, kind or "FILTER", inner, None, acc)
            return
        elif cls is exp.Lambda:
            names = [e.name for e in node.expressions]
            self.bound.extend(names)
            try:
                visit(node.this, kind, inner, mask, acc)
            finally:
                del self.bound[len(self.bound) - len(names) :]
            return
        elif cls is exp.WithinGroup:
            inner = _AGGREGATION if kind is None else inner
        elif isinstance(node, exp.AggFunc) and not isinstance(node, _VALUE_WINDOW):
            if kind is None:
                inner = _AGGREGATION
                if not isinstance(node, _RANKING) and node.find(exp.Column) is None:
                    acc.tables.update(self.frame.row_tables)  # COUNT(*): the table as a whole
        elif isinstance(node, exp.Func) and kind is None and _is_masking(node):
            mask = node.sql(dialect=self.dialect).split("(", 1)[0].strip().upper() or "MASKED"
        elif isinstance(node, exp.Binary):
            # long AND / OR / + chains are deep left-leaning trees: walk them with a stack
            stack = [node]
            while stack:
                item = stack.pop()
                if isinstance(item, exp.Binary) and not isinstance(item, exp.Dot):
                    stack.extend(reversed(list(item.iter_expressions())))
                else:
                    visit(item, kind, inner, mask, acc)
            return
        for child in node.iter_expressions():
            visit(child, kind, inner, mask, acc)

    def _window_spec(self, window: exp.Window, subtype: str, acc: _Acc, seen: set[str]) -> None:
        """PARTITION BY and ORDER BY of a window, following named windows (``OVER w``)."""
        for item in window.args.get("partition_by") or []:
            self._visit(item, subtype, _TRANSFORMATION, None, acc)
        if window.args.get("order") is not None:
            self._visit(window.args["order"], subtype, _TRANSFORMATION, None, acc)
        name = window.args.get("alias")
        if isinstance(name, exp.Identifier) and name.name not in seen:
            seen.add(name.name)
            named = self.windows.get(name.name)
            if named is not None:
                self._window_spec(named, subtype, acc, seen)

    def _subquery(self, node: exp.Expr, kind: str | None, rank: int, mask: str | None, acc: _Acc) -> None:
        query = node.unnest() if isinstance(node, exp.Subquery) else node
        info = self.by_expr.get(id(query)) or self.by_expr.get(id(node))
        if info is None:
            acc.problems[(query.sql(dialect=self.dialect)[:60], "subquery could not be analysed")] = None
            return
        for col in info.cols:
            self._compose(col, kind, rank, mask, acc, "")
        for key, subtypes in info.rows.indirect.items():
            target = acc.indirect.setdefault(key, set())
            if kind is None:
                target.update(subtypes)
            else:
                target.add(kind)
        acc.problems.update(info.rows.problems)
        for position, reference, reason in info.star_problems:
            acc.problems[(reference, reason)] = None

    def _column(
        self, column: exp.Column, kind: str | None, rank: int, mask: str | None, acc: _Acc, path: str
    ) -> None:
        name = column.name
        table = column.table
        frame = self.frame
        reference = f"{table}.{name}" if table else name
        if not table:
            if name in self.bound:
                return
            found = self._unqualified(name, frame, acc)
            if found is None:
                return
            if isinstance(found, _Col):
                self._compose(found, kind, rank, mask, acc, path)
                return
            source = found
        else:
            source = self._lookup(table, frame)
            if source is None:
                db = column.args.get("db")
                if db is not None and self._lookup(db.name, frame) is not None:
                    # t.s.a without a schema: the struct field a of column s of table t
                    source = self._lookup(db.name, frame)
                    path = f"{name}.{path}" if path else name
                    name = table
                else:
                    acc.problems[(reference, f"unknown table or alias {table!r}")] = None
                    return
        self._from_source(source, name, kind, rank, mask, acc, path, reference)

    def _lookup(self, table: str, frame: _Frame | None) -> Source | None:
        while frame is not None:
            source = frame.sources.get(table)
            if source is not None:
                return source
            frame = frame.parent
        return None

    def _unqualified(self, name: str, frame: _Frame, acc: _Acc) -> Source | _Col | None:
        clause = self.clause
        alias = frame.aliases.get(name)
        if alias is not None and clause in ("order", "having", "qualify", "group"):
            return alias
        known: list[str] = []
        unknown: list[str] = []
        for source_name in frame.selected:
            columns = self._source_columns(frame.sources[source_name])
            if columns is None:
                unknown.append(source_name)
            elif name in columns:
                known.append(source_name)
        if len(known) == 1:
            return frame.sources[known[0]]
        if len(known) > 1:
            acc.problems[(name, f"ambiguous: a column of {', '.join(known)}")] = None
            return None
        if alias is not None and (not unknown or self.lateral_alias):
            return alias
        if len(unknown) == 1:
            return frame.sources[unknown[0]]
        if unknown:
            acc.problems[(name, f"ambiguous without a schema: could come from {', '.join(unknown)}")] = None
            return None
        source = frame.sources.get(name)
        if isinstance(source, Scope) and isinstance(source.expression, (exp.UDTF, exp.Lateral)):
            return source  # BigQuery: UNNEST(arr) AS x, then x names the element
        if frame.parent is not None:
            return self._unqualified(name, frame.parent, acc)
        if frame.selected:
            acc.problems[(name, "not a column of any source")] = None
        else:
            acc.problems[(name, "no source to read it from")] = None
        return None

    def _source_columns(self, source: Source) -> set[str] | list[str] | None:
        if isinstance(source, exp.Table):
            return self._table_columns(source)
        info = self._info(source)
        if info is None or info.opaque:
            return None
        return [col.name for col in info.cols]

    def _ordered_columns(self, source: Source) -> list[str] | None:
        columns = self._source_columns(source)
        return list(columns) if columns is not None else None

    def _table_columns(self, table: exp.Table) -> list[str] | None:
        key = id(table)
        if key not in self.col_cache:
            self.col_cache[key] = self.catalog.columns(table) if self._dataset(table) is not None else []
        return self.col_cache[key]

    def _from_source(
        self,
        source: Source,
        name: str,
        kind: str | None,
        rank: int,
        mask: str | None,
        acc: _Acc,
        path: str,
        reference: str,
    ) -> None:
        if isinstance(source, exp.Table):
            ds = self._dataset(source)
            if ds is None:
                return  # a table function such as generate_series: no dataset behind it
            key = (ds, f"{name}.{path}" if path else name)
            if kind is None:
                found = acc.direct.get(key)
                if found is None:
                    acc.direct[key] = {(rank, mask)}
                else:
                    found.add((rank, mask))
            else:
                found = acc.indirect.get(key)
                if found is None:
                    acc.indirect[key] = {kind}
                else:
                    found.add(kind)
            return
        info = self._info(source)
        if info is None:
            acc.problems[(reference, "its source could not be analysed")] = None
            return
        col = self._output(info, name, acc, reference)
        if col is not None:
            self._compose(col, kind, rank, mask, acc, path)

    def _output(self, info: _Info, name: str, acc: _Acc, reference: str) -> _Col | None:
        """The column ``name`` of an analysed scope, looking through ``*`` it could not expand."""
        index = info.index(name)
        if index is not None:
            return info.cols[index]
        if info.fallback is not None:
            return info.fallback
        if info.branches:
            merged = _Col(name)
            for branch in info.branches:
                col = self._output(branch, name, merged, reference)
                if col is not None:
                    self._compose(col, None, _IDENTITY, None, merged, "")
            return merged
        if len(info.stars) == 1:
            merged = _Col(name)
            self._from_source(info.stars[0], name, None, _IDENTITY, None, merged, "", reference)
            return merged
        if info.stars:
            acc.problems[(reference, "ambiguous: * over several sources with unknown columns")] = None
            return None
        acc.problems[(reference, "not an output column of its subquery")] = None
        return None

    def _compose(
        self, col: _Acc, kind: str | None, rank: int, mask: str | None, acc: _Acc, path: str
    ) -> None:
        """Carry what ``col`` depends on into ``acc`` through one more step."""
        if kind is None:
            direct = acc.direct
            for key, transformations in col.direct.items():
                if path and all(r == _IDENTITY for r, _ in transformations):
                    key = (key[0], f"{key[1]}.{path}")
                target = direct.get(key)
                if target is None:
                    target = direct[key] = set()
                for r, m in transformations:
                    target.add((max(rank, r), m or mask))
            indirect = acc.indirect
            for key, subtypes in col.indirect.items():
                target_subtypes = indirect.get(key)
                if target_subtypes is None:
                    indirect[key] = set(subtypes)
                else:
                    target_subtypes.update(subtypes)
            if col.tables:
                acc.tables.update(col.tables)
        else:
            indirect = acc.indirect
            for key in col.direct:
                indirect.setdefault(key, set()).add(kind)
            for key in col.indirect:
                indirect.setdefault(key, set()).add(kind)
        if col.problems:
            acc.problems.update(col.problems)

    def _info(self, source: Source) -> _Info | None:
        if isinstance(source, _Info):
            return source
        info = self.infos.get(id(source))
        if info is None and isinstance(source, Scope):
            # e.g. the base case of a recursive CTE, scoped apart from its own traversal
            info = self.by_expr.get(id(source.expression))
        return info

    def _dataset(self, table: exp.Table) -> str | None:
        key = id(table)
        if key not in self.ds_cache:
            self.ds_cache[key] = _parse.dataset_name(table)
        return self.ds_cache[key]
