"""Schema-change alerts: each stored version of a dataset compared with the one before.

The versions come from the store (``Store.dataset_versions``, oldest first); a version's
columns are the fields of the ``schema`` facet its run sent. Versions whose run sent no
schema are skipped (an unknown schema is not "every column removed"). For each pair of
consecutive versions with a schema:

- ``SCHEMA_ADDITION`` (INFO) — a column appeared;
- ``SCHEMA_REMOVAL`` (WARNING) — a column disappeared;
- ``TYPE_CHANGE`` (ERROR) — a column's type changed (types compare case-insensitively,
  blanks collapsed, nullability markers removed: ``INT64`` and ``int64`` are one type);
- ``NULLABILITY_CHANGE`` — only where the schema says so: a ``NOT NULL`` suffix (Arrow's
  ``int64 not null``, SQL's ``INTEGER NOT NULL``), a ``Nullable(T)`` wrapper (ClickHouse),
  a trailing ``?``, or a boolean ``nullable`` key on the field. WARNING when a column may
  now hold nulls, INFO the other way. A field without any marker next to one with a
  marker reads as the opposite of that marker (``int64 not null`` → ``int64`` becomes
  nullable; ``Nullable(Int64)`` → ``Int64`` becomes non-null).
- ``RENAME_HINT`` (INFO, a hint, not a proof) — a removed and an added column with the
  same type, paired when they sit at the same position (``ordinal_position`` when the
  schema gives it, else the index in the field list) or when their names are similar
  (``difflib`` ratio ≥ 0.6 on lower-cased names with ``_``/``-``/blanks removed). Each
  removed column pairs with at most one added column; the removal and addition alerts
  stay, the hint explains them.

Alerts are computed from the stored versions on demand, not stored a second time; the
same store always gives the same alerts. :func:`alerts_for_run` is the notebook hook's
entry point: the alerts caused by the versions one run wrote.

The vocabulary and severities are those of ``nbgov.governance.drift``'s schema diff.
That diff compares two *data profiles* (pandas logical types, null rates, distributions)
and cannot read a stored schema facet, so this module compares declared schemas itself.

Example:
    >>> from nbgov.governance import schema_changes
    >>> for alert in schema_changes(store, "file", "/data/out.csv"):  # doctest: +SKIP
    ...     print(alert.message)
    dataset:file:/data/out.csv: column amount type changed int64 -> string (ERROR)
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nbgov.errors import NodeNotFoundError
from nbgov.model.nodes import NodeId

if TYPE_CHECKING:
    from nbgov.store import Store

__all__ = [
    "SCHEMA_ALERT_TYPES",
    "SchemaAlert",
    "alerts_for_run",
    "schema_changes",
]

#: alert type → severity (NULLABILITY_CHANGE depends on the direction: see the module doc)
SCHEMA_ALERT_TYPES: dict[str, str] = {
    "SCHEMA_ADDITION": "INFO",
    "SCHEMA_REMOVAL": "WARNING",
    "TYPE_CHANGE": "ERROR",
    "NULLABILITY_CHANGE": "WARNING",
    "RENAME_HINT": "INFO",
}
RENAME_SIMILARITY = 0.6

_NOT_NULL = re.compile(r"\s+not\s+null\s*$", re.IGNORECASE)
_NULLABLE_WRAP = re.compile(r"^\s*nullable\s*\((.*)\)\s*$", re.IGNORECASE | re.DOTALL)
_BLANKS = re.compile(r"\s+")


@dataclass(frozen=True)
class SchemaAlert:
    """One schema change between two consecutive versions of a dataset.

    Attributes:
        type: ``SCHEMA_ADDITION``, ``SCHEMA_REMOVAL``, ``TYPE_CHANGE``,
            ``NULLABILITY_CHANGE`` or ``RENAME_HINT``.
        severity: ``INFO``, ``WARNING`` or ``ERROR``.
        namespace, dataset: the dataset.
        column: the column concerned (for a rename hint: the new name).
        from_type, to_type: the column's declared type before and after (``None`` on the
            side where it does not exist); for a nullability change ``nullable`` /
            ``non-null``; for a rename hint the old and new column names.
        from_version: the previous version with a schema; to_version: the new version.
        run_id: the run that wrote ``to_version``.
        created_at: when ``to_version`` was first seen (store time, UTC).
    """

    type: str
    severity: str
    namespace: str
    dataset: str
    column: str
    from_type: str | None
    to_type: str | None
    from_version: str
    to_version: str
    run_id: str | None
    created_at: str | None = None

    @property
    def node_id(self) -> str:
        """The ``dataset:`` id of the dataset."""
        return str(NodeId.dataset(self.namespace, self.dataset))

    @property
    def message(self) -> str:
        """One line for a notice or a log: what changed, where, how serious."""
        what = {
            "SCHEMA_ADDITION": f"column {self.column} added ({self.to_type})",
            "SCHEMA_REMOVAL": f"column {self.column} removed (was {self.from_type})",
            "TYPE_CHANGE": f"column {self.column} type changed {self.from_type} -> {self.to_type}",
            "NULLABILITY_CHANGE": f"column {self.column} {self.from_type} -> {self.to_type}",
            "RENAME_HINT": f"column {self.from_type} may have been renamed to {self.to_type}",
        }.get(self.type, f"{self.type} {self.column}")
        return f"{self.node_id}: {what} ({self.severity})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, stable keys."""
        return {
            "type": self.type,
            "severity": self.severity,
            "dataset": self.node_id,
            "column": self.column,
            "from": self.from_type,
            "to": self.to_type,
            "from_version": self.from_version,
            "to_version": self.to_version,
            "run_id": self.run_id,
            "created_at": self.created_at,
        }

    def __str__(self) -> str:
        return self.message


