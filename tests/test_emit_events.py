"""Events built on the official client: spec-valid for every option, producer set, naming."""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from pathlib import Path

import pytest
from openlineage.client import event_v2
from openlineage.client.facet_v2 import data_quality_metrics_input_dataset, documentation_dataset
from openlineage.client.serde import Serde

import nbgov
from nbgov.emit import events as E
from tests.spec import assert_spec_valid

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "openlineage-spec" / "fixtures"
PARENT = ("airflow", "dag.task", "0190e9a6-7d3c-7b4e-8b4a-1d2e3f4a5b6c")
ROOT = ("airflow", "dag", "0190e9a6-7d3c-7b4e-8b4a-1d2e3f4a5b6d")


def _producers(value):
    """Every producer URI in a serialised event."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in ("producer", "_producer"):
                yield inner
            else:
                yield from _producers(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _producers(inner)


def test_producer_is_stable_and_versioned():
    assert E.PRODUCER == f"https://github.com/nbgov/nbgov/tree/{nbgov.__version__}"


def test_minimal_event_defaults():
    event = E.run_event("START", job_namespace="nb", job_name="cell_1")
    data = E.to_dict(event)
    assert_spec_valid(data)
    assert isinstance(event, event_v2.RunEvent)
    assert data["eventType"] == "START"
    assert uuid.UUID(data["run"]["runId"]).version == 7
    assert data["eventTime"].endswith("Z")
    assert data["producer"] == E.PRODUCER
    assert data["schemaURL"].startswith("https://openlineage.io/spec/2-0-2/OpenLineage.json")


def test_global_producer_untouched():
    before = event_v2.PRODUCER
    E.run_event("START", job_namespace="nb", job_name="j", description="x")
    assert event_v2.PRODUCER == before
    other = documentation_dataset.DocumentationDatasetFacet(description="theirs")
    assert other._producer != E.PRODUCER


OPTIONS = {
    "parent": {"parent": PARENT},
    "parent_and_root": {"parent": PARENT, "root": ROOT},
    "job_type": {"job_type": ("BATCH", "NBGOV", "CELL")},
    "job_type_mapping": {"job_type": {"processingType": "BATCH", "integration": "NBGOV"}},
    "source_code": {"source_code": "df = load()"},
    "source_code_language": {"source_code": ("sql", "select 1")},
    "sql": {"sql": "SELECT a FROM t"},
    "sql_dialect": {"sql": ("SELECT a FROM t", "postgres")},
    "owners": {"owners": ["team:data", ("user:ana", "MAINTAINER")]},
    "description": {"description": "Loads the orders"},
    "error_message": {"error": "it broke"},
    "job_facets": {"job_facets": {"documentation": None}},
    "run_facets": {"run_facets": {}},
    "event_time_datetime": {"event_time": dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.timezone.utc)},
    "event_time_text": {"event_time": "2024-05-01T12:00:00.000+02:00"},
    "run_id": {"run_id": "0190e9a6-7d3c-7b4e-8b4a-1d2e3f4a5b6e"},
}
FACET_OF = {
    "parent": ("run", "parent"), "parent_and_root": ("run", "parent"), "job_type": ("job", "jobType"),
    "job_type_mapping": ("job", "jobType"), "source_code": ("job", "sourceCode"),
    "source_code_language": ("job", "sourceCode"), "sql": ("job", "sql"), "sql_dialect": ("job", "sql"),
    "owners": ("job", "ownership"), "description": ("job", "documentation"), "error_message": ("run", "errorMessage"),
}


@pytest.mark.parametrize("option", sorted(OPTIONS))
def test_every_option_is_spec_valid(option):
    kwargs = dict(OPTIONS[option])
    if option == "job_facets":
        kwargs["job_facets"] = {"documentation": E.run_event(
            "START", job_namespace="x", job_name="y", description="d").job.facets["documentation"]}
    event = E.run_event("COMPLETE", job_namespace="nb", job_name="cell", **kwargs)
    data = E.to_dict(event)
    assert_spec_valid(data)
    assert set(_producers(data)) == {E.PRODUCER}
    if option in FACET_OF:
        where, key = FACET_OF[option]
        assert key in data[where]["facets"]


def test_option_values_land_in_facets():
    data = E.to_dict(E.run_event(
        "FAIL", job_namespace="nb", job_name="cell", parent=PARENT, root=ROOT, job_type=("BATCH", "NBGOV", "CELL"),
        sql=("SELECT 1", "duckdb"), owners=[("user:ana", "MAINTAINER")], description="about",
        event_time="2024-05-01T12:00:00Z",
    ))
    assert_spec_valid(data)
    parent = data["run"]["facets"]["parent"]
    assert (parent["job"]["namespace"], parent["job"]["name"], parent["run"]["runId"]) == PARENT
    assert (parent["root"]["job"]["namespace"], parent["root"]["job"]["name"], parent["root"]["run"]["runId"]) == ROOT
    assert data["job"]["facets"]["jobType"]["jobType"] == "CELL"
    assert data["job"]["facets"]["sql"] == {**data["job"]["facets"]["sql"], "query": "SELECT 1", "dialect": "duckdb"}
    assert data["job"]["facets"]["ownership"]["owners"] == [{"name": "user:ana", "type": "MAINTAINER"}]
    assert data["eventTime"] == "2024-05-01T12:00:00Z"


def test_error_from_exception_has_stack_trace():
    try:
        raise KeyError("column_x")
    except KeyError as exc:
        data = E.to_dict(E.run_event("FAIL", job_namespace="nb", job_name="cell", error=exc))
    assert_spec_valid(data)
    facet = data["run"]["facets"]["errorMessage"]
    assert facet["programmingLanguage"] == "PYTHON"
    assert facet["message"] == "KeyError: 'column_x'"
    assert "Traceback" in facet["stackTrace"] and "test_error_from_exception_has_stack_trace" in facet["stackTrace"]


def test_naive_datetime_is_converted_to_utc():
    local = dt.datetime(2024, 5, 1, 12, 0)
    data = E.to_dict(E.run_event("START", job_namespace="nb", job_name="c", event_time=local))
    expected = local.astimezone().astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    assert data["eventTime"].startswith(expected) and data["eventTime"].endswith("Z")


@pytest.mark.parametrize("bad", [{"event_type": "FINISHED"}, {"run_id": "not-a-uuid"}])
def test_malformed_arguments_raise(bad):
    kwargs = {"event_type": "START", "job_namespace": "nb", "job_name": "c", **bad}
    with pytest.raises(ValueError):
        E.run_event(kwargs.pop("event_type"), **kwargs)


def test_datasets_with_schema_and_io_facets():
    metrics = data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet(
        columnMetrics={}, rowCount=10, producer=E.PRODUCER)
    src = E.dataset("file", "/data/in.csv", fields=[("id", "int"), ("name", "string", "customer name")],
                    io_facets={"dataQualityMetrics": metrics})
    dst = E.dataset("postgres://db:5432", "shop.public.orders", kind="output", fields=[("id", "int")],
                    facets={"documentation": documentation_dataset.DocumentationDatasetFacet(
                        description="orders", producer=E.PRODUCER)})
    assert isinstance(src, event_v2.InputDataset) and isinstance(dst, event_v2.OutputDataset)
    data = E.to_dict(E.run_event("COMPLETE", job_namespace="nb", job_name="c", inputs=[src], outputs=[dst]))
    assert_spec_valid(data)
    fields = data["inputs"][0]["facets"]["schema"]["fields"]
    assert [(f["name"], f["type"], f.get("description")) for f in fields] == [
        ("id", "int", None), ("name", "string", "customer name")]
    assert data["inputs"][0]["inputFacets"]["dataQualityMetrics"]["rowCount"] == 10
    assert set(data["outputs"][0]["facets"]) == {"schema", "documentation"}
    assert set(_producers(data)) == {E.PRODUCER}


def test_dataset_rejects_unknown_kind_and_bad_field():
    with pytest.raises(ValueError):
        E.dataset("file", "/x", kind="both")
    with pytest.raises(ValueError):
        E.dataset("file", "/x", fields=["id"])


@pytest.mark.parametrize(
    ("kind", "parts", "expected"),
    [
        ("postgres", {"host": "db", "port": 5432, "database": "shop", "schema": "public", "table": "orders"},
         ("postgres://db:5432", "shop.public.orders")),
        ("postgresql", {"host": "db", "port": "5432", "database": "shop", "schema": "public", "table": "orders"},
         ("postgres://db:5432", "shop.public.orders")),
        ("mysql", {"host": "db", "port": 3306, "database": "shop", "table": "orders"},
         ("mysql://db:3306", "shop.orders")),
        ("bigquery", {"project_id": "p", "dataset_name": "d", "table_name": "t"}, ("bigquery", "p.d.t")),
        ("snowflake", {"organization_name": "org", "account_name": "acc", "database": "db", "schema": "s",
                       "table": "t"}, ("snowflake://org-acc", "db.s.t")),
        ("s3", {"bucket_name": "b", "object_key": "k/x.parquet"}, ("s3://b", "k/x.parquet")),
        ("kafka", {"bootstrap_server_host": "k", "port": 9092, "topic": "events"}, ("kafka://k:9092", "events")),
        ("sqlserver", {"host": "ms", "port": 1433, "database": "d", "schema": "dbo", "table": "t"},
         ("sqlserver://ms:1433", "d.dbo.t")),
        ("clickhouse", {"host": "ch", "port": 8123, "database": "d", "table": "t"}, ("clickhouse://ch:8123", "d.t")),
    ],
)
def test_dataset_naming(kind, parts, expected):
    assert E.dataset_name_for(kind, **parts) == expected


def test_local_file_is_named_by_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert E.dataset_name_for("file", path="data/in.csv") == ("file", str(tmp_path / "data" / "in.csv"))
    ns, name = E.dataset_name_for("sqlite", path="shop.db", table="orders")
    assert (ns, name) == (f"sqlite://{tmp_path / 'shop.db'}", "orders")
    data = E.to_dict(E.run_event("COMPLETE", job_namespace="nb", job_name="c",
                                 inputs=[E.dataset(*E.dataset_name_for("file", path="data/in.csv"))]))
    assert_spec_valid(data)
    assert os.path.isabs(data["inputs"][0]["name"])


@pytest.mark.parametrize(("kind", "parts"), [("postgres", {"host": "db"}), ("nosuchdb", {"table": "t"}),
                                             ("file", {"path": " "})])
def test_naming_with_missing_parts_raises(kind, parts):
    with pytest.raises(ValueError):
        E.dataset_name_for(kind, **parts)


def _spec_events():
    for path in sorted(FIXTURES.rglob("*.json")):
        data = json.loads(path.read_text())
        if isinstance(data, dict) and "eventTime" in data and ("run" in data or "job" in data or "dataset" in data):
            yield pytest.param(data, id=str(path.relative_to(FIXTURES)))


def _strip_empty(value):
    if isinstance(value, dict):
        return {k: _strip_empty(v) for k, v in value.items() if v != {} and v != []}
    if isinstance(value, list):
        return [_strip_empty(v) for v in value]
    return value


@pytest.mark.parametrize("payload", list(_spec_events()) or [pytest.param(None, marks=pytest.mark.skip)])
def test_from_dict_round_trips_or_refuses(payload):
    try:
        rebuilt = E.from_dict(payload)
    except ValueError:
        # only an event with fields the classes cannot carry may be refused
        known = {"eventTime", "eventType", "producer", "schemaURL", "run", "job", "inputs", "outputs"}
        assert set(payload) - known
        return
    assert _strip_empty(Serde.to_dict(rebuilt)) == _strip_empty(Serde.to_dict(payload))


def test_from_dict_refuses_unmodelled_fields():
    data = E.to_dict(E.run_event("START", job_namespace="nb", job_name="c"))
    data["run"]["extra"] = 1
    with pytest.raises(ValueError):
        E.from_dict(data)


def test_from_dict_of_built_event_is_identical():
    data = E.to_dict(E.run_event("START", job_namespace="nb", job_name="c", parent=PARENT, sql="SELECT 1",
                                 inputs=[E.dataset("file", "/a", fields=[("x", "int")])]))
    rebuilt = E.from_dict(json.loads(json.dumps(data)))
    assert isinstance(rebuilt, event_v2.RunEvent)
    assert Serde.to_dict(rebuilt) == data


# ------------------------------------------------------- to_dict is the client's Serde
def _rich_events():
    """Events with every option, datasets with schema / IO / quality / column-lineage
    facets, dict facets holding None, empty dicts in lists, tuples and NumPy integers."""
    import numpy as np

    for option in sorted(OPTIONS):
        kwargs = dict(OPTIONS[option])
        if option == "job_facets":
            continue
        yield E.run_event("COMPLETE", job_namespace="nb", job_name="cell", **kwargs)
    quality = {"rowCount": np.int64(3), "columnMetrics": {"a": {"nullCount": 0, "min": None, "max": 2.5}}}
    inputs = [E.dataset("file", "/in.csv", fields=[("a", "int64"), ("b", "string", "a note")],
                        facets={"version": E.facet("version", {"datasetVersion": "1-2"})},
                        io_facets={"dataQualityMetrics": E.facet("dataQualityMetrics", quality, kind="input")})]
    lineage = {"fields": {"a": {"inputFields": [{"namespace": "file", "name": "/in.csv", "field": "a",
                                                 "transformations": ({"type": "DIRECT", "subtype": "IDENTITY",
                                                                      "masking": False}, {}, None)}]}}}
    outputs = [E.dataset("file", "/out.parquet", fields=[("a", "int64")], kind="output",
                         facets={"columnLineage": E.facet("columnLineage", lineage), "extra": {"k": [None, {}, 1]}},
                         io_facets={"outputStatistics": E.facet("outputStatistics", {"rowCount": 3}, kind="output")})]
    yield E.run_event("START", job_namespace="nb", job_name="cell", inputs=inputs, source_code="x = 1",
                      parent=PARENT, root=ROOT, owners=["team:data"], description="d")
    yield E.run_event("FAIL", job_namespace="nb", job_name="cell", inputs=inputs, outputs=outputs,
                      error=ValueError("boom"), sql=("SELECT a FROM t", "duckdb"))
    yield E.dataset_event("file", "/out.parquet", facets={"tags": E.facet("tags", {"tags": [
        {"key": "pii", "value": "EMAIL_ADDRESS", "source": "NBGOV_CLASSIFIER", "field": "email"}]})})
    sample = Path(nbgov.__file__).parent / "data" / "sample_events.ndjson"
    for line in sample.read_text().splitlines():
        if line.strip():
            try:
                yield E.from_dict(json.loads(line))
            except (KeyError, TypeError, ValueError):
                continue


@pytest.mark.parametrize("end_type", ["COMPLETE", "FAIL"])
@pytest.mark.parametrize("option", sorted(set(OPTIONS) - {"error_message", "event_time_datetime", "event_time_text",
                                                            "run_id"}))  # those are the test's own arguments
def test_start_of_is_the_start_run_event_builds(end_type, option):
    # the cell path derives START from the end's dict: it must equal the START built directly
    kwargs = dict(OPTIONS[option])
    inputs = [E.dataset("file", "/in.csv", fields=[("a", "int64")],
                        facets={"version": E.facet("version", {"datasetVersion": "1-2"})},
                        io_facets={"dataQualityMetrics": E.facet("dataQualityMetrics", {"rowCount": 3}, kind="input")}),
              E.dataset("sqlite:/tmp/x.db", "main.t", kind="input")]
    outputs = [E.dataset("file", "/out.parquet", fields=[("a", "int64")], kind="output")]
    error = ValueError("boom") if end_type == "FAIL" else None
    end = E.run_event(end_type, job_namespace="nb", job_name="cell", event_time="2026-01-02T03:04:05.000006Z",
                      inputs=inputs, outputs=outputs, error=error, **kwargs)
    named = [E.dataset(d.namespace, d.name, kind="input") for d in inputs]
    start = E.run_event("START", job_namespace="nb", job_name="cell", run_id=end.run.runId,
                        event_time=dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc), inputs=named, **kwargs)
    end_dict = E.to_dict(end)
    derived = E.start_of(end_dict, dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc))
    assert json.dumps(derived, sort_keys=True) == json.dumps(E.to_dict(start), sort_keys=True)
    derived["job"]["facets"]["x"] = derived["run"]["facets"]["y"] = 1  # the START's containers are its own
    assert "x" not in end_dict["job"]["facets"] and "y" not in end_dict["run"]["facets"]
    assert ("errorMessage" in end_dict["run"]["facets"]) == (error is not None)


def test_to_dict_is_exactly_serde():
    count = 0
    for event in _rich_events():
        ours, theirs = E.to_dict(event), Serde.to_dict(event)
        assert ours == theirs
        assert json.dumps(ours, sort_keys=True) == json.dumps(theirs, sort_keys=True)
        count += 1
    assert count > len(OPTIONS)


def test_schema_facet_is_what_the_clients_schema_classes_serialise_to():
    """``dataset(fields=…)`` writes the common ``(name, type[, description])`` tuples as
    plain JSON; the result equals the client's ``SchemaDatasetFacet`` serialised, nested
    fields given as the client's objects included."""
    from openlineage.client.facet_v2 import schema_dataset as S

    specs = [("a", "int64"), ("b", "float64", "amount in EUR"), ("c", None), ("d",), ("e", "x", None),
             S.SchemaDatasetFacetFields(name="s", type="struct", fields=[S.SchemaDatasetFacetFields(name="x", type="int")])]
    built = E.to_dict(E.run_event("COMPLETE", job_namespace="n", job_name="j", outputs=[
        E.dataset("ns", "t", fields=specs, kind="output")]))
    client = Serde.to_dict(S.SchemaDatasetFacet(fields=[E._field(f) for f in specs], producer=E.PRODUCER))
    assert built["outputs"][0]["facets"]["schema"] == client
    assert_spec_valid(built)
    with pytest.raises(ValueError, match="a field is"):
        E.dataset("ns", "t", fields=[("a", "int", "d", "extra")])
