"""The facets a fit adds to its model output (``fit_facets``): ``nbgov_model`` valid against
its own JSON Schema, the label as a schema field, column lineage from the training columns,
data versions of the training datasets, and no raw PII in class balances or date ranges."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from nbgov.emit.events import dataset, facet, run_event, to_dict
from nbgov.governance.metrics import (
    FEATURE_TRANSFORMATION,
    LABEL_TRANSFORMATION,
    MODEL_FACET,
    MODEL_SCHEMA_URL,
    describe_model,
    fit_facets,
    log_metrics,
)
from nbgov.model.events import version_id
from tests.spec import assert_spec_valid

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "nbgov" / "governance" / "schemas" / "NbgovModelDatasetFacet.json"
CORE = ROOT / "nbgov" / "schemas" / "2-0-2" / "OpenLineage.json"
FRAMES, MODELS = "dataframe://notebook", "model://notebook"


def model_facet_errors(payload: dict) -> list[str]:
    """Problems of an ``nbgov_model`` facet against the JSON Schema shipped in the package."""
    schema = json.loads(SCHEMA_FILE.read_text("utf-8"))
    core = json.loads(CORE.read_text("utf-8"))
    registry = Registry().with_resources(
        [(core["$id"], Resource.from_contents(core)), (schema["$id"], Resource.from_contents(schema))])
    validator = Draft202012Validator({"$ref": MODEL_SCHEMA_URL}, registry=registry)
    return [e.message for e in validator.iter_errors(json.loads(json.dumps(payload)))]


def fit_event(*, train_version: str | None = "t1", extra_input: bool = True) -> dict:
    """A fit cell's COMPLETE event as the capture builds it: ``train`` (and ``other``) read,
    model written with the features as its schema and the estimator's tags."""
    tags = [{"key": "estimator", "value": "sklearn.tree._classes.DecisionTreeClassifier", "source": "INTEGRATION"},
            {"key": "param.max_depth", "value": "3", "source": "INTEGRATION"},
            {"key": "training.rows", "value": "120", "source": "INTEGRATION"},
            {"key": "training.target", "value": "churned", "source": "INTEGRATION"}]
    inputs = [dataset(FRAMES, "nb.ipynb/train", fields=[("age", "int64"), ("email", "int64"), ("churned", "int64")],
                      facets={"version": facet("version", {"datasetVersion": train_version})} if train_version else {})]
    if extra_input:
        inputs.append(dataset(FRAMES, "nb.ipynb/other", fields=[("x", "int64")],
                              facets={"version": facet("version", {"datasetVersion": "o1"})}))
    return to_dict(run_event(
        "COMPLETE", job_namespace="notebook", job_name="nb.ipynb/cell-fit", event_time="2024-03-01T10:00:00Z",
        inputs=inputs,
        outputs=[dataset(MODELS, "nb.ipynb/model", fields=[("age", "int64"), ("email", "int64")], kind="output",
                         facets={"datasetType": facet("datasetType", {"datasetType": "MODEL",
                                                                       "subType": "sklearn.DecisionTreeClassifier"}),
                                 "tags": facet("tags", {"tags": tags})})],
    ))


def amended(event: dict, **kwargs) -> dict:
    output = event["outputs"][0]
    output["facets"] = {**output["facets"], **fit_facets(event, output, **kwargs)}
    return output


TRAIN = (FRAMES, "nb.ipynb/train")


def test_a_fit_gets_a_valid_model_facet_the_label_field_and_column_lineage() -> None:
    event = fit_event()
    output = amended(event, sources={"age": [TRAIN], "email": [TRAIN], "churned": [TRAIN]},
                     label=("churned", "int64"), classes=[("0", 80), ("1", 40)],
                     date_ranges={TRAIN: [("signup", "2023-01-01T00:00:00", "2023-12-31T00:00:00")]},
                     mlflow={"runId": "abc", "experimentId": "0", "trackingUri": "sqlite:///m.db"})
    assert_spec_valid(event)
    model = output["facets"][MODEL_FACET]
    assert model["_schemaURL"] == MODEL_SCHEMA_URL and model_facet_errors(model) == []
    assert {k: v for k, v in model.items() if not k.startswith("_")} == {
        "version": 1, "estimator": "sklearn.tree._classes.DecisionTreeClassifier",
        "hyperparameters": {"max_depth": "3"}, "trainingRows": 120, "features": ["age", "email"],
        "label": "churned", "trainingRun": event["run"]["runId"],
        "dataVersions": [{"namespace": FRAMES, "name": "nb.ipynb/train", "version": "t1"}],  # not `other`
        "metrics": {}, "metricsSource": {}, "classBalance": {"0": 80, "1": 40},
        "dateRanges": [{"namespace": FRAMES, "name": "nb.ipynb/train", "column": "signup",
                        "min": "2023-01-01T00:00:00", "max": "2023-12-31T00:00:00"}],
        "mlflow": {"runId": "abc", "experimentId": "0", "trackingUri": "sqlite:///m.db"}}
    fields = output["facets"]["schema"]["fields"]
    assert [(f["name"], f.get("description")) for f in fields] == [("age", None), ("email", None),
                                                                   ("churned", "label")]
    lineage = output["facets"]["columnLineage"]["fields"]
    assert set(lineage) == {"age", "email", "churned"}
    assert lineage["age"]["inputFields"] == [{"namespace": FRAMES, "name": "nb.ipynb/train", "field": "age",
                                              "transformations": [FEATURE_TRANSFORMATION]}]
    assert lineage["churned"]["inputFields"][0]["transformations"] == [LABEL_TRANSFORMATION]
    assert FEATURE_TRANSFORMATION["type"] == LABEL_TRANSFORMATION["type"] == "DIRECT"


