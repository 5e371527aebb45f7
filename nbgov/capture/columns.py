"""Column lineage of the pandas and polars steps of one cell.

A cell's run knows, at runtime, the columns of every dataset it read and wrote (their
``schema`` facets: files and tables read, DataFrames read, frames created or changed,
files and tables written). This module turns that, plus the cell's source, into the
``columnLineage`` facet of each output, for the general case — column selection,
renames, ``assign``, new columns from expressions, merges and joins, ``groupby``/``agg``,
``concat``, filters, hashing — with two cheap signals:

* **Static** — the cell's Python (``ast``, analysed once per distinct source and cached):
  a small abstract interpreter follows the frames the code binds, column by column. It
  knows ``df["new"] = <expr of df["a"], df.b…>``, ``.assign(new=…)`` (lambdas too),
  ``.rename(columns={…})``, ``add_prefix``/``add_suffix``, ``df.columns = […]``, named
  and dict aggregations (``.agg(total=("amount", "sum"))`` → AGGREGATION),
  ``groupby(keys)`` (INDIRECT GROUP_BY), filters — boolean masks, ``.loc``, ``query``,
  ``dropna(subset=…)`` (INDIRECT FILTER) —, ``sort_values`` (INDIRECT SORT), ``np.where``
  (INDIRECT CONDITIONAL), ``merge``/``join`` keys (INDIRECT JOIN), ``concat``, the
  reader each frame came from and the frame each write wrote; and the same for polars
  (``with_columns``, ``select``, ``pl.col(…).alias``, ``filter``, ``group_by().agg``,
  ``join``); reshaping — ``melt``/``unpivot`` (``value`` DIRECT from the value columns,
  ``variable`` INDIRECT), ``pivot_table``/``pivot``/``crosstab``/``unstack`` (the columns
  named by pivoted values derive from ``values``) —; augmented and partial assignment
  (``df.loc[mask, "x"] *= v``: TRANSFORMATION, the mask CONDITIONAL). **Masking** — ``hashlib``, ``hash``, ``pd.util.hash_pandas_object``,
  ``.apply``/``.map`` of a hashing function or lambda, a function whose name says it
  hashes, masks, redacts, anonymises or encrypts, polars ``.hash()``, a replacement by
  a mask literal (``.str.replace(…, "***")``) — marks the edge ``masking: true``.
* **Runtime** — names: an output column whose name is a column of a dataset it was made
  from derives from it (both sources when several share the name, as a merge key). When
  the code gives no answer (an opaque helper, ``exec``, a frame bound by a magic) every
  input of the cell is a candidate; IDENTITY then needs cheap evidence (the very same
  object, or a pandas column sharing its memory), else the edge is TRANSFORMATION.
* **Words** — the last resort for an output column that got no edge at all and that the
  code does not explain (names built by code, ``"_".join`` of a MultiIndex): an input
  column whose words (split on ``_``, ``-``, spaces; any case) appear contiguous among its
  words is a source, DIRECT TRANSFORMATION "matched by name tokens".

Precedence: a static derivation of a column from the same source column decides its
transformation (so a hash in place is masked); a DIRECT edge found by name is never
dropped otherwise. When unsure, no edge is invented. Nothing here imports pandas or
polars: the runtime side reads field lists (and, for the evidence, the objects' own
attributes).

Entry points: :func:`analyse` (the cached static pass) and :func:`cell_column_lineage`.
"""

from __future__ import annotations

import ast
import functools
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AGGREGATION",
    "IDENTITY",
    "TRANSFORMATION",
    "Program",
    "Side",
    "Step",
    "bound_names",
    "analyse",
    "cell_column_lineage",
    "is_mask_literal",
    "is_masking_name",
]

DIRECT, INDIRECT = "DIRECT", "INDIRECT"
_RANK = {"IDENTITY": 0, "TRANSFORMATION": 1, "AGGREGATION": 2}
#: sources longer than this are not analysed statically (names still match)
MAX_SOURCE = 200_000
_MAX_DEPTH = 64


# ------------------------------------------------------------------ transformations
@dataclass(frozen=True)
class Step:
    """How a value reaches a column: one entry of a facet's ``transformations``."""

    type: str
    subtype: str
    masking: bool = False
    description: str | None = None

    def then(self, later: Step) -> Step:
        """This step followed by ``later`` (an INDIRECT part makes the whole INDIRECT)."""
        if later is IDENTITY:
            return self
        if self is IDENTITY:
            return later
        if self.type == INDIRECT:
            return self
        if later.type == INDIRECT:
            return later
        subtype = self.subtype if _RANK.get(self.subtype, 1) >= _RANK.get(later.subtype, 1) else later.subtype
        masking = self.masking or later.masking
        if masking:
            description = (self.description if self.masking else None) or (later.description if later.masking else None)
        else:
            description = later.description or self.description
        if (subtype, masking, description) == (self.subtype, self.masking, self.description):
            return self
        return Step(DIRECT, subtype, masking, description)

    def to_dict(self) -> dict[str, Any]:
        """The facet form (``masking`` on DIRECT steps, as ``nbgov.sql`` writes it)."""
        return dict(_step_dict(self))


@functools.lru_cache(maxsize=512)
def _step_dict(step: Step) -> tuple[tuple[str, Any], ...]:
    out: list[tuple[str, Any]] = [("type", step.type), ("subtype", step.subtype)]
    if step.description:
        out.append(("description", step.description))
    if step.type == DIRECT:
        out.append(("masking", step.masking))
    return tuple(out)


IDENTITY = Step(DIRECT, "IDENTITY")
TRANSFORMATION = Step(DIRECT, "TRANSFORMATION")
AGGREGATION = Step(DIRECT, "AGGREGATION")


def _indirect(subtype: str) -> Step:
    return Step(INDIRECT, subtype)


FILTER, JOIN, GROUP_BY, SORT, CONDITIONAL = (_indirect(s) for s in ("FILTER", "JOIN", "GROUP_BY", "SORT", "CONDITIONAL"))
#: melt's ``variable`` column holds the names of the melted columns, not their values
_MELTED_NAMES = Step(INDIRECT, "GROUP_BY", False, "the names of the melted columns")


def _masked(description: str) -> Step:
    return Step(DIRECT, "TRANSFORMATION", True, description)


# ------------------------------------------------------------------ masking words
_MASK_TOKENS = frozenset({
    "hash", "hashed", "hashes", "hashing", "hasher", "digest", "hmac", "mask", "masked", "masking",
    "redact", "redacted", "redaction", "anonymize", "anonymise", "anonymized", "anonymised", "anonymizer",
    "pseudonymize", "pseudonymise", "pseudonymized", "pseudonymised", "pseudonym", "encrypt", "encrypted",
    "encryption", "obfuscate", "obfuscated", "scramble", "scrambled", "fingerprint", "crc32", "uuid3", "uuid5",
})
_MASK_PREFIX = re.compile(r"^(md5|sha\d|sha3|blake2|xxh|murmur|siphash|farmhash|cityhash)")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
#: modules every function of which masks
_MASKING_MODULES = frozenset({"hashlib", "hmac", "xxhash", "mmh3", "cryptography", "nacl"})


def is_masking_name(name: str) -> bool:
    """Whether a callable's name says it hashes, masks, redacts, anonymises or encrypts.

    The name's last dotted part is split into words (``_`` and camelCase): ``sha256``,
    ``hash_email``, ``maskPhone``, ``pseudonymize``, ``hash_pandas_object`` mask;
    ``hashtag_count`` and ``tokenize`` do not.
    """
    last = name.rsplit(".", 1)[-1]
    for word in _CAMEL.sub("_", last).lower().split("_"):
        if word in _MASK_TOKENS or _MASK_PREFIX.match(word):
            return True
    return False


def is_mask_literal(text: str) -> bool:
    """Whether a replacement string hides what it replaces: ``"*"``, ``"***"``, ``"XXXX"``,
    ``"[REDACTED]"``, ``r"\\1***"``."""
    t = text.strip()
    if not t:
        return False
    low = t.lower()
    if "redact" in low or "masked" in low or "***" in t or "###" in t or "•••" in t:
        return True
    return all(c in "*#•●xX" for c in t) and (any(c in "*#•●" for c in t) or len(t) >= 3)


# ------------------------------------------------------------------ symbolic values
class Root:
    """Where a frame value starts: a variable from before the cell (``name``), a reader
    call (``read``: ``name`` is the path or table literal, when there is one), a variable
    bound earlier in the cell (``local``), an intermediate value (``sym``), the frame a
    polars expression is evaluated on (``ctx``), or something not understood (``opaque``)."""

    __slots__ = ("frame", "kind", "name", "reader")

    def __init__(self, kind: str, name: str | None = None, frame: Frame | None = None, reader: str | None = None):
        self.kind = kind
        self.name = name
        self.frame = frame
        self.reader = reader

    def __repr__(self) -> str:
        return f"Root({self.kind}, {self.name!r})"


_CTX = Root("ctx")


class _Rest(tuple):  # type: ignore[type-arg]
    """A column reference standing for every column of a frame except these names
    (``melt`` without ``value_vars``; a ``pivot_table`` without ``values``)."""

    __slots__ = ()


Ref = tuple[Root, "str | int"]  # a column of a root (an int: by position)
Dep = tuple[Root, "str | int", Step]


@dataclass(eq=False)
class Frame:
    """A frame value: the frames its columns pass through from (``roots``, with ``through``),
    the columns the code derived explicitly (``cols``), and dataset-wide dependencies."""

    roots: tuple[Root, ...] = ()
    through: Step = IDENTITY
    cols: dict[str, tuple[Dep, ...]] = field(default_factory=dict)
    hidden: frozenset[str] = frozenset()
    keys: frozenset[str] = frozenset()
    dataset: tuple[Dep, ...] = ()
    suffixes: tuple[tuple[int, str], ...] = ()  # (root index, suffix) after merges
    affix: tuple[str, str] | None = None  # add_prefix / add_suffix
    positional: tuple[str, ...] | None = None  # df.columns = [...]
    grouped: bool = False
    selected: tuple[str, ...] | None = None
    #: where a column not otherwise explained comes from (pivoted columns, named by values)
    rest: tuple[Dep, ...] | None = None
    #: the columns a group-by aggregated, when the code selected them (``gb["x"].sum()``)
    measure: tuple[str, ...] | None = None

    @classmethod
    def of(cls, root: Root) -> Frame:
        return cls((root,))


@dataclass(eq=False)
class Column:
    """A column-like value (a Series, an expression, a scalar computed from columns)."""

    deps: tuple[Dep, ...] = ()
    rows: tuple[Dep, ...] = ()  # INDIRECT dependencies of the rows kept (filters)
    name: str | None = None
    accessor: bool = False


class _Indexer:
    __slots__ = ("frame", "kind")

    def __init__(self, frame: Frame | Column, kind: str):
        self.frame = frame
        self.kind = kind


Value = Frame | Column | _Indexer | None


def _direct_only(deps: Iterable[Dep], step: Step) -> tuple[Dep, ...]:
    return tuple((r, c, s.then(step) if s.type == DIRECT else s) for r, c, s in deps)


def _as_indirect(deps: Iterable[Dep], step: Step) -> tuple[Dep, ...]:
    return tuple((r, c, step) for r, c, _ in deps)


def _unique(deps: Iterable[Dep]) -> tuple[Dep, ...]:
    seen: dict[tuple[int, str | int, Step], Dep] = {}
    for d in deps:
        seen.setdefault((id(d[0]), d[1], d[2]), d)
    return tuple(seen.values())


def _is_bare(frame: Frame) -> bool:
    """A frame that only stands for its one root (nothing changed on the way)."""
    return (len(frame.roots) == 1 and frame.through is IDENTITY and not frame.cols and not frame.dataset
            and not frame.hidden and not frame.grouped and frame.affix is None and frame.positional is None
            and not frame.suffixes and not frame.keys and frame.rest is None and frame.measure is None)


