"""The store on both backends: migrations, idempotency, runs, versions, facets, search,
redaction, rejection of invalid events, and where ``open_store`` looks."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from nbgov.errors import ConfigError, InvalidEventError, StoreError
from nbgov.store import SQLiteStore, open_store
from nbgov.store.migrations import MIGRATIONS
from tests.fixtures.events import dataset, facet, run_event, schema

RUN_A = "0b9bb8c4-55d2-4a5a-9a55-2a9b3bb1a001"
RUN_B = "0b9bb8c4-55d2-4a5a-9a55-2a9b3bb1a002"
PARENT = "0b9bb8c4-55d2-4a5a-9a55-2a9b3bb1a0ff"

#: the tables the three migrations of issue 2 create (besides nbgov_migrations)
TABLES = {
    "nbgov_events", "nbgov_namespaces", "nbgov_nodes", "nbgov_jobs", "nbgov_datasets", "nbgov_runs",
    "nbgov_edges", "nbgov_dataset_versions", "nbgov_run_io", "nbgov_column_edges", "nbgov_outbox",
}


def table_names(raw_sql, backend: str) -> set[str]:
    if backend == "sqlite":
        rows = raw_sql("SELECT name FROM sqlite_master WHERE type = 'table'")
    else:
        rows = raw_sql("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
    return {r[0] for r in rows}


# -------------------------------------------------------------------- migrations
def test_migrations_from_empty(store_url, raw_sql, backend):
    names = [m.name for m in MIGRATIONS]
    assert names[:4] == ["m001_raw_events", "m002_graph", "m003_outbox", "m004_versions_by_time"]
    assert len(set(names)) == len(names)
    with open_store(store_url, migrate=False) as fresh:
        assert fresh.pending_migrations() == names
        assert fresh.migrate() == names
        assert fresh.pending_migrations() == []
        assert [n for n, _ in fresh.applied_migrations()] == names
    assert TABLES | {"nbgov_migrations"} <= table_names(raw_sql, backend)
    with open_store(store_url) as again:
        assert again.pending_migrations() == []
        assert again.migrate() == []
        assert [n for n, _ in again.applied_migrations()] == names


def test_migrations_from_an_older_database(store_url, raw_sql, backend):
    """A store made when only the first migration existed, holding events, is upgraded in place."""
    old = open_store(store_url, migrate=False)
    with old.atomic():
        old._execute("CREATE TABLE nbgov_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        for statement in MIGRATIONS[0].statements(old.dialect):
            old._execute(statement)
        old._execute("INSERT INTO nbgov_migrations (name, applied_at) VALUES (?, ?)",
                     (MIGRATIONS[0].name, "2024-01-01T00:00:00.000000Z"))
        for i in range(3):
            payload = json.dumps(run_event(f"old_{i}", run_id=f"00000000-0000-4000-8000-00000000000{i}"))
            old._execute(
                "INSERT INTO nbgov_events (event_key, kind, event_type, event_time, run_id, job_namespace, job_name,"
                " producer, payload, received_at) VALUES (?, 'RUN', 'COMPLETE', ?, ?, 'ns', ?, 'p', ?, ?)",
                (f"key{i}", f"2024-01-01T00:00:0{i}.000000Z", f"00000000-0000-4000-8000-00000000000{i}",
                 f"old_{i}", payload, "2024-01-01T00:00:00.000000Z"),
            )
    old.close()
    assert table_names(raw_sql, backend) == {"nbgov_migrations", "nbgov_events"}

    with open_store(store_url) as upgraded:
        assert upgraded.pending_migrations() == []
        assert [n for n, _ in upgraded.applied_migrations()] == [m.name for m in MIGRATIONS]
        assert upgraded.applied_migrations()[0][1] == "2024-01-01T00:00:00.000000Z"  # old record kept
        assert upgraded.count_events() == 3
        assert [e["job"]["name"] for e in upgraded.events()] == ["old_0", "old_1", "old_2"]
        # new events go in beside the old ones
        result = upgraded.add_events([run_event("new", inputs=["a"], outputs=["b"], time="2024-02-01T00:00:00Z")])
        assert result.stored == 1
        assert upgraded.count_events() == 4
    assert TABLES <= table_names(raw_sql, backend)


# ------------------------------------------------------------------- idempotency
def test_same_event_twice_is_stored_once(store):
    event = run_event("j", run_id=RUN_A, inputs=["a"], outputs=["b"])
    first = store.add_events([event])
    assert (first.stored, first.duplicates, first.rejected) == (1, 0, [])
    second = store.add_events([event])
    assert (second.stored, second.duplicates, second.event_ids) == (0, 1, [])
    # the same event with its keys in another order is the same event
    reordered = json.loads(json.dumps(event, sort_keys=True))
    reordered = {k: reordered[k] for k in reversed(list(reordered))}
    third = store.add_events([reordered, event])
    assert (third.stored, third.duplicates) == (0, 2)
    assert store.count_events() == 1
    assert store.stats() == {"events": 1, "datasets": 2, "jobs": 1, "runs": 1, "edges": 2, "column_edges": 0}
    assert list(store.events()) == [event]


def test_duplicates_inside_one_batch(store):
    a = run_event("j", run_id=RUN_A, time="2024-01-01T00:00:00Z")
    b = run_event("j", run_id=RUN_A, event_type="START", time="2024-01-01T00:00:00Z")
    result = store.add_events([a, b, a, b, a])
    assert (result.stored, result.duplicates) == (2, 3)
    assert store.count_events() == 2


# ------------------------------------------------------------------ run states
@pytest.mark.parametrize(
    "final, state",
    [("COMPLETE", "COMPLETED"), ("FAIL", "FAILED"), ("ABORT", "ABORTED")],
)
def test_run_state_machine(store, final, state):
    store.add_events([run_event("j", "START", run_id=RUN_A, time="2024-03-01T10:00:00Z")])
    run = store.run(RUN_A)
    assert run["state"] == "RUNNING"
    assert run["startedAt"] == "2024-03-01T10:00:00.000000Z"
    assert run["endedAt"] is None and run["durationMs"] is None
    # a RUNNING event in between changes nothing but keeps the run running
    store.add_events([run_event("j", "RUNNING", run_id=RUN_A, time="2024-03-01T10:00:30Z")])
    assert store.run(RUN_A)["state"] == "RUNNING"
    # +02:00 offset: 12:01:30.250+02:00 is 10:01:30.250Z
    store.add_events([run_event("j", final, run_id=RUN_A, time="2024-03-01T12:01:30.250+02:00")])
    run = store.run(RUN_A)
    assert run["state"] == state
    assert run["startedAt"] == "2024-03-01T10:00:00.000000Z"
    assert run["endedAt"] == "2024-03-01T10:01:30.250000Z"
    assert run["durationMs"] == 90_250
    assert run["jobId"] == {"namespace": "ns", "name": "j"}
    assert [r["id"] for r in store.runs("ns", "j")] == [RUN_A]


def test_run_events_out_of_order(store):
    store.add_events([run_event("j", "COMPLETE", run_id=RUN_A, time="2024-03-01T10:05:00Z")])
    assert store.run(RUN_A)["state"] == "COMPLETED"
    store.add_events([
        run_event("j", "START", run_id=RUN_A, time="2024-03-01T10:00:00Z"),
        run_event("j", "RUNNING", run_id=RUN_A, time="2024-03-01T10:02:00Z"),
    ])
    run = store.run(RUN_A)
    assert run["state"] == "COMPLETED"
    assert run["startedAt"] == "2024-03-01T10:00:00.000000Z"
    assert run["endedAt"] == "2024-03-01T10:05:00.000000Z"
    assert run["durationMs"] == 300_000


def test_runs_of_a_job_newest_first(store):
    store.add_events([
        run_event("j", run_id=RUN_A, time="2024-03-01T10:00:00Z"),
        run_event("j", "FAIL", run_id=RUN_B, time="2024-03-02T10:00:00Z"),
    ])
    assert [(r["id"], r["state"]) for r in store.runs("ns", "j")] == [(RUN_B, "FAILED"), (RUN_A, "COMPLETED")]
    assert store.job("ns", "j")["latestRun"]["id"] == RUN_B


# ------------------------------------------------------------- dataset versions
def quality(rows: int) -> dict:
    return facet({"rowCount": rows, "columnMetrics": {}}, name="DataQualityMetricsDatasetFacet", version="1-0-2")


def test_each_completed_run_creates_a_version(store):
    v1 = dataset("t", facets={"schema": schema(("a", "INT")), "dataQualityMetrics": quality(10)})
    v2 = dataset("t", facets={"schema": schema(("a", "INT"), ("b", "TEXT")), "dataQualityMetrics": quality(25)})
    store.add_events([
        run_event("load", "START", run_id=RUN_A, outputs=["t"], time="2024-01-01T00:00:00Z"),
        run_event("load", "COMPLETE", run_id=RUN_A, outputs=[v1], time="2024-01-01T00:01:00Z"),
        run_event("load", "START", run_id=RUN_B, outputs=["t"], time="2024-01-02T00:00:00Z"),
        run_event("load", "COMPLETE", run_id=RUN_B, outputs=[v2], time="2024-01-02T00:01:00Z"),
    ])
    versions = store.dataset_versions("ns", "t")
    assert [v["createdByRun"] for v in versions] == [RUN_B, RUN_A]
    assert [[f["name"] for f in v["fields"]] for v in versions] == [["a", "b"], ["a"]]
    assert [v["facets"]["dataQualityMetrics"]["rowCount"] for v in versions] == [25, 10]
    assert versions[1]["facets"]["schema"] == v1["facets"]["schema"]
    assert len({v["version"] for v in versions}) == 2
    current = store.dataset("ns", "t")
    assert current["currentVersion"] == versions[0]["version"]
    assert current["lastModifiedAt"] == "2024-01-02T00:01:00.000000Z"
    assert [f["name"] for f in current["fields"]] == ["a", "b"]


def test_version_facet_names_the_version(store):
    versioned = dataset("t", facets={
        "version": facet({"datasetVersion": "v42"}, name="DatasetVersionDatasetFacet"),
        "schema": schema(("id", "INT")),
    })
    store.add_events([run_event("load", run_id=RUN_A, outputs=[versioned])])
    versions = store.dataset_versions("ns", "t")
    assert [(v["version"], v["createdByRun"]) for v in versions] == [("v42", RUN_A)]
    assert store.dataset("ns", "t")["currentVersion"] == "v42"
    run = store.runs("ns", "load")[0]
    assert run["outputDatasetVersions"] == [
        {"datasetVersionId": {"namespace": "ns", "name": "t", "version": "v42"}, "facets": {}}
    ]


def test_a_version_written_again_is_one_row_and_never_another_datasets(store, backend):
    """Two datasets may carry the same version label; writing a version again keeps its one
    row (created by the run that first wrote it). The batch reads existing versions by their full (dataset, version) key: on SQLite
    the statement searches the key's index instead of scanning every version stored."""
    def versioned(name: str, label: str) -> dict:
        return dataset(name, facets={"version": facet({"datasetVersion": label}, name="DatasetVersionDatasetFacet"),
                                     "schema": schema(("id", "INT"))})

    run_c = "00000000-0000-4000-8000-00000000000c"
    store.add_events([run_event("load", run_id=RUN_A, outputs=[versioned("t", "v1"), versioned("u", "v1")],
                                time="2024-01-01T00:00:00Z")])
    statements: list[str] = []
    if backend == "sqlite":
        store._conn.set_trace_callback(statements.append)
    store.add_events([run_event("load", run_id=RUN_B, outputs=[versioned("t", "v1")], time="2024-01-02T00:00:00Z")])
    store.add_events([run_event("other", run_id=run_c, outputs=[versioned("u", "v2")], time="2024-01-03T00:00:00Z")])
    if backend == "sqlite":
        store._conn.set_trace_callback(None)
        loads = [s for s in statements if s.startswith("SELECT") and "FROM nbgov_dataset_versions" in s]
        assert loads
        for statement in loads:
            plan = " ".join(str(r[-1]) for r in store._conn.execute("EXPLAIN QUERY PLAN " + statement))
            assert "SEARCH nbgov_dataset_versions" in plan and "SCAN" not in plan, plan
    assert [(v["version"], v["createdByRun"]) for v in store.dataset_versions("ns", "t")] == [("v1", RUN_A)]
    assert sorted((v["version"], v["createdByRun"]) for v in store.dataset_versions("ns", "u")) == [
        ("v1", RUN_A), ("v2", run_c)]