def test_the_schema_can_fail() -> None:
    output = amended(fit_event(), sources={}, label=None)
    good = output["facets"][MODEL_FACET]
    assert model_facet_errors(good) == []
    assert model_facet_errors({**good, "trainingRows": -1})
    assert model_facet_errors({**good, "mlflow": {"experimentId": "0"}})  # no run id
    assert model_facet_errors({**good, "classBalance": {"0": "many"}})
    assert model_facet_errors({**good, "dateRanges": [{"column": "d"}]})


def test_without_known_sources_every_input_is_a_data_version_and_no_lineage_is_made() -> None:
    output = amended(fit_event(), sources={}, label=("churned", "int64"))
    model = output["facets"][MODEL_FACET]
    assert [v["name"] for v in model["dataVersions"]] == ["nb.ipynb/other", "nb.ipynb/train"]
    assert "columnLineage" not in output["facets"]
    assert "classBalance" not in model and "dateRanges" not in model and "mlflow" not in model


def test_a_frame_written_by_the_same_run_gets_the_version_the_store_will_give_it() -> None:
    event = fit_event()
    event["outputs"].append(dataset_dict := to_dict(run_event(
        "COMPLETE", job_namespace="n", job_name="j", event_time="2024-01-01T00:00:00Z",
        outputs=[dataset(FRAMES, "nb.ipynb/X", fields=[("age", "int64")], kind="output")]))["outputs"][0])
    output = event["outputs"][0]
    facets = fit_facets(event, output, sources={"age": [(FRAMES, "nb.ipynb/X")]})
    assert facets[MODEL_FACET]["dataVersions"] == [{
        "namespace": FRAMES, "name": "nb.ipynb/X",
        "version": version_id(FRAMES, "nb.ipynb/X", event["run"]["runId"], dataset_dict["facets"])}]


def test_raw_pii_stays_out_of_class_balance_and_date_ranges() -> None:
    output = amended(fit_event(), sources={"age": [TRAIN]}, label=("contact", "object"),
                     classes=[("ana@example.com", 3), ("bo@example.org", 2)],
                     date_ranges={TRAIN: [("date_of_birth", "1950-02-03T00:00:00", "2004-11-30T00:00:00"),
                                          ("signup", "2024-01-01T00:00:00", "2024-06-30T00:00:00")]})
    model = output["facets"][MODEL_FACET]
    assert "classBalance" not in model
    assert [r["column"] for r in model["dateRanges"]] == ["signup"]
    assert "ana@example.com" not in json.dumps(output) and "1950-02-03" not in json.dumps(output)


def test_log_metrics_keeps_what_the_fit_recorded(store) -> None:
    event = fit_event()
    amended(event, sources={"age": [TRAIN]}, label=("churned", "int64"), classes=[("0", 1), ("1", 2)],
            mlflow={"runId": "r1", "experimentId": "1", "trackingUri": "file:///m"})
    store.add_events([event])
    before = describe_model(store, f"dataset:{MODELS}:nb.ipynb/model")
    written = log_metrics("model", {"auc": 0.8}, store=store)
    assert model_facet_errors(written) == []
    for key in ("dataVersions", "classBalance", "mlflow", "features", "label"):
        assert written[key] == before[key]
    assert before["features"] == ["age", "email"] and written["metrics"] == {"auc": 0.8}


@pytest.mark.parametrize("label", [None, ("age", "int64")])
def test_a_label_named_like_a_feature_adds_no_field(label) -> None:
    output = amended(fit_event(), sources={"age": [TRAIN]}, label=label)
    assert [f["name"] for f in output["facets"]["schema"]["fields"]] == ["age", "email"]