def _as_root(frame: Frame) -> Root:
    """The root a value derived from ``frame`` passes through (no nesting for a bare root)."""
    if _is_bare(frame):
        return frame.roots[0]
    return Root("sym", frame=frame)


def _peel(frame: Frame) -> Frame:
    """The frame a bare frame (a variable, an unchanged copy) stands for, to read its keys."""
    for _ in range(_MAX_DEPTH):
        if not _is_bare(frame) or frame.roots[0].frame is None:
            break
        frame = frame.roots[0].frame
    return frame


def _derive(frame: Frame, **changes: Any) -> Frame:
    out = Frame((_as_root(frame),))
    for key, value in changes.items():
        setattr(out, key, value)
    return out


def _col(frame: Frame, name: str) -> Column:
    return Column(((_as_root(frame), name, IDENTITY),), name=name)


def _to_col(value: Value) -> Column:
    """A value used as a column (``df["x"] = value``)."""
    if isinstance(value, Column):
        return value
    if isinstance(value, _Indexer):
        return _to_col(value.frame)
    if isinstance(value, Frame):
        root = _as_root(value)
        names = value.selected or tuple(value.cols)
        deps = tuple((root, n, IDENTITY) for n in names)
        return Column(deps, name=names[0] if len(names) == 1 else None)
    return Column()


def _union(values: Iterable[Value], step: Step | None = None) -> Column:
    deps: list[Dep] = []
    rows: list[Dep] = []
    name = None
    for v in values:
        c = _to_col(v) if isinstance(v, (Frame, _Indexer)) else v
        if not isinstance(c, Column):
            continue
        deps += c.deps
        rows += c.rows
        name = name or c.name
    out = tuple(deps) if step is None else _direct_only(deps, step)
    return Column(_unique(out), _unique(rows), name)


def _rebase(value: Value, root: Root) -> Value:
    """Bind the polars ``pl.col`` references of an expression to the frame it runs on."""
    if isinstance(value, Column):
        if not any(r is _CTX for r, _, _ in value.deps) and not any(r is _CTX for r, _, _ in value.rows):
            return value
        def fix(deps: tuple[Dep, ...]) -> tuple[Dep, ...]:
            return tuple((root if r is _CTX else r, c, s) for r, c, s in deps)

        return Column(fix(value.deps), fix(value.rows), value.name, value.accessor)
    return value


# ------------------------------------------------------------------ the program
@dataclass(frozen=True)
class Write:
    """A write statement: what frame it wrote and where (a literal, or its tail)."""

    frame: Frame
    target: str | None
    tail: bool  # target is the end of the path only (``work / "x.parquet"``)
    method: str
    line: int


@dataclass(frozen=True)
class Read:
    """A reader call: the path / table / query literal it names."""

    target: str | None
    tail: bool
    reader: str


@dataclass(frozen=True)
class Program:
    """What the static pass learnt from one cell's source (immutable once built).

    Attributes:
        frames: the value of each variable the cell bound or changed, at the end.
        bound: how many times each variable was bound or changed.
        writes: the write statements, in order.
        reads: the reader calls, in order.
    """

    frames: Mapping[str, Frame | Column] = field(default_factory=dict)
    bound: Mapping[str, int] = field(default_factory=dict)
    writes: tuple[Write, ...] = ()
    reads: tuple[Read, ...] = ()


EMPTY = Program()

_MODULES = {"pd": "pandas", "pandas": "pandas", "np": "numpy", "numpy": "numpy", "pl": "polars",
            "polars": "polars", "hashlib": "hashlib", "hmac": "hmac", "re": "re", "math": "math"}
_BUILTINS = frozenset({"len", "print", "display", "isinstance", "type", "range", "enumerate", "zip", "sorted",
                       "min", "max", "sum", "list", "dict", "set", "tuple", "str", "int", "float", "bool", "repr",
                       "round", "abs", "any", "all", "map", "filter", "getattr", "hasattr", "id", "iter", "next",
                       "open", "format", "vars", "dir", "help", "object", "super", "True", "False", "None"})
_WRITERS = frozenset({"to_csv", "to_parquet", "to_json", "to_excel", "to_feather", "to_pickle", "to_sql", "to_hdf",
                      "to_orc", "to_stata", "to_xml", "write_csv", "write_parquet", "write_json", "write_ndjson",
                      "write_ipc", "write_ipc_stream", "write_excel", "write_database", "write_delta", "write_avro",
                      "sink_parquet", "sink_csv", "sink_ipc", "sink_ndjson"})
_TARGET_KWARGS = ("path", "path_or_buf", "excel_writer", "file", "name", "target", "table_name", "table", "fname",
                  "filepath_or_buffer", "source", "io", "sql", "uri")
_AGG = frozenset({"sum", "mean", "median", "min", "max", "count", "nunique", "n_unique", "std", "var", "first",
                  "last", "prod", "product", "size", "quantile", "sem", "describe", "mode", "any", "all", "idxmax",
                  "idxmin", "value_counts", "cumsum", "cumprod", "cummax", "cummin", "cumcount", "agg",
                  "aggregate", "len", "ohlc", "skew", "kurt", "mad", "nth", "implode", "arg_max", "arg_min"})
_PRESERVE = frozenset({"copy", "clone", "head", "tail", "sample", "reset_index", "set_index", "reindex", "drop",
                       "select_dtypes", "rename_axis", "infer_objects", "convert_dtypes", "lazy", "collect",
                       "to_pandas", "to_frame", "to_arrow", "truncate", "limit", "slice", "fetch",
                       "with_row_index", "with_row_count", "sort_index", "reindex_like", "set_axis", "swaplevel",
                       "droplevel", "to_series", "to_list", "tolist", "to_numpy", "values", "array", "view",
                       "from_pandas", "rechunk", "shrink_to_fit", "alias", "keep_name", "explode", "flatten",
                       "squeeze", "item", "compute", "persist", "cache", "df", "to_df"})
_ACCESSORS = frozenset({"str", "dt", "cat", "list", "arr", "struct", "bin", "sparse", "name", "meta"})
_ROW_FILTERS = frozenset({"dropna", "drop_duplicates", "unique", "drop_nulls", "drop_nans", "nlargest", "nsmallest",
                          "top_k", "bottom_k"})
_SORTS = frozenset({"sort_values", "sort", "nlargest", "nsmallest", "top_k", "bottom_k"})
_REPLACERS = frozenset({"replace", "replace_all", "slice_replace", "sub", "mask", "where", "fill_null", "pad"})
_FRAME_ATTRS = frozenset({"columns", "index", "shape", "dtypes", "dtype", "size", "ndim", "empty", "attrs", "axes",
                          "schema", "height", "width", "flags", "plot", "style", "sparse", "T"})


def _const_str(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _const_strs(node: ast.AST | None) -> tuple[str, ...] | None:
    """A string, or a list/tuple of strings, as a tuple."""
    s = _const_str(node)
    if s is not None:
        return (s,)
    if isinstance(node, (ast.List, ast.Tuple)):
        out = tuple(_const_str(e) for e in node.elts)
        if all(x is not None for x in out):
            return out  # type: ignore[return-value]
    return None


def _kw(call: ast.Call, *names: str) -> ast.AST | None:
    for kw in call.keywords:
        if kw.arg in names:
            return kw.value
    return None


def _arg(call: ast.Call, index: int, *names: str) -> ast.AST | None:
    if len(call.args) > index and not isinstance(call.args[index], ast.Starred):
        return call.args[index]
    return _kw(call, *names)


def _target(node: ast.AST | None) -> tuple[str | None, bool]:
    """A path or table literal (``"x.csv"``), or its literal tail (``work / "x.csv"``,
    ``f"{work}/x.csv"``, ``os.path.join(d, "x.csv")``, ``Path("x.csv")``)."""
    if node is None:
        return None, False
    s = _const_str(node)
    if s is not None:
        return s, False
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        tail = _const_str(node.right)
        return (tail, True) if tail else (None, False)
    if isinstance(node, ast.JoinedStr) and node.values:
        tail = _const_str(node.values[-1])
        if tail:
            tail = tail.lstrip("/\\")
            return (tail, True) if tail else (None, False)
        return None, False
    if isinstance(node, ast.Call) and node.args:
        name = _dotted(node.func) or ""
        if name.rsplit(".", 1)[-1] in ("Path", "PurePath", "join", "str", "fspath", "abspath", "expanduser"):
            inner, tail = _target(node.args[-1])
            return inner, tail or len(node.args) > 1
    return None, False


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def _mask_constant(node: ast.AST) -> bool:
    """A string constant that hides what it stands for (``"***"``, ``"[REDACTED]"``)."""
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value.strip()) >= 3 \
        and is_mask_literal(node.value)


def _has_mask_literal(call: ast.Call) -> bool:
    values = [*call.args, *(k.value for k in call.keywords)]
    return any(isinstance(v, ast.Constant) and isinstance(v.value, str) and is_mask_literal(v.value) for v in values)


