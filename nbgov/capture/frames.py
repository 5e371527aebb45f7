"""Which DataFrames in the user's namespace a cell read, and which it created or changed.

:class:`FrameTracker` compares the namespace before and after a cell using cheap
signals only, at a cost independent of frame sizes:

* **Before** (:meth:`FrameTracker.before`): for every variable bound to a DataFrame-like
  object (pandas ``DataFrame``, polars ``DataFrame``/``LazyFrame``, pyarrow
  ``Table``/``RecordBatch``) the snapshot keeps a reference to the object and its
  *state*: for pandas the block manager, its block tuple, its axes and, per block, the
  values array(s) plus the bytes of :attr:`~FrameTracker.probe_rows` evenly spaced rows
  (all bytes of an array of at most :data:`WHOLE_BYTES` bytes or ``probe_rows`` rows;
  for object columns these bytes are the cell pointers);
  for polars the shape, column names, dtypes and a row hash of the probe rows; pyarrow
  tables and polars LazyFrames are immutable, so the object itself is the state.
  References, not ``id()`` numbers, so an address reused by a new object cannot pass for
  the old one; they are dropped when :meth:`~FrameTracker.after` returns. A frame whose
  name the cell's code rebinds at top level without loading its old value (a re-run
  ``df = pd.read_csv(…)``) is held by a weak reference only: it cannot be an input, and the
  cell frees it when it rebinds the name instead of keeping it in memory until the end.
* **After** (:meth:`FrameTracker.after`):

  - **read**: frames bound before the cell whose name the cell's code loads (a ``Name``
    in load context anywhere — attribute access ``df.groupby``, subscripts, f-strings,
    comprehensions, function bodies — or the target of an augmented assignment), unless
    a top-level statement of the cell rebound the name unconditionally before that load
    (re-running ``df = pd.read_csv(…)`` then ``df.groupby(…)`` reads the new ``df``, not
    the one left by the previous run);
  - **written**: names now bound to a frame that were unbound before, bound to another
    object (``df = df.dropna()``, ``b = a``), or whose state changed in place (column
    assignment, ``.loc``/``.iloc`` writes, ``inplace=True`` methods, ``df.columns = …``);
  - **deleted**: frames bound before and no longer bound to a frame; never outputs.

The cell's code must be Python source (IPython's transformed cell, magics already
turned into calls); code that does not parse reads nothing. The code is parsed only when
some frame's name occurs in it as text.

Limits, by design (cheap signals): an in-place write to a block larger than
``WHOLE_BYTES`` and ``probe_rows`` rows that changes no probed row, no dtype and no shape is not seen;
changes to ``attrs`` or to an index's ``name`` are not seen; frames reached only through
containers (a dict of frames) or attributes are not tracked; names made by IPython's
output cache (``_``, ``__``, ``___``, ``_5``) are ignored; a frame whose name the cell
rebinds without reading it, changed in place through another name by a cell that stops
before the rebinding, is seen as changed under that other name only.
"""

from __future__ import annotations

import ast
import functools
import re
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nbgov.capture.columns import bound_names
from nbgov.capture.profile import block_types, frame_kind

__all__ = ["PROBE_ROWS", "WHOLE_BYTES", "FrameChanges", "FrameTracker", "Snapshot"]

#: rows whose bytes are compared before/after a cell (every row of a smaller frame)
PROBE_ROWS = 16
#: arrays of at most this many bytes are compared whole, whatever their row count
WHOLE_BYTES = 8192

_OUTPUT_CACHE = re.compile(r"_{1,3}|_\d+|_i{1,3}|_i\d+")

_State = tuple[tuple[Any, ...], tuple[Any, ...]]  # (objects compared by identity, values compared by ==)


@dataclass(frozen=True)
class FrameChanges:
    """What one cell did to the DataFrames in the namespace.

    Attributes:
        read: names of frames bound before the cell that its code references.
        written: names bound after the cell to a frame that is new to that name or
            was changed in place.
        deleted: names bound to a frame before the cell and not after.
        objects: name → frame bound now, for every name in ``read`` or ``written``
            that is still bound to a frame.
        previous: name → frame bound before the cell, for every name in ``read`` or
            ``written`` that was bound to a frame before (the same object as in
            ``objects`` unless the name was rebound).
        fields_before: name → ``(column, dtype)`` pairs the frame had before the cell, for
            every frame in ``read`` that the cell changed in place (the same object,
            written): what the cell read, now that the object no longer shows it.
    """

    read: tuple[str, ...] = ()
    written: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    objects: dict[str, Any] = field(default_factory=dict, hash=False, repr=False)
    previous: dict[str, Any] = field(default_factory=dict, hash=False, repr=False)
    fields_before: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict, hash=False, repr=False)

    def __bool__(self) -> bool:
        return bool(self.read or self.written)


