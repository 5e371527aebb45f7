"""What a cell read and wrote: locations, accesses, and the capture collecting them.

Pure data and a little process state, stdlib only. Adapters (``nbgov.capture.adapters``)
describe each library call as :class:`Access` records; the notebook face activates one
:class:`CellCapture` per cell and turns its accesses into OpenLineage datasets.

Two pieces of state live here:

- **the active capture** — one per process (:func:`active`, :func:`activate`,
  :func:`deactivate`). It is process-wide, not per thread, so a thread the cell starts
  (a thread pool reading files) records into the cell that started it.
- **the call depth** — per thread (:func:`nested`, :func:`calling`). Only the outermost
  library call a cell makes is recorded: ``pd.read_sql`` calling SQLAlchemy calling
  ``sqlite3`` records ``pandas.read_sql`` only. Every hook wrapper enters
  :func:`calling` around the original call (and around its own describing), so anything
  reached from inside sees :func:`nested` true and records nothing.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = [
    "Access",
    "CellCapture",
    "DeferredFields",
    "Location",
    "activate",
    "active",
    "calling",
    "deactivate",
    "nested",
    "record",
]

INPUT = "input"
OUTPUT = "output"
_DIRECTIONS = (INPUT, OUTPUT)


# ------------------------------------------------------------------------ location
@dataclass(frozen=True)
class Location:
    """Where data lives, before it is named as an OpenLineage dataset.

    Hashable and immutable: ``parts`` is a sorted tuple of ``(key, value)`` pairs with
    string values (``None`` parts are dropped). Build one with :meth:`of` or
    :meth:`file`; read parts with :meth:`get` or :meth:`as_dict`.

    Kinds and their parts (the notebook face names each with
    ``nbgov.emit.events.dataset_name_for``):

    ================  ==========================================================
    ``file``          ``path`` — absolute, normalised local path
    URL schemes       ``s3``, ``gs``, ``gcs``, ``abfss``, ``hdfs``, ``http``,
                      ``https``, ``ftp`` …: ``url`` (credentials removed)
    ``sqlite``        ``path`` (database file, absolute, or ``:memory:``),
                      ``table`` (absent when only the database is known)
    ``duckdb``        ``path`` (database file or ``:memory:``), ``schema``, ``table``
    ``postgres``,     ``host``, ``port``, ``database``, ``schema``, ``table``
    ``mysql``, …      (``table`` absent when only the database is known)
    ``dataframe``     ``name`` (the variable), ``notebook`` (the notebook's job name,
                      filled in by the notebook face when absent)
    ``model``         ``name`` (the variable), ``notebook``
    ================  ==========================================================
    """

    kind: str
    parts: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, kind: str, **parts: Any) -> Location:
        """A location of ``kind`` with the given parts (``None`` dropped, values as str)."""
        return cls(kind, tuple(sorted((k, str(v)) for k, v in parts.items() if v is not None)))

    @classmethod
    def file(cls, path: str | os.PathLike[str]) -> Location:
        """A local file, by its absolute normalised path (``~`` expanded)."""
        return cls("file", (("path", os.path.abspath(os.path.expanduser(os.fspath(path)))),))

    def get(self, key: str, default: str | None = None) -> str | None:
        """The value of one part, or ``default``."""
        for k, v in self.parts:
            if k == key:
                return v
        return default

    def as_dict(self) -> dict[str, str]:
        """The parts as a new dict."""
        return dict(self.parts)

    def __str__(self) -> str:
        return f"{self.kind}:" + ",".join(f"{k}={v}" for k, v in self.parts)


# ------------------------------------------------------------------ deferred fields
class DeferredFields(Sequence):
    """The ``(name, type)`` columns of an object as they were when it was read, worked out
    only when first asked for (a sequence of pairs, equal to the tuple it stands for).

    An adapter gives one as :attr:`Access.fields` when the names and types cost more than
    keeping references does and are usually not needed: after the cell the notebook face
    asks :meth:`unchanged` first and, when the object still has the schema it was read
    with, takes the columns from the object's profile instead.
    """

    __slots__ = ("_resolved",)

    def __init__(self) -> None:
        self._resolved: tuple[tuple[str, str], ...] | None = None

    def resolve(self) -> tuple[tuple[str, str], ...]:
        """Work out the columns (once)."""
        raise NotImplementedError

    def unchanged(self, obj: Any) -> bool:
        """Whether ``obj`` still has exactly the columns and types it was read with."""
        raise NotImplementedError

    def _fields(self) -> tuple[tuple[str, str], ...]:
        if self._resolved is None:
            try:
                self._resolved = tuple((str(n), str(t)) for n, t in self.resolve())
            except Exception:  # noqa: BLE001 - odd kept objects: no columns known, never an error
                self._resolved = ()
        return self._resolved

    def __getitem__(self, index: Any) -> Any:
        return self._fields()[index]

    def __len__(self) -> int:
        return len(self._fields())

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._fields())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DeferredFields):
            other = other._fields()
        return self._fields() == other

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return repr(self._fields())


# -------------------------------------------------------------------------- access
@dataclass(frozen=True)
class Access:
    """One read or write a cell made.

    Attributes:
        direction: ``"input"`` (read) or ``"output"`` (written).
        location: where.
        via: the library call that did it, e.g. ``"pandas.read_csv"``.
        fields: the columns as ``(name, type)`` pairs, when known (a tuple, or a
            :class:`DeferredFields` that works them out when first used).
        facets: OpenLineage facet payloads by facet name, WITHOUT ``_producer`` /
            ``_schemaURL`` (the notebook face adds those), e.g.
            ``{"version": {"datasetVersion": "..."}, "dataSource": {"name": ..., "uri": ...}}``.
            Dataset facets and input/output facets share this mapping; the notebook
            face files ``dataQualityMetrics`` under ``inputFacets`` for an input and
            ``outputStatistics`` under ``outputFacets`` for an output.
        query: the SQL text when the access came from a query (for SQL lineage later).
        obj: the object read or written (a DataFrame, a table, a model) for profiling
            after the cell, or ``None``. Not part of equality.
    """

    direction: str
    location: Location
    via: str
    fields: tuple[tuple[str, str], ...] | DeferredFields | None = None
    facets: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    query: str | None = None
    obj: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.direction not in _DIRECTIONS:
            raise ValueError(f"direction must be 'input' or 'output', got {self.direction!r}")
        if self.fields is not None and not isinstance(self.fields, (tuple, DeferredFields)):
            object.__setattr__(self, "fields", tuple((str(n), str(t)) for n, t in self.fields))

    @property
    def key(self) -> tuple[str, Location]:
        """What de-duplicates accesses in a cell: ``(direction, location)``."""
        return (self.direction, self.location)

    def merged(self, later: Access) -> Access:
        """This access combined with a later one on the same key.

        ``via`` and ``query`` keep the first non-empty value; ``fields`` and ``obj``
        take the later non-``None`` value; ``facets`` are merged key by key, the later
        payload winning.
        """
        facets = {**self.facets, **later.facets} if later.facets else self.facets
        return replace(
            self,
            fields=later.fields if later.fields is not None else self.fields,
            facets=facets,
            query=self.query or later.query,
            obj=later.obj if later.obj is not None else self.obj,
        )


# ---------------------------------------------------------------------- capture
class CellCapture:
    """The accesses of one cell execution, de-duplicated per ``(direction, location)``.

    Thread-safe: hooks may record from threads the cell started.

    Attributes:
        started: ``time.time()`` when the capture was created.
        errors: ``(stage, exception)`` for each internal failure recorded with :meth:`fail`.
    """

    def __init__(self) -> None:
        self.started = time.time()
        self.errors: list[tuple[str, BaseException]] = []
        self._records: dict[tuple[str, Location], Access] = {}
        self._lock = threading.Lock()

    def add(self, access: Access) -> None:
        """Record one access, merging it into an earlier one on the same key."""
        key = access.key
        with self._lock:
            earlier = self._records.get(key)
            self._records[key] = access if earlier is None else earlier.merged(access)

    def extend(self, accesses: Iterable[Access]) -> None:
        """Record several accesses."""
        for access in accesses:
            self.add(access)

    def fail(self, stage: str, exc: BaseException) -> None:
        """Record an internal failure (``stage`` like ``"capture:pandas.read_csv"``)."""
        with self._lock:
            self.errors.append((stage, exc))

    @property
    def accesses(self) -> list[Access]:
        """Every access, in first-recorded order."""
        with self._lock:
            return list(self._records.values())

    @property
    def inputs(self) -> list[Access]:
        return [a for a in self.accesses if a.direction == INPUT]

    @property
    def outputs(self) -> list[Access]:
        return [a for a in self.accesses if a.direction == OUTPUT]

    def __len__(self) -> int:
        return len(self._records)

    def __repr__(self) -> str:
        return f"<CellCapture {len(self.inputs)} in, {len(self.outputs)} out, {len(self.errors)} errors>"


_active: CellCapture | None = None
_local = threading.local()


def active() -> CellCapture | None:
    """The capture of the cell now running, or ``None`` outside cells / when off."""
    return _active


def activate(capture: CellCapture) -> CellCapture | None:
    """Make ``capture`` the active one; returns the one it replaced (normally ``None``)."""
    global _active
    previous, _active = _active, capture
    return previous


def deactivate() -> CellCapture | None:
    """Stop capturing; returns the capture that was active."""
    global _active
    previous, _active = _active, None
    return previous


def nested() -> bool:
    """True inside a recorded library call on this thread (so this call is not outermost)."""
    return getattr(_local, "depth", 0) > 0


class calling:  # used like a function: ``with calling() as outermost``
    """Mark the current thread as inside a library call; yields whether it is the outermost.

    Custom hook wrappers use it around the original call; nbgov's own work (profiling,
    storing) uses it so that the libraries it calls are not recorded::

        with calling() as outermost:
            result = original(*args, **kwargs)

    A class rather than a generator-based context manager: it runs around every hooked
    library call and every step of nbgov's after-cell work, and costs a tenth as much.
    """

    __slots__ = ("_depth",)

    def __enter__(self) -> bool:
        self._depth = depth = getattr(_local, "depth", 0)
        _local.depth = depth + 1
        return depth == 0

    def __exit__(self, *exc: object) -> None:
        _local.depth = self._depth


def record(*accesses: Access) -> bool:
    """Add accesses to the active capture, if any (for hooks that are not wrappers, such
    as a database trace callback; they check :func:`nested` themselves).

    Returns:
        Whether a capture was active.
    """
    capture = _active
    if capture is None:
        return False
    capture.extend(accesses)
    return True
