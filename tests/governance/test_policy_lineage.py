"""pii-flow over recorded column lineage: an output whose columns are known only from its
column lineage (no schema facet — ``%%sql COPY … TO 'file'``) is checked, and a masking edge
stops the flow even where a same-named upstream column is tagged."""

from __future__ import annotations

import datetime as dt

from nbgov.emit.events import dataset, facet, run_event, to_dict
from nbgov.governance import record_tags
from nbgov.governance.policy import RULES, check
from tests.spec import assert_spec_valid

NB = "flow.ipynb"
FRAMES = "dataframe://notebook"
CSV = "/data/customers.csv"
TODAY = dt.date(2024, 3, 2)


def only(rule: str) -> dict:
    return {"rules": {name: name == rule for name in RULES}}


def _edge(ns: str, name: str, field: str, *, subtype: str = "IDENTITY", masking: bool = False) -> dict:
    return {"namespace": ns, "name": name, "field": field,
            "transformations": [{"type": "DIRECT", "subtype": subtype, "masking": masking}]}


def _lineage(**fields: list[dict]) -> dict:
    return facet("columnLineage", {"fields": {k: {"inputFields": v} for k, v in fields.items()}})


def _pipeline(store, *, copy_fields: list[tuple[str, str]] | None) -> list[dict]:
    """customers.csv (email tagged) → frame ``contacts`` → ``COPY … TO '/exports/out.csv'``
    (``mail`` ← contacts.email, no schema facet unless ``copy_fields``) and → ``hashed.csv``
    (``email`` ← sha256(contacts.email), with a schema facet)."""
    read = run_event(
        "COMPLETE", job_namespace="notebook", job_name=f"{NB}/cell-read", event_time="2024-03-01T09:00:00Z",
        inputs=[dataset("file", CSV, fields=[("id", "int64"), ("email", "str")])],
        outputs=[dataset(FRAMES, f"{NB}/contacts", fields=[("id", "int64"), ("email", "str")], kind="output",
                         facets={"columnLineage": _lineage(email=[_edge("file", CSV, "email")],
                                                           id=[_edge("file", CSV, "id")])})],
    )
    copy = run_event(
        "COMPLETE", job_namespace="notebook", job_name=f"{NB}/cell-copy", event_time="2024-03-01T09:01:00Z",
        inputs=[dataset(FRAMES, f"{NB}/contacts")],
        outputs=[
            dataset("file", "/exports/out.csv", fields=copy_fields, kind="output",
                    facets={"columnLineage": _lineage(mail=[_edge(FRAMES, f"{NB}/contacts", "email")])}),
            dataset("file", "/exports/hashed.csv", fields=[("id", "int64"), ("email", "str")], kind="output",
                    facets={"columnLineage": _lineage(
                        id=[_edge(FRAMES, f"{NB}/contacts", "id")],
                        email=[_edge(FRAMES, f"{NB}/contacts", "email", subtype="TRANSFORMATION", masking=True)])}),
        ],
    )
    events = [to_dict(read), to_dict(copy)]
    store.add_events(events)
    events.append(record_tags(store, "file", CSV, [
        {"key": "pii", "value": "EMAIL_ADDRESS", "source": "NBGOV_CLASSIFIER", "field": "email"}]))
    return events


def test_an_output_known_only_by_its_column_lineage_is_checked(store) -> None:
    events = _pipeline(store, copy_fields=None)
    assert_spec_valid(events)
    assert store.dataset("file", "/exports/out.csv").get("fields") in (None, [])  # no schema facet
    report = check(store, only("pii-flow"), today=TODAY)
    (v,) = report.violations
    assert v.node == "datasetField:file:/exports/out.csv:mail"
    assert v.path == (f"datasetField:file:{CSV}:email", f"datasetField:{FRAMES}:{NB}/contacts:email",
                      "datasetField:file:/exports/out.csv:mail")
    assert "pii=EMAIL_ADDRESS" in v.message and "namespace file" in v.message


def test_a_masking_edge_stops_the_flow_despite_the_same_name(store) -> None:
    """``hashed.csv:email`` is named like the tagged column upstream; its lineage says it is a
    hash, so it is no flow (only ``out.csv:mail``, a copy, is)."""
    _pipeline(store, copy_fields=[("mail", "VARCHAR")])
    report = check(store, only("pii-flow"), today=TODAY)
    assert [v.node for v in report.violations] == ["datasetField:file:/exports/out.csv:mail"]
    allowed = {"rules": {**only("pii-flow")["rules"],
                         "pii-flow": {"allowed_namespaces": ["dataframe://*", "file"]}}}
    assert check(store, allowed, today=TODAY).passed