def test_import_result_names_the_outputs_written_with_a_new_schema(store):
    def write(run_id, time, *outputs):
        return store.add_events([run_event("load", run_id=run_id, outputs=list(outputs), time=time)]).reshaped

    a, ab, ba = schema(("a", "INT")), schema(("a", "INT"), ("b", "TEXT")), schema(("b", "TEXT"), ("a", "INT"))
    first = write(RUN_A, "2024-01-01T00:00:00Z", dataset("t", facets={"schema": a}), dataset("u"),
                  dataset("v", facets={"schema": a}, namespace="other"))
    assert first == {("ns", "t"), ("other", "v")}  # new datasets with a schema; u has none
    assert write(RUN_B, "2024-01-02T00:00:00Z", dataset("t", facets={"schema": a})) == set()  # same schema again
    run_c, run_d, run_e = (f"0190c5e4-0000-7000-8000-00000000000{i}" for i in (3, 4, 5))
    assert write(run_c, "2024-01-03T00:00:00Z", dataset("t", facets={"schema": ab})) == {("ns", "t")}  # a column added
    assert write(run_d, "2024-01-04T00:00:00Z", dataset("t", facets={"schema": ba})) == {("ns", "t")}  # reordered
    assert write(run_e, "2024-01-05T00:00:00Z", dataset("t")) == set()  # no schema facet: nothing to compare
    # reads never count, and an event already stored changes nothing
    read = run_event("read", run_id=RUN_A, inputs=[dataset("w", facets={"schema": ab})], time="2024-01-06T00:00:00Z")
    assert store.add_events([read]).reshaped == set()
    assert store.add_events([read]).reshaped == set()


