"""Model cards, metrics and approvals from the store (both backends).

:func:`pipeline` writes, as a notebook would, two files → a joined frame → a fitted model,
with the email column of the first file tagged PII; the other governance tests reuse it.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from nbgov.emit.events import dataset, facet, run_event, to_dict
from nbgov.governance import record_tags, set_owners
from nbgov.governance.metrics import (
    MODEL_FACET,
    MetricsError,
    ModelNotFoundError,
    find_model,
    log_metrics,
    record_model,
)
from nbgov.governance.modelcard import ApprovalError, approve, model_card
from nbgov.governance.profiles import record_profile
from tests.spec import assert_spec_valid

NB = "nb.ipynb"
FRAMES = "dataframe://notebook"
MODELS = "model://notebook"
CUSTOMERS = "/data/customers.csv"
ORDERS = "/data/orders.csv"
MODEL = f"dataset:{MODELS}:{NB}/model"
TRAIN_FIELDS = [("customer_id", "int64"), ("email", "object"), ("age", "int64"), ("amount", "float64"),
                ("signup", "datetime64[ns]"), ("churned", "int64")]


def _quality(rows: int, nulls: dict[str, int] | None = None) -> dict:
    return {"rowCount": rows, "columnMetrics": {c: {"nullCount": n} for c, n in (nulls or {}).items()}}


def pipeline(store, *, email_feature: str = "email", fit_time: str = "2024-03-01T10:00:00Z",
             job_owner: str | None = None) -> list[dict]:
    """Files → cell-join → frame ``train`` → cell-fit → model ``model`` (features: email, age, amount).

    ``email_feature`` names the email-derived feature; ``email_hash`` models a masked column."""
    train_fields = [f if f[0] != "email" else (email_feature, "int64") for f in TRAIN_FIELDS]
    features = [(email_feature, "int64"), ("age", "int64"), ("amount", "float64")]
    join = run_event(
        "COMPLETE", job_namespace="notebook", job_name=f"{NB}/cell-join", event_time="2024-03-01T09:00:00Z",
        inputs=[
            dataset("file", CUSTOMERS, fields=[("customer_id", "int64"), ("email", "object"), ("age", "int64"),
                                              ("signup", "datetime64[ns]"), ("churned", "int64")],
                    facets={"version": facet("version", {"datasetVersion": "c1"})},
                    io_facets={"dataQualityMetrics": facet("dataQualityMetrics", _quality(40), kind="input")}),
            dataset("file", ORDERS, fields=[("customer_id", "int64"), ("amount", "float64")],
                    facets={"version": facet("version", {"datasetVersion": "o1"})}),
        ],
        outputs=[dataset(FRAMES, f"{NB}/train", fields=train_fields, kind="output",
                         facets={"dataQualityMetrics": facet("dataQualityMetrics", _quality(40, {"amount": 4}))})],
        owners=[job_owner] if job_owner else None,
    )
    tags = [{"key": "estimator", "value": "sklearn.linear_model._logistic.LogisticRegression",
             "source": "INTEGRATION"},
            {"key": "param.C", "value": "1.0", "source": "INTEGRATION"},
            {"key": "training.rows", "value": "40", "source": "INTEGRATION"},
            {"key": "training.target", "value": "churned", "source": "INTEGRATION"}]
    fit = run_event(
        "COMPLETE", job_namespace="notebook", job_name=f"{NB}/cell-fit", event_time=fit_time,
        inputs=[dataset(FRAMES, f"{NB}/train")],
        outputs=[dataset(MODELS, f"{NB}/model", fields=features, kind="output", facets={
            "datasetType": facet("datasetType", {"datasetType": "MODEL", "subType": "sklearn.LogisticRegression"}),
            "tags": facet("tags", {"tags": tags}),
        })],
        owners=[job_owner] if job_owner else None,
    )
    events = [to_dict(join), to_dict(fit)]
    store.add_events(events)
    events.append(record_tags(store, "file", CUSTOMERS, [
        {"key": "pii", "value": "EMAIL_ADDRESS", "source": "NBGOV_CLASSIFIER", "field": "email"},
        {"key": "policy_tag", "value": "PII", "source": "NBGOV_CLASSIFIER", "field": "email"},
    ]))
    return events


def test_the_card_lists_the_sources_features_with_inherited_pii_and_the_label(store) -> None:
    events = pipeline(store, job_owner="team:risk")
    card = model_card(MODEL, store=store)
    d = card.to_dict()
    assert set(d) == {"model_details", "data_lineage", "evaluation", "governance"}
    det = d["model_details"]
    assert det["name"] == "model" and det["type"] == "sklearn.LogisticRegression"
    assert det["estimator"].endswith("LogisticRegression") and det["hyperparameters"] == {"C": "1.0"}
    assert det["training_rows"] == 40 and det["trained_on"] == "2024-03-01T10:00:00.000000Z"
    assert det["version"] is not None and det["training_run"] == events[1]["run"]["runId"]
    lineage = d["data_lineage"]
    up = {u["node"]: u for u in lineage["training_data"]}
    assert list(up) == [f"dataset:{FRAMES}:{NB}/train", f"dataset:file:{CUSTOMERS}", f"dataset:file:{ORDERS}"]
    assert up[f"dataset:file:{CUSTOMERS}"]["source"] and up[f"dataset:file:{CUSTOMERS}"]["distance"] == 2
    assert up[f"dataset:file:{CUSTOMERS}"]["columns"] == 5
    train = up[f"dataset:{FRAMES}:{NB}/train"]
    assert train["rows"] == 40 and train["distance"] == 1 and not train["source"]
    assert train["version"] == store.runs("notebook", f"{NB}/cell-fit")[0]["inputDatasetVersions"][0][
        "datasetVersionId"]["version"]
    assert lineage["features"]["feature_names"] == ["email", "age", "amount"]
    assert lineage["features"]["pii_features"] == ["email"]
    email = lineage["features"]["details"][0]
    assert {(t["key"], t["value"]) for t in email["tags"]} == {("pii", "EMAIL_ADDRESS"), ("policy_tag", "PII")}
    assert email["tags"][0]["path"] == [f"datasetField:file:{CUSTOMERS}:email", f"datasetField:{FRAMES}:{NB}/train:email",
                                        f"datasetField:{MODELS}:{NB}/model:email"]
    assert lineage["labels"] == {"column": "churned", "type": "int64", "source": f"dataset:file:{CUSTOMERS}",
                                 "class_balance": None}
    assert d["evaluation"]["metrics"] == {}
    assert d["governance"] == {"owner": "team:risk", "owners": ["team:risk"], "approval_status": "NOT_APPROVED",
                               "approved_by": None, "approval_date": None, "next_review": None}


def test_a_masked_feature_under_a_new_name_inherits_nothing(store) -> None:
    pipeline(store, email_feature="email_sha256")
    card = model_card("model", store=store)
    assert card.pii_features == () and next(f.name for f in card.features) == "email_sha256"


def test_metrics_are_stored_as_a_spec_valid_facet_and_belong_to_one_training_run(store) -> None:
    pipeline(store)
    written = log_metrics("model", {"accuracy": 0.9, "f1": 0.8}, store=store)
    log_metrics(MODEL, {"accuracy": 0.95}, store=store, source="sklearn.metrics.accuracy_score")
    assert written["_schemaURL"].endswith("NbgovModelDatasetFacet.json#/$defs/NbgovModelDatasetFacet")
    stored = store.dataset(MODELS, f"{NB}/model")["facets"][MODEL_FACET]
    assert stored["metrics"] == {"accuracy": 0.95, "f1": 0.8}
    assert stored["metricsSource"] == {"accuracy": "sklearn.metrics.accuracy_score", "f1": "USER"}
    assert stored["features"] == ["email", "age", "amount"] and stored["label"] == "churned"
    assert {(v["namespace"], v["name"]) for v in stored["dataVersions"]} == {(FRAMES, f"{NB}/train")}
    assert model_card(MODEL, store=store).to_dict()["evaluation"]["metrics"] == {"accuracy": 0.95, "f1": 0.8}
    assert_spec_valid([e for e in store.events() if "run" not in e])
    # a refit is a new training run: its card starts without metrics
    pipeline(store, fit_time="2024-04-01T10:00:00Z")
    assert model_card(MODEL, store=store).metrics == ()
    assert record_model(store, MODEL)["metrics"] == {}


@pytest.mark.parametrize("bad", [{}, {"": 1.0}, {"acc": "high"}, {"acc": float("nan")}, {"acc": True}, [1]])
def test_bad_metrics_are_refused(store, bad) -> None:
    pipeline(store)
    with pytest.raises(MetricsError):
        log_metrics(MODEL, bad, store=store)


def test_models_are_found_by_id_short_id_or_unique_name(store) -> None:
    pipeline(store)
    assert str(find_model(store, "model")) == MODEL
    assert str(find_model(store, f"{MODELS}:{NB}/model")) == MODEL
    with pytest.raises(ModelNotFoundError, match="no model named"):
        find_model(store, "nope")
    with pytest.raises(ModelNotFoundError, match="no dataset"):
        find_model(store, "dataset:model://x:y")
    with pytest.raises(ModelNotFoundError, match="cannot find the model dataset"):
        model_card(object(), store=store)


def test_approval_is_a_spec_valid_facet_and_a_refit_makes_it_stale(store) -> None:
    pipeline(store)
    today = dt.date(2024, 3, 2)
    card = approve(MODEL, by="user:ana", next_review="2024-09-01", store=store, today=today, note="ok")
    gov = card.to_dict()["governance"]
    assert gov == {"owner": "user:ana", "owners": ["user:ana"], "approval_status": "APPROVED",
                   "approved_by": "user:ana", "approval_date": "2024-03-02", "next_review": "2024-09-01"}
    assert_spec_valid([e for e in store.events() if "run" not in e])
    pipeline(store, fit_time="2024-04-01T10:00:00Z")
    assert model_card(MODEL, store=store).approval_status == "STALE"
    with pytest.raises(ApprovalError, match="not in the future"):
        approve(MODEL, by="user:ana", next_review="2024-03-01", store=store, today=today)
    with pytest.raises(ApprovalError, match="YYYY-MM-DD"):
        approve(MODEL, by="user:ana", next_review="soon", store=store, today=today)
    with pytest.raises(ApprovalError, match="approver"):
        approve(MODEL, by=" ", next_review="2030-01-01", store=store, today=today)


def test_renderings_escape_hostile_names_and_hold_every_section(store) -> None:
    pipeline(store, email_feature="<img src=x onerror=alert(1)>|x")
    set_owners(store, MODEL, ["team:<b>risk</b>"])
    card = model_card(MODEL, store=store)
    page = card._repr_html_()
    assert "<img" not in page and "&lt;img src=x" in page and "<b>risk" not in page
    assert "<script" not in page and "src=" not in page.replace("&lt;img src=x", "")
    md = card.to_markdown()
    assert "## Model details" in md and "## Data lineage" in md and "## Evaluation" in md and "## Governance" in md
    assert "\\|x" in md and "&lt;img" in md
    assert json.loads(card.to_json())["governance"]["owner"] == "team:<b>risk</b>"
    assert repr(card).startswith(f"<ModelCard {MODEL}:")


def test_date_ranges_and_class_balance_come_from_stored_profiles(store) -> None:
    pd = pytest.importorskip("pandas")
    pipeline(store)
    frame = pd.DataFrame({"customer_id": range(4), "email": ["a@x.io"] * 4, "age": [30, 40, 50, 60],
                          "signup": pd.to_datetime(["2023-01-01", "2023-02-01", "2023-03-01", "2023-06-30"]),
                          "churned": [0, 0, 0, 1]})
    record_profile(store, "file", CUSTOMERS, frame)
    card = model_card(MODEL, store=store)
    source = next(u for u in card.training_data if u.name == CUSTOMERS)
    assert source.date_ranges == (("signup", "2023-01-01T00:00:00+00:00", "2023-06-30T00:00:00+00:00"),)
    assert source.rows == 40  # what the join read at training time (its input facet), not the later profile's 4
    assert source.version == "c1"  # the version the join read
    assert card.label.class_balance == (("0", 3), ("1", 1))
