"""Applying a batch of normalised events to the store's tables in one transaction.

Every row a batch touches is read once, updated in memory event by event (in input
order, so later events win exactly as if applied one at a time), and written back
once with ``executemany``. That keeps the statement count per batch roughly constant
instead of per event, which is what makes ingest fast on both backends.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nbgov.model import jsontext
from nbgov.model.events import DatasetIO, NormalizedEvent, RunState, version_id

if TYPE_CHECKING:
    from nbgov.store.base import Store

DATASET = "DATASET"
JOB = "JOB"
CHUNK = 400
#: facets not copied into dataset versions: column lineage lives in its own table
VERSION_SKIPPED_FACETS = frozenset({"columnLineage"})  # ids per IN (...) list: below SQLite's and PostgreSQL's parameter limits


def loads(text: str | None, default: Any) -> Any:
    return jsontext.loads(text) if text else default


def dumps(value: Any) -> str:
    if not value:  # the common empty facets/fields, without a trip through the encoder
        return "{}" if isinstance(value, dict) else "[]" if isinstance(value, list) else jsontext.dumps(value)
    return jsontext.dumps(value)


def obj(value: Any) -> Any:
    """Decode JSON text loaded from a row only when it is needed (rows are often untouched)."""
    return jsontext.loads(value) if isinstance(value, str) else value


def text(value: Any) -> str:
    """JSON text of a value that may still be the text loaded from its row."""
    return value if isinstance(value, str) else dumps(value)


def merge_facets(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Newer facets replace older ones key by key; ``_deleted`` facets are removed."""
    merged = dict(old)
    for key, value in new.items():
        if isinstance(value, dict) and value.get("_deleted"):
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def _facet(facets: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = facets.get(key)
    return value if isinstance(value, dict) else {}


def fields_of(io: DatasetIO) -> list[dict[str, Any]] | None:
    """Marquez-style field list from a dataset's schema facet (None: no schema facet)."""
    return io.marquez_fields


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@dataclass
class _Job:
    type: str | None = None
    description: str | None = None
    location: str | None = None
    facets: Any = field(default_factory=dict)  # dict, or the row's JSON text until needed
    facets_time: str = ""
    parent_namespace: str | None = None
    parent_name: str | None = None
    latest_run_id: str | None = None


@dataclass
class _Dataset:
    type: str | None = "DB_TABLE"
    description: str | None = None
    source_name: str | None = None
    fields: Any = field(default_factory=list)  # list, or the row's JSON text until needed
    facets: Any = field(default_factory=dict)  # dict, or the row's JSON text until needed
    facets_time: str = ""
    last_modified_at: str | None = None
    current_version: str | None = None
    dirty: bool = True  # a new row; loaded rows start clean


@dataclass
class _Run:
    job_id: int
    state: str
    state_time: str
    started_at: str | None
    ended_at: str | None
    created_at: str
    updated_at: str
    parent_run_id: str | None
    nominal_start_time: str | None
    nominal_end_time: str | None
    facets: Any  # dict, or the row's JSON text until needed


class BatchWriter:
    """Writes one batch of new events; call inside the store's write transaction."""

    def __init__(self, store: Store) -> None:
        self.s = store
        self.fu = store._for_update
        self._versions_memo: dict[tuple[int, str | None], str] = {}
        #: ``(namespace, name)`` of each dataset a run of the batch wrote with a schema other
        #: than the one it had before the batch (new datasets included); see ``write``
        self.reshaped: set[tuple[str, str]] = set()

    def version_of(self, io: DatasetIO, run_id: str | None) -> str:
        """The version ``run_id`` wrote of ``io`` (memoised: it hashes)."""
        key = (id(io), run_id)
        found = self._versions_memo.get(key)
        if found is None:
            found = self._versions_memo[key] = version_id(io.namespace, io.name, run_id, io.facets)
        return found

    # ---------------------------------------------------------------- nodes
    def node_ids(self, wanted: Mapping[tuple[str, str, str], tuple[str, str, bool]]) -> dict[tuple[str, str, str], int]:
        """Ids of nodes ``(kind, ns, name) -> (first_time, last_time, touch)``, creating missing ones."""
        cache = self.s._node_cache
        missing = [k for k in wanted if k not in cache]
        if missing:
            self.s._executemany(
                "INSERT INTO nbgov_nodes (kind, namespace, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (kind, namespace, name) DO NOTHING",
                [(k[0], k[1], k[2], wanted[k][0], wanted[k][1]) for k in missing],
            )
            want = set(missing)
            names = sorted({k[2] for k in missing})
            for part in chunks(names):
                marks = ",".join("?" * len(part))
                for nid, kind, ns, name, updated in self.s._fetchall(
                    f"SELECT id, kind, namespace, name, updated_at FROM nbgov_nodes WHERE name IN ({marks})", part
                ):
                    if (kind, ns, name) in want:
                        cache[(kind, ns, name)] = [int(nid), updated]
        touches = []
        for key, (_, last, touch) in wanted.items():
            entry = cache[key]
            if touch and last > entry[1]:
                touches.append((last, entry[0], last))
                entry[1] = last
        if touches:
            self.s._executemany("UPDATE nbgov_nodes SET updated_at = ? WHERE id = ? AND updated_at < ?", touches)
        return {k: cache[k][0] for k in wanted}

    # ---------------------------------------------------------------- batch
    def write(self, events: Sequence[NormalizedEvent]) -> None:
        """Apply ``events`` (already stored as raw events) to the graph tables."""
        wanted: dict[tuple[str, str, str], tuple[str, str, bool]] = {}

        def want(kind: str, ns: str, name: str, when: str, touch: bool = True) -> None:
            key = (kind, ns, name)
            old = wanted.get(key)
            if old is None:
                wanted[key] = (when, when, touch)
            else:
                wanted[key] = (min(old[0], when), max(old[1], when), old[2] or touch)

        namespaces: dict[str, tuple[str, str]] = {}
        for ev in events:
            for ns in ev.namespaces:
                old_ns = namespaces.get(ns)
                namespaces[ns] = (min(old_ns[0], ev.event_time), max(old_ns[1], ev.event_time)) if old_ns else (
                    ev.event_time, ev.event_time)
            if ev.job_namespace and ev.job_name:
                want(JOB, ev.job_namespace, ev.job_name, ev.event_time)
            for io in (*ev.inputs, *ev.outputs):
                want(DATASET, io.namespace, io.name, ev.event_time)
            for ns, name in {(e.out_namespace, e.out_name) for e in ev.column_edges} | {
                (e.in_namespace, e.in_name) for e in ev.column_edges
            }:
                want(DATASET, ns, name, ev.event_time, False)
                namespaces.setdefault(ns, (ev.event_time, ev.event_time))
        self._namespaces(namespaces)
        ids = self.node_ids(wanted)

        jobs = self._load_jobs(sorted({ids[(JOB, e.job_namespace, e.job_name)] for e in events
                                       if e.job_namespace and e.job_name}))
        datasets = self._load_datasets(sorted({ids[k] for k in wanted if k[0] == DATASET}))
        schemas_before = {i: d.fields for i, d in datasets.items()}  # row text or [] until applied
        runs = self._load_runs(sorted({e.run_id for e in events if e.run_id and e.job_namespace}))
        version_keys = sorted({
            (ids[(DATASET, o.namespace, o.name)], self.version_of(o, e.run_id))
            for e in events if e.kind == "RUN" for o in e.outputs
        })
        versions = self._load_versions(version_keys)
        run_io = self._load_run_io(sorted({e.run_id for e in events if e.run_id}))
        edges: dict[tuple[int, int], tuple[str, str]] = {}
        col_edges: dict[tuple[int, str, int, str, str, str], tuple[Any, ...]] = {}

        for ev in events:
            job_id = ids[(JOB, ev.job_namespace, ev.job_name)] if ev.job_namespace and ev.job_name else None
            if job_id is not None:
                self._apply_job(jobs[job_id], ev)
                if ev.run_id:
                    self._apply_run(runs, ev, job_id)
            for direction, items in (("INPUT", ev.inputs), ("OUTPUT", ev.outputs)):
                for io in items:
                    ds_id = ids[(DATASET, io.namespace, io.name)]
                    version = self._apply_dataset(datasets[ds_id], io, ev, direction)
                    if version is not None:
                        self._apply_version(versions, ds_id, version, ev, io)
                    if job_id is not None:
                        key = (ds_id, job_id) if direction == "INPUT" else (job_id, ds_id)
                        old = edges.get(key)
                        edges[key] = (min(old[0], ev.event_time), max(old[1], ev.event_time)) if old else (
                            ev.event_time, ev.event_time)
                    if ev.run_id:
                        self._apply_run_io(run_io, ev, io, ds_id, direction)
            for e in ev.column_edges:
                out_id = ids[(DATASET, e.out_namespace, e.out_name)]
                in_id = ids[(DATASET, e.in_namespace, e.in_name)]
                col_edges[(out_id, e.out_field, in_id, e.in_field, e.type, e.subtype)] = (
                    e.description, int(e.masking), job_id, ev.event_time)

        for ev in events:
            if ev.kind != "RUN":
                continue
            for io in ev.outputs:
                fields = fields_of(io)
                if fields is not None and (io.namespace, io.name) not in self.reshaped:
                    if obj(schemas_before[ids[(DATASET, io.namespace, io.name)]]) != fields:
                        self.reshaped.add((io.namespace, io.name))
        self._save_jobs(jobs)
        self._save_datasets(datasets)
        self._save_runs(runs)
        self._save_versions(versions)
        self._save_run_io(run_io)
        if edges:
            self.s._executemany(
                "INSERT INTO nbgov_edges (src, dst, created_at, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (src, dst) DO UPDATE SET updated_at = CASE WHEN excluded.updated_at >"
                " nbgov_edges.updated_at THEN excluded.updated_at ELSE nbgov_edges.updated_at END",
                [(s, d, first, last) for (s, d), (first, last) in sorted(edges.items())],
            )
        if col_edges:
            self.s._executemany(
                "INSERT INTO nbgov_column_edges (out_dataset, out_field, in_dataset, in_field, type, subtype,"
                " description, masking, job_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (out_dataset, out_field, in_dataset, in_field, type, subtype) DO UPDATE SET"
                " description = excluded.description, masking = excluded.masking, job_id = excluded.job_id,"
                " updated_at = excluded.updated_at",
                [(*k, *v) for k, v in sorted(col_edges.items(), key=lambda kv: kv[0])],
            )

    def _namespaces(self, namespaces: Mapping[str, tuple[str, str]]) -> None:
        if not namespaces:
            return
        self.s._executemany(
            "INSERT INTO nbgov_namespaces (name, created_at, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET updated_at = CASE WHEN excluded.updated_at >"
            " nbgov_namespaces.updated_at THEN excluded.updated_at ELSE nbgov_namespaces.updated_at END",
            [(ns, first, last) for ns, (first, last) in sorted(namespaces.items())],
        )

    # ---------------------------------------------------------------- jobs
    def _load_jobs(self, job_ids: list[int]) -> dict[int, _Job]:
        jobs = {i: _Job() for i in job_ids}
        self._existing_jobs: set[int] = set()
        for part in chunks(job_ids):
            marks = ",".join("?" * len(part))
            for nid, typ, desc, loc, facets, ftime, pns, pname, run in self.s._fetchall(
                "SELECT node_id, type, description, location, facets, facets_time, parent_namespace, parent_name,"
                f" latest_run_id FROM nbgov_jobs WHERE node_id IN ({marks}) ORDER BY node_id{self.fu}",
                part,
            ):
                jobs[nid] = _Job(typ, desc, loc, facets or "{}", ftime, pns, pname, run)
        return jobs

    @staticmethod
    def _apply_job(job: _Job, ev: NormalizedEvent) -> None:
        facets = ev.job_facets
        if ev.event_time >= job.facets_time:
            job.facets_time = ev.event_time
            if facets:
                job.facets = merge_facets(obj(job.facets), facets)
                job.type = _facet(facets, "jobType").get("processingType") or job.type
                job.description = _facet(facets, "documentation").get("description") or job.description
                job.location = _facet(facets, "sourceCodeLocation").get("url") or job.location
            job.type = job.type or "BATCH"
            if ev.parent_job:
                job.parent_namespace, job.parent_name = ev.parent_job
            if ev.run_id:
                job.latest_run_id = ev.run_id
        else:  # an older event arriving late only fills in facets we do not have
            if facets:
                job.facets = merge_facets(facets, obj(job.facets))
            job.type = job.type or "BATCH"

    def _save_jobs(self, jobs: Mapping[int, _Job]) -> None:
        if not jobs:
            return
        self.s._executemany(
            "INSERT INTO nbgov_jobs (node_id, type, description, location, facets, facets_time, parent_namespace,"
            " parent_name, latest_run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (node_id) DO UPDATE SET"
            " type = excluded.type, description = excluded.description, location = excluded.location,"
            " facets = excluded.facets, facets_time = excluded.facets_time,"
            " parent_namespace = excluded.parent_namespace, parent_name = excluded.parent_name,"
            " latest_run_id = excluded.latest_run_id",
            [(i, j.type, j.description, j.location, text(j.facets), j.facets_time, j.parent_namespace,
              j.parent_name, j.latest_run_id) for i, j in sorted(jobs.items())],
        )

    # ---------------------------------------------------------------- runs
    def _load_runs(self, run_ids: list[str]) -> dict[str, _Run]:
        runs: dict[str, _Run] = {}
        for part in chunks(run_ids):
            marks = ",".join("?" * len(part))
            for row in self.s._fetchall(
                "SELECT run_id, job_id, state, state_time, started_at, ended_at, created_at, updated_at,"
                " parent_run_id, nominal_start_time, nominal_end_time, facets FROM nbgov_runs"
                f" WHERE run_id IN ({marks}) ORDER BY run_id{self.fu}",
                part,
            ):
                runs[row[0]] = _Run(*row[1:11], row[11] or "{}")
        return runs

    @staticmethod
    def _apply_run(runs: dict[str, _Run], ev: NormalizedEvent, job_id: int) -> None:
        assert ev.run_id
        nominal = _facet(ev.run_facets, "nominalTime")
        started = ev.event_time if ev.event_type == "START" else None
        ended = ev.event_time if ev.state is not None and ev.state.terminal else None
        run = runs.get(ev.run_id)
        if run is None:
            runs[ev.run_id] = _Run(
                job_id, (ev.state or RunState.NEW).value, ev.event_time, started, ended, ev.event_time,
                ev.event_time, ev.parent_run_id, nominal.get("nominalStartTime"), nominal.get("nominalEndTime"),
                merge_facets({}, ev.run_facets),
            )
            return
        if ev.state is not None:
            current = RunState(run.state)
            # A terminal state wins over a running one whatever the arrival order; between
            # two states of the same class the later event wins.
            if (
                current is RunState.NEW
                or (ev.state.terminal and not current.terminal)
                or (ev.state.terminal == current.terminal and ev.event_time >= run.state_time)
            ):
                run.state, run.state_time = ev.state.value, ev.event_time
        run.started_at = min(filter(None, (run.started_at, started)), default=None)
        run.ended_at = max(filter(None, (run.ended_at, ended)), default=None)
        run.created_at = min(run.created_at, ev.event_time)
        run.updated_at = max(run.updated_at, ev.event_time)
        run.parent_run_id = run.parent_run_id or ev.parent_run_id
        run.nominal_start_time = nominal.get("nominalStartTime") or run.nominal_start_time
        run.nominal_end_time = nominal.get("nominalEndTime") or run.nominal_end_time
        if ev.run_facets:
            run.facets = merge_facets(obj(run.facets), ev.run_facets)

    def _save_runs(self, runs: Mapping[str, _Run]) -> None:
        if not runs:
            return
        self.s._executemany(
            "INSERT INTO nbgov_runs (run_id, job_id, state, state_time, started_at, ended_at, created_at, updated_at,"
            " parent_run_id, nominal_start_time, nominal_end_time, facets) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (run_id) DO UPDATE SET state = excluded.state, state_time = excluded.state_time,"
            " started_at = excluded.started_at, ended_at = excluded.ended_at, created_at = excluded.created_at,"
            " updated_at = excluded.updated_at, parent_run_id = excluded.parent_run_id,"
            " nominal_start_time = excluded.nominal_start_time, nominal_end_time = excluded.nominal_end_time,"
            " facets = excluded.facets",
            [(rid, r.job_id, r.state, r.state_time, r.started_at, r.ended_at, r.created_at, r.updated_at,
              r.parent_run_id, r.nominal_start_time, r.nominal_end_time, text(r.facets))
             for rid, r in sorted(runs.items())],
        )

    # ---------------------------------------------------------------- datasets
    def _load_datasets(self, ds_ids: list[int]) -> dict[int, _Dataset]:
        datasets = {i: _Dataset() for i in ds_ids}
        for part in chunks(ds_ids):
            marks = ",".join("?" * len(part))
            for nid, typ, desc, src, fields, facets, ftime, modified, version in self.s._fetchall(
                "SELECT node_id, type, description, source_name, fields, facets, facets_time, last_modified_at,"
                f" current_version FROM nbgov_datasets WHERE node_id IN ({marks}) ORDER BY node_id{self.fu}",
                part,
            ):
                datasets[nid] = _Dataset(typ, desc, src, fields or "[]", facets or "{}", ftime, modified, version,
                                         dirty=False)
        return datasets

    def _apply_dataset(self, ds: _Dataset, io: DatasetIO, ev: NormalizedEvent, direction: str) -> str | None:
        """Update the dataset from one event; return the version this event wrote, if any."""
        facets = io.facets
        written = direction == "OUTPUT" and ev.state is RunState.COMPLETED
        version = self.version_of(io, ev.run_id) if direction == "OUTPUT" and ev.kind == "RUN" else None
        if not ds.source_name:
            ds.source_name = io.namespace
            ds.dirty = True
        if not facets and not written:
            return version
        ds.dirty = True
        if ev.event_time >= ds.facets_time:
            if facets:
                ds.facets = merge_facets(obj(ds.facets), facets)
            ds.facets_time = ev.event_time
            fields = fields_of(io)
            if fields is not None:
                ds.fields = fields
            if "datasetType" in facets:
                ds.type = str(_facet(facets, "datasetType").get("datasetType") or "DB_TABLE").upper()
            if "documentation" in facets:
                ds.description = _facet(facets, "documentation").get("description") or ds.description
            if "dataSource" in facets:
                ds.source_name = _facet(facets, "dataSource").get("name") or ds.source_name
        elif facets:
            ds.facets = merge_facets(facets, obj(ds.facets))
        if written and (ds.last_modified_at is None or ev.event_time >= ds.last_modified_at):
            ds.last_modified_at = ev.event_time
            ds.current_version = version
        return version

    def _save_datasets(self, datasets: Mapping[int, _Dataset]) -> None:
        if not any(d.dirty for d in datasets.values()):
            return
        self.s._executemany(
            "INSERT INTO nbgov_datasets (node_id, type, description, source_name, fields, facets, facets_time,"
            " last_modified_at, current_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (node_id) DO UPDATE"
            " SET type = excluded.type, description = excluded.description, source_name = excluded.source_name,"
            " fields = excluded.fields, facets = excluded.facets, facets_time = excluded.facets_time,"
            " last_modified_at = excluded.last_modified_at, current_version = excluded.current_version",
            [(i, d.type, d.description, d.source_name, text(d.fields), text(d.facets), d.facets_time,
              d.last_modified_at, d.current_version) for i, d in sorted(datasets.items()) if d.dirty],
        )

    # ---------------------------------------------------------------- versions
    def _load_versions(self, keys: list[tuple[int, str]]) -> dict[tuple[int, str], list[Any]]:
        found: dict[tuple[int, str], list[Any]] = {}
        wanted = set(keys)
        for part in chunks(sorted(wanted)):
            # both columns of the (dataset_id, version) key: a search of its index, where
            # the version alone would scan every version of every dataset
            ds_ids = sorted({d for d, _ in part})
            versions = sorted({v for _, v in part})
            for ds_id, version, run_id, fields, facets, created, updated in self.s._fetchall(
                "SELECT dataset_id, version, run_id, fields, facets, created_at, updated_at FROM"
                f" nbgov_dataset_versions WHERE dataset_id IN ({','.join('?' * len(ds_ids))})"
                f" AND version IN ({','.join('?' * len(versions))}) ORDER BY dataset_id, version{self.fu}",
                [*ds_ids, *versions],
            ):
                if (ds_id, version) in wanted:
                    found[(ds_id, version)] = [run_id, fields or "[]", facets or "{}", created, updated]
        return found

    @staticmethod
    def _apply_version(
        versions: dict[tuple[int, str], list[Any]], ds_id: int, version: str, ev: NormalizedEvent, io: DatasetIO
    ) -> None:
        facets = {k: v for k, v in io.facets.items() if k not in VERSION_SKIPPED_FACETS}
        facets.update(io.io_facets)
        fields = fields_of(io)
        row = versions.get((ds_id, version))
        if row is None:
            versions[(ds_id, version)] = [ev.run_id, fields or [], merge_facets({}, facets), ev.event_time,
                                          ev.event_time]
            return
        if fields is not None:
            row[1] = fields
        if facets:
            row[2] = merge_facets(obj(row[2]), facets)
        row[3] = min(row[3], ev.event_time)
        row[4] = max(row[4], ev.event_time)

    def _save_versions(self, versions: Mapping[tuple[int, str], list[Any]]) -> None:
        if not versions:
            return
        self.s._executemany(
            "INSERT INTO nbgov_dataset_versions (dataset_id, version, run_id, fields, facets, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dataset_id, version) DO UPDATE SET run_id = excluded.run_id,"
            " fields = excluded.fields, facets = excluded.facets, created_at = excluded.created_at,"
            " updated_at = excluded.updated_at",
            [(ds, v, r[0], text(r[1]), text(r[2]), r[3], r[4]) for (ds, v), r in sorted(versions.items())],
        )

    # ---------------------------------------------------------------- run io
    def _load_run_io(self, run_ids: list[str]) -> dict[tuple[str, int, str], list[Any]]:
        found: dict[tuple[str, int, str], list[Any]] = {}
        for part in chunks(run_ids):
            marks = ",".join("?" * len(part))
            for run_id, ds_id, direction, version, facets in self.s._fetchall(
                "SELECT run_id, dataset_id, direction, version, facets FROM nbgov_run_io"
                f" WHERE run_id IN ({marks}) ORDER BY run_id, dataset_id, direction{self.fu}",
                part,
            ):
                found[(run_id, ds_id, direction)] = [version, facets or "{}", False]
        return found

    def _apply_run_io(
        self, run_io: dict[tuple[str, int, str], list[Any]], ev: NormalizedEvent, io: DatasetIO, ds_id: int,
        direction: str,
    ) -> None:
        assert ev.run_id
        if direction == "OUTPUT":
            version: str | None = self.version_of(io, ev.run_id)
        else:
            version = _facet(io.facets, "version").get("datasetVersion")
        row = run_io.setdefault((ev.run_id, ds_id, direction), [None, {}, True])
        if version and version != row[0]:
            row[0] = version
            row[2] = True
        if io.io_facets:
            row[1] = merge_facets(obj(row[1]), io.io_facets)
            row[2] = True

    def _save_run_io(self, run_io: Mapping[tuple[str, int, str], list[Any]]) -> None:
        if not any(v[2] for v in run_io.values()):
            return
        self.s._executemany(
            "INSERT INTO nbgov_run_io (run_id, dataset_id, direction, version, facets) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (run_id, dataset_id, direction) DO UPDATE SET version = excluded.version,"
            " facets = excluded.facets",
            [(k[0], k[1], k[2], v[0], text(v[1])) for k, v in sorted(run_io.items()) if v[2]],
        )

