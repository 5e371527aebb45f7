"""Schema-change alerts over versions written by real events, on both store backends."""

from __future__ import annotations

import uuid

import pytest

from nbgov.emit.events import dataset, run_event, to_dict
from nbgov.errors import NodeNotFoundError
from nbgov.governance import SchemaAlert, alerts_for_run, schema_changes
from tests.spec import assert_spec_valid

NS, NAME = "file", "/data/customers.csv"


def write(store, fields, *, time: str, job: str = "cell-1", run_id: str | None = None) -> str:
    """One COMPLETE run writing the dataset with ``fields`` (None: no schema facet)."""
    run_id = run_id or str(uuid.uuid4())
    event = to_dict(
        run_event(
            "COMPLETE",
            job_namespace="nb",
            job_name=job,
            run_id=run_id,
            event_time=time,
            outputs=[dataset(NS, NAME, fields=fields, kind="output")],
        )
    )
    assert_spec_valid(event)
    store.add_events([event])
    return run_id


@pytest.fixture
def history(store):
    runs = [
        write(
            store,
            [("id", "int64 not null"), ("amount", "int64"), ("name", "string"), ("city", "string")],
            time="2024-01-01T00:00:00Z",
        ),
        # + email, id may now be null
        write(
            store,
            [
                ("id", "int64"),
                ("amount", "int64"),
                ("name", "string"),
                ("city", "string"),
                ("email", "string"),
            ],
            time="2024-01-02T00:00:00Z",
        ),
        # amount int64 -> string, city -> town (same position, same type)
        write(
            store,
            [
                ("id", "int64"),
                ("amount", "string"),
                ("name", "string"),
                ("town", "string"),
                ("email", "string"),
            ],
            time="2024-01-03T00:00:00Z",
        ),
        # a run that sent no schema: skipped, not "every column removed"
        write(store, None, time="2024-01-04T00:00:00Z"),
        # email -> e_mail (moved to the front: similar name), TYPE case-only change is no change
        write(
            store,
            [
                ("e_mail", "string"),
                ("id", "INT64"),
                ("amount", "string"),
                ("name", "string"),
                ("town", "string"),
            ],
            time="2024-01-05T00:00:00Z",
        ),
    ]
    return runs


def test_alerts_for_every_version_change(store, history) -> None:
    r1, r2, r3, r4, r5 = history
    versions = {v["createdByRun"]: v["version"] for v in store.dataset_versions(NS, NAME)}
    got = [
        (a.type, a.severity, a.column, a.from_type, a.to_type, a.run_id)
        for a in schema_changes(store, NS, NAME)
    ]
    assert got == [
        ("SCHEMA_ADDITION", "INFO", "email", None, "string", r2),
        ("NULLABILITY_CHANGE", "WARNING", "id", "non-null", "nullable", r2),
        ("SCHEMA_ADDITION", "INFO", "town", None, "string", r3),
        ("SCHEMA_REMOVAL", "WARNING", "city", "string", None, r3),
        ("TYPE_CHANGE", "ERROR", "amount", "int64", "string", r3),
        ("RENAME_HINT", "INFO", "town", "city", "town", r3),
        ("SCHEMA_ADDITION", "INFO", "e_mail", None, "string", r5),
        ("SCHEMA_REMOVAL", "WARNING", "email", "string", None, r5),
        ("RENAME_HINT", "INFO", "e_mail", "email", "e_mail", r5),
    ]
    alerts = schema_changes(store, NS, NAME)
    # versions: each alert names the version before (with a schema) and the new one
    assert {(a.from_version, a.to_version) for a in alerts if a.run_id == r5} == {
        (versions[r3], versions[r5])
    }
    assert {(a.from_version, a.to_version) for a in alerts if a.run_id == r2} == {
        (versions[r1], versions[r2])
    }
    assert not any(a.run_id == r4 for a in alerts)
    first = alerts[0]
    assert first.to_dict() == {
        "type": "SCHEMA_ADDITION",
        "severity": "INFO",
        "dataset": f"dataset:{NS}:{NAME}",
        "column": "email",
        "from": None,
        "to": "string",
        "from_version": versions[r1],
        "to_version": versions[r2],
        "run_id": r2,
        "created_at": "2024-01-02T00:00:00.000000Z",
    }
    assert first.message == f"dataset:{NS}:{NAME}: column email added (string) (INFO)"
    assert alerts[4].message == f"dataset:{NS}:{NAME}: column amount type changed int64 -> string (ERROR)"


