"""Store benchmarks: event ingest rate and lineage query latency on a 1,000,000-edge graph.

Usage:
    python benchmarks/bench_store.py [--events 20000] [--edges 1000000] [--postgres URL | --no-postgres]

Without ``--postgres`` a throwaway server is started with ``tools/pgserver.py`` when
PostgreSQL is installed. Prints one table with both backends side by side.
Targets (issue 2): ingest >= 5,000 events/s into SQLite; ``lineage`` depth 20 on a
graph of 1,000,000 edges < 100 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nbgov.store import open_store  # noqa: E402
from nbgov.store.base import Store  # noqa: E402

PRODUCER = "https://github.com/nbgov/nbgov/tree/bench"
SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"


def make_events(n: int, seed: int = 0) -> list[dict]:
    """``n`` realistic events: START/COMPLETE pairs, 2 inputs, 1 output with schema and column lineage."""
    rng = random.Random(seed)
    events = []
    for i in range(n // 2):
        run_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        job = f"pipeline_{i % 200}.step_{i % 17}"
        ins = [f"warehouse.raw_{rng.randrange(2000)}", f"warehouse.dim_{rng.randrange(300)}"]
        out = f"warehouse.derived_{i % 5000}"
        fields = [{"name": f"c{k}", "type": "BIGINT"} for k in range(8)]
        col = {
            f"c{k}": {"inputFields": [{"namespace": "postgres://db:5432", "name": ins[k % 2], "field": f"c{k}",
                                       "transformations": [{"type": "DIRECT", "subtype": "IDENTITY"}]}]}
            for k in range(8)
        }
        base = {"producer": PRODUCER, "schemaURL": SCHEMA, "run": {"runId": run_id},
                "job": {"namespace": "bench", "name": job}}
        events.append({**base, "eventType": "START", "eventTime": f"2025-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z",
                       "inputs": [{"namespace": "postgres://db:5432", "name": x} for x in ins],
                       "outputs": [{"namespace": "postgres://db:5432", "name": out}]})
        events.append({**base, "eventType": "COMPLETE", "eventTime": f"2025-01-01T01:{i // 60 % 60:02d}:{i % 60:02d}Z",
                       "inputs": [{"namespace": "postgres://db:5432", "name": x} for x in ins],
                       "outputs": [{"namespace": "postgres://db:5432", "name": out, "facets": {
                           "schema": {"_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet", "fields": fields},
                           "columnLineage": {"_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet", "fields": col}}}]})
    return events


def bench_ingest(store: Store, events: list[dict]) -> tuple[float, float]:
    """Events per second, by wall clock and by this process's CPU time (the machine may be shared)."""
    t0, c0 = time.perf_counter(), time.process_time()
    result = store.add_events(events)
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert result.stored == len(events), result.to_dict()
    return len(events) / elapsed, len(events) / cpu


