"""Spec validation of OpenLineage events: nbgov.emit.validate and the tests.spec helper."""

from __future__ import annotations

import copy
import json
import socket
import uuid
from pathlib import Path
from typing import Any

import pytest

from nbgov.emit.validate import (
    DEFAULT_CORE_URL,
    SCHEMAS_DIR,
    EventValidator,
    ValidationProblem,
    default_validator,
)
from nbgov.errors import ConfigError, InvalidEventError
from tests.spec import assert_spec_valid, spec_dir, spec_problems, spec_report, spec_validator

SPEC = spec_dir()
FIXTURES = SPEC / "fixtures"
PRODUCER = "https://github.com/nbgov/nbgov/tree/0.1.0"
RUN_EVENT_URL = DEFAULT_CORE_URL + "#/$defs/RunEvent"
FACETS = "https://openlineage.io/spec/facets/"

needs_spec = pytest.mark.skipif(not SPEC.is_dir(), reason=f"reference spec not found at {SPEC}")


def run_event() -> dict[str, Any]:
    """A minimal valid RunEvent with one input and one output and empty facet maps."""
    return {
        "eventTime": "2024-05-01T12:00:00.000Z",
        "eventType": "COMPLETE",
        "producer": PRODUCER,
        "schemaURL": RUN_EVENT_URL,
        "run": {"runId": "3f5e2b8a-8c2e-4c55-9b8e-2a3d6f1c0e11", "facets": {}},
        "job": {"namespace": "notebooks", "name": "analysis.cell_3", "facets": {}},
        "inputs": [
            {"namespace": "postgres://db:5432", "name": "public.orders", "facets": {}, "inputFacets": {}}
        ],
        "outputs": [
            {"namespace": "postgres://db:5432", "name": "public.summary", "facets": {}, "outputFacets": {}}
        ],
    }


def facet(url: str, **fields: Any) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": url, **fields}


def lineage_event() -> dict[str, Any]:
    """A valid RunEvent whose output carries a schema and a columnLineage facet."""
    event = run_event()
    event["outputs"][0]["facets"] = {
        "schema": facet(
            FACETS + "1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
            fields=[{"name": "customer", "type": "VARCHAR"}, {"name": "total", "type": "DECIMAL"}],
        ),
        "columnLineage": facet(
            FACETS + "1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet",
            fields={
                "total": {
                    "inputFields": [
                        {
                            "namespace": "postgres://db:5432",
                            "name": "public.orders",
                            "field": "amount",
                            "transformations": [{"type": "DIRECT", "subtype": "AGGREGATION"}],
                        }
                    ]
                }
            },
        ),
    }
    return event


def paths(problems: Any) -> list[str]:
    return [p.path for p in problems]


# -- the spec's own fixtures ---------------------------------------------------------

FACET_FIXTURES = sorted(p for p in FIXTURES.rglob("*.json") if p.name != "example_full_event.json")

# Where a facet goes, by the suffix of its definition name (the `_schemaURL` fragment's
# last segment when that names a facet, else the fixture's folder). First match wins.
SLOTS = (
    ("InputDatasetFacet", ("inputs", 0, "inputFacets")),
    ("OutputDatasetFacet", ("outputs", 0, "outputFacets")),
    ("DatasetFacet", ("outputs", 0, "facets")),
    ("JobFacet", ("job", "facets")),
    ("RunFacet", ("run", "facets")),
)

# `_schemaURL`s naming documents the spec does not publish: only the core schema applies.
SKIPPED = {
    **{f"BaseSubsetDatasetFacet/{n}.json": "schema not in the spec folder" for n in (1, 2, 3, 4)},  # 1-1-0
    "ExtractionErrorRunFacet/1.json": "schema not in the spec folder",  # 1-0-1
    "NominalTimeRunFacet/1.json": "not an OpenLineage spec URL",  # raw.githubusercontent.com
}

