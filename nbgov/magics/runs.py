"""OpenLineage events for the notebook session and its cells.

The session is one run of the notebook's job (jobType NOTEBOOK), started when the
extension loads and completed when it unloads. Each cell that touched data is one run
of the cell's job (jobType CELL) whose ``parent`` (and ``root``) facet points at the
session run. A cell's START and COMPLETE / FAIL are both written when the cell has
finished (only then is it known what it read and wrote), each with its true
``eventTime``: START at ``pre_run_cell``, the end at ``post_run_cell``.
"""

from __future__ import annotations

import ast
import datetime as dt
import functools
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nbgov.capture import columns
from nbgov.capture.access import Access, DeferredFields
from nbgov.capture.profile import frame_kind
from nbgov.emit.events import dataset, facet, job_type_facet, parent_facet, run_event, start_of, to_dict
from nbgov.magics.naming import IO_FACETS, data_source, dataset_for, notebook_url

__all__ = ["CellRun", "Session", "cell_events", "per_object", "python_of", "session_event"]

log = logging.getLogger(__name__)

INTEGRATION = "JUPYTER"

#: ``profile(obj) -> Profile`` (``nbgov.capture.profile.profile_frame`` with the sample size bound)
Profiler = Callable[[Any], Any]
#: reports a failed step without raising: ``report(stage, exc)``
Reporter = Callable[[str, BaseException], None]


@dataclass
class Session:
    """The notebook's run."""

    namespace: str
    notebook: str
    run_id: str
    started: dt.datetime


@dataclass
class CellRun:
    """What is known about one finished cell execution.

    Attributes:
        job_namespace, job_name: the cell's job.
        cell: the cell key (``cell-<id>`` / ``cell-<hash>``), for ``sourceCodeLocation``.
        source: the cell's source.
        started, ended: the ``pre_run_cell`` / ``post_run_cell`` times.
        accesses: what the cell read and wrote.
        error: the exception the cell raised, if any.
        owners, description, tags: from ``%%lineage``.
    """

    job_namespace: str
    job_name: str
    cell: str
    source: str
    started: dt.datetime
    ended: dt.datetime
    accesses: Sequence[Access] = ()
    error: BaseException | None = None
    owners: Sequence[str] = ()
    description: str | None = None
    tags: Sequence[tuple[str, str]] = ()
    queries: Sequence[str] = field(default_factory=list)


@functools.lru_cache(maxsize=1)
def _cell_job_type() -> Any:
    """Every cell's ``jobType`` facet, built once."""
    return job_type_facet(("BATCH", INTEGRATION, "CELL"))


@functools.lru_cache(maxsize=8)
def _session_parent(namespace: str, notebook: str, run_id: str) -> Any:
    """Every cell's ``parent`` facet (the notebook's run, also the root), built once per session."""
    run = (namespace, notebook, run_id)
    return parent_facet(run, run)


def session_event(session: Session, event_type: str, *, when: dt.datetime | None = None) -> dict[str, Any]:
    """The session's START (at load) or COMPLETE (at unload) as JSON-ready data."""
    return to_dict(run_event(
        event_type,
        job_namespace=session.namespace,
        job_name=session.notebook,
        run_id=session.run_id,
        event_time=when or session.started,
        job_type=("BATCH", INTEGRATION, "NOTEBOOK"),
        job_facets={"sourceCodeLocation": facet("sourceCodeLocation", {
            "type": "notebook", "url": notebook_url(session.notebook), "path": session.notebook,
        }, kind="job")},
    ))


def _owner(spec: str) -> tuple[str, str | None]:
    kind, sep, _ = spec.partition(":")
    return (spec, kind) if sep and kind in ("team", "user", "group", "service") else (spec, None)