def test_dataset_facet_reads_one_facet(store):
    tags = facet({"tags": [{"key": "pii", "value": "EMAIL_ADDRESS", "field": "email"}]}, name="TagsDatasetFacet")
    store.add_events([run_event("j", outputs=[dataset("t", facets={"schema": schema(("email", "TEXT")),
                                                                     "tags": tags})])])
    assert store.dataset_facet("ns", "t", "tags") == tags
    assert store.dataset_facet("ns", "t", "schema") == schema(("email", "TEXT"))
    assert store.dataset_facet("ns", "t", "documentation") is None
    assert store.dataset_facet("ns", "missing", "tags") is None
    # a facet key that only appears inside another facet's text is still no facet of its own
    store.add_events([run_event("j", outputs=[dataset("d", facets={
        "documentation": facet({"description": 'see "tags"'}, name="DocumentationDatasetFacet")})])])
    assert store.dataset_facet("ns", "d", "tags") is None


def test_reading_a_dataset_makes_no_version(store):
    store.add_events([run_event("read", run_id=RUN_A, inputs=[dataset("t", facets={"schema": schema(("a", "INT"))})])])
    assert store.dataset_versions("ns", "t") == []


# ------------------------------------------------------------------ facet merges
def doc(text: str) -> dict:
    return facet({"description": text}, name="DocumentationJobFacet")