class _Analyser:
    """The static pass over one cell (see the module docstring)."""

    def __init__(self, tree: ast.Module):
        self.env: dict[str, Frame | Column] = {}
        self.bound: dict[str, int] = {}
        self.writes: list[Write] = []
        self.reads: list[Read] = []
        self.modules = dict(_MODULES)
        self.params: list[dict[str, Value]] = []
        self.masking_defs: set[str] = set()
        self.depth = 0
        for node in ast.walk(tree):  # functions defined in the cell that hash or mask
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and self._masks_body(node):
                self.masking_defs.add(node.name)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    self.modules[(alias.asname or alias.name).split(".")[0]] = alias.name.split(".")[0] \
                        if alias.asname is None else alias.name
            elif isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    if node.module.split(".")[0] in ("pandas", "polars", "numpy") and alias.name[:1].islower():
                        self.modules[alias.asname or alias.name] = full  # `from pandas import util`
                    elif node.module.split(".")[0] in _MASKING_MODULES or is_masking_name(alias.name):
                        self.masking_defs.add(alias.asname or alias.name)

    # ---------------------------------------------------------------- statements
    def run(self, body: Sequence[ast.stmt]) -> None:
        for statement in body:
            self.statement(statement)

    def statement(self, s: ast.stmt) -> None:
        if isinstance(s, ast.Assign):
            if len(s.targets) == 1:
                self.assign(s.targets[0], s.value)
            else:
                value = self.ev(s.value)
                for t in s.targets:
                    self.assign_value(t, value)
        elif isinstance(s, ast.AnnAssign):
            if s.value is not None:
                self.assign(s.target, s.value)
        elif isinstance(s, ast.AugAssign):
            self.augassign(s)
        elif isinstance(s, ast.Expr):
            self.expression_statement(s.value)
        elif isinstance(s, ast.Delete):
            for t in s.targets:
                if isinstance(t, ast.Subscript) and isinstance(t.value, ast.Name):
                    names = _const_strs(t.slice)
                    if names:
                        frame = self.frame_var(t.value.id)
                        self.bind(t.value.id, _derive(frame, hidden=frozenset(names)))
                elif isinstance(t, ast.Name):
                    self.forget(t.id)
        elif isinstance(s, (ast.If, ast.While)):
            self.ev(s.test)
            self.run(s.body)
            self.run(s.orelse)
        elif isinstance(s, (ast.For, ast.AsyncFor)):
            self.ev(s.iter)
            for name in bound_names(s.target):
                self.forget(name)
            self.run(s.body)
            self.run(s.orelse)
        elif isinstance(s, (ast.With, ast.AsyncWith)):
            for item in s.items:
                self.ev(item.context_expr)
                if item.optional_vars is not None:
                    for name in bound_names(item.optional_vars):
                        self.forget(name)
            self.run(s.body)
        elif isinstance(s, ast.Try) or type(s).__name__ == "TryStar":
            self.run(s.body)  # type: ignore[attr-defined]
            for handler in s.handlers:  # type: ignore[attr-defined]
                self.run(handler.body)
            self.run(s.orelse)  # type: ignore[attr-defined]
            self.run(s.finalbody)  # type: ignore[attr-defined]
        elif isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            self.forget(s.name)

    def bind(self, name: str, value: Value) -> None:
        self.bound[name] = self.bound.get(name, 0) + 1
        if isinstance(value, (Frame, Column)):
            self.env[name] = value
        elif isinstance(value, _Indexer):
            self.env[name] = _to_col(value)
        else:
            self.env.pop(name, None)

    def forget(self, name: str) -> None:
        self.bound[name] = self.bound.get(name, 0) + 1
        self.env.pop(name, None)

    def frame_var(self, name: str) -> Frame:
        """The frame a variable holds now, as a root to derive its next state from."""
        value = self.env.get(name)
        if isinstance(value, Frame):
            return Frame.of(Root("local", name, value))
        return Frame.of(Root("name", name))

    def assign(self, target: ast.expr, value_node: ast.expr) -> None:
        if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value_node, (ast.Tuple, ast.List)) \
                and len(target.elts) == len(value_node.elts):
            values = [self.ev(v) for v in value_node.elts]
            for t, v in zip(target.elts, values):
                self.assign_value(t, v)
            return
        self.assign_value(target, self.ev(value_node), value_node)

    def assign_value(self, target: ast.expr, value: Value, value_node: ast.expr | None = None) -> None:
        if isinstance(target, ast.Name):
            self.bind(target.id, value)
        elif isinstance(target, (ast.Tuple, ast.List, ast.Starred)):
            for name in bound_names(target):
                self.forget(name)
        elif isinstance(target, ast.Subscript):
            self.set_columns(target, value)
        elif isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            var = target.value.id
            if target.attr == "columns" and value_node is not None:
                names = _const_strs(value_node)
                if names is not None and isinstance(value_node, (ast.List, ast.Tuple)):
                    self.bind(var, _derive(self.frame_var(var), positional=names))
                else:
                    self.bind(var, _derive(self.frame_var(var), positional=()))  # unknown names: none pass by name

    def set_columns(self, target: ast.Subscript, value: Value, *, augmented: bool = False) -> None:
        """``df["x"] = v``, ``df[["a", "b"]] = v``, ``df.loc[rows, "x"] = v`` (and ``df["x"] *= v``,
        ``df.loc[rows, "x"] += v`` when ``augmented``: the old values are transformed)."""
        base = target.value
        rows: Column | None = None
        partial = False
        key = target.slice
        if isinstance(base, ast.Attribute) and base.attr in ("loc", "iloc", "at", "iat") and isinstance(base.value,
                                                                                                          ast.Name):
            var = base.value.id
            if isinstance(key, ast.Tuple) and len(key.elts) == 2:
                row_sel, key = key.elts
                if not (isinstance(row_sel, ast.Slice) and row_sel.lower is None and row_sel.upper is None):
                    partial = True
                    cond = self.ev(row_sel)
                    rows = cond if isinstance(cond, Column) else None
            else:
                return  # df.loc[rows] = …: whole rows replaced, columns unknown
        elif isinstance(base, ast.Name):
            var = base.id
        else:
            return
        names = _const_strs(key)
        if not names:
            return
        current = self.frame_var(var)
        cols: dict[str, tuple[Dep, ...]] = {}
        for name in names:
            if isinstance(value, Frame) and len(names) > 1:
                col = _col(value, name)
            else:
                col = _to_col(value)
            deps = col.deps
            if augmented:  # x op= v: x's values are changed by v
                deps = _direct_only((*_col(current, name).deps, *deps), TRANSFORMATION)
            if partial:  # only some rows change: the old values stay in the others, changed
                deps = (*_direct_only(_col(current, name).deps, TRANSFORMATION), *_direct_only(deps, TRANSFORMATION))
                if rows is not None:
                    deps = (*deps, *_as_indirect(rows.deps, CONDITIONAL))
            cols[name] = _unique((*deps, *col.rows))
        self.bind(var, _derive(current, cols=cols))

    def augassign(self, s: ast.AugAssign) -> None:
        value = self.ev(s.value)
        target = s.target
        if isinstance(target, ast.Subscript):  # df["x"] *= 2, df.loc[mask, "x"] += v
            self.set_columns(target, value, augmented=True)
        elif isinstance(target, ast.Name):
            old = self.env.get(target.id)
            if isinstance(old, Column) or isinstance(value, Column):
                self.bind(target.id, _union([old if old is not None else Column(), value], TRANSFORMATION))
            elif isinstance(old, Frame):
                self.bind(target.id, _derive(Frame.of(Root("local", target.id, old)), through=TRANSFORMATION))
            else:
                self.forget(target.id)

    def expression_statement(self, node: ast.expr) -> None:
        """A call for its effect: writes are recorded by :meth:`ev`; ``inplace=True`` and
        ``df.insert(…)`` change the variable."""
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and isinstance(node.func.value,
                                                                                               ast.Name):
            var, method = node.func.value.id, node.func.attr
            if var not in self.modules:
                inplace = _kw(node, "inplace")
                if isinstance(inplace, ast.Constant) and inplace.value is True:
                    result = self.frame_method(self.frame_var(var), method, node)
                    if isinstance(result, Frame):
                        self.bind(var, result)
                    return
                if method == "insert":
                    name = _const_str(_arg(node, 1, "column"))
                    value = _arg(node, 2, "value")
                    if name is not None and value is not None:
                        col = _to_col(self.ev(value))
                        self.bind(var, _derive(self.frame_var(var), cols={name: col.deps}))
                    return
                if method == "update":
                    other = self.ev(_arg(node, 0, "other")) if _arg(node, 0, "other") is not None else None
                    if isinstance(other, Frame):
                        self.bind(var, Frame((Root("local", var, self.env[var]) if isinstance(
                            self.env.get(var), Frame) else Root("name", var), _as_root(other)), through=TRANSFORMATION))
                    return
        self.ev(node)

    # ---------------------------------------------------------------- expressions
    def ev(self, node: ast.AST | None) -> Value:
        if node is None:
            return None
        self.depth += 1
        try:
            if self.depth > 200:
                return None
            return self._ev(node)
        finally:
            self.depth -= 1

    def _ev(self, node: ast.AST) -> Value:
        if isinstance(node, ast.Name):
            for scope in reversed(self.params):
                if node.id in scope:
                    return scope[node.id]
            value = self.env.get(node.id)
            if isinstance(value, Frame):
                return Frame.of(Root("local", node.id, value))
            if value is not None:
                return value
            if node.id in self.modules or node.id in _BUILTINS:
                return None
            return Frame.of(Root("name", node.id))
        if isinstance(node, ast.Constant):
            return None
        if isinstance(node, ast.Attribute):
            return self.attribute(node)
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, ast.BinOp):
            left, right = self.ev(node.left), self.ev(node.right)
            if isinstance(node.op, ast.Add) and any(_mask_constant(side) for side in (node.left, node.right)):
                return _union([left, right], _masked("mask literal"))  # v.str[:2] + "***"
            if isinstance(left, Frame) and isinstance(right, Frame) and not (left.selected or right.selected):
                return Frame((_as_root(left), _as_root(right)), through=TRANSFORMATION)
            if isinstance(left, Frame) and not left.selected and not isinstance(right, (Frame, Column)):
                return _derive(left, through=TRANSFORMATION)  # df * 2
            return _union([left, right], TRANSFORMATION)
        if isinstance(node, ast.UnaryOp):
            value = self.ev(node.operand)
            if isinstance(value, Frame) and not value.selected:
                return _derive(value, through=TRANSFORMATION)
            return _union([value], TRANSFORMATION)
        if isinstance(node, (ast.Compare, ast.BoolOp)):
            parts = [node.left, *node.comparators] if isinstance(node, ast.Compare) else node.values
            return _union([self.ev(p) for p in parts], TRANSFORMATION)
        if isinstance(node, ast.IfExp):
            test = _to_col(self.ev(node.test))
            branches = _union([self.ev(node.body), self.ev(node.orelse)], TRANSFORMATION)
            return Column(_unique((*branches.deps, *_as_indirect(test.deps, CONDITIONAL))), branches.rows,
                          branches.name)
        if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
            return _union([self.ev(e) for e in node.elts])
        if isinstance(node, ast.Dict):
            return _union([self.ev(v) for v in node.values])
        if isinstance(node, ast.JoinedStr):
            return _union([self.ev(v.value) for v in node.values if isinstance(v, ast.FormattedValue)],
                          TRANSFORMATION)
        if isinstance(node, ast.Lambda):
            return None
        if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp, ast.DictComp)):
            return _union([self.ev(g.iter) for g in node.generators], TRANSFORMATION)
        if isinstance(node, ast.Starred):
            return self.ev(node.value)
        if isinstance(node, ast.NamedExpr):
            value = self.ev(node.value)
            self.bind(node.target.id, value)
            return value
        if isinstance(node, ast.Await):
            return self.ev(node.value)
        return None

    def attribute(self, node: ast.Attribute) -> Value:
        base = self.ev(node.value)
        attr = node.attr
        if isinstance(base, Frame):
            if attr in ("loc", "iloc", "at", "iat"):
                return _Indexer(base, attr)
            if base.grouped:
                return _derive_group(base, selected=(attr,))
            if attr in _FRAME_ATTRS or attr.startswith("_"):
                return None
            if attr in ("values", "to_numpy", "array"):
                return _to_col(base) if base.selected else _derive(base)
            return _col(base, attr)
        if isinstance(base, Column):
            if attr in ("loc", "iloc", "at", "iat"):
                return _Indexer(base, attr)
            if attr in _ACCESSORS:
                return Column(base.deps, base.rows, base.name, True)
            return base
        return None

    def subscript(self, node: ast.Subscript) -> Value:
        base = self.ev(node.value)
        key = node.slice
        if isinstance(base, _Indexer):
            return self.indexer(base, key)
        if isinstance(base, Frame):
            names = _const_strs(key)
            if base.grouped:
                return _derive_group(base, selected=names) if names else base
            single = _const_str(key)
            if single is not None:
                return _col(base, single)
            if names is not None:
                return _derive(base, selected=names)
            if isinstance(key, ast.Slice):
                return _derive(base)
            cond = self.ev(key)
            if isinstance(cond, Column) and (cond.deps or cond.rows):
                return _derive(base, dataset=_unique((*_as_indirect(cond.deps, FILTER), *cond.rows)))
            return _derive(base)
        if isinstance(base, Column):
            cond = self.ev(key)
            if isinstance(cond, Column) and (cond.deps or cond.rows):
                return Column(base.deps, _unique((*base.rows, *_as_indirect(cond.deps, FILTER), *cond.rows)),
                              base.name)
            if base.accessor:
                return Column(_direct_only(base.deps, TRANSFORMATION), base.rows, base.name)
            return base
        return None

    def indexer(self, ix: _Indexer, key: ast.AST) -> Value:
        rows_sel, cols_sel = (key.elts[0], key.elts[1]) if isinstance(key, ast.Tuple) and len(key.elts) == 2 \
            else (key, None)
        base = ix.frame
        rows: tuple[Dep, ...] = ()
        if not isinstance(rows_sel, ast.Slice):
            cond = self.ev(rows_sel)
            if isinstance(cond, Column):
                rows = (*_as_indirect(cond.deps, FILTER), *cond.rows)
        if isinstance(base, Column):
            return Column(base.deps, _unique((*base.rows, *rows)), base.name)
        if cols_sel is None:
            return _derive(base, dataset=_unique(rows))
        single = _const_str(cols_sel)
        if single is not None and ix.kind == "loc":
            col = _col(base, single)
            return Column(col.deps, _unique(rows), single)
        names = _const_strs(cols_sel)
        if names is not None and ix.kind == "loc":
            return _derive(base, selected=names, dataset=_unique(rows))
        return _derive(base, dataset=_unique(rows))

    # ---------------------------------------------------------------- calls
    def call(self, node: ast.Call) -> Value:
        func = node.func
        if isinstance(func, ast.Attribute):
            module = self.module_of(func.value)
            if module is not None:
                return self.module_call(module, func.attr, node)
            receiver = self.ev(func.value)
            if isinstance(receiver, Frame):
                return self.frame_method(receiver, func.attr, node)
            if isinstance(receiver, Column):
                return self.column_method(receiver, func.attr, node)
            if isinstance(receiver, _Indexer):
                return None
            return self.opaque(node, func.attr)
        if isinstance(func, ast.Name):
            return self.function(func.id, node)
        return self.opaque(node, None)

    def module_of(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Name):
            if any(node.id in scope for scope in self.params) or node.id in self.env:
                return None
            return self.modules.get(node.id)
        if isinstance(node, ast.Attribute):
            base = self.module_of(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    def args(self, node: ast.Call) -> list[Value]:
        return [self.ev(a) for a in node.args] + [self.ev(k.value) for k in node.keywords]

    def opaque(self, node: ast.Call, name: str | None) -> Value:
        """A call nbgov does not know: frames in, a frame out (columns keep their names)."""
        values = self.args(node)
        frames = [v for v in values if isinstance(v, Frame) and not v.selected]
        if name is not None and (name in self.masking_defs or is_masking_name(name)):
            if frames:
                return Frame(tuple(_as_root(f) for f in frames), through=_masked(name))
            return _union(values, _masked(name))
        if frames:
            return Frame(tuple(_as_root(f) for f in frames), through=TRANSFORMATION)
        col = _union(values, TRANSFORMATION)
        if col.deps or col.rows:
            return col
        return Frame.of(Root("opaque", name))

    def function(self, name: str, node: ast.Call) -> Value:
        for scope in reversed(self.params):
            if name in scope:
                return self.opaque(node, None)
        if name == "hash" or name in self.masking_defs or is_masking_name(name):
            values = self.args(node)
            return _union(values, _masked(name))
        if name in ("len", "print", "display", "isinstance", "type", "id", "repr", "open", "range", "help"):
            self.args(node)  # writes inside still count
            return None
        if name in ("str", "int", "float", "bool", "round", "abs", "list", "tuple", "sorted", "reversed"):
            return _union(self.args(node), TRANSFORMATION)
        if name in ("min", "max", "sum", "any", "all"):
            return _union(self.args(node), AGGREGATION)
        value = self.env.get(name)
        if value is not None:
            return self.opaque(node, None)
        full = self.modules.get(name, "")
        if "." in full:  # from pandas import read_csv, merge
            module, _, fn = full.rpartition(".")
            return self.module_call(module, fn, node)
        return self.opaque(node, name)

    def fn_masks(self, node: ast.AST | None) -> str | None:
        """The masking function a callable argument names (``hash``, ``sha256``, a lambda
        hashing its argument, a function defined in the cell that hashes), or None."""
        if node is None:
            return None
        name = _dotted(node)
        if name is not None:
            root = name.split(".")[0]
            if name == "hash" or name in self.masking_defs or is_masking_name(name) or \
                    self.modules.get(root, root) in _MASKING_MODULES:
                return name
            return None
        if isinstance(node, ast.Lambda) and self._masks_body(node):
            return "lambda"
        if isinstance(node, ast.Call):  # functools.partial(hash_value, salt=…)
            return self.fn_masks(node.args[0] if node.args else None) if (_dotted(node.func) or "").endswith(
                "partial") else None
        return None

    def _masks_body(self, fn: ast.AST) -> bool:
        """Whether a function or lambda hashes or masks what it returns: it calls a masking
        function, replaces with a mask literal, or glues one to the value (``v[:2] + "***"``)."""
        for sub in ast.walk(fn):
            if isinstance(sub, ast.Call):
                name = _dotted(sub.func) or (sub.func.attr if isinstance(sub.func, ast.Attribute) else "")
                root = name.split(".")[0] if name else ""
                if name == "hash" or (name and is_masking_name(name)) or self.modules.get(root, root) in \
                        _MASKING_MODULES or (name.endswith(("sub", "replace")) and _has_mask_literal(sub)):
                    return True
            elif isinstance(sub, ast.BinOp) and isinstance(sub.op, (ast.Add, ast.Mod)):
                for side in (sub.left, sub.right):
                    if isinstance(side, ast.Constant) and isinstance(side.value, str) and is_mask_literal(side.value):
                        return True
            elif isinstance(sub, ast.JoinedStr) and any(
                    isinstance(v, ast.Constant) and isinstance(v.value, str) and "***" in v.value for v in sub.values):
                return True
        return False

    def with_params(self, fn: ast.AST | None, *values: Value) -> Value:
        """Evaluate a lambda's body with its parameters bound to ``values``."""
        if not isinstance(fn, ast.Lambda):
            return None
        names = [a.arg for a in fn.args.args]
        self.params.append(dict(zip(names, values)))
        try:
            return self.ev(fn.body)
        finally:
            self.params.pop()

    # ---------------------------------------------------------------- module functions
    def module_call(self, module: str, fn: str, node: ast.Call) -> Value:
        top = module.split(".")[0]
        if top in _MASKING_MODULES or is_masking_name(fn):
            return self._mask_values(self.args(node), f"{module}.{fn}")
        if top in ("pandas", "polars"):
            if fn.startswith(("read_", "scan_")) or fn in ("from_csv", "from_parquet"):
                first = _arg(node, 0, *_TARGET_KWARGS)
                target, tail = _target(first)
                if target is None and fn == "read_sql" and first is not None:
                    target = _const_str(first)
                self.reads.append(Read(target, tail, fn))
                self.args(node)
                return Frame.of(Root("read", target, reader=fn))
            if fn == "merge":
                left, right = self.ev(_arg(node, 0, "left")), self.ev(_arg(node, 1, "right"))
                return self.merge(left, right, node, skip=2)
            if fn == "concat":
                items = _arg(node, 0, "objs", "items")
                values = [self.ev(e) for e in items.elts] if isinstance(items, (ast.List, ast.Tuple)) else []
                frames = [v for v in values if isinstance(v, Frame)]
                cols = [v for v in values if isinstance(v, Column)]
                if frames:
                    out = Frame(tuple(_as_root(f) for f in frames))
                    for c in cols:
                        if c.name:
                            out.cols[c.name] = c.deps
                    return out
                if cols:
                    return _union(cols)
                return None
            if fn in ("DataFrame", "LazyFrame", "from_dict", "from_records"):
                data = _arg(node, 0, "data")
                if isinstance(data, ast.Dict):
                    out = Frame()
                    for k, v in zip(data.keys, data.values):
                        name = _const_str(k)
                        if name is not None:
                            col = _to_col(self.ev(v))
                            out.cols[name] = col.deps
                    return out
                value = self.ev(data)
                if isinstance(value, Frame):
                    names = _const_strs(_kw(node, "columns"))
                    return _derive(value, selected=names) if names else _derive(value)
                return None
            if fn == "col" and top == "polars":
                names = [n for a in node.args for n in (_const_strs(a) or ())]
                return Column(tuple((_CTX, n, IDENTITY) for n in names), name=names[0] if names else None)
            if fn in ("when",):
                cond = _union(self.args(node))
                return Column(_as_indirect(cond.deps, CONDITIONAL), cond.rows, cond.name)
            if fn == "lit":
                return None
            if fn in _AGG and top == "polars":
                names = [n for a in node.args for n in (_const_strs(a) or ())]
                if names:
                    return Column(tuple((_CTX, n, AGGREGATION) for n in names), name=names[0])
                return _union(self.args(node), AGGREGATION)
            if fn in ("pivot_table", "pivot"):
                return self.pivot(_to_frame(self.ev(_arg(node, 0, "data"))), node, fn, skip=1)
            if fn == "melt":
                return self.melt(_to_frame(self.ev(_arg(node, 0, "frame"))), node, fn, skip=1)
            if fn == "crosstab":
                return self.crosstab(node)
            return self.opaque(node, None)
        if top == "numpy":
            if fn in ("where", "select"):
                cond = _to_col(self.ev(_arg(node, 0, "condition", "condlist")))
                rest = _union([self.ev(a) for a in node.args[1:]] + [self.ev(k.value) for k in node.keywords],
                              TRANSFORMATION)
                return Column(_unique((*rest.deps, *_as_indirect(cond.deps, CONDITIONAL))), rest.rows, rest.name)
            if fn in _AGG:
                return _union(self.args(node), AGGREGATION)
            return _union(self.args(node), TRANSFORMATION)
        if top == "re" and fn in ("sub", "subn") and _has_mask_literal(node):
            return self._mask_values(self.args(node), "re.sub")
        if top in ("re", "math", "datetime", "string", "json", "base64", "urllib", "os", "pathlib"):
            return _union(self.args(node), TRANSFORMATION)
        return self.opaque(node, fn)

    def _mask_values(self, values: list[Value], name: str) -> Value:
        frames = [v for v in values if isinstance(v, Frame) and not v.selected]
        if frames:  # pd.util.hash_pandas_object(df): one hash per row of all its columns
            return Column(tuple((_as_root(f), "*", _masked(name)) for f in frames))
        return _union(values, _masked(name))

    # ---------------------------------------------------------------- frame methods
    def frame_method(self, frame: Frame, method: str, node: ast.Call, *, skip: int = 0) -> Value:
        if method in _WRITERS:
            target, tail = _target(_arg(node, skip, *_TARGET_KWARGS))
            self.writes.append(Write(frame, target, tail, method, getattr(node, "lineno", 0)))
            for a in node.args[skip + 1:]:
                self.ev(a)
            return None
        if frame.grouped:
            return self.group_method(frame, method, node)
        if method == "assign":
            return self.assign_columns(frame, node)
        if method in ("with_columns", "with_column"):
            return self.polars_columns(frame, node, keep=True)
        if method == "select":
            names = [n for a in node.args for n in (_const_strs(a) or ())]
            if names and len(names) == len(node.args) and not node.keywords:
                return _derive(frame, selected=tuple(names))
            return self.polars_columns(frame, node, keep=False)
        if method == "rename":
            return self.rename(frame, node)
        if method in ("add_prefix", "add_suffix"):
            text = _const_str(_arg(node, 0, "prefix", "suffix"))
            if text is None:
                return _derive(frame, positional=())
            return _derive(frame, affix=(text, "") if method == "add_prefix" else ("", text))
        if method in ("merge", "join", "join_asof", "merge_asof", "merge_ordered"):
            other = self.ev(_arg(node, 0, "right", "other"))
            return self.merge(frame, other, node, skip=1, join=method.startswith("join"))
        if method in ("groupby", "group_by", "group_by_dynamic", "rolling", "resample", "partition_by"):
            return self.group(frame, node)
        if method == "query":
            words = _words(_const_str(_arg(node, 0, "expr")) or "")
            root = _as_root(frame)
            return _derive(frame, dataset=tuple((root, w, FILTER) for w in words))
        if method == "filter":
            if any(k.arg in ("items", "like", "regex") for k in node.keywords):
                names = _const_strs(_kw(node, "items"))
                return _derive(frame, selected=names) if names else _derive(frame)
            root = _as_root(frame)
            conds = [_rebase(self.ev(a), root) for a in [*node.args, *(k.value for k in node.keywords)]]
            cond = _union(conds)
            return _derive(frame, dataset=_unique((*_as_indirect(cond.deps, FILTER), *cond.rows)))
        if method in _ROW_FILTERS or method in _SORTS:
            root = _as_root(frame)
            names = _const_strs(_kw(node, "subset", "by", "columns")) or (
                _const_strs(node.args[0]) if node.args and method in _SORTS | {"nlargest", "nsmallest"} else None)
            if method in ("nlargest", "nsmallest") and names is None and len(node.args) > 1:
                names = _const_strs(node.args[1])
            if method in _SORTS and names is None and node.args:  # polars sort(pl.col("x"))
                key = _rebase(self.ev(node.args[0]), root)
                names = tuple(r for _, r, _ in _to_col(key).deps if isinstance(r, str)) or None
            step = SORT if method in _SORTS and method not in ("nlargest", "nsmallest", "top_k", "bottom_k") \
                else FILTER
            deps = tuple((root, n, step) for n in names or ())
            if method in ("nlargest", "nsmallest", "top_k", "bottom_k"):
                deps = (*deps, *((root, n, SORT) for n in names or ()))
            return _derive(frame, dataset=deps)
        if method in _PRESERVE:
            if method == "drop":
                names = _const_strs(_kw(node, "columns")) or (
                    _const_strs(node.args[0]) if node.args and _kw(node, "axis") is not None else None)
                return _derive(frame, hidden=frozenset(names or ()))
            self.args(node)
            return _derive(frame)
        if method in ("apply", "map", "applymap", "transform", "map_rows", "map_batches", "pipe", "map_elements",
                      "agg", "aggregate"):
            fn = _arg(node, 0, "func", "function", "f", "arg")
            masked = self.fn_masks(fn)
            axis = _kw(node, "axis")
            if masked:
                return _derive(frame, through=_masked(masked))
            if method in ("agg", "aggregate"):
                if isinstance(fn, ast.Dict):
                    out = _derive(frame, through=AGGREGATION)
                    root = _as_root(frame)
                    for k in fn.keys:
                        name = _const_str(k)
                        if name is not None:
                            out.cols[name] = ((root, name, AGGREGATION),)
                    return out
                return _derive(frame, through=AGGREGATION)
            if isinstance(axis, ast.Constant) and axis.value in (1, "columns") and isinstance(fn, ast.Lambda):
                row = Frame.of(_as_root(frame))
                return _union([self.with_params(fn, row)], TRANSFORMATION)
            return _derive(frame, through=TRANSFORMATION)
        if method in _REPLACERS or method in ("replace", "fillna", "astype", "cast"):
            if method in ("where", "mask") and node.args:
                cond = _to_col(self.ev(node.args[0]))
                out = _derive(frame, through=_masked(method) if _has_mask_literal(node) else TRANSFORMATION)
                out.dataset = _as_indirect(cond.deps, CONDITIONAL)
                return out
            return _derive(frame, through=_masked(method) if _has_mask_literal(node) else TRANSFORMATION)
        if method in ("pivot_table", "pivot"):
            return self.pivot(frame, node, method)
        if method == "eval":
            text = _const_str(_arg(node, 0, "expr")) or ""
            lhs, sep, rhs = text.partition("=")
            root = _as_root(frame)
            if sep and "=" not in rhs[:1] and lhs.strip().isidentifier():
                deps = tuple((root, w, TRANSFORMATION) for w in _words(rhs))
                return _derive(frame, cols={lhs.strip(): deps})
            return Column(tuple((root, w, TRANSFORMATION) for w in _words(text)))
        if method in ("get", "pop", "__getitem__"):
            name = _const_str(_arg(node, 0, "key", "item", "name"))
            return _col(frame, name) if name is not None else None
        if method in _AGG:
            axis = _kw(node, "axis")
            if isinstance(axis, ast.Constant) and axis.value in (1, "columns"):
                return _union([_to_col(frame) if frame.selected else Column()], TRANSFORMATION)
            return _derive(frame, through=AGGREGATION)
        if method in ("melt", "unpivot"):
            return self.melt(frame, node, method)
        if method == "unstack":  # the last index level's values become columns: they hold the values
            inner = _peel(frame)
            root = _as_root(frame)
            measure = inner.measure or inner.selected
            rest = tuple((root, m, TRANSFORMATION) for m in measure) if measure else (
                (root, _Rest(tuple(sorted(inner.keys))), TRANSFORMATION),)
            return _derive(frame, through=TRANSFORMATION, keys=inner.keys, rest=rest)
        if method in ("stack", "transpose", "explode", "wide_to_long"):
            ids = _const_strs(_kw(node, "id_vars", "index"))
            out = _derive(frame, through=TRANSFORMATION)
            if ids:
                out.keys = frozenset(ids)
            return out
        if method in ("isin", "isna", "notna", "isnull", "notnull", "duplicated", "is_duplicated", "is_unique"):
            self.args(node)
            return _union([_to_col(frame)], TRANSFORMATION)
        self.args(node)
        return _derive(frame, through=TRANSFORMATION)

    def assign_columns(self, frame: Frame, node: ast.Call) -> Frame:
        out = _derive(frame)
        for kw in node.keywords:
            items: list[tuple[str, ast.AST]] = []
            if kw.arg is None and isinstance(kw.value, ast.Dict):
                items = [(_const_str(k), v) for k, v in zip(kw.value.keys, kw.value.values)
                         if _const_str(k) is not None]  # type: ignore[misc]
            elif kw.arg is not None:
                items = [(kw.arg, kw.value)]
            for name, value_node in items:
                if isinstance(value_node, ast.Lambda):  # the lambda sees the frame with earlier assignments
                    current = Frame((Root("sym", frame=_snapshot(out)),))
                    value = self.with_params(value_node, current)
                else:
                    value = self.ev(value_node)
                col = _to_col(value)
                out.cols[name] = _unique((*col.deps, *col.rows))
        return out

    def polars_columns(self, frame: Frame, node: ast.Call, *, keep: bool) -> Frame:
        root = _as_root(frame)
        out = _derive(frame) if keep else Frame()
        items: list[tuple[str | None, ast.AST]] = []
        for a in node.args:
            elts = a.elts if isinstance(a, (ast.List, ast.Tuple)) else [a]
            items += [(None, e) for e in elts]
        items += [(k.arg, k.value) for k in node.keywords if k.arg is not None]
        for name, value_node in items:
            single = _const_str(value_node)
            if single is not None:
                col = Column(((root, single, IDENTITY),), name=single)
            else:
                col = _to_col(_rebase(self.ev(value_node), root))
            target = name or col.name
            if target is None:
                continue
            out.cols[target] = _unique((*col.deps, *col.rows))
        return out

    def rename(self, frame: Frame, node: ast.Call) -> Frame:
        mapping = _kw(node, "columns")
        if mapping is None and node.args:
            axis = _kw(node, "axis")
            index_axis = isinstance(axis, ast.Constant) and axis.value in (0, "index", "rows")
            mapping = None if index_axis else node.args[0]
        if mapping is None:
            mapping = _kw(node, "mapper")
        if isinstance(mapping, ast.Dict):
            root = _as_root(frame)
            cols: dict[str, tuple[Dep, ...]] = {}
            olds = set()
            for k, v in zip(mapping.keys, mapping.values):
                old, new = _const_str(k), _const_str(v)
                if old is not None and new is not None:
                    cols[new] = ((root, old, IDENTITY),)
                    olds.add(old)
            return _derive(frame, cols=cols, hidden=frozenset(olds - set(cols)))
        if mapping is None:
            return _derive(frame)
        return _derive(frame, positional=())  # a function renames: names no longer match

    def merge(self, left: Value, right: Value, node: ast.Call, *, skip: int, join: bool = False) -> Value:
        if not isinstance(left, Frame) or not isinstance(right, Frame):
            frames = [v for v in (left, right) if isinstance(v, Frame)]
            return Frame(tuple(_as_root(f) for f in frames), through=TRANSFORMATION) if frames else None
        lroot, rroot = _as_root(left), _as_root(right)
        on = _const_strs(_kw(node, "on"))
        lkeys = _const_strs(_kw(node, "left_on")) or on or ()
        rkeys = _const_strs(_kw(node, "right_on")) or on or ()
        if join and not lkeys:  # pandas join(on=…) / polars join(other, "id")
            lkeys = rkeys = _const_strs(_arg(node, skip, "on")) or ()
        dataset = tuple((lroot, k, JOIN) for k in lkeys) + tuple((rroot, k, JOIN) for k in rkeys)
        suffixes: list[tuple[int, str]] = []
        given = _kw(node, "suffixes")
        if isinstance(given, (ast.List, ast.Tuple)) and len(given.elts) == 2:
            for i, e in enumerate(given.elts):
                s = _const_str(e)
                if s is not None:
                    suffixes.append((i, s))
        elif not join:
            suffixes += [(0, "_x"), (1, "_y")]
        for i, kw in ((0, "lsuffix"), (1, "rsuffix"), (1, "suffix")):
            s = _const_str(_kw(node, kw))
            if s:
                suffixes.append((i, s))
        if join and not any(i == 1 for i, _ in suffixes):
            suffixes.append((1, "_right"))  # polars' default
        if join and not any(i == 0 for i, _ in suffixes):
            suffixes.append((0, ""))  # the left side keeps its names
        keys = frozenset(lkeys) & frozenset(rkeys) if lkeys == rkeys else frozenset()
        return Frame((lroot, rroot), dataset=dataset, suffixes=tuple(suffixes), keys=keys)

    def group(self, frame: Frame, node: ast.Call) -> Frame:
        root = _as_root(frame)
        keys: list[str] = []
        deps: list[Dep] = []
        for a in [*node.args[:1], *(k.value for k in node.keywords if k.arg in ("by", "keys", "level", "key"))]:
            names = _const_strs(a)
            if names is not None:
                keys += names
                continue
            value = _rebase(self.ev(a), root)
            col = _to_col(value)
            keys += [c for _, c, s in col.deps if isinstance(c, str) and s.subtype == "IDENTITY"]
            deps += _as_indirect(col.deps, GROUP_BY)
        for a in node.args[1:]:  # polars group_by("a", "b")
            names = _const_strs(a)
            if names:
                keys += names
        dataset = (*((root, k, GROUP_BY) for k in keys), *deps)
        return Frame((root,), keys=frozenset(keys), dataset=_unique(dataset), grouped=True)

    def group_method(self, gb: Frame, method: str, node: ast.Call) -> Value:
        root = gb.roots[0]
        if method in ("agg", "aggregate"):
            out = _ungroup(gb, AGGREGATION)
            fn = _arg(node, 0, "func", "arg")
            for kw in node.keywords:  # named aggregation: total=("amount", "sum")
                if kw.arg is None or kw.arg in ("func", "arg"):
                    continue
                spec = kw.value
                column = None
                if isinstance(spec, ast.Tuple) and spec.elts:
                    column = _const_str(spec.elts[0])
                elif isinstance(spec, ast.Call) and (_dotted(spec.func) or "").endswith("NamedAgg"):
                    column = _const_str(_arg(spec, 0, "column"))
                if column is not None:
                    out.cols[kw.arg] = ((root, column, AGGREGATION),)
                else:  # polars: total=pl.col("amount").sum()
                    col = _to_col(_rebase(self.ev(spec), root))
                    out.cols[kw.arg] = _direct_only(col.deps, AGGREGATION)
            if isinstance(fn, ast.Dict):
                for k in fn.keys:
                    name = _const_str(k)
                    if name is not None:
                        out.cols[name] = ((root, name, AGGREGATION),)
            elif fn is not None and gb.selected and len(gb.selected) == 1 and _const_strs(fn):
                for name in _const_strs(fn) or ():  # gb["amount"].agg(["sum", "mean"]): columns sum, mean
                    if isinstance(fn, (ast.List, ast.Tuple)):
                        out.cols[name] = ((root, gb.selected[0], AGGREGATION),)
            elif fn is not None and _const_strs(fn) is None:
                masked = self.fn_masks(fn)
                if masked:
                    out.through = _masked(masked)
                for a in node.args:  # polars: agg(pl.col("x").sum().alias("t"), …)
                    elts = a.elts if isinstance(a, (ast.List, ast.Tuple)) else [a]
                    for e in elts:
                        col = _to_col(_rebase(self.ev(e), root))
                        if col.name:
                            out.cols[col.name] = _direct_only(col.deps, AGGREGATION)
            return out
        if method in ("transform", "apply", "map_groups"):
            fn = _arg(node, 0, "func", "function", "f")
            masked = self.fn_masks(fn)
            step = _masked(masked) if masked else (AGGREGATION if method == "transform" else TRANSFORMATION)
            out = _ungroup(gb, step)
            if method == "transform":
                out.keys = frozenset()  # broadcast back to the rows: keys are not in the result
            if gb.selected and len(gb.selected) == 1 and method == "transform":
                return Column(((Root("sym", frame=out), gb.selected[0], IDENTITY),), gb.dataset, gb.selected[0])
            return out
        if method in ("filter", "head", "tail"):  # rows of each group, as they are
            out = _ungroup(gb, IDENTITY)
            out.keys = frozenset()
            return out
        if method in ("cumsum", "cumcount", "cumprod", "cummax", "cummin", "rank", "shift", "diff", "pct_change",
                      "fillna", "ffill", "bfill"):
            step = AGGREGATION if method.startswith("cum") else TRANSFORMATION
            out = _ungroup(gb, step)
            out.keys = frozenset()
            if gb.selected and len(gb.selected) == 1:
                return Column(((Root("sym", frame=out), gb.selected[0], IDENTITY),), gb.dataset, gb.selected[0])
            return out
        if method in _AGG or method in ("size",):
            return _ungroup(gb, AGGREGATION)
        if method in ("reset_index",):
            return _ungroup(gb, IDENTITY)
        return _ungroup(gb, TRANSFORMATION)

    def pivot(self, frame: Frame, node: ast.Call, method: str, *, skip: int = 0) -> Frame:
        """``pivot_table`` (AGGREGATION) and ``pivot`` (TRANSFORMATION): the index stays, the
        columns named by the values of ``columns`` (not knowable here) hold ``values``."""
        root = _as_root(frame)
        if method == "pivot_table":  # pivot_table(values, index, columns, aggfunc)
            values = _const_strs(_arg(node, skip, "values")) or ()
            index = _const_strs(_arg(node, skip + 1, "index")) or ()
            columns = _const_strs(_arg(node, skip + 2, "columns", "on")) or ()
        else:  # pandas: keywords only; polars: pivot(on, *, index, values)
            columns = _const_strs(_arg(node, skip, "columns", "on")) or ()
            index = _const_strs(_kw(node, "index")) or ()
            values = _const_strs(_kw(node, "values")) or ()
        step = AGGREGATION if method == "pivot_table" or _kw(node, "aggregate_function") is not None \
            else TRANSFORMATION
        out = _derive(frame, through=step, keys=frozenset(index))
        out.dataset = tuple((root, k, GROUP_BY) for k in (*index, *columns))
        if len(values) == 1:
            out.selected = values
        if columns:  # the new columns are named by the values of `columns`: they hold `values`
            out.rest = tuple((root, v, step) for v in values) if values else (
                (root, _Rest((*index, *columns)), step),)
        return out

    def crosstab(self, node: ast.Call) -> Frame:
        """``pd.crosstab(index, columns, values=…)``: the index stays; each new column counts
        the values of ``columns`` (as ``value_counts``) or aggregates ``values``."""
        index = _to_col(self.ev(_arg(node, 0, "index")))
        columns = _to_col(self.ev(_arg(node, 1, "columns")))
        values = _to_col(self.ev(_arg(node, 2, "values")))
        for k in node.keywords:
            if k.arg not in ("index", "columns", "values"):
                self.ev(k.value)
        out = Frame(dataset=_unique((*_as_indirect(index.deps, GROUP_BY), *_as_indirect(columns.deps, GROUP_BY))))
        for r, c, step in index.deps:
            if isinstance(c, str) and step is IDENTITY:
                out.cols[c] = ((r, c, IDENTITY),)
        out.rest = _direct_only(values.deps or columns.deps, AGGREGATION)
        return out

    def melt(self, frame: Frame, node: ast.Call, method: str, *, skip: int = 0) -> Frame:
        """``melt``/``unpivot``: the id columns stay; ``value`` holds the values of the value
        columns (DIRECT), ``variable`` their names (INDIRECT)."""
        root = _as_root(frame)
        if method == "unpivot":  # polars: unpivot(on, *, index, variable_name, value_name)
            values = _const_strs(_arg(node, skip, "on"))
            ids = _const_strs(_kw(node, "index")) or ()
            var_node, value_node = _kw(node, "variable_name"), _kw(node, "value_name")
        else:  # pandas melt(id_vars, value_vars, var_name, value_name); polars melt(…, variable_name, …)
            ids = _const_strs(_arg(node, skip, "id_vars", "index")) or ()
            values = _const_strs(_arg(node, skip + 1, "value_vars", "on"))
            var_node = _arg(node, skip + 2, "var_name", "variable_name")
            value_node = _arg(node, skip + 3, "value_name")
        var = "variable" if var_node is None else _const_str(var_node)
        value = "value" if value_node is None else _const_str(value_node)
        if not values:  # every column but the ids: known when the code selected them
            known = frame.selected or _peel(frame).selected
            values = tuple(c for c in known if c not in ids) if known else None
        sources: tuple[str | int, ...] = tuple(values) if values else (_Rest(ids),)
        out = Frame(cols={i: ((root, i, IDENTITY),) for i in ids})
        if var is not None:
            out.cols[var] = tuple((root, c, _MELTED_NAMES) for c in sources)
        if value is not None:
            out.cols[value] = tuple((root, c, TRANSFORMATION) for c in sources)
        return out

    # ---------------------------------------------------------------- column methods
    def column_method(self, col: Column, method: str, node: ast.Call) -> Value:
        if method in _WRITERS:
            target, tail = _target(_arg(node, 0, *_TARGET_KWARGS))
            self.writes.append(Write(Frame(cols={col.name or "0": col.deps}, dataset=col.rows), target, tail,
                                     method, getattr(node, "lineno", 0)))
            return None
        if method in ("alias", "rename") and col.deps and _const_str(_arg(node, 0, "name", "index")) is not None:
            return Column(col.deps, col.rows, _const_str(_arg(node, 0, "name", "index")), col.accessor)
        if method in ("to_frame", "reset_index"):
            name = _const_str(_arg(node, 0, "name")) or col.name
            return Frame(cols={name: col.deps} if name else {}, dataset=col.rows)
        if method in ("apply", "map", "map_elements", "transform", "pipe", "applymap", "agg", "aggregate",
                      "map_batches", "replace_strict"):
            fn = _arg(node, 0, "func", "function", "arg", "f", "mapper")
            masked = self.fn_masks(fn)
            if masked:
                return Column(_direct_only(col.deps, _masked(masked)), col.rows, col.name)
            if method in ("agg", "aggregate") or (method == "transform" and _const_str(fn) in _AGG):
                return Column(_direct_only(col.deps, AGGREGATION), col.rows, col.name)
            extra = _union([self.with_params(fn, Column()) if isinstance(fn, ast.Lambda) else self.ev(fn)])
            return Column(_unique((*_direct_only(col.deps, TRANSFORMATION),
                                   *_direct_only(extra.deps, TRANSFORMATION))), col.rows, col.name)
        if method in _REPLACERS and _has_mask_literal(node):
            return Column(_direct_only(col.deps, _masked(f"{'str.' if col.accessor else ''}{method}")), col.rows,
                          col.name)
        if method in ("where", "mask") and node.args:
            cond = _to_col(self.ev(node.args[0]))
            other = _union([self.ev(a) for a in node.args[1:]] + [self.ev(k.value) for k in node.keywords],
                           TRANSFORMATION)
            return Column(_unique((*_direct_only(col.deps, TRANSFORMATION), *other.deps,
                                   *_as_indirect(cond.deps, CONDITIONAL))), col.rows, col.name)
        if method in ("then", "otherwise", "when"):
            other = _to_col(self.ev(_arg(node, 0, "statement", "condition", "predicate")))
            step = CONDITIONAL if method == "when" else None
            added = _as_indirect(other.deps, CONDITIONAL) if step else _direct_only(other.deps, TRANSFORMATION)
            name = col.name if method != "then" or col.name else other.name
            return Column(_unique((*col.deps, *added)), col.rows, other.name if method == "then" else name)
        if method == "hash" or is_masking_name(method):
            return Column(_direct_only(col.deps, _masked(method)), col.rows, col.name)
        values = self.args(node)
        if method in _PRESERVE or method in ("sort_values", "sort", "dropna", "drop_nulls", "drop_duplicates",
                                             "unique", "copy", "head", "tail", "sample", "reset_index"):
            return Column(col.deps, col.rows, col.name)
        if method in _AGG and not col.accessor:  # .str.len(), .dt.max… work per value
            return Column(_unique((*_direct_only(col.deps, AGGREGATION), *_union(values, AGGREGATION).deps)),
                          col.rows, col.name)
        extra = _union(values, TRANSFORMATION)
        return Column(_unique((*_direct_only(col.deps, TRANSFORMATION), *extra.deps)),
                      _unique((*col.rows, *extra.rows)), col.name)


def _to_frame(value: Value) -> Frame:
    if isinstance(value, Frame):
        return value
    return Frame()


def _snapshot(frame: Frame) -> Frame:
    return Frame(frame.roots, frame.through, dict(frame.cols), frame.hidden, frame.keys, frame.dataset,
                 frame.suffixes, frame.affix, frame.positional, rest=frame.rest, measure=frame.measure)


def _derive_group(gb: Frame, *, selected: tuple[str, ...] | None) -> Frame:
    return Frame(gb.roots, gb.through, dict(gb.cols), gb.hidden, gb.keys, gb.dataset, grouped=True,
                 selected=selected)


def _ungroup(gb: Frame, step: Step) -> Frame:
    """The frame an aggregation of a group-by makes: keys pass as they are, the rest through ``step``."""
    return Frame(gb.roots, step, {}, gb.hidden, gb.keys, gb.dataset, measure=gb.selected)


_WORD = re.compile(r"`([^`]+)`|([A-Za-z_][A-Za-z0-9_]*)")
_QUERY_KEYWORDS = frozenset({"and", "or", "not", "in", "is", "True", "False", "None", "index"})


def _words(text: str) -> tuple[str, ...]:
    out = []
    for quoted, word in _WORD.findall(text):
        w = quoted or word
        if w and w not in _QUERY_KEYWORDS and w not in out:
            out.append(w)
    # names after '@' are Python variables, not columns
    return tuple(w for w in out if f"@{w}" not in text)


def bound_names(target: ast.AST) -> list[str]:
    """The variable names an assignment target binds (``a``, ``a, *b``, ``[a, b]``);
    attributes and subscripts bind none."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, ast.Starred):
        return bound_names(target.value)
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for e in target.elts for n in bound_names(e)]
    return []


@functools.lru_cache(maxsize=256)
def analyse(code: str) -> Program:
    """The static pass over a cell's Python source (cached per source).

    Code that does not parse, is larger than :data:`MAX_SOURCE` characters or nests
    too deeply gives an empty program (names still match at runtime).

    Args:
        code: the Python the cell runs (IPython syntax already transformed).

    Returns:
        A :class:`Program`.
    """
    if not code or len(code) > MAX_SOURCE:
        return EMPTY
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return EMPTY
    try:
        analyser = _Analyser(tree)
        analyser.run(tree.body)
    except RecursionError:
        return EMPTY
    return Program(dict(analyser.env), dict(analyser.bound), tuple(analyser.writes), tuple(analyser.reads))


# ------------------------------------------------------------------ the runtime side
@dataclass(frozen=True)
class Side:
    """One dataset of a cell's run, as column lineage sees it.

    Attributes:
        direction: ``input`` or ``output``.
        kind: the location kind (``file``, ``dataframe``, ``duckdb`` …).
        namespace, name: the OpenLineage dataset.
        fields: its columns ``(name, type)`` (the ``schema`` facet).
        var: the variable, for a DataFrame.
        path: the file path or URL, for a file.
        table: the table name, for a table.
        query: the SQL text an adapter recorded with the access.
        obj: the object read or written (for the same-object and memory evidence).
        fixed: an output whose column lineage is already known (SQL): left alone.
    """

    direction: str
    kind: str
    namespace: str
    name: str
    fields: tuple[tuple[str, str], ...] = ()
    var: str | None = None
    path: str | None = None
    table: str | None = None
    query: str | None = None
    obj: Any = field(default=None, compare=False, repr=False)
    fixed: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)


_SAME_OBJECT = Step(DIRECT, "IDENTITY", False, "the same object")
_BY_TOKENS = Step(DIRECT, "TRANSFORMATION", False, "matched by name tokens")
_TOKEN_SPLIT = re.compile(r"[_\-\s]+")


def _tokens(name: str) -> tuple[str, ...]:
    """A column name's words: split on ``_``, ``-`` and spaces, lower case."""
    return tuple(t for t in _TOKEN_SPLIT.split(name.lower()) if t)
_BY_NAME = Step(DIRECT, "TRANSFORMATION", False, "same column name")
_BY_NAME_IDENTITY = Step(DIRECT, "IDENTITY", False, "same column name")

Edge = tuple[int, str, Step]  # (side index, field, step)


class _Resolver:
    """Binds a program's roots to the cell's datasets and walks columns back to them."""

    def __init__(self, program: Program, sides: Sequence[Side], cwd: str | None):
        self.program = program
        self.sides = sides
        self.cwd = cwd
        self.fields = [dict(s.fields) for s in sides]
        self.inputs = [i for i, s in enumerate(sides) if s.direction == "input"]
        self.frames_in = {s.var: i for i, s in enumerate(sides) if s.direction == "input" and s.var}
        self.frames_out = {s.var: i for i, s in enumerate(sides) if s.direction == "output" and s.var}
        self.target: int | None = None
        self.incomplete = False
        self._memo: dict[tuple[int, str | int], list[Edge]] = {}
        #: whether the last lookup met an explicit derivation of the column (even one without sources)
        self.explained = False
        self._explained: set[tuple[int, str | int]] = set()
        self._read_map = self._map_reads()
        self._token_index: dict[str, list[tuple[int, str, tuple[str, ...]]]] | None = None

    # ----------------------------------------------------------- roots → datasets
    def _matches(self, side: Side, target: str, tail: bool) -> bool:
        if side.kind == "dataframe":
            return False
        if side.table is not None:
            parts = target.replace('"', "").lower().split(".")
            return parts[-1] == side.table.lower() or (side.query is not None and target.strip() == side.query.strip())
        where = side.path
        if not where:
            return False
        if tail:
            return where.replace("\\", "/").endswith("/" + target.replace("\\", "/").lstrip("/")) or where == target
        if "://" in target:
            return where == target or where.endswith(target.split("://", 1)[1])
        full = target if os.path.isabs(target) else os.path.join(self.cwd or os.getcwd(), target)
        return os.path.normpath(os.path.expanduser(full)) == os.path.normpath(where)

    def _map_reads(self) -> dict[tuple[str | None, bool, str], list[int]]:
        readers = [i for i in self.inputs if self.sides[i].kind != "dataframe"]
        out: dict[tuple[str | None, bool, str], list[int]] = {}
        claimed: set[int] = set()
        for read in self.program.reads:
            if read.target is None:
                continue
            found = [i for i in readers if self._matches(self.sides[i], read.target, read.tail)]
            out[(read.target, read.tail, read.reader)] = found
            claimed.update(found)
        unknown = [r for r in self.program.reads if r.target is None or not out.get((r.target, r.tail, r.reader))]
        rest = [i for i in readers if i not in claimed]
        if len(unknown) == 1 and len(rest) == 1:  # one reader whose path nbgov cannot read, one file left
            r = unknown[0]
            out[(r.target, r.tail, r.reader)] = rest
        return out

    def _root_sides(self, root: Root) -> list[int]:
        if root.kind == "name":
            if root.name in self.frames_in:
                return [self.frames_in[root.name]]
            out = self.frames_out.get(root.name)
            return [out] if out is not None and out != self.target else []
        if root.kind == "read":
            for (target, _, reader), found in self._read_map.items():
                if target == root.name and reader == root.reader:
                    return found
            return []
        if root.kind == "local":
            out = self.frames_out.get(root.name)
            if out is not None and out != self.target and self._boundary(root):
                return [out]
        return []

    def by_tokens(self, index: int, name: str, candidates: Iterable[int]) -> list[Edge]:
        """The last resort for a column nothing else explained: the input columns whose words
        appear, in order and contiguous, among its words (``amount_sum`` ← ``amount``,
        ``order_id_count`` ← ``order_id``; ``paid`` is not ← ``id``)."""
        if self._token_index is None:  # built once per cell: input column words by first word
            self._token_index = {}
            for i in range(len(self.sides)):
                for field_name in self.fields[i]:
                    words = _tokens(field_name)
                    if words:
                        self._token_index.setdefault(words[0], []).append((i, field_name, words))
        mine = _tokens(name)
        allowed = set(candidates)
        me = self.sides[index].key
        out: list[Edge] = []
        for start, word in enumerate(mine):
            for i, field_name, words in self._token_index.get(word, ()):
                if i in allowed and self.sides[i].key != me and mine[start:start + len(words)] == words:
                    out.append((i, field_name, _BY_TOKENS))
        return out

    def _boundary(self, root: Root) -> bool:
        """A variable bound in the cell is its output dataset when the reference sees its
        final value and the dataset is not also an input (a frame changed in place)."""
        return (root.name not in self.frames_in and self.program.frames.get(root.name or "") is root.frame)

    # ----------------------------------------------------------- walking columns
    def column(self, root: Root, col: str | int, depth: int = 0) -> list[Edge]:
        if depth > _MAX_DEPTH:
            return []
        if root.kind in ("sym", "local") and root.frame is not None:
            if root.kind == "local":
                sides = self._root_sides(root)
                if sides:
                    return self._direct(sides, col)
            return self.lookup(root.frame, col, depth + 1)
        if root.kind == "opaque" or root.kind == "ctx":
            self.incomplete = True
            return []
        sides = self._root_sides(root)
        if not sides:
            if root.kind == "read" or (root.kind == "name" and isinstance(col, str)):
                self.incomplete = self.incomplete or root.kind == "read"
            return []
        return self._direct(sides, col)

    def _direct(self, sides: list[int], col: str | int) -> list[Edge]:
        out: list[Edge] = []
        for i in sides:
            names = list(self.sides[i].fields)
            if isinstance(col, int):
                if 0 <= col < len(names):
                    out.append((i, names[col][0], IDENTITY))
            elif isinstance(col, _Rest):
                out += [(i, n, IDENTITY) for n, _ in names if n not in col]
            elif col == "*":
                out += [(i, n, IDENTITY) for n, _ in names]
            elif col in self.fields[i]:
                out.append((i, col, IDENTITY))
        return out

    def lookup(self, frame: Frame, col: str | int, depth: int = 0) -> list[Edge]:
        key = (id(frame), col)
        if key in self._memo:
            self.explained = self.explained or key in self._explained
            return self._memo[key]
        self._memo[key] = []  # cycles terminate
        outer, self.explained = self.explained, False
        out: list[Edge] = []
        if frame.positional is not None:  # renamed: positions stay, names change
            index = col if isinstance(col, int) else (
                frame.positional.index(col) if col in frame.positional else None)
            if index is not None:
                for r in frame.roots:
                    out += self._via(self.column(r, index, depth), IDENTITY)
            elif isinstance(col, str) and not isinstance(col, _Rest):
                for r in frame.roots:  # the index is not renamed by `df.columns = …`: its names stay
                    if r.frame is not None and col in _peel(r.frame).keys:
                        out += self.column(r, col, depth)
        else:
            out = self._plain(frame, col, depth)
        self._memo[key] = out
        if self.explained:
            self._explained.add(key)
        self.explained = outer or self.explained
        return out

    def _plain(self, frame: Frame, col: str | int, depth: int) -> list[Edge]:
        out: list[Edge] = []
        if isinstance(col, _Rest):  # every column but some: the explicit ones, then the roots' others
            for name, deps in frame.cols.items():
                if name not in col:
                    for r, c, step in deps:
                        out += self._via(self.column(r, c, depth), step)
            rest = _Rest((*col, *frame.hidden, *frame.cols))
            for r in frame.roots:
                out += self._via(self.column(r, rest, depth), frame.through)
            return out
        if isinstance(col, int):  # by position: only through selections and plain passthrough
            if frame.selected is not None:
                if not 0 <= col < len(frame.selected):
                    return out
                col = frame.selected[col]
            elif frame.cols or frame.hidden or frame.affix is not None or frame.suffixes:
                return out
        if isinstance(col, str) and col in frame.cols:
            self.explained = True
            for r, c, step in frame.cols[col]:
                out += self._via(self.column(r, c, depth), step)
            return out
        if isinstance(col, str) and (col in frame.hidden or (frame.positional == () and not frame.cols)):
            return out
        names: list[str | int] = [col]
        if frame.affix is not None and isinstance(col, str):
            prefix, suffix = frame.affix
            if col.startswith(prefix) and col.endswith(suffix) and len(col) > len(prefix) + len(suffix):
                names = [col[len(prefix):len(col) - len(suffix) if suffix else None]]
            else:
                return out
        key = isinstance(col, str) and col in frame.keys
        step = IDENTITY if key else frame.through
        per_root: list[list[Edge]] = []
        for index, r in enumerate(frame.roots):
            found: list[Edge] = []
            for name in names:
                found += self.column(r, name, depth)
            if not found and isinstance(col, str):
                for i, suffix in frame.suffixes:
                    if i == index and suffix and col.endswith(suffix) and len(col) > len(suffix):
                        found += self.column(r, col[:-len(suffix)], depth)
                if not found and "." in col and frame.through.subtype == "AGGREGATION":
                    found += self.column(r, col.rsplit(".", 1)[0], depth)  # agg(["sum", "mean"]): amount.sum
            per_root.append(found)
        if frame.suffixes and not key and sum(1 for f in per_root if f) > 1:
            # a name on both sides of a merge that is not a key: it keeps its name only on the
            # side whose suffix is empty (the other side's copy was renamed)
            plain = {i for i, suffix in frame.suffixes if suffix == ""}
            if plain:
                per_root = [f if i in plain else [] for i, f in enumerate(per_root)]
        for found in per_root:
            out += self._via(found, step)
        if not out and frame.rest is not None and isinstance(col, str):  # a pivoted column
            for r, c, rstep in frame.rest:
                out += self._via(self.column(r, c, depth), rstep)
        return out

    @staticmethod
    def _via(edges: list[Edge], step: Step) -> list[Edge]:
        return [(i, f, s.then(step)) for i, f, s in edges]

    def renamed_by_position(self, frame: Frame) -> bool:
        """Whether the frame's columns were renamed by something other than a literal mapping,
        with nothing else changing the columns on the way: the names changed, positions did not."""
        for _ in range(_MAX_DEPTH):
            if frame.positional == ():
                return True
            if frame.cols or frame.hidden or frame.affix or frame.selected or frame.suffixes or \
                    frame.positional is not None or len(frame.roots) != 1:
                return False
            root = frame.roots[0]
            if root.frame is None or (root.kind == "local" and self._root_sides(root)):
                return False
            frame = root.frame
        return False

    def rows(self, frame: Frame, depth: int = 0, seen: set[int] | None = None) -> list[Edge]:
        """The INDIRECT dependencies of a frame's rows, through its roots."""
        seen = set() if seen is None else seen
        if id(frame) in seen or depth > _MAX_DEPTH:
            return []
        seen.add(id(frame))
        out: list[Edge] = []
        for r, c, step in frame.dataset:
            out += [(i, f, step if step.type == INDIRECT else _indirect("FILTER")) for i, f, _ in self.column(r, c,
                                                                                                             depth)]
        for deps in frame.cols.values():
            for r, _, _ in deps:
                if r.frame is not None and not (r.kind == "local" and self._root_sides(r)):
                    out += self.rows(r.frame, depth + 1, seen)
        for r in frame.roots:
            if r.frame is not None and not (r.kind == "local" and self._root_sides(r)):
                out += self.rows(r.frame, depth + 1, seen)
        return out

    def reached(self, frame: Frame, depth: int = 0, seen: set[int] | None = None) -> set[int]:
        """The datasets a frame's passthrough columns come from."""
        seen = set() if seen is None else seen
        if id(frame) in seen or depth > _MAX_DEPTH:
            return set()
        seen.add(id(frame))
        out: set[int] = set()
        for r in frame.roots:
            sides = self._root_sides(r)
            if sides:
                out.update(sides)
            elif r.frame is not None:
                out |= self.reached(r.frame, depth + 1, seen)
            elif r.kind in ("opaque", "read") or (r.kind == "name" and r.name not in self.frames_in):
                self.incomplete = True
        return out


def _same_obj_sources(index: int, sides: Sequence[Side]) -> list[int]:
    """Datasets holding the very object an output holds (read then bound, bound then written)."""
    me = sides[index]
    if me.obj is None:
        return []
    group = [i for i, s in enumerate(sides) if i != index and s.obj is me.obj]
    inputs = [i for i in group if sides[i].direction == "input"]
    return inputs or [i for i in group if sides[i].kind == "dataframe"]


def _shares_memory(a: Any, b: Any, column: str) -> bool:
    """Cheap evidence that two pandas frames hold the same values for ``column``: their
    arrays share memory (a selection, a copy-on-write view)."""
    try:
        if type(a).__name__ != "DataFrame" or type(b).__name__ != "DataFrame" or type(a) is not type(b):
            return False
        if not hasattr(a, "_get_column_array") and not hasattr(a, "_ixs"):
            return False
        ca, cb = a[column], b[column]
        if getattr(ca, "ndim", 2) != 1 or getattr(cb, "ndim", 2) != 1 or len(ca) != len(cb):
            return False
        va, vb = ca._values, cb._values
        if va is vb:
            return True
        import numpy as np  # only reached with pandas frames, which need numpy

        inner_a = va if isinstance(va, np.ndarray) else getattr(va, "_ndarray", None)
        inner_b = vb if isinstance(vb, np.ndarray) else getattr(vb, "_ndarray", None)
        if isinstance(inner_a, np.ndarray) and isinstance(inner_b, np.ndarray):
            return inner_a.shape == inner_b.shape and bool(np.may_share_memory(inner_a, inner_b))
        pa_a, pa_b = getattr(va, "_pa_array", None), getattr(vb, "_pa_array", None)
        return pa_a is not None and pa_a is pa_b
    except Exception:  # noqa: BLE001 - evidence is optional
        return False


def cell_column_lineage(code: str | None, sides: Sequence[Side], *, cwd: str | None = None,
                        program: Program | None = None) -> dict[int, dict[str, Any]]:
    """Column lineage of each output of a cell that has none yet.

    Args:
        code: the Python the cell ran (``None`` or ``""``: names only).
        sides: every dataset of the cell's run, inputs and outputs.
        cwd: the folder relative paths in the code are read from (default: the current one).
        program: the static pass, when already computed (default ``analyse(code)``).

    Returns:
        ``{index of an output in sides: {"fields": …, "dataset": […]}}`` — the body of a
        ``columnLineage`` facet (without ``_producer``/``_schemaURL``), only for outputs
        that got at least one edge.
    """
    program = program if program is not None else analyse(code) if code else EMPTY
    resolver = _Resolver(program, sides, cwd)
    writes = _match_writes(program, sides, resolver)
    out: dict[int, dict[str, Any]] = {}
    for index, side in enumerate(sides):
        if side.direction != "output" or side.fixed or side.kind in ("model",) or not side.fields:
            continue
        frame: Frame | None = None
        if side.kind == "dataframe" and side.var is not None:
            value = program.frames.get(side.var)
            if isinstance(value, Frame):
                frame = value
            elif isinstance(value, Column) and value.name is not None and (value.deps or value.rows):
                frame = Frame(cols={value.name: _unique((*value.deps, *value.rows))})  # a frame built row-wise
        elif index in writes:
            frame = writes[index]
        edges, rows = _edges_for(index, side, frame, sides, resolver)
        payload = _payload(index, sides, edges, rows, resolver.fields)
        if payload is not None:
            out[index] = payload
    return out


def _match_writes(program: Program, sides: Sequence[Side], resolver: _Resolver) -> dict[int, Frame]:
    """Which write statement wrote each written file or table."""
    outputs = [i for i, s in enumerate(sides) if s.direction == "output" and s.kind != "dataframe" and not s.fixed]
    found: dict[int, Frame] = {}
    used: set[int] = set()
    for n, write in enumerate(program.writes):
        if write.target is None:
            continue
        hits = [i for i in outputs if resolver._matches(sides[i], write.target, write.tail)]
        for i in hits:
            found[i] = write.frame  # the last write of a location wins
            used.add(n)
    rest_writes = [w for n, w in enumerate(program.writes) if n not in used]
    rest_outputs = [i for i in outputs if i not in found]
    if len(rest_writes) == 1 and len(rest_outputs) == 1:
        found[rest_outputs[0]] = rest_writes[0].frame
    return found


def _edges_for(index: int, side: Side, frame: Frame | None, sides: Sequence[Side],
               resolver: _Resolver) -> tuple[dict[str, list[Edge]], list[Edge]]:
    resolver.target = index
    resolver.incomplete = False
    resolver._memo = {}
    resolver._explained = set()
    edges: dict[str, list[Edge]] = {}
    rows: list[Edge] = []
    names = [n for n, _ in side.fields]
    reached: set[int] = set()
    explained: set[str] = set()
    if frame is not None:
        reached = resolver.reached(frame)
        if not reached and resolver.incomplete and not frame.cols:
            frame = None  # the code shows nothing about where it came from (a magic, a helper): as without code
    if frame is not None:
        by_position = resolver.renamed_by_position(frame)
        for position, name in enumerate(names):
            resolver.explained = False
            found = resolver.lookup(frame, name)
            if not found and by_position:  # df.columns = df.columns.str.lower(), rename(columns=str.upper)
                found = resolver.lookup(frame, position)
            if resolver.explained:  # derived explicitly (a constant: no source)
                explained.add(name)
            explicit = name in frame.cols
            if explicit:  # never drop a DIRECT edge the name finds
                direct = {(i, f) for i, f, s in found if s.type == DIRECT}
                found = found + [(i, name, _BY_NAME) for i in sorted(reached)
                                 if name in resolver.fields[i] and (i, name) not in direct]
            edges[name] = found
        rows = resolver.rows(frame)
        if resolver.incomplete:  # part of the frame came from something not understood: names decide there
            for name in names:
                if not any(s.type == DIRECT for _, _, s in edges.get(name, ())):
                    edges[name] = edges.get(name, []) + _by_name(index, name, sides, resolver)
        candidates = sorted(reached) or resolver.inputs
        for name in names:  # nothing explained the column: its words may name its sources
            if not edges.get(name) and name not in explained:
                edges[name] = resolver.by_tokens(index, name, candidates)
        return edges, rows
    same = _same_obj_sources(index, sides)
    for position, name in enumerate(names):
        if same:
            edges[name] = [(i, name, _SAME_OBJECT) for i in same if name in resolver.fields[i]]
        else:
            edges[name] = _by_name(index, name, sides, resolver, evidence=position < EVIDENCE_COLUMNS)
        if not edges[name]:
            edges[name] = resolver.by_tokens(index, name, same or resolver.inputs)
    return edges, rows


#: the memory evidence is looked at for at most this many columns of an output (then: TRANSFORMATION)
EVIDENCE_COLUMNS = 64


def _by_name(index: int, name: str, sides: Sequence[Side], resolver: _Resolver, *,
             evidence: bool = True) -> list[Edge]:
    me = sides[index]
    out: list[Edge] = []
    for i in resolver.inputs:
        if name not in resolver.fields[i] or sides[i].key == me.key:
            continue
        same_type = resolver.fields[i][name] == resolver.fields[index].get(name)
        shared = evidence and same_type and me.obj is not None and _shares_memory(me.obj, sides[i].obj, name)
        out.append((i, name, _BY_NAME_IDENTITY if shared else _BY_NAME))
    return out


def _payload(index: int, sides: Sequence[Side], edges: Mapping[str, list[Edge]],
             rows: list[Edge], types: Sequence[Mapping[str, str]]) -> dict[str, Any] | None:
    me = sides[index]
    my_types = types[index]
    fields: dict[str, Any] = {}
    for name, found in edges.items():
        if not found:
            continue
        per_input: dict[tuple[str, str, str], list[Step]] = {}
        for i, f, step in found:
            src = sides[i]
            if f == name and src.key == me.key:
                continue  # a column of a frame changed in place, from itself: no edge
            if step.type == DIRECT and step.subtype == "IDENTITY" and types[i].get(f) != my_types.get(name):
                step = Step(DIRECT, "TRANSFORMATION", step.masking, step.description)  # the type changed
            steps = per_input.setdefault((src.namespace, src.name, f), [])
            if step not in steps:
                steps.append(step)
        inputs = []
        for (ns, ds, f), steps in sorted(per_input.items()):
            inputs.append({"namespace": ns, "name": ds, "field": f,
                           "transformations": [s.to_dict() for s in _settle(steps)]})
        if inputs:
            fields[name] = {"inputFields": inputs}
    dataset: dict[tuple[str, str, str], list[Step]] = {}
    for i, f, step in rows:
        src = sides[i]
        if src.key == me.key:
            continue
        steps = dataset.setdefault((src.namespace, src.name, f), [])
        if step not in steps:
            steps.append(step)
    dataset_list = [{"namespace": ns, "name": ds, "field": f,
                     "transformations": [s.to_dict() for s in sorted(steps, key=lambda s: s.subtype)]}
                    for (ns, ds, f), steps in sorted(dataset.items())]
    if not fields and not dataset_list:
        return None
    return {"fields": fields, "dataset": dataset_list}


def _settle(steps: list[Step]) -> list[Step]:
    """One input field's transformations: a masking DIRECT step replaces the unmasked DIRECT
    ones (the value that arrives is masked), the same-name guess yields to a derivation."""
    if len(steps) == 1:
        return steps
    direct = [s for s in steps if s.type == DIRECT]
    indirect = [s for s in steps if s.type == INDIRECT]
    if any(s.masking for s in direct):
        direct = [s for s in direct if s.masking]
    elif len(direct) > 1:
        known = [s for s in direct if s.description not in ("same column name",)]
        direct = known or direct
        direct = [max(direct, key=lambda s: _RANK.get(s.subtype, 1))]
    if len(direct) > 1:
        direct = [direct[0]]
    order = sorted({s.subtype: s for s in indirect}.values(), key=lambda s: s.subtype)
    return [*direct, *order]
