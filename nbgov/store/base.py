"""The ``Store`` interface and the logic both backends share.

A store keeps every raw event exactly as received (after secret redaction) plus a
normalised graph derived from it. Backends differ only in how they connect, in a few
DDL words and in the text of the recursive walk; everything else is here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nbgov.errors import InvalidEventError, NodeNotFoundError, StoreError
from nbgov.model import jsontext
from nbgov.model.events import (
    NormalizedEvent,
    canonical_json,
    normalize_event,
    normalize_time,
    utc_now,
)
from nbgov.model.nodes import NodeId, NodeType
from nbgov.model.redact import may_hold_secret, redact_event
from nbgov.store.migrations import MIGRATIONS, Dialect
from nbgov.store.writer import BatchWriter, chunks
from nbgov.store.writer import loads as _loads

log = logging.getLogger(__name__)

DATASET = "DATASET"
JOB = "JOB"
DEFAULT_DEPTH = 20


@dataclass
class ImportResult:
    """What :meth:`Store.add_events` did.

    Attributes:
        stored: events newly stored.
        duplicates: events already in the store (same canonical JSON), skipped.
        rejected: one error per event that could not be normalised, with its index.
        event_ids: store ids of the newly stored events, in input order.
    """

    stored: int = 0
    duplicates: int = 0
    rejected: list[InvalidEventError] = field(default_factory=list)
    event_ids: list[int] = field(default_factory=list)
    #: ``(namespace, name)`` of the datasets that runs of the new events wrote with a schema
    #: other than the one the store had for them (new datasets included): only these can
    #: have schema-change alerts (``nbgov.governance.alerts_for_run``)
    reshaped: set[tuple[str, str]] = field(default_factory=set)

    def merge(self, other: ImportResult) -> None:
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.rejected.extend(other.rejected)
        self.event_ids.extend(other.event_ids)
        self.reshaped |= other.reshaped

    def to_dict(self) -> dict[str, Any]:
        return {
            "stored": self.stored,
            "duplicates": self.duplicates,
            "rejected": len(self.rejected),
            "errors": [{"index": e.index, "path": e.path, "message": e.reason} for e in self.rejected],
        }


@dataclass(frozen=True)
class OutboxItem:
    """An event waiting for delivery to the OpenLineage backend."""

    event_id: int
    payload: str
    attempts: int


def _facet_tags(facets: Mapping[str, Any], fields: list[dict[str, Any]]) -> list[str]:
    """Marquez tag names from a ``tags`` dataset facet: fill each field's ``tags``, return the dataset's.

    A tag ``{key, value}`` is named ``key:value`` (just ``key`` when the value is empty
    or ``true``); entries with a ``field`` go to that field, the others to the dataset.
    """
    facet = facets.get("tags")
    entries = facet.get("tags") if isinstance(facet, dict) else None
    if not isinstance(entries, list):
        return []
    by_field: dict[str, set[str]] = {}
    own: set[str] = set()
    for tag in entries:
        if not isinstance(tag, dict) or not isinstance(tag.get("key"), str):
            continue
        value = tag.get("value")
        label = tag["key"] if value in (None, "", "true") else f"{tag['key']}:{value}"
        where = tag.get("field")
        if isinstance(where, str) and where:
            by_field.setdefault(where, set()).add(label)
        else:
            own.add(label)
    for f in fields:
        if isinstance(f, dict) and f.get("name") in by_field:
            f["tags"] = sorted(set(f.get("tags") or ()) | by_field[f["name"]])
    return sorted(own)


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for a block (reference counting still frees)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class Store(ABC):
    """Lineage store: raw events, the normalised graph, graph queries and the outbox.

    Use as a context manager or call :meth:`close`. Thread-safety: one ``Store`` per
    thread; several processes may write to the same store at once.
    """

    dialect: Dialect
    #: human-readable location, secrets redacted
    url: str

    def __init__(self) -> None:
        self._in_tx = False
        self._node_cache: dict[tuple[str, str, str], list[Any]] = {}

    # ------------------------------------------------------------------ plumbing
    @abstractmethod
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement and return a cursor."""

    @abstractmethod
    def _executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for many parameter rows."""

    @abstractmethod
    def _begin(self, write: bool) -> None: ...

    @abstractmethod
    def _commit(self) -> None: ...

    @abstractmethod
    def _rollback(self) -> None: ...

    @abstractmethod
    def _walk_sql(self, direction: str) -> str:
        """Recursive SQL listing ``(node, depth)`` reachable from ``?`` within ``?`` steps.

        ``direction`` is ``up`` (against edges), ``down`` (along edges) or ``both``.
        """

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""

    #: suffix locking rows read inside a write transaction (PostgreSQL: " FOR UPDATE")
    _for_update = ""
    #: SQL giving a dataset event's ``dataset.namespace`` from its stored payload
    _dataset_namespace_sql = "json_extract(payload, '$.dataset.namespace')"

    def _is_retryable(self, exc: BaseException) -> bool:
        """Whether a failed transaction may succeed if run again (deadlock, busy)."""
        return False

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url}>"

    @contextlib.contextmanager
    def atomic(self, write: bool = True) -> Iterator[None]:
        """A transaction; nested calls join the outer one."""
        if self._in_tx:
            yield
            return
        self._begin(write)
        self._in_tx = True
        try:
            yield
        except BaseException:
            self._in_tx = False
            self._node_cache.clear()
            self._rollback()
            raise
        self._in_tx = False
        self._commit()

    def _fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self._execute(sql, params).fetchall())

    def _fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        return self._execute(sql, params).fetchone()

    # ---------------------------------------------------------------- migrations
    def migrate(self) -> list[str]:
        """Apply pending migrations; return the names applied."""
        applied: list[str] = []
        with self.atomic():
            self._execute(
                "CREATE TABLE IF NOT EXISTS nbgov_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            done = {r[0] for r in self._fetchall("SELECT name FROM nbgov_migrations")}
            for m in MIGRATIONS:
                if m.name in done:
                    continue
                for statement in m.statements(self.dialect):
                    self._execute(statement)
                self._execute("INSERT INTO nbgov_migrations (name, applied_at) VALUES (?, ?)", (m.name, utc_now()))
                applied.append(m.name)
        if applied:
            log.info("applied migrations %s to %s", applied, self.url)
        return applied

    def applied_migrations(self) -> list[tuple[str, str]]:
        """``(name, applied_at)`` of every applied migration, oldest first."""
        return [(r[0], r[1]) for r in self._fetchall("SELECT name, applied_at FROM nbgov_migrations ORDER BY name")]

    def pending_migrations(self) -> list[str]:
        """Names of migrations not applied yet (read-only)."""
        try:
            done = {r[0] for r in self._fetchall("SELECT name FROM nbgov_migrations")}
        except Exception:  # table missing: nothing applied
            done = set()
        return [m.name for m in MIGRATIONS if m.name not in done]

    # ------------------------------------------------------------------- writing
    def add_event(self, event: Mapping[str, Any], *, emit: bool = False) -> int | None:
        """Store one event; return its id, or None when it was already stored.

        Raises:
            InvalidEventError: the event lacks what the graph needs.
        """
        result = self.add_events([event], emit=emit)
        if result.rejected:
            raise result.rejected[0]
        return result.event_ids[0] if result.event_ids else None

    def add_events(
        self, events: Iterable[Mapping[str, Any]], *, emit: bool = False, batch_size: int = 500
    ) -> ImportResult:
        """Store events in batches, each batch one transaction.

        Events are stored whole or not at all; a malformed event is rejected alone.

        Args:
            events: OpenLineage events as parsed JSON.
            emit: also put each newly stored event in the outbox for delivery.
            batch_size: events per transaction.
        """
        total = ImportResult()
        batch: list[tuple[int, Mapping[str, Any]]] = []
        for index, event in enumerate(events):
            batch.append((index, event))
            if len(batch) >= batch_size:
                total.merge(self._add_batch(batch, emit))
                batch = []
        if batch:
            total.merge(self._add_batch(batch, emit))
        return total

    def _add_batch(self, batch: list[tuple[int, Mapping[str, Any]]], emit: bool) -> ImportResult:
        # A batch allocates many small containers but no reference cycles; pausing the
        # cyclic collector meanwhile keeps it from rescanning every live object (the
        # caller's event list included) again and again — ~25% of ingest time otherwise.
        with _cyclic_gc_paused():
            return self._add_batch_now(batch, emit)

    def _add_batch_now(self, batch: list[tuple[int, Mapping[str, Any]]], emit: bool) -> ImportResult:
        prepared: list[tuple[int, NormalizedEvent, str, str]] = []
        result = ImportResult()
        for index, raw in batch:
            try:
                if not isinstance(raw, Mapping):
                    raise InvalidEventError("an event must be a JSON object")
                try:
                    payload = canonical_json(raw)
                except (ValueError, TypeError, RecursionError) as exc:  # e.g. a dict that contains itself
                    raise InvalidEventError(f"not serialisable as JSON ({type(exc).__name__})") from None
                event: Mapping[str, Any] = raw
                if may_hold_secret(payload):
                    event, changed = redact_event(dict(raw))
                    if changed:
                        payload = canonical_json(event)
                norm = normalize_event(event)
            except InvalidEventError as exc:
                exc.index = index
                exc.args = (f"event {index}: {exc.reason}" + (f" at {exc.path}" if exc.path else ""),)
                result.rejected.append(exc)
                continue
            prepared.append((index, norm, hashlib.sha256(payload.encode("utf-8")).hexdigest(), payload))
        if not prepared:
            return result
        for attempt in range(6):
            try:
                with self.atomic():
                    ids, result.reshaped = self._write_batch(
                        [(norm, key, payload) for _, norm, key, payload in prepared], emit)
                break
            except Exception as exc:
                if attempt < 5 and self._is_retryable(exc):
                    log.debug("retrying batch after %s", exc)
                    continue
                raise
        for new_id in ids:
            if new_id is None:
                result.duplicates += 1
            else:
                result.stored += 1
                result.event_ids.append(new_id)
        return result

    def _write_batch(
        self, prepared: list[tuple[NormalizedEvent, str, str]], emit: bool
    ) -> tuple[list[int | None], set[tuple[str, str]]]:
        """Store raw events not stored yet and apply them to the graph; ids in input order
        (None: duplicate), and the datasets written with a new schema (``ImportResult.reshaped``)."""
        keys = [key for _, key, _ in prepared]
        existing: set[str] = set()
        for part in chunks(sorted(set(keys))):
            marks = ",".join("?" * len(part))
            existing.update(r[0] for r in self._fetchall(
                f"SELECT event_key FROM nbgov_events WHERE event_key IN ({marks})", part))
        new: list[tuple[NormalizedEvent, str, str]] = []
        for item in prepared:
            if item[1] not in existing:
                existing.add(item[1])
                new.append(item)
        if not new:
            return [None] * len(prepared), set()
        now = utc_now()
        self._executemany(
            "INSERT INTO nbgov_events (event_key, kind, event_type, event_time, run_id, job_namespace, job_name,"
            " producer, payload, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(key, ev.kind, ev.event_type, ev.event_time, ev.run_id, ev.job_namespace, ev.job_name, ev.producer,
              payload, now) for ev, key, payload in new],
        )
        ids: dict[str, int] = {}
        new_keys = [key for _, key, _ in new]
        for part in chunks(new_keys):
            marks = ",".join("?" * len(part))
            ids.update((k, int(i)) for i, k in self._fetchall(
                f"SELECT id, event_key FROM nbgov_events WHERE event_key IN ({marks})", part))
        writer = BatchWriter(self)
        writer.write([ev for ev, _, _ in new])
        if emit:
            self._executemany(
                "INSERT INTO nbgov_outbox (event_id, enqueued_at, next_attempt_at) VALUES (?, ?, ?)"
                " ON CONFLICT (event_id) DO NOTHING",
                [(ids[k], now, now) for k in new_keys],
            )
        fresh = set(new_keys)
        out: list[int | None] = []
        for key in keys:
            if key in fresh:
                out.append(ids[key])
                fresh.discard(key)  # a key repeated within the batch is a duplicate after its first
            else:
                out.append(None)
        return out, writer.reshaped

    # ------------------------------------------------------------------- raw events
    def count_events(self) -> int:
        row = self._fetchone("SELECT COUNT(*) FROM nbgov_events")
        return int(row[0]) if row else 0

    def events(
        self,
        *,
        namespace: str | None = None,
        job: str | None = None,
        run_id: str | None = None,
        since: str | None = None,
        until: str | None = None,
        limit: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Stored events as received, oldest first, optionally filtered.

        Args:
            namespace: keep events whose job namespace (or dataset namespace, for dataset
                events) is this one.
            job: keep events of this job name.
            run_id: keep events of this run.
            since: keep events at or after this ISO-8601 time.
            until: keep events before this ISO-8601 time.
            limit: at most this many events.
        """
        where, params = [], []
        if namespace is not None:
            where.append(f"(job_namespace = ? OR (job_namespace IS NULL AND {self._dataset_namespace_sql} = ?))")
            params += [namespace, namespace]
        if job is not None:
            where.append("job_name = ?")
            params.append(job)
        if run_id is not None:
            where.append("run_id = ?")
            params.append(run_id)
        if since is not None:
            where.append("event_time >= ?")
            params.append(normalize_time(since))
        if until is not None:
            where.append("event_time < ?")
            params.append(normalize_time(until))
        sql = "SELECT payload FROM nbgov_events"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY event_time, id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        for (payload,) in self._fetchall(sql, params):
            yield jsontext.loads(payload)

    # ------------------------------------------------------------------- catalog
    def namespaces(self) -> list[dict[str, Any]]:
        return [
            {"name": n, "createdAt": c, "updatedAt": u}
            for n, c, u in self._fetchall("SELECT name, created_at, updated_at FROM nbgov_namespaces ORDER BY name")
        ]

    def datasets(self, namespace: str | None = None) -> list[dict[str, Any]]:
        """Every dataset in Marquez's ``Dataset`` shape, sorted by namespace and name."""
        ids = [r[0] for r in self._fetchall(
            "SELECT id FROM nbgov_nodes WHERE kind = ?" + (" AND namespace = ?" if namespace else "")
            + " ORDER BY namespace, name",
            (DATASET, namespace) if namespace else (DATASET,),
        )]
        data = self._node_data(ids)
        return [data[i] for i in ids]

    def jobs(self, namespace: str | None = None) -> list[dict[str, Any]]:
        """Every job in Marquez's ``Job`` shape, sorted by namespace and name."""
        ids = [r[0] for r in self._fetchall(
            "SELECT id FROM nbgov_nodes WHERE kind = ?" + (" AND namespace = ?" if namespace else "")
            + " ORDER BY namespace, name",
            (JOB, namespace) if namespace else (JOB,),
        )]
        data = self._node_data(ids)
        return [data[i] for i in ids]

    def dataset(self, namespace: str, name: str) -> dict[str, Any]:
        """One dataset in Marquez's shape. Raises NodeNotFoundError."""
        return self.node(NodeId.dataset(namespace, name))

    def dataset_facet(self, namespace: str, name: str, key: str) -> Any:
        """One facet of a dataset as stored (``None`` when it has none or is not stored).

        Reads the facets column alone and decodes it only when it names ``key``: what the
        after-cell step needs (a dataset's ``tags``) without :meth:`dataset`'s whole shape.
        """
        row = self._fetchone(
            "SELECT d.facets FROM nbgov_nodes n JOIN nbgov_datasets d ON d.node_id = n.id"
            " WHERE n.kind = ? AND n.namespace = ? AND n.name = ?",
            (DATASET, namespace, name),
        )
        if row is None or not row[0] or f'"{key}"' not in row[0]:
            return None
        facets = _loads(row[0], {})
        return facets.get(key) if isinstance(facets, dict) else None

    def job(self, namespace: str, name: str) -> dict[str, Any]:
        """One job in Marquez's shape. Raises NodeNotFoundError."""
        return self.node(NodeId.job(namespace, name))

    def node(self, node: NodeId | str) -> dict[str, Any]:
        """The data of one dataset or job node. Raises NodeNotFoundError."""
        node_id, _ = self.resolve(node)
        return self._node_data([node_id])[node_id]

    def runs(self, namespace: str, job: str, *, limit: int = 100) -> list[dict[str, Any]]:
        """Runs of a job, newest first, in Marquez's ``Run`` shape. Raises NodeNotFoundError."""
        node_id, _ = self.resolve(NodeId.job(namespace, job))
        rows = self._fetchall(
            "SELECT run_id, state, started_at, ended_at, created_at, updated_at, nominal_start_time,"
            f" nominal_end_time, parent_run_id, facets FROM nbgov_runs WHERE job_id = ? ORDER BY created_at DESC,"
            f" run_id LIMIT {int(limit)}",
            (node_id,),
        )
        runs = [self._run_shape(r) for r in rows]
        if runs:
            io = self._fetchall(
                "SELECT r.run_id, r.direction, n.namespace, n.name, r.version FROM nbgov_run_io r"
                " JOIN nbgov_nodes n ON n.id = r.dataset_id JOIN nbgov_runs x ON x.run_id = r.run_id"
                " WHERE x.job_id = ? ORDER BY n.namespace, n.name",
                (node_id,),
            )
            by_run: dict[str, dict[str, list[dict[str, Any]]]] = {}
            for run_id, direction, ns, name, version in io:
                key = "inputDatasetVersions" if direction == "INPUT" else "outputDatasetVersions"
                by_run.setdefault(run_id, {}).setdefault(key, []).append(
                    {"datasetVersionId": {"namespace": ns, "name": name, "version": version}, "facets": {}}
                )
            for run in runs:
                run["inputDatasetVersions"] = by_run.get(run["id"], {}).get("inputDatasetVersions", [])
                run["outputDatasetVersions"] = by_run.get(run["id"], {}).get("outputDatasetVersions", [])
        return runs

    def run(self, run_id: str) -> dict[str, Any]:
        """One run in Marquez's ``Run`` shape, with ``jobId``. Raises NodeNotFoundError."""
        row = self._fetchone(
            "SELECT r.run_id, r.state, r.started_at, r.ended_at, r.created_at, r.updated_at, r.nominal_start_time,"
            " r.nominal_end_time, r.parent_run_id, r.facets, n.namespace, n.name FROM nbgov_runs r"
            " JOIN nbgov_nodes n ON n.id = r.job_id WHERE r.run_id = ?",
            (run_id,),
        )
        if row is None:
            raise NodeNotFoundError(f"run:{run_id}")
        shape = self._run_shape(row[:10])
        shape["jobId"] = {"namespace": row[10], "name": row[11]}
        return shape

    def dataset_versions(
        self,
        namespace: str,
        name: str,
        *,
        run_id: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Versions of a dataset written by runs, newest first (fields + facets of each).

        Args:
            namespace: the dataset's namespace.
            name: the dataset's name.
            run_id: only the versions this run wrote.
            limit: at most this many versions (a page), skipping the ``offset`` newest.
            offset: versions skipped, newest first.
        """
        node_id, _ = self.resolve(NodeId.dataset(namespace, name))
        if offset and limit is None:
            raise ValueError("offset needs a limit")
        sql = ("SELECT version, run_id, fields, facets, created_at, updated_at, id FROM nbgov_dataset_versions"
               " WHERE dataset_id = ?")
        params: tuple[Any, ...] = (node_id,)
        if run_id is not None:
            # a run writes few versions: found by the run index, ordered here (an ORDER BY would
            # make SQLite walk the dataset's whole history by its time index instead)
            sql += " AND run_id = ?"
            params += (run_id,)
            rows = sorted(self._fetchall(sql, params), key=lambda r: (r[4], r[6]), reverse=True)
            if limit is not None:
                rows = rows[max(int(offset), 0): max(int(offset), 0) + max(int(limit), 0)]
        else:
            sql += " ORDER BY created_at DESC, id DESC"
            if limit is not None:
                sql += f" LIMIT {max(int(limit), 0)} OFFSET {max(int(offset), 0)}"
            rows = self._fetchall(sql, params)
        return [
            {"id": {"namespace": namespace, "name": name}, "version": v, "createdByRun": run_id,
             "fields": _loads(f, []), "facets": _loads(fc, {}), "createdAt": c, "updatedAt": u}
            for v, run_id, f, fc, c, u, _ in rows
        ]

    def search(self, text: str, *, limit: int = 50) -> dict[str, Any]:
        """Datasets and jobs whose name or namespace contains ``text`` (case-insensitive).

        Returns Marquez's ``SearchResultList`` shape.
        """
        pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._fetchall(
            "SELECT kind, namespace, name, updated_at FROM nbgov_nodes"
            " WHERE LOWER(name) LIKE ? ESCAPE '\\' OR LOWER(namespace) LIKE ? ESCAPE '\\'"
            f" ORDER BY updated_at DESC, kind, namespace, name LIMIT {int(limit)}",
            (pattern, pattern),
        )
        results = [
            {"type": kind, "name": name, "updatedAt": updated, "namespace": ns,
             "nodeId": str(NodeId(NodeType(kind), ns, name))}
            for kind, ns, name, updated in rows
        ]
        return {"totalCount": len(results), "results": results}

    # ----------------------------------------------------------------- node data
    def _run_shape(self, row: Sequence[Any]) -> dict[str, Any]:
        run_id, state, started, ended, created, updated, nstart, nend, parent, facets = row
        duration = None
        if started and ended:  # both in the store's normalised UTC format
            fmt = "%Y-%m-%dT%H:%M:%S.%fZ"
            delta = dt.datetime.strptime(ended, fmt) - dt.datetime.strptime(started, fmt)
            duration = int(delta.total_seconds() * 1000)
        return {
            "id": run_id, "createdAt": created, "updatedAt": updated, "nominalStartTime": nstart,
            "nominalEndTime": nend, "state": state, "startedAt": started, "endedAt": ended,
            "durationMs": duration, "parentRunId": parent, "args": {}, "facets": _loads(facets, {}),
        }

    def _node_data(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """Marquez-shaped ``data`` of each node id."""
        out: dict[int, dict[str, Any]] = {}
        for chunk_start in range(0, len(ids), 500):
            chunk = list(ids[chunk_start : chunk_start + 500])
            marks = ",".join("?" * len(chunk))
            for (nid, kind, ns, name, created, updated, d_type, d_desc, d_src, d_fields, d_facets, d_mod, d_ver,
                 j_type, j_desc, j_loc, j_facets, j_pns, j_pname, j_run) in self._fetchall(
                "SELECT n.id, n.kind, n.namespace, n.name, n.created_at, n.updated_at,"
                " d.type, d.description, d.source_name, d.fields, d.facets, d.last_modified_at, d.current_version,"
                " j.type, j.description, j.location, j.facets, j.parent_namespace, j.parent_name, j.latest_run_id"
                " FROM nbgov_nodes n LEFT JOIN nbgov_datasets d ON d.node_id = n.id"
                f" LEFT JOIN nbgov_jobs j ON j.node_id = n.id WHERE n.id IN ({marks})",
                chunk,
            ):
                if kind == DATASET:
                    facets = _loads(d_facets, {})
                    fields = _loads(d_fields, [])
                    out[nid] = {
                        "id": {"namespace": ns, "name": name}, "type": d_type or "DB_TABLE", "name": name,
                        "physicalName": name, "createdAt": created, "updatedAt": updated, "namespace": ns,
                        "sourceName": d_src or ns, "fields": fields, "tags": _facet_tags(facets, fields),
                        "lastModifiedAt": d_mod,
                        "lastLifecycleState": (facets.get("lifecycleStateChange") or {}).get("lifecycleStateChange"),
                        "description": d_desc, "facets": facets, "currentVersion": d_ver, "deleted": False,
                    }
                else:
                    out[nid] = {
                        "id": {"namespace": ns, "name": name}, "type": j_type or "BATCH", "name": name,
                        "simpleName": name.rsplit(".", 1)[-1], "parentJobName": j_pname,
                        "createdAt": created, "updatedAt": updated, "namespace": ns, "inputs": [], "outputs": [],
                        "location": j_loc, "description": j_desc, "latestRun": None,
                        "facets": _loads(j_facets, {}), "_latest_run_id": j_run,
                    }
            job_ids = [i for i in chunk if i in out and "_latest_run_id" in out[i]]
            if job_ids:
                marks = ",".join("?" * len(job_ids))
                for src, dst, kind, ns, name in self._fetchall(
                    "SELECT e.src, e.dst, n.kind, n.namespace, n.name FROM nbgov_edges e JOIN nbgov_nodes n"
                    f" ON n.id = CASE WHEN e.src IN ({marks}) THEN e.dst ELSE e.src END"
                    f" WHERE e.src IN ({marks}) OR e.dst IN ({marks}) ORDER BY n.namespace, n.name",
                    job_ids * 3,
                ):
                    if src in out and "inputs" in out[src]:
                        out[src]["outputs"].append({"namespace": ns, "name": name})
                    if dst in out and "inputs" in out[dst]:
                        out[dst]["inputs"].append({"namespace": ns, "name": name})
                runs = [out[i].pop("_latest_run_id") for i in job_ids]
                wanted = [r for r in runs if r]
                if wanted:
                    marks = ",".join("?" * len(wanted))
                    latest = {
                        r[0]: self._run_shape(r)
                        for r in self._fetchall(
                            "SELECT run_id, state, started_at, ended_at, created_at, updated_at, nominal_start_time,"
                            f" nominal_end_time, parent_run_id, facets FROM nbgov_runs WHERE run_id IN ({marks})",
                            wanted,
                        )
                    }
                    for i, run_id in zip(job_ids, runs):
                        out[i]["latestRun"] = latest.get(run_id)
        return out

    # -------------------------------------------------------------------- graph
    def resolve(self, node: NodeId | str) -> tuple[int, NodeId]:
        """The store id of a dataset or job node, trying every reading of the id.

        Raises:
            InvalidNodeIdError: the id is malformed.
            NodeNotFoundError: no reading names a node in the store.
        """
        candidates = [node] if isinstance(node, NodeId) else NodeId.candidates(node)
        for cand in candidates:
            base = cand.dataset_node
            row = self._fetchone(
                "SELECT id FROM nbgov_nodes WHERE kind = ? AND namespace = ? AND name = ?",
                (JOB if base.type is NodeType.JOB else DATASET, base.namespace, base.name),
            )
            if row is not None:
                return int(row[0]), cand
        raise NodeNotFoundError(str(node))

    def lineage(self, node: NodeId | str, depth: int = DEFAULT_DEPTH) -> dict[str, Any]:
        """The lineage graph around a node, in Marquez's ``GET /api/v1/lineage`` shape.

        The graph holds the jobs within ``depth`` job-to-job hops of the node (two jobs
        are one hop apart when one writes or reads a dataset the other touches), starting
        from the node itself if it is a job or from the jobs that read or write it if it
        is a dataset, plus every dataset those jobs read or write. Nodes are sorted by id.

        Raises:
            NodeNotFoundError: the node is not in the store.
        """
        return self._graph(node, depth, "both")

    def upstream(self, node: NodeId | str, depth: int = DEFAULT_DEPTH) -> dict[str, Any]:
        """Only what the node was derived from (against edge direction), same shape and depth rule."""
        return self._graph(node, depth, "up")

    def downstream(self, node: NodeId | str, depth: int = DEFAULT_DEPTH) -> dict[str, Any]:
        """Only what was derived from the node (along edge direction), same shape and depth rule."""
        return self._graph(node, depth, "down")

    def _graph(self, node: NodeId | str, depth: int, direction: str) -> dict[str, Any]:
        if depth < 0:
            raise StoreError(f"depth must be >= 0, got {depth}")
        start, parsed = self.resolve(node)
        steps = 2 * depth + (1 if parsed.type is NodeType.JOB else 2)
        rows = self._fetchall(
            self._walk_sql(direction)
            + " SELECT w.node, n.kind, n.namespace, n.name FROM (SELECT node FROM walk GROUP BY node) w"
            " JOIN nbgov_nodes n ON n.id = w.node",
            (start, steps),
        )
        ids = {r[0]: str(NodeId(NodeType(r[1]), r[2], r[3])) for r in rows}
        edges = self._edges_among(list(ids))
        data = self._node_data(list(ids))
        ins: dict[int, list[dict[str, str]]] = {i: [] for i in ids}
        outs: dict[int, list[dict[str, str]]] = {i: [] for i in ids}
        for src, dst in edges:
            edge = {"origin": ids[src], "destination": ids[dst]}
            outs[src].append(edge)
            ins[dst].append(edge)
        graph = []
        for nid, label in ids.items():
            kind = "JOB" if label.startswith("job:") else "DATASET"
            graph.append({
                "id": label, "type": kind, "data": data.get(nid),
                "inEdges": sorted(ins[nid], key=lambda e: (e["origin"], e["destination"])),
                "outEdges": sorted(outs[nid], key=lambda e: (e["origin"], e["destination"])),
            })
        graph.sort(key=lambda n: n["id"])
        return {"graph": graph}

    def _edges_among(self, ids: list[int]) -> list[tuple[int, int]]:
        wanted = set(ids)
        found: list[tuple[int, int]] = []
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            found += [
                (s, d) for s, d in self._fetchall(f"SELECT src, dst FROM nbgov_edges WHERE src IN ({marks})", chunk)
                if d in wanted
            ]
        return found

    def column_lineage(
        self, node: NodeId | str, depth: int = DEFAULT_DEPTH, *, with_downstream: bool = False
    ) -> dict[str, Any]:
        """Column lineage in Marquez's ``GET /api/v1/column-lineage`` shape.

        ``node`` is a ``datasetField:`` id (that column) or a ``dataset:`` id (all its
        columns). Upstream columns are followed ``depth`` edges; downstream ones too when
        ``with_downstream``. As in Marquez, a node's ``inEdges`` go from the node to its
        input fields and its ``outEdges`` from the node to the fields derived from it.

        Raises:
            NodeNotFoundError: the dataset or the column is unknown.
        """
        ds_id, parsed = self.resolve(node)
        if parsed.type is NodeType.JOB:
            raise NodeNotFoundError(f"{node} (column lineage needs a dataset or datasetField id)")
        if parsed.type is NodeType.DATASET_FIELD:
            starts = [(ds_id, parsed.field)]
            known = self._fetchone(
                "SELECT 1 FROM nbgov_column_edges WHERE (out_dataset = ? AND out_field = ?)"
                " OR (in_dataset = ? AND in_field = ?)",
                (ds_id, parsed.field, ds_id, parsed.field),
            )
            fields = {f["name"] for f in _loads(self._fetchone(
                "SELECT fields FROM nbgov_datasets WHERE node_id = ?", (ds_id,))[0], [])}
            if known is None and parsed.field not in fields:
                raise NodeNotFoundError(str(node))
        else:
            names = {f["name"] for f in _loads(self._fetchone(
                "SELECT fields FROM nbgov_datasets WHERE node_id = ?", (ds_id,))[0], [])}
            names |= {r[0] for r in self._fetchall(
                "SELECT DISTINCT out_field FROM nbgov_column_edges WHERE out_dataset = ? AND out_field <> ''",
                (ds_id,))}
            starts = [(ds_id, n) for n in sorted(names)]
        visited: set[tuple[int, str]] = set()
        edges: set[tuple[int, str, int, str]] = set()
        for start_ds, start_field in starts:
            for direction in ("up", "down") if with_downstream else ("up",):
                rows = self._fetchall(
                    self._column_walk_sql(direction)
                    + " SELECT e.out_dataset, e.out_field, e.in_dataset, e.in_field FROM"
                    " (SELECT ds, f, MIN(depth) AS depth FROM walk GROUP BY ds, f) w JOIN nbgov_column_edges e ON "
                    + ("e.out_dataset = w.ds AND e.out_field = w.f" if direction == "up"
                       else "e.in_dataset = w.ds AND e.in_field = w.f")
                    + " WHERE w.depth < ?",
                    (start_ds, start_field, depth, depth),
                )
                visited.add((start_ds, start_field))
                for out_ds, out_f, in_ds, in_f in rows:
                    edges.add((out_ds, out_f, in_ds, in_f))
                    visited.add((out_ds, out_f))
                    visited.add((in_ds, in_f))
        return self._column_graph(visited, edges)

    def column_edges(
        self, node: NodeId | str, depth: int = DEFAULT_DEPTH, *, direction: str = "up"
    ) -> list[dict[str, Any]]:
        """Every column-lineage edge reachable from a column within ``depth`` edges, as stored.

        Unlike :meth:`column_lineage` (Marquez's shape, one transformation per field
        pair) this lists each stored edge with its type, subtype and masking flag, for
        walks that must tell DIRECT from INDIRECT or stop at a masking step.
        Dataset-wide dependencies (the facet's ``dataset`` section) are not listed.

        Args:
            node: a ``datasetField:`` id (that column) or a ``dataset:`` id (all its columns).
            depth: how many edges to follow.
            direction: ``up`` (towards the inputs a column was derived from) or
                ``down`` (towards the columns derived from it).

        Returns:
            ``{"output", "input", "type", "subtype", "description", "masking", "job"}``
            per edge, sorted; ``output`` and ``input`` are ``{"namespace", "dataset",
            "field"}`` (as Marquez's ``inputFields``), ``job`` is ``{"namespace", "name"}``
            of the job that last wrote the edge (or None), ``masking`` a bool.

        Raises:
            NodeNotFoundError: the dataset is unknown, or the node is a job.
            StoreError: ``depth`` is negative or ``direction`` is neither up nor down.
        """
        if depth < 0:
            raise StoreError(f"depth must be >= 0, got {depth}")
        if direction not in ("up", "down"):
            raise StoreError(f"direction must be 'up' or 'down', got {direction!r}")
        ds_id, parsed = self.resolve(node)
        if parsed.type is NodeType.JOB:
            raise NodeNotFoundError(f"{node} (column edges need a dataset or datasetField id)")
        near, far = ("out", "in") if direction == "up" else ("in", "out")
        if parsed.type is NodeType.DATASET_FIELD:
            seed = f"SELECT CAST(? AS {self.dialect.bigint}), CAST(? AS TEXT), 0"
            params: list[Any] = [ds_id, parsed.field]
        else:
            seed = (f"SELECT {near}_dataset, {near}_field, 0 FROM nbgov_column_edges"
                    f" WHERE {near}_dataset = ? AND out_field <> ''")
            params = [ds_id]
        rows = self._fetchall(
            f"WITH RECURSIVE walk(ds, f, depth) AS ({seed} UNION"
            f" SELECT e.{far}_dataset, e.{far}_field, w.depth + 1 FROM walk w JOIN nbgov_column_edges e"
            f" ON e.{near}_dataset = w.ds AND e.{near}_field = w.f WHERE w.depth < ? AND e.out_field <> '')"
            " SELECT e.out_dataset, e.out_field, e.in_dataset, e.in_field, e.type, e.subtype, e.description,"
            " e.masking, e.job_id FROM (SELECT ds, f, MIN(depth) AS depth FROM walk GROUP BY ds, f) w"
            f" JOIN nbgov_column_edges e ON e.{near}_dataset = w.ds AND e.{near}_field = w.f"
            " WHERE w.depth < ? AND e.out_field <> ''",
            (*params, depth, depth),
        )
        node_ids = sorted({r[0] for r in rows} | {r[2] for r in rows} | {r[8] for r in rows if r[8] is not None})
        names: dict[int, tuple[str, str, str]] = {}
        for part in chunks(node_ids):
            marks = ",".join("?" * len(part))
            for nid, kind, ns, name in self._fetchall(
                f"SELECT id, kind, namespace, name FROM nbgov_nodes WHERE id IN ({marks})", part
            ):
                names[int(nid)] = (kind, ns, name)
        out = []
        for out_ds, out_f, in_ds, in_f, typ, subtype, desc, masking, job_id in rows:
            job = names.get(int(job_id)) if job_id is not None else None
            out.append({
                "output": {"namespace": names[out_ds][1], "dataset": names[out_ds][2], "field": out_f},
                "input": {"namespace": names[in_ds][1], "dataset": names[in_ds][2], "field": in_f},
                "type": typ, "subtype": subtype or None, "description": desc or None, "masking": bool(masking),
                "job": {"namespace": job[1], "name": job[2]} if job else None,
            })
        out.sort(key=lambda e: (*e["output"].values(), *e["input"].values(), e["type"], e["subtype"] or ""))
        return out

    def _column_walk_sql(self, direction: str) -> str:
        """Recursive SQL over column edges: ``walk(ds, f, depth)`` from ``(?, ?)`` within ``?`` steps."""
        if direction == "up":
            step = ("SELECT e.in_dataset, e.in_field, w.depth + 1 FROM walk w JOIN nbgov_column_edges e"
                    " ON e.out_dataset = w.ds AND e.out_field = w.f WHERE w.depth < ? AND e.out_field <> ''")
        else:
            step = ("SELECT e.out_dataset, e.out_field, w.depth + 1 FROM walk w JOIN nbgov_column_edges e"
                    " ON e.in_dataset = w.ds AND e.in_field = w.f WHERE w.depth < ? AND e.out_field <> ''")
        return f"WITH RECURSIVE walk(ds, f, depth) AS (SELECT CAST(? AS {self.dialect.bigint}), CAST(? AS TEXT), 0 UNION {step})"

    def _column_graph(self, visited: set[tuple[int, str]], edges: set[tuple[int, str, int, str]]) -> dict[str, Any]:
        ds_ids = sorted({d for d, _ in visited})
        names: dict[int, tuple[str, str]] = {}
        field_types: dict[tuple[int, str], Any] = {}
        versions: dict[int, str | None] = {}
        for i in range(0, len(ds_ids), 500):
            chunk = ds_ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for nid, ns, name, fields, version in self._fetchall(
                "SELECT n.id, n.namespace, n.name, d.fields, d.current_version FROM nbgov_nodes n"
                f" LEFT JOIN nbgov_datasets d ON d.node_id = n.id WHERE n.id IN ({marks})",
                chunk,
            ):
                names[nid] = (ns, name)
                versions[nid] = version
                for f in _loads(fields, []):
                    field_types[(nid, f["name"])] = f.get("type")
        details: dict[tuple[int, str, int, str], tuple[str, str, str]] = {}
        if edges:
            outs = sorted({(o, of) for o, of, _, _ in edges})
            for o, of in outs:
                for in_ds, in_f, typ, subtype, desc in self._fetchall(
                    "SELECT in_dataset, in_field, type, subtype, description FROM nbgov_column_edges"
                    " WHERE out_dataset = ? AND out_field = ? ORDER BY type, subtype",
                    (o, of),
                ):
                    key = (o, of, in_ds, in_f)
                    if key in edges and key not in details:
                        details[key] = (typ, subtype, desc)

        def label(ds: int, f: str) -> str:
            ns, name = names[ds]
            return str(NodeId.dataset_field(ns, name, f))

        inputs: dict[tuple[int, str], list[tuple[int, str]]] = {}
        consumers: dict[tuple[int, str], list[tuple[int, str]]] = {}
        for o, of, i, inf in edges:
            inputs.setdefault((o, of), []).append((i, inf))
            consumers.setdefault((i, inf), []).append((o, of))
        graph = []
        for ds, f in visited:
            ins = sorted(inputs.get((ds, f), []), key=lambda k: label(*k))
            first = details.get((ds, f, *ins[0])) if ins else None
            ns, name = names[ds]
            graph.append({
                "id": label(ds, f),
                "type": "DATASET_FIELD",
                "data": {
                    "namespace": ns, "dataset": name, "datasetVersion": versions.get(ds), "field": f,
                    "fieldType": field_types.get((ds, f)),
                    "transformationDescription": (first[2] or None) if first else None,
                    "transformationType": (first[1] or first[0]) if first else None,
                    "inputFields": [
                        {"namespace": names[i][0], "dataset": names[i][1], "datasetVersion": versions.get(i),
                         "field": inf,
                         "transformationDescription": details.get((ds, f, i, inf), ("", "", ""))[2] or None,
                         "transformationType": (lambda d: d[1] or d[0])(details.get((ds, f, i, inf), ("", "", "")))}
                        for i, inf in ins
                    ],
                },
                "inEdges": [{"origin": label(ds, f), "destination": label(i, inf)} for i, inf in ins],
                "outEdges": sorted(
                    ({"origin": label(ds, f), "destination": label(o, of)} for o, of in consumers.get((ds, f), [])),
                    key=lambda e: e["destination"],
                ),
            })
        graph.sort(key=lambda n: n["id"])
        return {"graph": graph}

    # -------------------------------------------------------------------- outbox
    def enqueue(self, event_ids: Iterable[int]) -> None:
        """Put stored events in the outbox (no-op for those already there)."""
        now = utc_now()
        with self.atomic():
            self._executemany(
                "INSERT INTO nbgov_outbox (event_id, enqueued_at, next_attempt_at) VALUES (?, ?, ?)"
                " ON CONFLICT (event_id) DO NOTHING",
                [(i, now, now) for i in event_ids],
            )

    def claim_outbox(self, owner: str, *, limit: int = 100, lease_seconds: float = 60.0) -> list[OutboxItem]:
        """Lease up to ``limit`` due, undelivered events to ``owner``, oldest first.

        A lease keeps other processes from sending the same event; it expires after
        ``lease_seconds`` so a crashed sender's events are picked up again.
        """
        now = utc_now()
        until = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=lease_seconds)).strftime(
            "%Y-%m-%dT%H:%M:%S.%fZ"
        )
        with self.atomic():
            rows = self._fetchall(
                "SELECT o.event_id, e.payload, o.attempts FROM nbgov_outbox o JOIN nbgov_events e ON e.id = o.event_id"
                " WHERE o.delivered_at IS NULL AND o.next_attempt_at <= ?"
                " AND (o.lease_until IS NULL OR o.lease_until < ?)"
                f" ORDER BY o.event_id LIMIT {int(limit)}{self._for_update}",
                (now, now),
            )
            if rows:
                self._executemany(
                    "UPDATE nbgov_outbox SET lease_owner = ?, lease_until = ? WHERE event_id = ?",
                    [(owner, until, r[0]) for r in rows],
                )
        return [OutboxItem(int(r[0]), r[1], int(r[2])) for r in rows]

    def mark_delivered(self, event_ids: Iterable[int], owner: str) -> None:
        """Record successful delivery of events leased to ``owner``."""
        now = utc_now()
        with self.atomic():
            self._executemany(
                "UPDATE nbgov_outbox SET delivered_at = ?, lease_owner = NULL, lease_until = NULL,"
                " attempts = attempts + 1, last_error = NULL WHERE event_id = ? AND lease_owner = ?",
                [(now, i, owner) for i in event_ids],
            )

    def mark_failed(self, event_ids: Iterable[int], owner: str, error: str, retry_at: str) -> None:
        """Record a failed attempt and when to try again; the events stay in the outbox."""
        with self.atomic():
            self._executemany(
                "UPDATE nbgov_outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,"
                " lease_owner = NULL, lease_until = NULL WHERE event_id = ? AND lease_owner = ?",
                [(error[:2000], retry_at, i, owner) for i in event_ids],
            )

    def release(self, event_ids: Iterable[int], owner: str) -> None:
        """Give back leases without counting an attempt (sender shutting down)."""
        with self.atomic():
            self._executemany(
                "UPDATE nbgov_outbox SET lease_owner = NULL, lease_until = NULL WHERE event_id = ? AND lease_owner = ?",
                [(i, owner) for i in event_ids],
            )

    def reset_outbox_schedule(self) -> int:
        """Make every pending event due now (``nbgov flush``); return how many are pending."""
        now = utc_now()
        with self.atomic():
            self._execute("UPDATE nbgov_outbox SET next_attempt_at = ? WHERE delivered_at IS NULL", (now,))
            row = self._fetchone("SELECT COUNT(*) FROM nbgov_outbox WHERE delivered_at IS NULL")
        return int(row[0]) if row else 0

    def outbox_stats(self) -> dict[str, Any]:
        """Counts of pending and delivered events, the oldest pending one and the last error."""
        pending, delivered, oldest = self._fetchone(
            "SELECT SUM(CASE WHEN delivered_at IS NULL THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN delivered_at IS NOT NULL THEN 1 ELSE 0 END),"
            " MIN(CASE WHEN delivered_at IS NULL THEN enqueued_at END) FROM nbgov_outbox"
        ) or (0, 0, None)
        last = self._fetchone(
            "SELECT last_error, attempts FROM nbgov_outbox WHERE delivered_at IS NULL AND last_error IS NOT NULL"
            " ORDER BY event_id DESC LIMIT 1"
        )
        return {
            "pending": int(pending or 0),
            "delivered": int(delivered or 0),
            "oldest_pending": oldest,
            "last_error": last[0] if last else None,
        }

    def stats(self) -> dict[str, int]:
        """Row counts of the main tables."""
        out = {}
        for key, sql in (
            ("events", "SELECT COUNT(*) FROM nbgov_events"),
            ("datasets", f"SELECT COUNT(*) FROM nbgov_nodes WHERE kind = '{DATASET}'"),
            ("jobs", f"SELECT COUNT(*) FROM nbgov_nodes WHERE kind = '{JOB}'"),
            ("runs", "SELECT COUNT(*) FROM nbgov_runs"),
            ("edges", "SELECT COUNT(*) FROM nbgov_edges"),
            ("column_edges", "SELECT COUNT(*) FROM nbgov_column_edges"),
        ):
            row = self._fetchone(sql)
            out[key] = int(row[0]) if row else 0
        return out