def sql(query: str) -> dict:
    return facet({"query": query}, name="SQLJobFacet")


def test_job_facets_merge(store):
    store.add_events([run_event("j", time="2024-01-01T00:00:00Z", job_facets={"documentation": doc("one"),
                                                                             "sql": sql("SELECT 1")})])
    store.add_events([run_event("j", time="2024-01-02T00:00:00Z", job_facets={"documentation": doc("two")})])
    facets = store.job("ns", "j")["facets"]
    assert facets["documentation"]["description"] == "two"
    assert facets["sql"]["query"] == "SELECT 1"
    assert store.job("ns", "j")["description"] == "two"
    # an older event arriving late does not override, but fills what is missing
    store.add_events([run_event("j", time="2023-12-31T00:00:00Z", job_facets={
        "documentation": doc("zero"), "ownership": facet({"owners": [{"name": "ann"}]}, name="OwnershipJobFacet")})])
    facets = store.job("ns", "j")["facets"]
    assert facets["documentation"]["description"] == "two"
    assert facets["ownership"]["owners"] == [{"name": "ann"}]
    store.add_events([run_event("j", time="2024-01-03T00:00:00Z", job_facets={"sql": {"_deleted": True}})])
    assert set(store.job("ns", "j")["facets"]) == {"documentation", "ownership"}