def _dataset(access: Access, cell: CellRun, notebook: str, profile: Profiler | None,
             report: Reporter) -> Any:
    namespace, name = dataset_for(access.location, job_namespace=cell.job_namespace, notebook=notebook)
    fields = access.fields
    prof: Any = None
    facets: dict[str, Any] = {"dataSource": facet("dataSource", data_source(namespace))}
    io: dict[str, Any] = {}
    io_kind = "input" if access.direction == "input" else "output"
    for key, payload in access.facets.items():
        try:
            built = facet(key, payload, kind=io_kind if key in IO_FACETS else "dataset")
        except KeyError:
            log.debug("facet %r of %s is not a standard facet at that place; dropped", key, access.via)
            continue
        (io if key in IO_FACETS else facets)[key] = built
    if access.obj is not None and profile is not None and frame_kind(access.obj) is not None:
        try:
            prof = profile(access.obj)
        except Exception as exc:  # noqa: BLE001 - reported; the dataset is kept without metrics
            report("profile", exc)
        else:
            if isinstance(fields, DeferredFields):
                if not fields.unchanged(access.obj):
                    # the frame read (or written) was changed in place later in the cell (columns
                    # renamed, added, retyped): its profile describes that, not the data read or
                    # written; keep the columns the reader or writer saw
                    prof = None
            elif access.direction == "input" and fields and [n for n, _ in fields] != [
                    n for n, _ in prof.fields or ()]:
                prof = None  # the same, for columns an adapter recorded eagerly
        if prof is not None:
            fields = prof.fields or fields
            if "version" not in facets and prof.fingerprint:
                facets["version"] = facet("version", {"datasetVersion": prof.fingerprint})
            quality = prof.quality if prof.row_count is not None and "columnMetrics" in prof.quality else None
            if quality:
                if access.direction == "input":
                    io["dataQualityMetrics"] = facet("dataQualityMetrics", quality, kind="input")
                else:
                    facets["dataQualityMetrics"] = facet("dataQualityMetrics", quality)
                    io.setdefault("outputStatistics", facet("outputStatistics", {"rowCount": prof.row_count},
                                                            kind="output"))
    if isinstance(fields, DeferredFields):  # not replaced by the profile's: the columns as read / written
        fields = tuple(fields) or None
    return dataset(namespace, name, fields=fields, facets=facets, io_facets=io, kind=access.direction)


def _fields(ds: Any) -> tuple[tuple[str, str], ...]:
    """``(name, type)`` of a built dataset's ``schema`` facet."""
    schema = (ds.facets or {}).get("schema")
    fields = getattr(schema, "fields", None) if schema is not None else None
    if fields is None and isinstance(schema, dict):
        fields = schema.get("fields")
    out = []
    for f in fields or ():
        name = getattr(f, "name", None) or (f.get("name") if isinstance(f, dict) else None)
        kind = getattr(f, "type", None) if not isinstance(f, dict) else f.get("type")
        if name:
            out.append((str(name), str(kind or "")))
    return tuple(out)


#: cell magics whose body is Python (column lineage reads it); others (``%%sql``…) are not
_PYTHON_BODIES = frozenset({"lineage", "time", "capture", "timeit", "prun"})
_transformer: Any = None


@functools.lru_cache(maxsize=256)
def python_of(source: str) -> str:
    """The Python a cell's source runs, for the static column-lineage pass ("" for none).

    A ``%%lineage`` (``%%time``, ``%%capture``) cell is its body; another cell magic
    (``%%sql``, ``%%bash``) has no Python; line magics and shell escapes are turned into
    Python by IPython's own transformer.
    """
    global _transformer
    text = source
    stripped = text.lstrip()
    if stripped.startswith("%%"):
        first, _, body = stripped.partition("\n")
        magic = first[2:].split(None, 1)[0] if first[2:].strip() else ""
        if magic not in _PYTHON_BODIES:
            return ""
        text = body
    if "%" in text or "!" in text or "?" in text:
        try:
            ast.parse(text)
        except SyntaxError:
            if _transformer is None:
                from IPython.core.inputtransformer2 import TransformerManager

                _transformer = TransformerManager()
            text = _transformer.transform_cell(text)
        except (ValueError, MemoryError, RecursionError):
            return ""
    return text


def _column_lineage(built: list[tuple[Access, Any]], cell: CellRun, report: Reporter) -> None:
    """The ``columnLineage`` facet of each output that has none yet (see
    :mod:`nbgov.capture.columns`): from the cell's Python (cached per source) and the
    columns of what it read and wrote. Outputs of SQL keep the SQL's lineage."""
    sides = []
    for access, ds in built:
        loc = access.location
        facets = ds.facets or {}
        sides.append(columns.Side(
            direction=access.direction, kind=loc.kind, namespace=ds.namespace, name=ds.name, fields=_fields(ds),
            var=loc.get("name") if loc.kind == "dataframe" else None,
            path=loc.get("path") or loc.get("url"), table=loc.get("table"), query=access.query, obj=access.obj,
            fixed=access.direction == "output" and (
                "columnLineage" in facets or access.via == "%%sql" or bool(access.query)),
        ))
    if not any(s.direction == "output" and not s.fixed and s.fields for s in sides):
        return
    program = None
    try:
        program = columns.analyse(python_of(cell.source))
    except Exception as exc:  # noqa: BLE001 - the names still match without the code
        report("column lineage", exc)
    for index, payload in columns.cell_column_lineage(None, sides, program=program or columns.EMPTY).items():
        ds = built[index][1]
        ds.facets = dict(ds.facets or {})
        ds.facets["columnLineage"] = facet("columnLineage", payload)