# Fixtures that break the very schema they name (upstream defects), with the problem
# reported and the `_schemaURL` under which the same facet is valid.
UPSTREAM_DEFECTS = {
    # `_schemaURL` copy-pasted from DatasetVersionDatasetFacet, whose only facet requires datasetVersion
    "DatasetTypeDatasetFacet/1.json": (
        "outputs[0].facets.datasetType.datasetVersion",
        FACETS + "1-0-0/DatasetTypeDatasetFacet.json",
    ),
    "LifecycleStateChangeDatasetFacet/1.json": (
        "outputs[0].facets.lifecycleStateChange.datasetVersion",
        FACETS + "1-0-0/LifecycleStateChangeDatasetFacet.json",
    ),
    # ProcessingEngineRunFacet 1-0-0 requires `engine_version`, a property it never defines (fixed in 1-1-0)
    "ProcessingEngineRunFacet/1.json": (
        "run.facets.processing_engine.engine_version",
        FACETS + "1-1-0/ProcessingEngineRunFacet.json",
    ),
}


def wrap(facets: dict[str, Any], name: str) -> tuple[dict[str, Any], str]:
    """A minimal RunEvent carrying ``facets`` where a facet called ``name`` belongs."""
    slot = next(where for suffix, where in SLOTS if name.endswith(suffix))
    event = run_event()
    target: Any = event
    for step in slot:
        target = target[step]
    target.update(facets)
    return event, "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in slot).lstrip(".")


def fixture_name(path: Path, facets: dict[str, Any]) -> str:
    url = next(iter(facets.values()))["_schemaURL"]
    last = url.rpartition("#")[2].rpartition("/")[2] if "#" in url else ""
    return last if last.endswith("Facet") else path.parent.name