# ------------------------------------------------------------------ reading schemas
@dataclass(frozen=True)
class _Column:
    name: str
    type: str | None  # normalised, nullability marker removed
    shown: str | None  # as declared, marker removed
    nullable: bool | None  # None: the schema does not say
    position: int


def _parse_type(declared: Any, explicit: Any) -> tuple[str | None, bool | None]:
    nullable = explicit if isinstance(explicit, bool) else None
    if not isinstance(declared, str) or not declared.strip():
        return None, nullable
    text = declared.strip()
    wrapped = _NULLABLE_WRAP.match(text)
    if wrapped:
        return wrapped.group(1).strip(), True if nullable is None else nullable
    if _NOT_NULL.search(text):
        return _NOT_NULL.sub("", text).strip(), False if nullable is None else nullable
    if text.endswith("?") and len(text) > 1:
        return text[:-1].strip(), True if nullable is None else nullable
    return text, nullable


def _columns(version: Mapping[str, Any]) -> list[_Column] | None:
    """The columns of a stored version, or None when its run sent no schema."""
    schema = (version.get("facets") or {}).get("schema")
    raw = schema.get("fields") if isinstance(schema, Mapping) else None
    if not isinstance(raw, list):
        raw = version.get("fields") or None
        if raw is None:
            return None
    out: list[_Column] = []
    for index, f in enumerate(raw):
        if not isinstance(f, Mapping) or not isinstance(f.get("name"), str):
            continue
        shown, nullable = _parse_type(f.get("type"), f.get("nullable"))
        position = f.get("ordinal_position")
        out.append(
            _Column(
                name=f["name"],
                type=_BLANKS.sub(" ", shown).lower() if shown else None,
                shown=shown,
                nullable=nullable,
                position=position
                if isinstance(position, int) and not isinstance(position, bool)
                else index + 1,
            )
        )
    return out


def _similar(a: str, b: str) -> float:
    def norm(s: str) -> str:
        return re.sub(r"[\s_\-]+", "", s.lower())

    return difflib.SequenceMatcher(None, norm(a), norm(b)).ratio()


def _diff(
    namespace: str,
    name: str,
    prev: Mapping[str, Any],
    cur: Mapping[str, Any],
    old: Sequence[_Column],
    new: Sequence[_Column],
) -> list[SchemaAlert]:
    def alert(
        kind: str, column: str, a: str | None, b: str | None, severity: str | None = None
    ) -> SchemaAlert:
        return SchemaAlert(
            type=kind,
            severity=severity or SCHEMA_ALERT_TYPES[kind],
            namespace=namespace,
            dataset=name,
            column=column,
            from_type=a,
            to_type=b,
            from_version=str(prev["version"]),
            to_version=str(cur["version"]),
            run_id=cur.get("createdByRun"),
            created_at=cur.get("createdAt"),
        )

    before = {c.name: c for c in old}
    after = {c.name: c for c in new}
    added = [c for c in new if c.name not in before]
    removed = [c for c in old if c.name not in after]
    alerts = [alert("SCHEMA_ADDITION", c.name, None, c.shown) for c in added]
    alerts += [alert("SCHEMA_REMOVAL", c.name, c.shown, None) for c in removed]
    for c in new:
        o = before.get(c.name)
        if o is None:
            continue
        if o.type is not None and c.type is not None and o.type != c.type:
            alerts.append(alert("TYPE_CHANGE", c.name, o.shown, c.shown))
        if o.nullable is not None or c.nullable is not None:  # an unmarked side reads as the opposite
            was = o.nullable if o.nullable is not None else not c.nullable
            now = c.nullable if c.nullable is not None else not o.nullable
            if was != now:
                label = {True: "nullable", False: "non-null"}
                alerts.append(
                    alert("NULLABILITY_CHANGE", c.name, label[was], label[now], "WARNING" if now else "INFO")
                )
    taken: set[str] = set()
    for r in removed:
        same_type = [a for a in added if a.name not in taken and a.type == r.type]
        match = next((a for a in same_type if a.position == r.position), None)
        if match is None:
            scored = sorted(
                ((_similar(r.name, a.name), a.name) for a in same_type), key=lambda t: (-t[0], t[1])
            )
            if scored and scored[0][0] >= RENAME_SIMILARITY:
                match = after[scored[0][1]]
        if match is not None:
            taken.add(match.name)
            alerts.append(alert("RENAME_HINT", match.name, r.name, match.name))
    return alerts


