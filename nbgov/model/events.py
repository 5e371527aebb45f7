"""Normalising a raw OpenLineage event into the rows of the lineage graph.

The store keeps every raw event as received; this module derives the graph view of
one event — job, run state, datasets read and written, dataset versions, column
edges — without touching a database. Standard library only, but for the JSON text of
:mod:`nbgov.model.jsontext`.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import hashlib
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from nbgov.errors import InvalidEventError
from nbgov.model import jsontext


class RunState(str, enum.Enum):
    """Run states as Marquez names them."""

    NEW = "NEW"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    ABORTED = "ABORTED"

    @property
    def terminal(self) -> bool:
        return self in (RunState.COMPLETED, RunState.FAILED, RunState.ABORTED)


_STATE_OF_EVENT = {
    "START": RunState.RUNNING,
    "RUNNING": RunState.RUNNING,
    "COMPLETE": RunState.COMPLETED,
    "FAIL": RunState.FAILED,
    "ABORT": RunState.ABORTED,
}

_ISO = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$"
)


_UTC_FAST = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.(\d{1,6}))?Z$")


def normalize_time(value: str) -> str:
    """An ISO-8601 time as UTC ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (sortable as text).

    Raises:
        ValueError: not an ISO-8601 date-time.
    """
    fast = _UTC_FAST.match(value)
    if fast is not None and _valid_calendar(value):  # already UTC: only the fraction needs padding
        return f"{value[:19]}.{(fast.group(1) or '').ljust(6, '0')}Z"
    m = _ISO.match(value.strip())
    if not m:
        raise ValueError(f"not an ISO-8601 date-time: {value!r}")
    year, month, day, hour, minute = (int(m.group(i)) for i in range(1, 6))
    second = int(m.group(6) or 0)
    micro = int((m.group(7) or "0")[:6].ljust(6, "0"))
    tz = m.group(8)
    if tz in (None, "Z", "z"):
        offset = dt.timedelta(0)
    else:
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        offset = sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
    moment = dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=dt.timezone(offset))
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _valid_calendar(value: str) -> bool:
    try:
        dt.datetime(int(value[0:4]), int(value[5:7]), int(value[8:10]), int(value[11:13]), int(value[14:16]),
                    int(value[17:19]))
    except ValueError:
        return False
    return True


def utc_now() -> str:
    """Now, in the store's time format."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")[:-6] + "Z"  # "+00:00" → Z


def canonical_json(event: Mapping[str, Any]) -> str:
    """Compact JSON with sorted keys: equal events give equal text (see
    :func:`nbgov.model.jsontext.canonical`)."""
    return jsontext.canonical(event)