@needs_spec
@pytest.mark.parametrize("fixture", FACET_FIXTURES, ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_spec_fixture_facet(fixture: Path) -> None:
    rel = fixture.relative_to(FIXTURES).as_posix()
    facets = json.loads(fixture.read_text())
    (key,) = facets
    event, where = wrap(facets, fixture_name(fixture, facets))
    report = spec_report(event)

    if rel in UPSTREAM_DEFECTS:
        bad_path, good_url = UPSTREAM_DEFECTS[rel]
        assert paths(report.problems) == [bad_path]
        assert report.problems[0].message.endswith("is a required property")
        facets[key]["_schemaURL"] = good_url
        event, _ = wrap(facets, fixture_name(fixture, facets))
        assert_spec_valid(event)
        assert [c.validated for c in spec_report(event).facets] == [True]
        return

    assert_spec_valid(event)
    reason = SKIPPED.get(rel, "")
    checked = [(c.path, c.validated, c.reason) for c in report.facets]
    assert checked == [(f"{where}.{key}", not reason, reason)]


@needs_spec
def test_every_fixture_accounted_for() -> None:
    known = {p.relative_to(FIXTURES).as_posix() for p in FACET_FIXTURES}
    assert set(SKIPPED) <= known and set(UPSTREAM_DEFECTS) <= known
    assert len(FACET_FIXTURES) >= 40


@needs_spec
def test_example_full_event() -> None:
    """The spec's example is odd in three ways, each allowed by the spec.

    It has ``run`` and ``job`` (so it is a RunEvent) and also a ``dataset``: RunEvent
    allows additional properties, and under 2-0-2's top-level ``oneOf`` it is not a
    DatasetEvent too, because DatasetEvent forbids having both ``job`` and ``run``.
    Its ``schemaURL`` ends ``1-0-5/OpenLineage.json#/definitions/RunEvent`` although 1-0-5
    keeps its definitions under ``$defs``: only the document part selects the schema.
    Its ``sql`` facet's ``_schemaURL`` is ``http://123``, a custom URL, so it is skipped.
    """
    event = json.loads((FIXTURES / "example_full_event.json").read_text())
    report = spec_report(event)
    assert report.problems == ()
    assert report.event_schema_url == "https://openlineage.io/spec/1-0-5/OpenLineage.json#/$defs/RunEvent"
    assert [(c.path, c.validated, c.reason) for c in report.facets] == [
        ("job.facets.sql", False, "not an OpenLineage spec URL")
    ]
    event["schemaURL"] = RUN_EVENT_URL
    assert_spec_valid(event)


# -- events built with openlineage-python --------------------------------------------


def openlineage_python_events() -> list[Any]:
    from openlineage.client.event_v2 import (
        DatasetEvent,
        InputDataset,
        Job,
        JobEvent,
        OutputDataset,
        Run,
        RunEvent,
        RunState,
        StaticDataset,
    )
    from openlineage.client.facet_v2 import (
        column_lineage_dataset,
        data_quality_metrics_input_dataset,
        documentation_job,
        error_message_run,
        job_type_job,
        ownership_job,
        parent_run,
        schema_dataset,
        source_code_job,
        source_code_location_job,
        sql_job,
    )

    schema = schema_dataset.SchemaDatasetFacet(
        fields=[
            schema_dataset.SchemaDatasetFacetFields(name="id", type="INTEGER", description="key"),
            schema_dataset.SchemaDatasetFacetFields(
                name="address",
                type="STRUCT",
                fields=[schema_dataset.SchemaDatasetFacetFields(name="city", type="VARCHAR")],
            ),
        ]
    )
    lineage = column_lineage_dataset.ColumnLineageDatasetFacet(
        fields={
            "id": column_lineage_dataset.Fields(
                inputFields=[
                    column_lineage_dataset.InputField(
                        namespace="postgres://db:5432",
                        name="public.orders",
                        field="id",
                        transformations=[
                            column_lineage_dataset.Transformation(
                                type="DIRECT", subtype="IDENTITY", masking=False
                            )
                        ],
                    )
                ]
            )
        },
        dataset=[
            column_lineage_dataset.InputField(
                namespace="postgres://db:5432",
                name="public.orders",
                field="status",
                transformations=[column_lineage_dataset.Transformation(type="INDIRECT", subtype="FILTER")],
            )
        ],
    )
    job_facets = {
        "sql": sql_job.SQLJobFacet(query="SELECT id FROM orders", dialect="postgres"),
        "jobType": job_type_job.JobTypeJobFacet(processingType="BATCH", integration="NBGOV", jobType="CELL"),
        "ownership": ownership_job.OwnershipJobFacet(
            owners=[ownership_job.Owner(name="user:ada", type="OWNER")]
        ),
        "documentation": documentation_job.DocumentationJobFacet(
            description="cell 3", contentType="text/plain"
        ),
        "sourceCode": source_code_job.SourceCodeJobFacet(language="python", sourceCode="df = sql('...')"),
        "sourceCodeLocation": source_code_location_job.SourceCodeLocationJobFacet(
            type="git", url="https://github.com/acme/notebooks/blob/main/analysis.ipynb"
        ),
    }
    run_facets = {
        "parent": parent_run.ParentRunFacet(
            run=parent_run.Run(runId=str(uuid.uuid4())),
            job=parent_run.Job(namespace="notebooks", name="analysis"),
            root=parent_run.Root(
                run=parent_run.RootRun(runId=str(uuid.uuid4())),
                job=parent_run.RootJob(namespace="notebooks", name="analysis"),
            ),
        ),
        "errorMessage": error_message_run.ErrorMessageRunFacet(
            message="division by zero", programmingLanguage="python", stackTrace="Traceback ..."
        ),
    }
    metrics = data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet(
        columnMetrics={
            "id": data_quality_metrics_input_dataset.ColumnMetrics(
                nullCount=0, distinctCount=10, min=1.0, max=10.0, quantiles={"0.5": 5.0}
            )
        },
        rowCount=10,
    )
    inputs = [
        InputDataset(
            namespace="postgres://db:5432",
            name="public.orders",
            facets={"schema": schema},
            inputFacets={"dataQualityMetrics": metrics},
        )
    ]
    outputs = [
        OutputDataset(
            namespace="postgres://db:5432", name="public.summary", facets={"columnLineage": lineage}
        )
    ]
    return [
        RunEvent(
            eventType=RunState.COMPLETE,
            eventTime="2024-05-01T12:00:00.123456+00:00",
            run=Run(runId=str(uuid.uuid4()), facets=run_facets),
            job=Job(namespace="notebooks", name="analysis.cell_3", facets=job_facets),
            inputs=inputs,
            outputs=outputs,
            producer=PRODUCER,
        ),
        JobEvent(
            eventTime="2024-05-01T12:00:00+02:00",
            job=Job(namespace="notebooks", name="analysis.cell_3", facets=job_facets),
            inputs=inputs,
            outputs=outputs,
        ),
        DatasetEvent(
            eventTime="2024-05-01T12:00:00Z",
            dataset=StaticDataset(
                namespace="postgres://db:5432", name="public.orders", facets={"schema": schema}
            ),
        ),
    ]


@needs_spec
def test_openlineage_python_events_are_valid() -> None:
    from openlineage.client.serde import Serde

    events = [Serde.to_dict(e) for e in openlineage_python_events()]
    assert_spec_valid(events)
    kinds = [spec_report(e).event_schema_url.rpartition("/")[2] for e in events]
    assert kinds == ["RunEvent", "JobEvent", "DatasetEvent"]
    # every facet was checked against its own schema, none skipped
    checked = spec_report(events[0]).facets
    assert len(checked) == 11 and all(c.validated for c in checked), checked


def test_openlineage_python_events_valid_against_vendored_schemas() -> None:
    from openlineage.client.serde import Serde

    for event in openlineage_python_events():
        report = default_validator().check(Serde.to_dict(event))
        assert report.problems == () and not report.skipped


@needs_spec
def test_assert_spec_valid_accepts_many_shapes() -> None:
    from openlineage.client.serde import Serde

    event = lineage_event()
    assert_spec_valid(event)
    assert_spec_valid(json.dumps(event))
    assert_spec_valid(json.dumps([event, event]))
    assert_spec_valid(json.dumps(event) + "\n" + json.dumps(event) + "\n")  # NDJSON
    assert_spec_valid([event, json.dumps(event), openlineage_python_events()[0]])
    assert_spec_valid(openlineage_python_events()[2])
    assert_spec_valid(Serde.to_json(openlineage_python_events()[1]).encode())


@needs_spec
def test_assert_spec_valid_lists_every_problem() -> None:
    good, bad = lineage_event(), lineage_event()
    del bad["producer"]
    bad["run"]["runId"] = "nope"
    with pytest.raises(AssertionError) as info:
        assert_spec_valid([good, bad])
    text = str(info.value)
    assert "2 OpenLineage spec problem(s) in 2 event(s)" in text
    assert "event 1: producer: 'producer' is a required property" in text
    assert "event 1: run.runId: 'nope' is not a 'uuid'" in text
    assert [(i, p.path) for i, p in spec_problems([good, bad])] == [(1, "producer"), (1, "run.runId")]


def test_helper_importable_both_ways() -> None:
    import spec  # via tests/__init__.py
    import tests.spec

    assert spec.assert_spec_valid.__name__ == tests.spec.assert_spec_valid.__name__


def test_helper_honours_env_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBGOV_SPEC_DIR", str(SCHEMAS_DIR))
    assert spec_dir() == SCHEMAS_DIR.resolve()
    assert spec_validator().root == SCHEMAS_DIR.resolve()
    assert_spec_valid(lineage_event())


# -- broken events: exact paths ------------------------------------------------------


def _set(event: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        event = event[step]
    event[path[-1]] = value


def _del(event: dict[str, Any], path: tuple[Any, ...]) -> None:
    for step in path[:-1]:
        event = event[step]
    del event[path[-1]]


CL = ("outputs", 0, "facets", "columnLineage", "fields", "total", "inputFields", 0)
BROKEN = {
    "missing runId": (lambda e: _del(e, ("run", "runId")), "run.runId", "'runId' is a required property"),
    "bad uuid": (lambda e: _set(e, ("run", "runId"), "run-42"), "run.runId", "'run-42' is not a 'uuid'"),
    "bad eventTime": (
        lambda e: _set(e, ("eventTime",), "2024-05-01 12:00"),
        "eventTime",
        "'2024-05-01 12:00' is not a 'date-time'",
    ),
    "missing producer": (lambda e: _del(e, ("producer",)), "producer", "'producer' is a required property"),
    "output without name": (
        lambda e: _del(e, ("outputs", 0, "name")),
        "outputs[0].name",
        "'name' is a required property",
    ),
    "schema field without name": (
        lambda e: _del(e, ("outputs", 0, "facets", "schema", "fields", 1, "name")),
        "outputs[0].facets.schema.fields[1].name",
        "'name' is a required property",
    ),
    "transformations not a list": (
        lambda e: _set(e, (*CL, "transformations"), {"type": "DIRECT"}),
        "outputs[0].facets.columnLineage.fields.total.inputFields[0].transformations",
        "{'type': 'DIRECT'} is not of type 'array'",
    ),
    "transformation without type": (
        lambda e: _set(e, (*CL, "transformations"), [{"subtype": "AGGREGATION"}]),
        "outputs[0].facets.columnLineage.fields.total.inputFields[0].transformations[0].type",
        "'type' is a required property",
    ),
    "job namespace missing": (
        lambda e: _del(e, ("job", "namespace")),
        "job.namespace",
        "'namespace' is a required property",
    ),
    "bad eventType": (
        lambda e: _set(e, ("eventType",), "DONE"),
        "eventType",
        "'DONE' is not one of ['START', 'RUNNING', 'COMPLETE', 'ABORT', 'FAIL', 'OTHER']",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_event_exact_path(case: str) -> None:
    mutate, path, message = BROKEN[case]
    event = lineage_event()
    assert default_validator().validate(event) == []
    mutate(event)
    problems = default_validator().validate(event)
    assert [(p.path, p.message) for p in problems] == [(path, message)]
    assert problems[0].schema_url and problems[0].schema_url.startswith("https://openlineage.io/spec/")


def test_problem_is_small_frozen_dataclass() -> None:
    problem = ValidationProblem("run.runId", "bad", None)
    with pytest.raises(AttributeError):
        problem.path = "x"  # type: ignore[misc]
    assert str(problem) == "run.runId: bad"


def test_many_problems_all_reported() -> None:
    event = lineage_event()
    del event["run"]["runId"]
    del event["producer"]
    event["eventTime"] = "yesterday"
    del event["outputs"][0]["facets"]["schema"]["fields"][1]["name"]
    assert sorted(paths(default_validator().validate(event))) == [
        "eventTime",
        "outputs[0].facets.schema.fields[1].name",
        "producer",
        "run.runId",
    ]


def test_validate_or_raise() -> None:
    event = lineage_event()
    default_validator().validate_or_raise(event)
    del event["run"]["runId"]
    with pytest.raises(InvalidEventError) as info:
        default_validator().validate_or_raise(event, index=3)
    assert info.value.path == "run.runId" and info.value.index == 3
    assert str(info.value) == "event 3: 'runId' is a required property at run.runId"


def test_not_an_object() -> None:
    assert default_validator().validate([1, 2]) == [  # type: ignore[arg-type]
        ValidationProblem("", "event is not a JSON object but list")
    ]


def test_bad_root() -> None:
    with pytest.raises(ConfigError):
        EventValidator(root=Path("/nonexistent/spec"))


# -- facets: skipping, deleting, selecting the definition ----------------------------


def test_custom_and_unpublished_facets_are_skipped() -> None:
    event = run_event()
    event["run"]["facets"] = {
        "nbgov_cell": facet("https://github.com/nbgov/nbgov/schemas/CellRunFacet.json", cell=3),
        "future": facet(FACETS + "9-9-9/FutureRunFacet.json#/$defs/FutureRunFacet", x=1),
    }
    event["job"]["facets"] = {"sql": facet("http://123", query="SELECT 1")}
    report = default_validator().check(event)
    assert report.problems == ()
    assert [(c.path, c.reason) for c in report.skipped] == [
        ("run.facets.nbgov_cell", "not an OpenLineage spec URL"),
        ("run.facets.future", "schema not in the spec folder"),
        ("job.facets.sql", "not an OpenLineage spec URL"),
    ]


def test_skipped_facet_still_needs_base_facet_fields() -> None:
    event = run_event()
    event["run"]["facets"] = {"nbgov_cell": {"_schemaURL": "https://example.com/Cell.json"}}
    assert paths(default_validator().validate(event)) == ["run.facets.nbgov_cell._producer"]


def test_deleted_facets_are_allowed_where_the_spec_defines_deleted() -> None:
    event = lineage_event()
    event["job"]["facets"] = {"sql": {"_deleted": True}}
    event["outputs"][0]["facets"]["schema"] = {"_deleted": True}
    event["inputs"][0]["facets"] = {"documentation": {"_deleted": True}}
    report = default_validator().check(event)
    assert report.problems == ()
    assert [c.path for c in report.skipped if c.reason == "deleted facet"] == [
        "job.facets.sql",
        "inputs[0].facets.documentation",
        "outputs[0].facets.schema",
    ]
    dataset_event = {
        "eventTime": "2024-05-01T12:00:00Z",
        "producer": PRODUCER,
        "schemaURL": DEFAULT_CORE_URL + "#/$defs/DatasetEvent",
        "dataset": {"namespace": "pg", "name": "t", "facets": {"schema": {"_deleted": True}}},
    }
    assert default_validator().validate(dataset_event) == []
    # run facets have no `_deleted` in the spec: a bare one lacks the base facet fields
    event["run"]["facets"] = {"parent": {"_deleted": True}}
    assert paths(default_validator().validate(event)) == [
        "run.facets.parent._producer",
        "run.facets.parent._schemaURL",
    ]


def test_facet_without_fragment_uses_key_then_only_definition() -> None:
    event = run_event()
    fields = [{"name": "a"}, {"type": "int"}]
    event["outputs"][0]["facets"] = {
        "schema": facet(FACETS + "1-1-1/SchemaDatasetFacet.json", fields=fields),  # by key
        "mySchema": facet(FACETS + "1-1-1/SchemaDatasetFacet.json", fields=fields),  # only facet def
    }
    report = default_validator().check(event)
    assert paths(report.problems) == [
        "outputs[0].facets.schema.fields[1].name",
        "outputs[0].facets.mySchema.fields[1].name",
    ]
    assert {p.schema_url for p in report.problems} == {
        FACETS + "1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet"
    }


def test_fragment_naming_nothing_is_a_problem() -> None:
    event = run_event()
    event["outputs"][0]["facets"] = {"schema": facet(FACETS + "1-2-0/SchemaDatasetFacet.json#/$defs/Nope")}
    assert paths(default_validator().validate(event)) == ["outputs[0].facets.schema._schemaURL"]


def test_old_core_definitions_container() -> None:
    """1-0-1 keeps definitions under ``definitions``; facet URLs may point there."""
    event = run_event()
    url = "https://openlineage.io/spec/1-0-1/OpenLineage.json#/definitions/OutputStatisticsOutputDatasetFacet"
    event["outputs"][0]["outputFacets"] = {"outputStatistics": facet(url, rowCount="many")}
    problems = default_validator().validate(event)
    assert [(p.path, p.schema_url) for p in problems] == [
        ("outputs[0].outputFacets.outputStatistics.rowCount", url)
    ]


# -- event kinds and core versions ---------------------------------------------------


def test_event_kinds() -> None:
    job_event = {k: v for k, v in run_event().items() if k not in ("run", "eventType")}
    job_event["schemaURL"] = DEFAULT_CORE_URL + "#/$defs/JobEvent"
    assert default_validator().check(job_event).event_schema_url == DEFAULT_CORE_URL + "#/$defs/JobEvent"
    assert default_validator().validate(job_event) == []

    dataset_event = {
        "eventTime": "2024-05-01T12:00:00Z",
        "producer": PRODUCER,
        "schemaURL": DEFAULT_CORE_URL + "#/$defs/DatasetEvent",
        "dataset": {"namespace": "pg", "name": "t"},
    }
    report = default_validator().check(dataset_event)
    assert report.event_schema_url == DEFAULT_CORE_URL + "#/$defs/DatasetEvent"
    assert default_validator().validate(dataset_event) == []
    del dataset_event["dataset"]["name"]
    assert paths(default_validator().validate(dataset_event)) == ["dataset.name"]

    # no run, job or dataset: checked as a RunEvent
    assert paths(default_validator().validate({"eventTime": "2024-05-01T12:00:00Z"})) == [
        "producer",
        "schemaURL",
        "run",
        "job",
    ]


def test_schema_url_selects_core_version() -> None:
    event = run_event()
    event["schemaURL"] = "https://openlineage.io/spec/1-0-0/OpenLineage.json#/definitions/RunEvent"
    report = default_validator().check(event)
    assert report.problems == ()
    assert report.event_schema_url == event["schemaURL"]
    event["eventType"] = "RUNNING"  # not in 1-0-0's enum, added later
    assert paths(default_validator().validate(event)) == ["eventType"]
    event["schemaURL"] = "https://example.com/MyOpenLineage.json"
    assert default_validator().check(event).event_schema_url == RUN_EVENT_URL
    assert default_validator().validate(event) == []


def test_schema_url_version_without_event_kind() -> None:
    event = {
        "eventTime": "2024-05-01T12:00:00Z",
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/1-0-5/OpenLineage.json#/$defs/DatasetEvent",
        "dataset": {"namespace": "pg", "name": "t"},
    }
    problems = default_validator().validate(event)
    assert [(p.path, p.message) for p in problems] == [
        (
            "schemaURL",
            "https://openlineage.io/spec/1-0-5/OpenLineage.json defines no DatasetEvent;"
            " checked against 2-0-2",
        )
    ]


@pytest.mark.parametrize("version", ["1-0-4", "1-0-5", "2-0-0", "2-0-1", "2-0-2"])
def test_bad_facet_in_versions_with_unpublished_refs(version: str) -> None:
    """1-0-4 … 2-0-1 list facet alternatives by ``$ref``s to files never published."""
    event = run_event()
    event["schemaURL"] = f"https://openlineage.io/spec/{version}/OpenLineage.json#/$defs/RunEvent"
    event["run"]["facets"] = {"custom": {"_schemaURL": "https://example.com/C.json"}}
    assert paths(default_validator().validate(event)) == ["run.facets.custom._producer"]


# -- formats -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, ok",
    [
        ("2024-05-01T12:00:00Z", True),
        ("2024-05-01T12:00:00.123456+02:00", True),
        ("2024-05-01t12:00:00z", True),
        ("2016-12-31T23:59:60Z", True),
        ("2024-05-01", False),
        ("2024-05-01T12:00:00", False),
        ("2024-02-30T00:00:00Z", False),
        ("2024-05-01T24:00:00Z", False),
        ("2024-05-01T12:00:00+25:00", False),
        ("2024-05-01 12:00:00Z", False),
        ("yesterday", False),
    ],
)
def test_date_time_format(value: str, ok: bool) -> None:
    event = run_event()
    event["eventTime"] = value
    assert (default_validator().validate(event) == []) is ok


@pytest.mark.parametrize(
    "value, ok",
    [
        ("https://github.com/OpenLineage/OpenLineage/tree/1.0.0/client/python", True),
        ("urn:example:nbgov", True),
        ("http://[::1]:8080/p?q=1#f", True),
        ("https://x.io/a%20b", True),
        ("not a uri", False),
        ("/relative/path", False),
        ("https://x.io/a b", False),
        ("http://x.io/%zz", False),
        ("http://x.io/#a#b", False),
        ("http://x.io/[a]", False),
    ],
)
def test_uri_format(value: str, ok: bool) -> None:
    event = run_event()
    event["producer"] = value
    assert (default_validator().validate(event) == []) is ok


@pytest.mark.parametrize(
    "value, ok",
    [
        ("3f5e2b8a-8c2e-4c55-9b8e-2a3d6f1c0e11", True),
        ("3F5E2B8A-8C2E-4C55-9B8E-2A3D6F1C0E11", True),
        ("3f5e2b8a8c2e4c559b8e2a3d6f1c0e11", False),
        ("{3f5e2b8a-8c2e-4c55-9b8e-2a3d6f1c0e11}", False),
        ("3f5e2b8a-8c2e-4c55-9b8e-2a3d6f1c0e1", False),
    ],
)
def test_uuid_format(value: str, ok: bool) -> None:
    event = run_event()
    event["run"]["runId"] = value
    assert (default_validator().validate(event) == []) is ok


# -- the fast path agrees with jsonschema --------------------------------------------


_DELETE = object()


def _mutations(node: Any, path: tuple[Any, ...] = ()) -> Any:
    """(path, replacement or _DELETE) for every node of a JSON value."""
    for value in (None, 1, 1.5, "x", True, [], {}):
        yield path, value
    if isinstance(node, dict):
        for key, child in node.items():
            yield (*path, key), _DELETE
            yield from _mutations(child, (*path, key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _mutations(child, (*path, i))


def _apply(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    doc = copy.deepcopy(doc)
    target = doc
    for step in path[:-1]:
        target = target[step]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


def test_fast_path_agrees_with_jsonschema() -> None:
    """The compiled predicates accept exactly what jsonschema accepts, node by node."""
    from openlineage.client.serde import Serde

    validator = EventValidator()
    run, job, dataset = (Serde.to_dict(e) for e in openlineage_python_events())
    cases: list[tuple[str, Any]] = [
        (RUN_EVENT_URL, lineage_event()),
        (RUN_EVENT_URL, run),
        (DEFAULT_CORE_URL + "#/$defs/JobEvent", job),
        (DEFAULT_CORE_URL + "#/$defs/DatasetEvent", dataset),
        ("https://openlineage.io/spec/1-0-0/OpenLineage.json#/definitions/RunEvent", run_event()),
        ("https://openlineage.io/spec/2-0-1/OpenLineage.json#/$defs/RunEvent", run_event()),
    ]
    for fixture in FACET_FIXTURES:  # each spec fixture facet against the definition it names
        ((key, value),) = json.loads(fixture.read_text()).items()
        target, _ = validator._resolve_facet(value["_schemaURL"], key)
        if target is not None:
            cases.append((target, value))
    compared = 0
    for url, instance in cases:
        fast = validator._fast_check(url)
        slow = validator._validator(url)
        assert fast is not None, url
        for path, value in _mutations(instance):
            mutated = _apply(instance, path, value)
            assert fast(mutated) == slow.is_valid(mutated), (url, path, value)
            compared += 1
    assert compared > 2000


# -- the vendored copy and the network -----------------------------------------------


@needs_spec
def test_vendored_schemas_match_reference() -> None:
    reference = {
        p.relative_to(SPEC).as_posix()
        for p in SPEC.rglob("*")
        if p.is_file() and p.relative_to(SPEC).parts[0] != "fixtures"
    }
    vendored = {p.relative_to(SCHEMAS_DIR).as_posix() for p in SCHEMAS_DIR.rglob("*") if p.is_file()}
    assert vendored - {"README.md"} == reference
    for rel in sorted(reference):
        assert (SCHEMAS_DIR / rel).read_bytes() == (SPEC / rel).read_bytes(), rel
    assert {"2-0-2/OpenLineage.json", "1-0-0/OpenLineage.json", "LICENSE", "NOTICE.txt"} <= vendored


def test_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("validation tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    from openlineage.client.serde import Serde

    validator = EventValidator()  # nothing loaded or compiled yet
    for event in openlineage_python_events():
        assert validator.validate(Serde.to_dict(event)) == []
    broken = lineage_event()
    broken["schemaURL"] = "https://openlineage.io/spec/2-0-1/OpenLineage.json#/$defs/RunEvent"
    broken["run"]["facets"] = {"x": {"_schemaURL": "https://example.com/X.json"}}
    del broken["outputs"][0]["facets"]["columnLineage"]["fields"]["total"]["inputFields"][0]["field"]
    assert paths(validator.validate(broken)) == [
        "run.facets.x._producer",
        "outputs[0].facets.columnLineage.fields.total.inputFields[0].field",
    ]