class Snapshot:
    """The namespace's frames before one cell (opaque; pass it to :meth:`FrameTracker.after`)."""

    __slots__ = ("code", "frames")

    def __init__(self, code: str, frames: dict[str, tuple[Any, _State]]):
        self.code = code
        self.frames = frames

    def __repr__(self) -> str:
        return f"<Snapshot of {len(self.frames)} frame(s): {', '.join(sorted(self.frames))}>"


class FrameTracker:
    """Finds the DataFrames a cell read and wrote; see the module docstring.

    Args:
        probe_rows: rows compared byte for byte per frame (all rows of smaller frames).
        ignore: names never tracked; default: IPython's output-cache names.
    """

    def __init__(self, *, probe_rows: int = PROBE_ROWS, ignore: Callable[[str], bool] | None = None):
        self.probe_rows = max(int(probe_rows), 1)
        self._ignore = ignore if ignore is not None else _is_output_cache_name
        self._states: dict[type, Callable[[Any], _State] | None] = {}
        self._positions: dict[int, np.ndarray] = {}

    # ------------------------------------------------------------------ public
    def before(self, namespace: Mapping[str, Any], code: str) -> Snapshot:
        """Snapshot the frames in ``namespace`` before a cell runs ``code``.

        Args:
            namespace: the user's namespace (read, never changed).
            code: the Python source the cell will run.

        Returns:
            A :class:`Snapshot` holding references to the frames until :meth:`after`
            (weak ones to the frames the code rebinds without reading them).
        """
        frames = self._frames(namespace)
        if frames and code:
            present = [name for name in frames if name in code]
            if present:
                for name in _rebound_unread(code).intersection(present):
                    try:
                        frames[name] = (weakref.ref(frames[name][0]), None)
                    except TypeError:  # not weakly referable: keep the reference
                        pass
        return Snapshot(code, frames)

    def after(self, snapshot: Snapshot, namespace: Mapping[str, Any]) -> FrameChanges:
        """Compare ``namespace`` after the cell with ``snapshot``.

        Args:
            snapshot: what :meth:`before` returned for this cell.
            namespace: the same namespace, after the cell ran.

        Returns:
            A :class:`FrameChanges`.
        """
        old = snapshot.frames
        new = self._frames(namespace)
        snapshot.frames = {}  # release the references
        code = snapshot.code
        read: list[str] = []
        if old and code:
            present = [name for name in old if name in code]
            if present:
                loaded = _loaded_names(code)
                read = [name for name in present if name in loaded]
        written = []
        for name, (obj, state) in new.items():
            before = old.get(name)
            if before is None:
                written.append(name)
            elif before[1] is None:  # released before the cell: rebound, or never reached
                if before[0]() is not obj:
                    written.append(name)
            elif before[0] is not obj or not _same(before[1], state):
                written.append(name)
        deleted = [name for name in old if name not in new]
        objects = {name: new[name][0] for name in (*read, *written) if name in new}
        previous = {}
        for name in (*read, *written):
            if name in old:
                was = old[name][0]() if old[name][1] is None else old[name][0]
                if was is not None:
                    previous[name] = was
        changed = set(written)
        before: dict[str, tuple[tuple[str, str], ...]] = {}
        for name in read:
            if name in changed and name in old and name in new and old[name][0] is new[name][0]:
                fields = _fields_of_state(old[name][1])
                if fields is not None:
                    before[name] = fields
        return FrameChanges(
            tuple(sorted(read)), tuple(sorted(written)), tuple(sorted(deleted)), objects, previous, before
        )

    # ------------------------------------------------------------------ internals
    def _frames(self, namespace: Mapping[str, Any]) -> dict[str, tuple[Any, _State]]:
        states = self._states
        out = {}
        for name, value in namespace.items():
            cls = type(value)
            try:
                state_of = states[cls]
            except KeyError:
                state_of = states[cls] = self._state_function(value)
            if state_of is None or self._ignore(name):
                continue
            try:
                state = state_of(value)
            except Exception:  # noqa: BLE001 - an odd object: compare by identity only
                state = ((), ("?",))
            out[name] = (value, state)
        return out

    def _state_function(self, value: Any) -> Callable[[Any], _State] | None:
        kind = frame_kind(value)
        if kind == "pandas":
            return self._pandas_state
        if kind == "polars":
            return self._polars_state
        if kind is not None:  # pyarrow tables and polars LazyFrames are immutable
            return _immutable_state
        return None

    def _pos(self, n: int) -> np.ndarray:
        pos = self._positions.get(n)
        if pos is None:
            pos = np.unique(np.linspace(0, n - 1, self.probe_rows).round().astype(np.intp))
            if len(self._positions) > 256:
                self._positions.clear()
            self._positions[n] = pos
        return pos

    def _pandas_state(self, df: Any) -> _State:
        mgr = df._mgr
        blocks = mgr.blocks
        objs: list[Any] = [mgr, blocks, *mgr.axes]
        data: list[bytes] = []
        for block in blocks:
            values = block.values
            objs.append(values)
            if type(values) is np.ndarray:
                data.append(self._probe(values))
                continue
            for attr in _inner_arrays(values):
                inner = getattr(values, attr, None)
                objs.append(inner)
                if isinstance(inner, np.ndarray):
                    data.append(self._probe(inner))
        return tuple(objs), tuple(data)

    def _probe(self, values: np.ndarray) -> bytes:
        """The bytes of the probe rows (the last axis is the rows), or of the whole array."""
        if values.nbytes <= WHOLE_BYTES:
            return values.tobytes()
        n = values.shape[-1]
        if n <= self.probe_rows:
            return values.tobytes()
        return values.take(self._pos(n), axis=values.ndim - 1).tobytes()

    def _polars_state(self, df: Any) -> _State:
        inner = df._df
        shape = inner.shape()
        n = shape[0]
        rows = df if n <= self.probe_rows else df[self._pos(n).tolist()]
        try:
            digest = rows.hash_rows(seed=0).to_numpy().tobytes()
        except Exception:  # noqa: BLE001 - types polars cannot hash
            digest = b""
        return (inner,), (shape, tuple(inner.columns()), tuple(map(str, df.dtypes)), digest)