def load_big_graph(store: Store, edges: int, seed: int = 1) -> list[int]:
    """Bulk-load a graph of ``edges`` job<->dataset edges: many independent pipelines.

    Each pipeline is a chain of jobs where job k reads dataset k (and, every fifth
    job, a dataset three steps back) and writes dataset k+1 — the shape of real
    organisations' lineage: many medium pipelines rather than one giant component.
    Returns a sample of dataset node ids to start queries from.
    """
    rng = random.Random(seed)
    per_pipeline_jobs = 100
    now = "2025-01-01T00:00:00.000000Z"
    node_rows, ds_rows, job_rows, edge_rows = [], [], [], []
    next_id = 1
    starts: list[int] = []
    edge_count = 0
    p = 0
    while edge_count < edges:
        ds_ids = []
        for k in range(per_pipeline_jobs + 1):
            node_rows.append((next_id, "DATASET", "bench", f"p{p}.d{k}", now, now))
            ds_rows.append((next_id, "DB_TABLE", None, "bench", "[]", "{}", now, None, None))
            ds_ids.append(next_id)
            next_id += 1
        for k in range(per_pipeline_jobs):
            if edge_count >= edges:
                break
            jid = next_id
            next_id += 1
            node_rows.append((jid, "JOB", "bench", f"p{p}.j{k}", now, now))
            job_rows.append((jid, "BATCH", None, None, "{}", now, None, None, None))
            edge_rows.append((ds_ids[k], jid, now, now))
            edge_rows.append((jid, ds_ids[k + 1], now, now))
            edge_count += 2
            if k % 5 == 4 and k >= 3 and edge_count < edges:
                edge_rows.append((ds_ids[k - 3], jid, now, now))
                edge_count += 1
        starts.append(ds_ids[rng.randrange(20, 80)])
        p += 1
    with store.atomic():
        store._executemany("INSERT INTO nbgov_nodes (id, kind, namespace, name, created_at, updated_at)"
                           " VALUES (?, ?, ?, ?, ?, ?)", node_rows)
        store._executemany("INSERT INTO nbgov_datasets (node_id, type, description, source_name, fields, facets,"
                           " facets_time, last_modified_at, current_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           ds_rows)
        store._executemany("INSERT INTO nbgov_jobs (node_id, type, description, location, facets, facets_time,"
                           " parent_namespace, parent_name, latest_run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                           job_rows)
        store._executemany("INSERT INTO nbgov_edges (src, dst, created_at, updated_at) VALUES (?, ?, ?, ?)",
                           edge_rows)
    if hasattr(store, "_conn") and type(store).__name__ == "PostgresStore":
        store._conn.execute("SELECT setval(pg_get_serial_sequence('nbgov_nodes', 'id'), %s)", (next_id,))
        store._conn.execute("ANALYZE")
    else:
        store._execute("ANALYZE")
    return starts


def bench_queries(store: Store, starts: list[int], runs: int = 50) -> dict[str, float]:
    rng = random.Random(7)
    picks = [rng.choice(starts) for _ in range(runs)]
    labels = {}
    for nid in set(picks):
        ns, name = store._fetchone("SELECT namespace, name FROM nbgov_nodes WHERE id = ?", (nid,))
        labels[nid] = f"dataset:{ns}:{name}"
    out = {}
    for label, fn in (("lineage", store.lineage), ("upstream", store.upstream), ("downstream", store.downstream)):
        times, sizes = [], []
        for nid in picks:
            t0 = time.perf_counter()
            graph = fn(labels[nid], 20)
            times.append((time.perf_counter() - t0) * 1000)
            sizes.append(len(graph["graph"]))
        out[f"{label}_ms_median"] = statistics.median(times)
        out[f"{label}_ms_p95"] = sorted(times)[int(0.95 * (len(times) - 1))]
        out[f"{label}_nodes"] = statistics.median(sizes)
    return out


def run_backend(name: str, location: str, args: argparse.Namespace) -> dict[str, float | str]:
    row: dict[str, float | str] = {"backend": name}
    with open_store(location) as store:
        events = make_events(args.events)
        row["ingest_events_per_s"], row["ingest_per_cpu_s"] = bench_ingest(store, events)
    big = location if name == "sqlite" else location
    if name == "sqlite":
        big = str(Path(location).with_name("big.db"))
    with open_store(big) as store:
        t0 = time.perf_counter()
        starts = load_big_graph(store, args.edges)
        row["edges"] = store.stats()["edges"]
        row["load_s"] = time.perf_counter() - t0
        row.update(bench_queries(store, starts))
    return row


def bench_postgres(args: argparse.Namespace) -> list[dict[str, float | str]]:
    """The same measurements on PostgreSQL: ``--postgres URL``, else a throwaway local server."""
    try:
        import psycopg
    except ImportError:
        print("PostgreSQL: not benchmarked (psycopg not installed: pip install 'nbgov[postgres]')")
        return []
    server = None
    url = args.postgres
    if url is None:
        sys.path.insert(0, str(ROOT / "tools"))
        from pgserver import PostgresServer  # type: ignore[import-not-found]

        server = PostgresServer()
        try:
            url = server.start()
        except Exception as exc:  # noqa: BLE001 - report and carry on with SQLite only
            print(f"PostgreSQL: not benchmarked ({exc})")
            return []
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            for db in ("nbgov_bench_ingest", "nbgov_bench_graph"):
                conn.execute(f"DROP DATABASE IF EXISTS {db}")
                conn.execute(f"CREATE DATABASE {db}")
        base = url.rsplit("/", 1)[0]
        row: dict[str, float | str] = {"backend": "postgresql"}
        with open_store(f"{base}/nbgov_bench_ingest") as store:
            row["ingest_events_per_s"], row["ingest_per_cpu_s"] = bench_ingest(store, make_events(args.events))
        with open_store(f"{base}/nbgov_bench_graph") as store:
            t0 = time.perf_counter()
            starts = load_big_graph(store, args.edges)
            row["edges"] = store.stats()["edges"]
            row["load_s"] = time.perf_counter() - t0
            row.update(bench_queries(store, starts))
        return [row]
    finally:
        if server is not None:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--postgres", help="postgresql:// URL of an empty database")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows.append(run_backend("sqlite", str(Path(tmp) / "ingest.db"), args))
    if not args.no_postgres:
        rows += bench_postgres(args)

    keys = ["backend", "ingest_events_per_s", "ingest_per_cpu_s", "edges", "load_s", "lineage_ms_median", "lineage_ms_p95",
            "lineage_nodes", "upstream_ms_median", "downstream_ms_median"]
    print(f"# nbgov store benchmark ({args.events} events ingested; depth-20 queries, 50 random starts)")
    print(" | ".join(keys))
    for row in rows:
        cells = []
        for k in keys:
            v = row.get(k, "")
            cells.append(f"{v:,.1f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v))
        print(" | ".join(cells))
    print("targets: ingest >= 5,000 events/s (SQLite); lineage depth 20 on 1,000,000 edges < 100 ms")


if __name__ == "__main__":
    main()
