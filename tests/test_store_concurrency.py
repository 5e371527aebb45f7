"""Several processes writing at once, and a process killed in the middle of an import.

Real processes (``multiprocessing`` with ``spawn``, and a ``python`` subprocess killed with
SIGKILL) against a real SQLite file and a real PostgreSQL database.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid

import pytest

from nbgov.store import open_store
from tests.conftest import ROOT
from tests.fixtures.events import run_event

WORKERS = 4
PER_WORKER = 1000


def worker_events(worker: int) -> list[dict]:
    """Distinct events that all touch the same 5 jobs and 21 datasets, so writers contend.

    Event ``i`` of any worker: job ``job_{i % 5}`` reads ``shared.src`` and writes
    ``out_{i % 20}``. Job k therefore writes out_k, out_{k+5}, out_{k+10}, out_{k+15}.
    """
    return [
        run_event(f"job_{i % 5}", run_id=str(uuid.uuid5(uuid.NAMESPACE_OID, f"worker{worker}-{i}")),
                  inputs=["shared.src"], outputs=[f"out_{i % 20}"],
                  time=f"2024-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z")
        for i in range(PER_WORKER)
    ]


def _write(url: str, worker: int, barrier, results) -> None:
    events = worker_events(worker)
    with open_store(url) as store:
        barrier.wait(timeout=60)
        result = store.add_events(events, batch_size=50)
    results.put((worker, result.stored, result.duplicates, len(result.rejected)))


@pytest.mark.timeout(180)
def test_four_processes_write_4000_events(store_url, raw_sql):
    open_store(store_url).close()  # migrate once up front, as a kernel would on load
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    results = ctx.Queue()
    procs = [ctx.Process(target=_write, args=(store_url, w, barrier, results)) for w in range(WORKERS)]
    for p in procs:
        p.start()
    try:
        outcome = sorted(results.get(timeout=150) for _ in procs)
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    assert outcome == [(w, PER_WORKER, 0, 0) for w in range(WORKERS)]
    assert [p.exitcode for p in procs] == [0] * WORKERS
    with open_store(store_url) as store:
        assert store.count_events() == 4000
        # 5 jobs; shared.src + out_0..out_19; each job reads shared.src (5) and writes 4 outputs (20)
        assert store.stats() == {"events": 4000, "datasets": 21, "jobs": 5, "runs": 4000, "edges": 25,
                                 "column_edges": 0}
        assert len({e["run"]["runId"] for e in store.events()}) == 4000
        for job in store.jobs():
            k = int(job["name"].split("_")[1])
            assert job["inputs"] == [{"namespace": "ns", "name": "shared.src"}]
            assert sorted(o["name"] for o in job["outputs"]) == sorted(f"out_{k + 5 * m}" for m in range(4))
    assert raw_sql("SELECT COUNT(*) FROM nbgov_runs WHERE state = 'COMPLETED'") == [(4000,)]


# ---------------------------------------------------------------- SIGKILL mid-import
KILL_EVENTS = 8000
KILL_BATCH = 200


def kill_events() -> list[dict]:
    """Event i: job_{i % 50} reads in_{i % 100} and writes out_{i:05d} (one output per event)."""
    return [
        run_event(f"job_{i % 50}", run_id=str(uuid.uuid5(uuid.NAMESPACE_OID, f"kill-{i}")),
                  inputs=[f"in_{i % 100}"], outputs=[f"out_{i:05d}"])
        for i in range(KILL_EVENTS)
    ]


def import_all(url: str) -> None:
    """Entry point of the subprocess that gets killed."""
    with open_store(url) as store:
        print("open", flush=True)
        store.add_events(kill_events(), batch_size=KILL_BATCH)
    print("finished", flush=True)


def _stored_count(url: str, backend: str) -> int:
    if backend == "sqlite":
        with sqlite3.connect(url, timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM nbgov_events").fetchone()[0])
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM nbgov_events").fetchone()[0])


@pytest.mark.timeout(180)
def test_sigkill_mid_import_leaves_whole_events(store_url, backend, raw_sql):
    open_store(store_url).close()
    child = subprocess.Popen(
        [sys.executable, "-c", f"from tests.test_store_concurrency import import_all; import_all({store_url!r})"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while _stored_count(store_url, backend) < 2 * KILL_BATCH:
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "the import never committed two batches"
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
        out, _ = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == -signal.SIGKILL
    assert "finished" not in out, "the import ended before it was killed: the test proves nothing"

    if backend == "sqlite":
        assert raw_sql("PRAGMA integrity_check") == [("ok",)]
    events = kill_events()
    index_of = {e["run"]["runId"]: i for i, e in enumerate(events)}
    with open_store(store_url) as store:
        stored_runs = [e["run"]["runId"] for e in store.events()]
        before = len(stored_runs)
        assert 2 * KILL_BATCH <= before < KILL_EVENTS
        assert before % KILL_BATCH == 0  # batches commit whole
        stored = {index_of[r] for r in stored_runs}
        assert len(stored) == before
        # every stored event has all its rows, and no unstored event left any
        assert {r[0] for r in raw_sql("SELECT run_id FROM nbgov_runs")} == set(stored_runs)
        assert {r[0] for r in raw_sql(
            "SELECT name FROM nbgov_nodes WHERE kind = 'DATASET' AND name LIKE 'out%'")} == {
            f"out_{i:05d}" for i in stored}
        edges = set(raw_sql(
            "SELECT s.name, d.name FROM nbgov_edges e JOIN nbgov_nodes s ON s.id = e.src"
            " JOIN nbgov_nodes d ON d.id = e.dst"))
        assert edges == {(f"job_{i % 50}", f"out_{i:05d}") for i in stored} | {
            (f"in_{i % 100}", f"job_{i % 50}") for i in stored}
        assert {j["name"] for j in store.jobs()} == {f"job_{i % 50}" for i in stored}

        # the re-import completes the set, each event exactly once
        result = store.add_events(events, batch_size=1000)
        assert (result.stored, result.duplicates, result.rejected) == (KILL_EVENTS - before, before, [])
        assert store.count_events() == KILL_EVENTS
        assert store.stats()["runs"] == KILL_EVENTS
        # one job -> out_i edge per event, and 100 distinct (in_{i % 100}, job_{i % 50}) pairs
        assert store.stats()["edges"] == KILL_EVENTS + 100
    if backend == "sqlite":
        assert raw_sql("PRAGMA integrity_check") == [("ok",)]