def _fields_of_state(state: _State) -> tuple[tuple[str, str], ...] | None:
    """``(column, dtype)`` of a pandas frame as its state recorded it before a cell.

    The state holds the block manager's old column ``Index`` and block list (pandas
    replaces, not mutates, them when columns are renamed, added or retyped), so the
    columns a cell saw can be read back after it changed the frame in place. ``None``
    for other kinds of frame, or when the blocks do not cover the columns one to one.
    """
    objs = state[0]
    if len(objs) < 3 or not hasattr(objs[0], "blocks"):
        return None
    names, types = block_types(objs[2], objs[1])
    if any(t is None for t in types):
        return tuple((n, "") for n in names)
    return tuple(zip(names, types))  # type: ignore[arg-type]


def _is_output_cache_name(name: str) -> bool:
    return name[:1] == "_" and _OUTPUT_CACHE.fullmatch(name) is not None


def _immutable_state(obj: Any) -> _State:
    return (), ()


def _same(a: _State, b: _State) -> bool:
    objs_a, data_a = a
    objs_b, data_b = b
    if len(objs_a) != len(objs_b):
        return False
    for x, y in zip(objs_a, objs_b):
        if x is not y:
            return False
    return data_a == data_b


_INNER: dict[type, tuple[str, ...]] = {}


def _inner_arrays(values: Any) -> tuple[str, ...]:
    """Attributes of a pandas ExtensionArray that hold its data (looked up once per class).

    NumPy-backed arrays (datetimes, categoricals' codes) keep ``_ndarray``, masked arrays
    ``_data`` and ``_mask``, Arrow-backed arrays an immutable ``_pa_array`` that pandas
    replaces on every write, sparse arrays ``_sparse_values``.
    """
    cls = type(values)
    found = _INNER.get(cls)
    if found is None:
        names = ("_ndarray", "_data", "_mask", "_pa_array", "_sparse_values")
        found = _INNER[cls] = tuple(n for n in names if hasattr(values, n))
    return found


def _loaded_names(code: str) -> frozenset[str]:
    """Names whose value from before the cell the code may load.

    A name is loaded when it occurs in load context anywhere (or is the target of an
    augmented assignment) — except after a top-level statement of the cell has
    unconditionally bound it (``df = pd.read_csv(…)`` and later ``df.groupby(…)``: the
    cell reads its own new ``df``, not the one bound before it ran). Only simple
    top-level statements bind here (assignments to plain names, imports, ``def``,
    ``class``); a binding inside ``if``/``for``/``try``/``with`` may not happen, so
    loads after it still count.
    """
    return _names_of(code)[0]


def _rebound_unread(code: str) -> frozenset[str]:
    """Names a top-level statement of the code binds unconditionally and the code never
    loads while they hold their value from before the cell: that value is dropped by the
    cell itself and cannot be one of its inputs."""
    loaded, bound = _names_of(code)
    return bound - loaded


@functools.lru_cache(maxsize=256)
def _names_of(code: str) -> tuple[frozenset[str], frozenset[str]]:
    """``(loaded, bound)``: :func:`_loaded_names`, and every name a top-level statement
    binds unconditionally — one parse and one walk per cell source."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return frozenset(), frozenset()
    names: set[str] = set()
    bound: set[str] = set()
    for statement in tree.body:
        for node in ast.walk(statement):
            if isinstance(node, ast.Name):
                if isinstance(node.ctx, ast.Load) and node.id not in bound:
                    names.add(node.id)
            elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
                if node.target.id not in bound:
                    names.add(node.target.id)
        bound.update(_bound_by(statement))
    return frozenset(names), frozenset(bound)


def _bound_by(statement: ast.stmt) -> list[str]:
    """Names a top-level statement binds whenever it completes."""
    if isinstance(statement, ast.Assign):
        return [name for target in statement.targets for name in bound_names(target)]
    if isinstance(statement, ast.AnnAssign) and statement.value is not None:
        return bound_names(statement.target)
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).partition(".")[0] for a in statement.names if a.name != "*"]
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [statement.name]
    return []
