"""Import -> store -> export gives back the events that went in, and export filters are exact.

Inputs: the OpenLineage spec's own fixtures (each facet wrapped into a minimal RunEvent,
plus ``example_full_event.json``) and events built with openlineage-python's
``event_v2``/``facet_v2`` classes serialised with its ``Serde``.
"""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path

import pytest
from openlineage.client import event_v2, facet_v2
from openlineage.client.serde import Serde

from tests.conftest import REFERENCE
from tests.fixtures.events import PRODUCER, run_event

FIXTURES = REFERENCE / "openlineage-spec" / "fixtures"


def _facet_fixtures() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*/*.json"))


def _place(directory: str, schema_url: str) -> str:
    """Where a facet belongs in a RunEvent, from its schema's definition name."""
    kind = schema_url.rsplit("/", 1)[-1] if "#/$defs/" in schema_url else directory
    for suffix, where in (("InputDatasetFacet", "inputFacets"), ("OutputDatasetFacet", "outputFacets"),
                          ("DatasetFacet", "dataset"), ("RunFacet", "run"), ("JobFacet", "job")):
        if kind.endswith(suffix):
            return where
    raise AssertionError(f"cannot place facet {directory} ({schema_url})")


def wrap_fixture(path: Path, minute: int) -> dict:
    """A minimal RunEvent carrying the facets of one spec fixture where they belong."""
    facets = json.loads(path.read_text())
    event = run_event(
        f"fixture.{path.parent.name}.{path.stem}",
        run_id=str(uuid.uuid5(uuid.NAMESPACE_URL, str(path.relative_to(FIXTURES)))),
        namespace="spec-fixtures", inputs=["input_table"], outputs=["output_table"],
        time=f"2024-05-01T{minute // 60:02d}:{minute % 60:02d}:00Z",
    )
    for key, value in facets.items():
        where = _place(path.parent.name, value.get("_schemaURL", ""))
        if where == "run":
            event["run"]["facets"][key] = value
        elif where == "job":
            event["job"]["facets"][key] = value
        elif where == "inputFacets":
            event["inputs"][0].setdefault("inputFacets", {})[key] = value
        elif where == "outputFacets":
            event["outputs"][0].setdefault("outputFacets", {})[key] = value
        else:
            event["outputs"][0].setdefault("facets", {})[key] = value
    return event


def test_spec_fixtures_round_trip(store):
    paths = _facet_fixtures()
    assert len(paths) >= 40  # the spec ships ~46 facet fixtures; an empty glob must not pass
    events = [wrap_fixture(p, i) for i, p in enumerate(paths)]
    full = json.loads((FIXTURES / "example_full_event.json").read_text())
    full_copy = copy.deepcopy(full)
    events.append(full)
    sent = copy.deepcopy(events)
    result = store.add_events(events)
    assert result.rejected == []
    assert result.stored == len(events)
    assert events == sent  # the store did not mutate its input
    exported = list(store.events())
    # stored order is by event time: the wrapped fixtures (2024-05-01) after the full event (2023)
    assert exported[0] == full_copy
    assert exported[1:] == sent[:-1]
    # the graph was built from them too: ColumnLineageDatasetFacet/2.json maps firstName <- first_name
    graph = store.column_lineage("datasetField:spec-fixtures:output_table:firstName", 1)
    assert {n["id"] for n in graph["graph"]} == {
        "datasetField:spec-fixtures:output_table:firstName",
        "datasetField:s3://test-bucket:/iceberg_warehouse/some-database/people:first_name",
    }
    # a second import of the exported events stores nothing new
    again = store.add_events(exported)
    assert (again.stored, again.duplicates) == (0, len(events))


def _client_events() -> list[dict]:
    run_id = "3f5e5f0a-6a37-4e26-9d4a-1c2b3d4e5f60"
    parent = facet_v2.parent_run.ParentRunFacet(
        run=facet_v2.parent_run.Run(runId="3f5e5f0a-6a37-4e26-9d4a-1c2b3d4e5fff"),
        job=facet_v2.parent_run.Job(namespace="notebooks", name="analysis.ipynb"),
    )
    schema = facet_v2.schema_dataset.SchemaDatasetFacet(fields=[
        facet_v2.schema_dataset.SchemaDatasetFacetFields(name="id", type="INTEGER", description="key"),
        facet_v2.schema_dataset.SchemaDatasetFacetFields(name="amount", type="DECIMAL(10,2)"),
    ])
    lineage = facet_v2.column_lineage_dataset.ColumnLineageDatasetFacet(fields={
        "total": facet_v2.column_lineage_dataset.Fields(inputFields=[
            facet_v2.column_lineage_dataset.InputField(
                namespace="postgres://db:5432", name="public.orders", field="amount",
                transformations=[facet_v2.column_lineage_dataset.Transformation(
                    type="DIRECT", subtype="AGGREGATION", description="SUM(amount)", masking=False)],
            )
        ])
    })
    quality = facet_v2.data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet(
        columnMetrics={"amount": facet_v2.data_quality_metrics_input_dataset.ColumnMetrics(nullCount=0, min=1.5)},
        rowCount=42,
    )
    stats = facet_v2.output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(rowCount=7, size=1024)
    job = event_v2.Job(namespace="notebooks", name="analysis.ipynb.cell_3", facets={
        "sql": facet_v2.sql_job.SQLJobFacet(query="SELECT customer, SUM(amount) AS total FROM orders GROUP BY 1"),
        "jobType": facet_v2.job_type_job.JobTypeJobFacet(processingType="BATCH", integration="NBGOV",
                                                         jobType="CELL"),
    })
    inputs = [event_v2.InputDataset(
        namespace="postgres://db:5432", name="public.orders",
        facets={"schema": schema,
                "dataSource": facet_v2.datasource_dataset.DatasourceDatasetFacet(name="db", uri="postgres://db:5432")},
        inputFacets={"dataQualityMetrics": quality},
    )]
    outputs = [event_v2.OutputDataset(
        namespace="file", name="/data/totals.parquet",
        facets={"columnLineage": lineage,
                "documentation": facet_v2.documentation_dataset.DocumentationDatasetFacet(description="totals")},
        outputFacets={"outputStatistics": stats},
    )]
    start = event_v2.RunEvent(
        eventType=event_v2.RunState.START, eventTime="2024-06-01T12:00:00.000000+00:00",
        run=event_v2.Run(runId=run_id, facets={
            "parent": parent,
            "nominalTime": facet_v2.nominal_time_run.NominalTimeRunFacet(
                nominalStartTime="2024-06-01T12:00:00Z"),
        }),
        job=job, inputs=inputs, outputs=outputs, producer=PRODUCER,
    )
    complete = event_v2.RunEvent(
        eventType=event_v2.RunState.COMPLETE, eventTime="2024-06-01T12:00:05.500000+00:00",
        run=event_v2.Run(runId=run_id), job=job, inputs=inputs, outputs=outputs, producer=PRODUCER,
    )
    return [Serde.to_dict(start), Serde.to_dict(complete)]


def test_openlineage_python_events_round_trip(store):
    events = _client_events()
    sent = json.loads(json.dumps(events))
    assert sent[0]["eventType"] == "START" and sent[1]["eventType"] == "COMPLETE"
    assert sent[0]["run"]["facets"]["parent"]["job"]["name"] == "analysis.ipynb"
    result = store.add_events(events)
    assert (result.stored, result.rejected) == (2, [])
    exported = list(store.events())
    assert exported == sent
    assert json.loads(json.dumps(exported)) == sent
    from tests.spec import assert_spec_valid

    assert_spec_valid(exported)
    run = store.run("3f5e5f0a-6a37-4e26-9d4a-1c2b3d4e5f60")
    assert (run["state"], run["durationMs"]) == ("COMPLETED", 5500)
    assert run["parentRunId"] == "3f5e5f0a-6a37-4e26-9d4a-1c2b3d4e5fff"


# ------------------------------------------------------------------ export filters
def dataset_event(namespace: str, name: str, time: str, facets: dict | None = None) -> dict:
    return {"eventTime": time, "producer": PRODUCER,
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent",
            "dataset": {"namespace": namespace, "name": name, "facets": facets or {}}}


def job_event(namespace: str, name: str, time: str) -> dict:
    return {"eventTime": time, "producer": PRODUCER,
            "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent",
            "job": {"namespace": namespace, "name": name, "facets": {}}, "inputs": [], "outputs": []}


@pytest.fixture
def timeline(store):
    """Seven events; e4's time has an offset that puts it before e3 in UTC."""
    symlinks = {"_producer": PRODUCER, "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/SymlinksDatasetFacet.json",
                "identifiers": [{"namespace": "a", "name": "alias", "type": "TABLE"}]}
    events = {
        "e1": run_event("x", namespace="a", time="2024-01-01T00:00:00Z"),
        "e2": run_event("y", namespace="a", time="2024-01-02T00:00:00Z"),
        "e3": run_event("x", namespace="b", time="2024-01-03T00:00:00Z"),
        "e4": run_event("y", namespace="b", time="2024-01-03T01:00:00+02:00"),  # 2024-01-02T23:00Z
        "e5": dataset_event("a", "tbl", "2024-01-05T00:00:00Z"),
        "e6": job_event("c", "z", "2024-01-06T00:00:00Z"),
        # namespace b, but a facet inside mentions namespace "a"
        "e7": dataset_event("b", "other", "2024-01-07T00:00:00Z", {"symlinks": symlinks}),
    }
    assert store.add_events(list(events.values())).stored == 7
    return store, events


@pytest.mark.parametrize(
    "filters, expected",
    [
        ({}, ["e1", "e2", "e4", "e3", "e5", "e6", "e7"]),
        ({"namespace": "a"}, ["e1", "e2", "e5"]),
        ({"namespace": "b"}, ["e4", "e3", "e7"]),
        ({"namespace": "c"}, ["e6"]),
        ({"namespace": "zzz"}, []),
        ({"job": "x"}, ["e1", "e3"]),
        ({"job": "z"}, ["e6"]),
        ({"namespace": "b", "job": "y"}, ["e4"]),
        ({"since": "2024-01-03T00:00:00Z"}, ["e3", "e5", "e6", "e7"]),
        ({"since": "2024-01-03T01:00:00+01:00"}, ["e3", "e5", "e6", "e7"]),
        ({"until": "2024-01-03T00:00:00Z"}, ["e1", "e2", "e4"]),
        ({"since": "2024-01-02T00:00:00Z", "until": "2024-01-05T00:00:00Z"}, ["e2", "e4", "e3"]),
        ({"namespace": "a", "since": "2024-01-02T00:00:00Z"}, ["e2", "e5"]),
    ],
)
def test_export_filters(timeline, filters, expected):
    store, events = timeline
    assert list(store.events(**filters)) == [events[k] for k in expected]


def test_export_by_run_and_limit(timeline):
    store, events = timeline
    assert list(store.events(run_id=events["e3"]["run"]["runId"])) == [events["e3"]]
    assert list(store.events(limit=2)) == [events["e1"], events["e2"]]