# --------------------------------------------------------------------------- public API
def schema_changes(store: Store, namespace: str, name: str) -> list[SchemaAlert]:
    """Every schema change of a dataset, oldest first.

    Args:
        store: the lineage store.
        namespace: the dataset's namespace.
        name: the dataset's name.

    Returns:
        Alerts in version order; within one version: additions, removals, type and
        nullability changes (in column order), then rename hints.

    Raises:
        NodeNotFoundError: the dataset is not in the store.
    """
    versions = list(reversed(store.dataset_versions(namespace, name)))
    alerts: list[SchemaAlert] = []
    prev: tuple[Mapping[str, Any], list[_Column]] | None = None
    for version in versions:
        cols = _columns(version)
        if cols is None:
            continue
        if prev is not None:
            alerts += _diff(namespace, name, prev[0], version, prev[1], cols)
        prev = (version, cols)
    return alerts


def alerts_for_run(
    store: Store, run_id: str, *, written: Iterable[tuple[str, str]] | None = None
) -> list[SchemaAlert]:
    """The schema alerts caused by the dataset versions one run wrote.

    The notebook hook calls this after storing a cell's events:
    ``notices = [a.message for a in alerts_for_run(store, run_id)]``.

    Args:
        store: the lineage store.
        run_id: the run.
        written: the ``(namespace, name)`` of the datasets the run wrote, when the caller
            has its events at hand (the notebook hook); read from the store otherwise.

    Returns:
        For each dataset the run wrote, the alerts between the version it wrote and the
        previous version with a schema (datasets sorted by namespace and name).

    Raises:
        NodeNotFoundError: the run is not in the store (``run:<id>``).
    """
    datasets = set(written) if written is not None else _written_by(store, run_id)
    alerts: list[SchemaAlert] = []
    for namespace, name in sorted(datasets):
        try:
            alerts += _run_changes(store, namespace, name, run_id)
        except NodeNotFoundError:  # pragma: no cover - a written dataset is always a node
            continue
    return alerts


def _written_by(store: Store, run_id: str) -> set[tuple[str, str]]:
    store.run(run_id)  # raises NodeNotFoundError for an unknown run
    written: set[tuple[str, str]] = set()
    for event in store.events(run_id=run_id):
        for out in event.get("outputs") or ():
            if (
                isinstance(out, Mapping)
                and isinstance(out.get("namespace"), str)
                and isinstance(out.get("name"), str)
            ):
                written.add((out["namespace"], out["name"]))
    return written


#: versions read per page by :func:`alerts_for_run` (the page grows 4× each time; a re-run cell
#: needs its own version and the one before)
_PAGE = 2


def _run_changes(store: Store, namespace: str, name: str, run_id: str) -> list[SchemaAlert]:
    """The alerts of :func:`schema_changes` that belong to *run_id*, reading only the
    newest versions down to the last one before the run's oldest that has a schema —
    the cost of a cell's alerts does not grow with the dataset's history."""
    wanted = len(store.dataset_versions(namespace, name, run_id=run_id))
    if not wanted:
        return []
    window: list[Mapping[str, Any]] = []  # newest first
    page = _PAGE
    while True:
        rows = store.dataset_versions(namespace, name, limit=page, offset=len(window))
        window += rows
        mine = [i for i, v in enumerate(window) if v.get("createdByRun") == run_id]
        if len(rows) < page:
            break  # the whole history is in the window
        if len(mine) == wanted and any(_columns(v) is not None for v in window[mine[-1] + 1 :]):
            break  # every version of the run, and an older one with a schema
        page *= 4
    alerts: list[SchemaAlert] = []
    prev: tuple[Mapping[str, Any], list[_Column]] | None = None
    for version in reversed(window):
        cols = _columns(version)
        if cols is None:
            continue
        if prev is not None and version.get("createdByRun") == run_id:
            alerts += _diff(namespace, name, prev[0], version, prev[1], cols)
        prev = (version, cols)
    return alerts