def test_alerts_for_run_is_the_notebook_hook(store, history) -> None:
    r3 = history[2]
    alerts = alerts_for_run(store, r3)
    assert [a.type for a in alerts] == ["SCHEMA_ADDITION", "SCHEMA_REMOVAL", "TYPE_CHANGE", "RENAME_HINT"]
    assert all(isinstance(a, SchemaAlert) and a.run_id == r3 for a in alerts)
    assert alerts_for_run(store, history[0]) == []  # the first version has nothing to compare with
    with pytest.raises(NodeNotFoundError):
        alerts_for_run(store, str(uuid.uuid4()))


def test_nullability_markers_and_explicit_key(store) -> None:
    """Nullable(T) wrappers, NOT NULL, a trailing ?, and a boolean ``nullable`` key on raw events."""
    write(
        store,
        [("a", "Nullable(Int64)"), ("b", "INTEGER NOT NULL"), ("c", "text?")],
        time="2024-01-01T00:00:00Z",
    )
    r2 = write(store, [("a", "Int64"), ("b", "INTEGER"), ("c", "text")], time="2024-01-02T00:00:00Z")
    got = [(a.type, a.column, a.from_type, a.to_type, a.severity) for a in schema_changes(store, NS, NAME)]
    assert got == [
        ("NULLABILITY_CHANGE", "a", "nullable", "non-null", "INFO"),
        ("NULLABILITY_CHANGE", "b", "non-null", "nullable", "WARNING"),
        ("NULLABILITY_CHANGE", "c", "nullable", "non-null", "INFO"),
    ]
    assert all(a.run_id == r2 for a in schema_changes(store, NS, NAME))
    # the schema facet's fields may carry more than name/type: a boolean `nullable` is honoured
    event = to_dict(
        run_event(
            "COMPLETE",
            job_namespace="nb",
            job_name="cell-1",
            event_time="2024-01-03T00:00:00Z",
            outputs=[
                dataset(NS, NAME, fields=[("a", "Int64"), ("b", "INTEGER"), ("c", "text")], kind="output")
            ],
        )
    )
    event["outputs"][0]["facets"]["schema"]["fields"][0]["nullable"] = True
    assert_spec_valid(event)
    store.add_events([event])
    last = [a for a in schema_changes(store, NS, NAME) if a.run_id == event["run"]["runId"]]
    assert [(a.type, a.column, a.from_type, a.to_type) for a in last] == [
        ("NULLABILITY_CHANGE", "a", "non-null", "nullable")
    ]


def test_no_versions_and_unknown_dataset(store) -> None:
    with pytest.raises(NodeNotFoundError):
        schema_changes(store, NS, "/nope.csv")
    write(store, [("a", "int64")], time="2024-01-01T00:00:00Z")
    assert schema_changes(store, NS, NAME) == []


def test_alerts_for_run_read_a_window_and_agree_with_the_whole_history(store) -> None:
    """``alerts_for_run`` pages through the newest versions only; over a long history with
    schemaless versions and one run that wrote twice, its alerts are exactly the full
    history's alerts of that run."""
    import random

    rnd = random.Random(7)
    columns = ["id", "amount", "name", "city", "email", "score"]
    runs: list[str] = []
    for day in range(60):
        run_id = runs[-1] if day == 41 else None  # day 41: the same run writes a second version
        if rnd.random() < 0.2:
            fields = None
        else:
            kept = [c for c in columns if rnd.random() < 0.8] or ["id"]
            fields = [(c, rnd.choice(["int64", "string", "double"])) for c in kept]
        runs.append(write(store, fields, time=f"2024-03-{day // 24 + 1:02d}T{day % 24:02d}:00:00Z",
                          run_id=run_id))
    history = schema_changes(store, NS, NAME)
    assert len(history) > 30
    for run_id in dict.fromkeys(runs):
        assert alerts_for_run(store, run_id) == [a for a in history if a.run_id == run_id], run_id
    assert len(store.dataset_versions(NS, NAME, limit=5, offset=3)) == 5
    assert store.dataset_versions(NS, NAME, limit=5, offset=3) == store.dataset_versions(NS, NAME)[3:8]


def test_alerts_for_run_with_the_written_datasets_given(store, history) -> None:
    for run_id in history:
        assert alerts_for_run(store, run_id, written=[(NS, NAME)]) == alerts_for_run(store, run_id)
