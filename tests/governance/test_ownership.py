"""Ownership and documentation facets on jobs (JobEvent) and datasets (DatasetEvent), both backends."""

from __future__ import annotations

import pytest

from nbgov.emit.events import dataset, run_event, to_dict
from nbgov.errors import NbgovError, NodeNotFoundError
from nbgov.governance import InvalidOwnerError, Ownership, OwnershipError, owners, set_owners
from tests.spec import assert_spec_valid

JOB = "job:nb:cell-clean"
DS = "dataset:postgres://db:5432:public.customers"


@pytest.fixture
def graph(store):
    event = to_dict(
        run_event(
            "COMPLETE",
            job_namespace="nb",
            job_name="cell-clean",
            source_code="df = clean(raw)",
            event_time="2024-01-01T00:00:00Z",
            inputs=[dataset("file", "/raw.csv", kind="input")],
            outputs=[
                dataset("postgres://db:5432", "public.customers", fields=[("id", "int")], kind="output")
            ],
        )
    )
    store.add_events([event])
    return store


def governance_events(store) -> list[dict]:
    return [e for e in store.events() if "run" not in e]


def test_job_owners_round_trip_through_a_job_event(graph) -> None:
    store = graph
    got = set_owners(store, JOB, ["team:data", "user:ada", "team:data"], description="Cleans the raw export")
    assert got == Ownership(JOB, ("team:data", "user:ada"), "Cleans the raw export")
    assert owners(store, JOB) == got
    (event,) = governance_events(store)
    assert_spec_valid(event)
    assert "job" in event and "run" not in event  # a JobEvent
    job = store.node(JOB)
    # the store merged the facets into the job and kept the ones it had
    assert [o["name"] for o in job["facets"]["ownership"]["owners"]] == ["team:data", "user:ada"]
    assert job["facets"]["sourceCode"]["sourceCode"] == "df = clean(raw)"
    assert job["description"] == "Cleans the raw export"
    assert job["latestRun"] is not None  # a JobEvent does not disturb the run history
    # replacing, then removing
    assert set_owners(store, JOB, ["user:bob"]).owners == ("user:bob",)
    cleared = set_owners(store, JOB, [])
    assert cleared.owners == () and cleared.description == "Cleans the raw export"
    assert "ownership" not in store.node(JOB)["facets"]
    assert_spec_valid(governance_events(store))


def test_dataset_owners_round_trip_through_a_dataset_event(graph) -> None:
    store = graph
    got = set_owners(store, DS, ["team:crm"], description="One row per customer")
    assert got.owners == ("team:crm",) and got.node == DS
    (event,) = governance_events(store)
    assert_spec_valid(event)
    assert "dataset" in event and "job" not in event  # a DatasetEvent
    data = store.node(DS)
    assert data["facets"]["ownership"]["owners"] == [{"name": "team:crm"}]
    assert data["description"] == "One row per customer"
    assert data["fields"] == [{"name": "id", "type": "int", "tags": [], "description": None}]
    assert owners(store, DS) == Ownership(DS, ("team:crm",), "One row per customer")
    # the owner of an unowned node
    assert owners(store, "dataset:file:/raw.csv") == Ownership("dataset:file:/raw.csv", (), None)


@pytest.mark.parametrize(
    "bad", ["data", "Team:data", "group:x", "team:", "user: ada", " team:x", "", 7, None]
)
def test_bad_owner_prefix(graph, bad) -> None:
    with pytest.raises(InvalidOwnerError) as err:
        set_owners(graph, JOB, ["team:ok", bad])
    assert isinstance(err.value, NbgovError) and err.value.owner == bad
    assert "team:NAME or user:NAME" in str(err.value)
    assert governance_events(graph) == []  # nothing written


def test_unknown_nodes_and_columns(graph) -> None:
    with pytest.raises(NodeNotFoundError):
        set_owners(graph, "job:nb:typo", ["team:x"])
    with pytest.raises(NodeNotFoundError):
        owners(graph, "dataset:file:/nope.csv")
    with pytest.raises(OwnershipError, match="not a column"):
        set_owners(graph, "datasetField:postgres://db:5432:public.customers:id", ["team:x"])
    assert governance_events(graph) == []