def per_object(profile: Profiler | None) -> Profiler | None:
    """``profile`` computing each object's profile once (by ``id``: for the objects of one
    cell, which its accesses keep alive). Made once per cell and given to both
    :func:`cell_events` and the after-cell PII step, which then share the profiles."""
    if profile is None:
        return None
    cache: dict[int, Any] = {}

    def once(obj: Any) -> Any:
        key = id(obj)
        if key not in cache:
            cache[key] = profile(obj)
        return cache[key]

    return once


def cell_events(
    cell: CellRun,
    session: Session,
    *,
    profile: Profiler | None = None,
    report: Reporter,
) -> list[dict[str, Any]]:
    """START and COMPLETE (or FAIL with ``errorMessage``) of one cell, JSON-ready.

    A dataset whose naming fails is reported (stage ``"naming"``) and left out; a
    profile that fails is reported (stage ``"profile"``) and the dataset kept without
    metrics. ``profile`` should come from :func:`per_object`: a frame read from a file is
    also an output of the cell, and is then profiled once.
    """
    inputs, outputs = [], []
    built: list[tuple[Access, Any]] = []
    for access in cell.accesses:
        try:
            ds = _dataset(access, cell, session.notebook, profile, report)
        except Exception as exc:  # noqa: BLE001 - one bad location must not lose the run
            report("naming", exc)
            continue
        (inputs if access.direction == "input" else outputs).append(ds)
        built.append((access, ds))
    try:
        _column_lineage(built, cell, report)
    except Exception as exc:  # noqa: BLE001 - the run is kept without these column edges
        report("column lineage", exc)
    job_facets: dict[str, Any] = {"sourceCodeLocation": facet("sourceCodeLocation", {
        "type": "notebook", "url": notebook_url(session.notebook, cell.cell), "path": session.notebook,
    }, kind="job")}
    if cell.tags:
        job_facets["tags"] = facet("tags", {
            "tags": [{"key": k, "value": v, "source": "USER"} for k, v in cell.tags]}, kind="job")
    common: dict[str, Any] = {
        "job_namespace": cell.job_namespace,
        "job_name": cell.job_name,
        "job_type": _cell_job_type(),
        "source_code": cell.source,
        "job_facets": job_facets,
        "parent": _session_parent(session.namespace, session.notebook, session.run_id),
        "owners": [_owner(o) for o in cell.owners] or None,
        "description": cell.description,
    }
    queries = [q for q in cell.queries if q]
    if len(queries) == 1:
        common["sql"] = queries[0]
    end = to_dict(run_event(
        "FAIL" if cell.error is not None else "COMPLETE",
        event_time=cell.ended,
        inputs=inputs,
        outputs=outputs,
        error=cell.error,
        **common,
    ))
    # START names the inputs; their schemas, versions and metrics (measured after the cell)
    # travel once, on COMPLETE / FAIL — consumers merge a run's events
    return [start_of(end, cell.started), end]


def accesses_of(groups: Iterable[Iterable[Access]]) -> list[Access]:
    """Accesses of several sources, de-duplicated per ``(direction, location)``, merged."""
    merged: dict[Any, Access] = {}
    for group in groups:
        for access in group:
            earlier = merged.get(access.key)
            merged[access.key] = access if earlier is None else earlier.merged(access)
    # a model the cell fitted and then saved is its output, not also an input (the save reads
    # the model this run made; only a model from an earlier cell is read)
    made = {a.location for a in merged.values() if a.direction == "output" and a.location.kind == "model"}
    return [a for a in merged.values() if not (a.direction == "input" and a.location in made)]


def parse_tags(values: Iterable[str]) -> list[tuple[str, str]]:
    """``key=value`` or ``key`` (value ``"true"``) tags."""
    out = []
    for value in values:
        key, sep, val = value.partition("=")
        out.append((key.strip(), val.strip() if sep else "true"))
    return out