def event_key(event: Mapping[str, Any]) -> str:
    """Identity of an event for idempotent import: SHA-256 of its canonical JSON."""
    return hashlib.sha256(canonical_json(event).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class DatasetIO:
    """A dataset as one event reads or writes it."""

    namespace: str
    name: str
    facets: Mapping[str, Any]
    io_facets: Mapping[str, Any]

    @functools.cached_property
    def fields(self) -> list[dict[str, Any]] | None:
        """Top-level fields of the schema facet, or None when the event has none."""
        schema = self.facets.get("schema")
        if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
            return None
        return [f for f in schema["fields"] if isinstance(f, dict) and isinstance(f.get("name"), str)]

    @functools.cached_property
    def marquez_fields(self) -> list[dict[str, Any]] | None:
        """Top-level schema fields as Marquez lists them (``name, type, tags, description``)."""
        fields = self.fields
        if fields is None:
            return None
        return [{"name": f["name"], "type": f.get("type"), "tags": [], "description": f.get("description")}
                for f in fields]


class ColumnEdge(NamedTuple):
    """One column-lineage edge from an output field to an input field.

    ``out_field`` is ``""`` for a dataset-wide (``dataset`` section) dependency.
    A named tuple rather than a dataclass: events carry many of these and they are
    built on the ingest hot path.
    """

    out_namespace: str
    out_name: str
    out_field: str
    in_namespace: str
    in_name: str
    in_field: str
    type: str
    subtype: str
    description: str
    masking: bool


@dataclass(frozen=True)
class NormalizedEvent:
    """The graph view of one OpenLineage event."""

    kind: str  # RUN | DATASET | JOB
    event_type: str | None
    event_time: str
    producer: str
    job_namespace: str | None = None
    job_name: str | None = None
    job_facets: Mapping[str, Any] = field(default_factory=dict)
    run_id: str | None = None
    run_facets: Mapping[str, Any] = field(default_factory=dict)
    state: RunState | None = None
    parent_run_id: str | None = None
    parent_job: tuple[str, str] | None = None
    inputs: tuple[DatasetIO, ...] = ()
    outputs: tuple[DatasetIO, ...] = ()
    column_edges: tuple[ColumnEdge, ...] = ()

    @property
    def namespaces(self) -> set[str]:
        names = {d.namespace for d in (*self.inputs, *self.outputs)}
        if self.job_namespace:
            names.add(self.job_namespace)
        return names


def _mapping(value: Any, path: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidEventError("expected an object", path=path)
    return value


def _text(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise InvalidEventError("expected a non-empty string", path=path)
    return value


def _datasets(items: Any, path: str, io_key: str) -> tuple[DatasetIO, ...]:
    if items is None:
        return ()
    if not isinstance(items, list):
        raise InvalidEventError("expected an array", path=path)
    out = []
    for i, item in enumerate(items):
        p = f"{path}[{i}]"
        item = _mapping(item, p)
        out.append(
            DatasetIO(
                namespace=_text(item.get("namespace"), f"{p}.namespace"),
                name=_text(item.get("name"), f"{p}.name"),
                facets=_mapping(item.get("facets"), f"{p}.facets"),
                io_facets=_mapping(item.get(io_key), f"{p}.{io_key}"),
            )
        )
    return tuple(out)


def _transformations(entry: Mapping[str, Any]) -> list[tuple[str, str, str, bool]]:
    """(type, subtype, description, masking) for an inputField; legacy 1-0-x fields included."""
    found = []
    for t in entry.get("transformations") or ():
        if isinstance(t, dict) and isinstance(t.get("type"), str):
            found.append((t["type"], str(t.get("subtype") or ""), str(t.get("description") or ""), bool(t.get("masking"))))
    return found


def _is_field_ref(src: Any) -> bool:
    return (
        isinstance(src, dict)
        and isinstance(src.get("namespace"), str)
        and isinstance(src.get("name"), str)
        and isinstance(src.get("field"), str)
    )


def _column_edges(output: DatasetIO) -> list[ColumnEdge]:
    facet = output.facets.get("columnLineage")
    if not isinstance(facet, dict) or facet.get("_deleted"):
        return []
    edges: list[ColumnEdge] = []
    fields = facet.get("fields")
    if isinstance(fields, dict):
        for out_field, spec in fields.items():
            if not isinstance(spec, dict):
                continue
            legacy_type = str(spec.get("transformationType") or "")
            legacy_desc = str(spec.get("transformationDescription") or "")
            for src in spec.get("inputFields") or ():
                if not _is_field_ref(src):
                    continue
                kinds = _transformations(src) or [("DIRECT", legacy_type, legacy_desc, False)]
                for typ, subtype, desc, masking in kinds:
                    edges.append(
                        ColumnEdge(output.namespace, output.name, out_field, src["namespace"], src["name"],
                                   src["field"], typ, subtype, desc, masking)
                    )
    for src in facet.get("dataset") or ():
        if not _is_field_ref(src):
            continue
        for typ, subtype, desc, masking in _transformations(src) or [("INDIRECT", "", "", False)]:
            edges.append(
                ColumnEdge(output.namespace, output.name, "", src["namespace"], src["name"], src["field"],
                           typ, subtype, desc, masking)
            )
    return edges


def normalize_event(event: Mapping[str, Any]) -> NormalizedEvent:
    """Derive the graph view of a raw OpenLineage event.

    Only the structure the graph needs is checked here; full spec validation is the
    job of :mod:`nbgov.emit.validate`.

    Raises:
        InvalidEventError: a field the graph needs is missing or malformed.
    """
    if not isinstance(event, dict):
        raise InvalidEventError("an event must be a JSON object")
    try:
        event_time = normalize_time(_text(event.get("eventTime"), "eventTime"))
    except ValueError as exc:
        raise InvalidEventError(str(exc), path="eventTime") from None
    producer = _text(event.get("producer"), "producer")

    if "run" in event:
        kind = "RUN"
    elif "dataset" in event and "job" not in event:
        kind = "DATASET"
    elif "job" in event:
        kind = "JOB"
    else:
        raise InvalidEventError("an event needs run+job, job or dataset", path="run")

    if kind == "DATASET":
        ds = _mapping(event.get("dataset"), "dataset")
        io = DatasetIO(_text(ds.get("namespace"), "dataset.namespace"), _text(ds.get("name"), "dataset.name"),
                       _mapping(ds.get("facets"), "dataset.facets"), {})
        return NormalizedEvent(kind, None, event_time, producer, outputs=(io,), column_edges=tuple(_column_edges(io)))

    job = _mapping(event.get("job"), "job")
    job_ns = _text(job.get("namespace"), "job.namespace")
    job_name = _text(job.get("name"), "job.name")
    job_facets = _mapping(job.get("facets"), "job.facets")
    inputs = _datasets(event.get("inputs"), "inputs", "inputFacets")
    outputs = _datasets(event.get("outputs"), "outputs", "outputFacets")
    edges = tuple(e for o in outputs for e in _column_edges(o))
    if kind == "JOB":
        return NormalizedEvent(kind, None, event_time, producer, job_ns, job_name, job_facets,
                               inputs=inputs, outputs=outputs, column_edges=edges)

    run = _mapping(event.get("run"), "run")
    run_id = _text(run.get("runId"), "run.runId")
    try:
        run_id = str(uuid.UUID(run_id))
    except ValueError:
        raise InvalidEventError("runId is not a UUID", path="run.runId") from None
    run_facets = _mapping(run.get("facets"), "run.facets")
    event_type = event.get("eventType")
    if event_type is not None and not isinstance(event_type, str):
        raise InvalidEventError("expected a string", path="eventType")
    state = _STATE_OF_EVENT.get(event_type or "")
    parent_run_id = parent_job = None
    parent = run_facets.get("parent")
    if isinstance(parent, dict):
        prun, pjob = parent.get("run"), parent.get("job")
        if isinstance(prun, dict) and isinstance(prun.get("runId"), str):
            parent_run_id = prun["runId"]
        if isinstance(pjob, dict) and isinstance(pjob.get("namespace"), str) and isinstance(pjob.get("name"), str):
            parent_job = (pjob["namespace"], pjob["name"])
    return NormalizedEvent(
        kind, event_type, event_time, producer, job_ns, job_name, job_facets, run_id, run_facets, state,
        parent_run_id, parent_job, inputs, outputs, edges,
    )


def version_id(namespace: str, name: str, run_id: str | None, facets: Mapping[str, Any]) -> str:
    """The version a run wrote: the ``version`` dataset facet when present, else a stable UUID."""
    facet = facets.get("version")
    if isinstance(facet, dict) and isinstance(facet.get("datasetVersion"), str):
        return facet["datasetVersion"]
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"nbgov:{namespace}:{name}:{run_id}"))