def test_dataset_facets_merge(store):
    tags = facet({"tags": [{"key": "pii", "value": "true"}]}, name="TagsDatasetFacet")
    store.add_events([run_event("j", time="2024-01-01T00:00:00Z", outputs=[
        dataset("t", facets={"schema": schema(("a", "INT")), "tags": tags})])])
    store.add_events([run_event("j", time="2024-01-02T00:00:00Z", outputs=[
        dataset("t", facets={"schema": schema(("a", "INT"), ("b", "INT"))})])])
    data = store.dataset("ns", "t")
    assert [f["name"] for f in data["fields"]] == ["a", "b"]
    assert data["facets"]["tags"] == tags
    assert [f["name"] for f in data["facets"]["schema"]["fields"]] == ["a", "b"]
    store.add_events([run_event("j", time="2024-01-03T00:00:00Z", outputs=[
        dataset("t", facets={"tags": {"_deleted": True}})])])
    assert set(store.dataset("ns", "t")["facets"]) == {"schema"}


def test_parent_facet_is_recorded(store):
    parent = facet({"run": {"runId": PARENT}, "job": {"namespace": "airflow", "name": "dag.task"}},
                   name="ParentRunFacet")
    store.add_events([run_event("child", run_id=RUN_A, run_facets={"parent": parent})])
    run = store.run(RUN_A)
    assert run["parentRunId"] == PARENT
    assert run["facets"]["parent"] == parent
    assert store.job("ns", "child")["parentJobName"] == "dag.task"


# ------------------------------------------------------------------------ search
def test_search_is_case_insensitive_and_literal(store):
    store.add_events([run_event("loader", outputs=["Sales_Daily", "sales%total", "salesXdaily", "other"])])

    def found(text):
        return sorted(r["name"] for r in store.search(text)["results"])

    assert found("SALES") == ["Sales_Daily", "sales%total", "salesXdaily"]
    assert found("sales_daily") == ["Sales_Daily"]
    assert found("%") == ["sales%total"]
    assert found("_") == ["Sales_Daily"]
    assert found("load") == ["loader"]
    assert found("nothing like it") == []
    result = store.search("sales_d")
    assert result == {"totalCount": 1, "results": [
        {"type": "DATASET", "name": "Sales_Daily", "updatedAt": "2024-01-01T00:00:00.000000Z", "namespace": "ns",
         "nodeId": "dataset:ns:Sales_Daily"},
    ]}


# ---------------------------------------------------------------------- secrets
def test_passwords_never_reach_the_store(store, raw_sql, backend):
    uri = "postgres://user:s3cret@host:5432/db"
    source = facet({"name": "warehouse", "uri": uri}, name="DatasourceDatasetFacet")
    event = run_event("etl", namespace="postgres://user:s3cret@host:5432",
                      inputs=[dataset("public.t", "postgres://user:s3cret@host:5432", facets={"dataSource": source})],
                      outputs=[dataset("public.u", "postgres://user:s3cret@host:5432")])
    assert store.add_events([event]).stored == 1
    exported = list(store.events())
    assert "s3cret" not in json.dumps(exported)
    assert exported[0]["inputs"][0]["facets"]["dataSource"]["uri"] == "postgres://user:***@host:5432/db"
    assert exported[0]["job"]["namespace"] == "postgres://user:***@host:5432"
    assert [d["namespace"] for d in store.datasets()] == ["postgres://user:***@host:5432"] * 2
    dumped = []
    for table in sorted(table_names(raw_sql, backend)):
        dumped.extend(repr(row) for row in raw_sql(f"SELECT * FROM {table}"))
    assert any("user:***@host" in row for row in dumped)  # the rows are there...
    assert not [row for row in dumped if "s3cret" in row]  # ...without the password


# --------------------------------------------------------------- invalid events
def test_invalid_events_rejected_one_by_one(store):
    good_0 = run_event("good0", run_id=RUN_A)
    bad_1 = run_event("bad1", run_id="not-a-uuid")
    good_2 = run_event("good2", run_id=RUN_B)
    bad_3 = run_event("bad3")
    del bad_3["job"]["name"]
    bad_4 = run_event("bad4", inputs=["ok", "missing-namespace"])
    del bad_4["inputs"][1]["namespace"]
    bad_5 = run_event("bad5", time="yesterday")
    bad_6 = ["not", "an", "object"]
    good_7 = run_event("good7", event_type="START")
    result = store.add_events([good_0, bad_1, good_2, bad_3, bad_4, bad_5, bad_6, good_7], batch_size=3)
    assert result.stored == 3
    assert [(e.index, e.path) for e in result.rejected] == [
        (1, "run.runId"), (3, "job.name"), (4, "inputs[1].namespace"), (5, "eventTime"), (6, ""),
    ]
    assert all(isinstance(e, InvalidEventError) for e in result.rejected)
    assert str(result.rejected[0]).startswith("event 1: ")
    assert result.to_dict()["rejected"] == 5
    assert sorted(j["name"] for j in store.jobs()) == ["good0", "good2", "good7"]
    assert store.count_events() == 3
    with pytest.raises(InvalidEventError) as info:
        store.add_event(bad_4)
    assert info.value.path == "inputs[1].namespace"


# -------------------------------------------------------------- open_store
def test_open_store_precedence(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NBGOV_STORE", raising=False)
    with open_store() as default:
        assert isinstance(default, SQLiteStore)
        assert Path(default.path) == Path(".nbgov") / "lineage.db"
        default.add_events([run_event("in_default")])
    assert (tmp_path / ".nbgov" / "lineage.db").is_file()

    monkeypatch.setenv("NBGOV_STORE", str(tmp_path / "env" / "env.db"))
    with open_store() as from_env:
        assert Path(from_env.path) == tmp_path / "env" / "env.db"
        assert from_env.count_events() == 0
        from_env.add_events([run_event("in_env")])
    with open_store(tmp_path / "arg.db") as from_arg:  # the argument beats the environment
        assert Path(from_arg.path) == tmp_path / "arg.db"
        assert from_arg.count_events() == 0
    with open_store(f"sqlite:///{tmp_path / 'url.db'}") as from_url:
        assert Path(from_url.path) == tmp_path / "url.db"
    monkeypatch.setenv("NBGOV_STORE", "   ")
    with open_store() as blank_env:
        assert Path(blank_env.path) == Path(".nbgov") / "lineage.db"
        assert [e["job"]["name"] for e in blank_env.events()] == ["in_default"]
    with sqlite3.connect(tmp_path / "env" / "env.db") as conn:
        assert conn.execute("SELECT job_name FROM nbgov_events").fetchall() == [("in_env",)]


def test_open_store_from_environment_on_each_backend(store_url, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NBGOV_STORE", store_url)
    with open_store() as opened:
        opened.add_events([run_event("via_env", run_id=RUN_A)])
    with open_store(store_url) as again:
        assert [e["run"]["runId"] for e in again.events()] == [RUN_A]
    assert not (tmp_path / ".nbgov").exists()


def test_open_store_unsupported_scheme(monkeypatch):
    with pytest.raises(ConfigError) as info:
        open_store("mysql://user@host/db")
    assert "mysql" in str(info.value) and info.value.source == "store"
    monkeypatch.setenv("NBGOV_STORE", "mongodb://localhost")
    with pytest.raises(ConfigError) as info:
        open_store()
    assert info.value.source == "NBGOV_STORE"


def test_a_store_whose_folder_cannot_be_created_raises_store_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot create the folder"):
        open_store(str(blocker / "sub" / "lineage.db"))
