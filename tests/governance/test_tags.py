"""Taxonomy, tags facets in the store, and tag propagation along column lineage.

Pipelines are built from real OpenLineage events (``nbgov.emit.events.run_event`` with
the client's ``ColumnLineageDatasetFacet``), each checked against the spec; the store
is real on both backends. Expected answers are worked out by hand in each docstring.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest
from openlineage.client.facet_v2 import column_lineage_dataset as cl

from nbgov.emit.events import dataset, run_event, to_dict
from nbgov.errors import ConfigError, NodeNotFoundError, StoreError
from nbgov.governance import INFO_TYPES, classify_pii
from nbgov.governance.tags import (
    CLASSIFIER_SOURCE,
    LINEAGE_SOURCE,
    PII_FACET,
    Tag,
    TagError,
    effective_tags,
    pii_tags,
    record_tags,
    tagged_columns,
    tags_event,
)
from nbgov.governance.taxonomy import DEFAULT_TAXONOMY, Taxonomy, TaxonomyError, load_taxonomy
from tests.spec import assert_spec_valid

NS = "warehouse"


def fid(name: str, field: str, ns: str = NS) -> str:
    return f"datasetField:{ns}:{name}:{field}"


# ------------------------------------------------------------------------ taxonomy
def test_default_taxonomy_maps_every_builtin_info_type() -> None:
    expected = {
        "EMAIL_ADDRESS": "PII", "PHONE_NUMBER": "PII", "PERSON_NAME": "PII", "STREET_ADDRESS": "PII",
        "IP_ADDRESS": "PII", "DATE_OF_BIRTH": "PII", "CREDIT_CARD_NUMBER": "PII.Sensitive",
        "US_SOCIAL_SECURITY_NUMBER": "PII.Sensitive", "IBAN_CODE": "PII.Sensitive",
    }
    assert {t: DEFAULT_TAXONOMY.policy_tag(t) for t in INFO_TYPES} == expected
    assert DEFAULT_TAXONOMY.policy_tag("CUST_ID") == "PII"  # custom identifiers: the default tag
    assert DEFAULT_TAXONOMY.ancestors("PII.Sensitive") == ("PII",)
    assert DEFAULT_TAXONOMY.most_specific(["PII", "PII.Sensitive", "PII"]) == "PII.Sensitive"
    assert DEFAULT_TAXONOMY.most_specific([]) is None


def test_yaml_overrides_and_extends_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "taxonomy.yaml"
    path.write_text(textwrap.dedent("""\
        name: acme
        policy_tags:
          PII.Sensitive.Health: Health records
        info_types:
          DATE_OF_BIRTH: PII.Sensitive
          PATIENT_ID: PII.Sensitive.Health
    """))
    tax = load_taxonomy(path)
    assert tax.name == "acme" and tax.source == str(path)
    assert tax.policy_tag("DATE_OF_BIRTH") == "PII.Sensitive"
    assert tax.policy_tag("PATIENT_ID") == "PII.Sensitive.Health"
    assert tax.policy_tag("EMAIL_ADDRESS") == "PII"  # inherited from the default
    assert tax.policy_tag("CUST_ID") == "PII"
    assert list(tax.policy_tags) == ["PII", "PII.Sensitive", "PII.Sensitive.Health"]
    assert tax.most_specific(["PII.Sensitive", "PII.Sensitive.Health"]) == "PII.Sensitive.Health"

    monkeypatch.setenv("NBGOV_TAXONOMY", str(path))
    assert load_taxonomy() == tax
    monkeypatch.delenv("NBGOV_TAXONOMY")
    assert load_taxonomy() is DEFAULT_TAXONOMY

    fresh = Taxonomy.from_mapping({"inherit_defaults": False, "policy_tags": {"Confidential": "x"},
                                   "info_types": {"EMAIL_ADDRESS": "Confidential"}})
    assert fresh.policy_tag("EMAIL_ADDRESS") == "Confidential"
    assert fresh.policy_tag("US_SOCIAL_SECURITY_NUMBER") == "Confidential"  # the only tag is the default
    assert dict(fresh.info_types) == {"EMAIL_ADDRESS": "Confidential"}
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert load_taxonomy(empty) is DEFAULT_TAXONOMY


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("name: x\ninfo_types:\n  EMAIL_ADDRESS: [PII\n", 4, "invalid YAML"),  # unclosed flow sequence
        ("name: x\n\tbad: tab\n", 2, "invalid YAML"),
        ("name: x\ninfo_types:\n  EMAIL_ADDRESS: Secret\n", 3, "not a declared policy tag"),
        ("name: x\npolicy_tag:\n  A: b\n", 2, "unknown key 'policy_tag'"),
        ("policy_tags:\n  PII: ok\n  '9bad': no\n", 3, "malformed policy tag"),
        ("default: Nope\n", 1, "default 'Nope'"),
    ],
)
def test_corrupt_or_invalid_yaml_names_file_and_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    path = tmp_path / "tax.yaml"
    path.write_text(text)
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(path)
    assert isinstance(info.value, ConfigError)
    assert info.value.path == str(path) and info.value.line == line
    assert str(info.value).startswith(f"{path}:{line}: ") and words in str(info.value)


def test_missing_taxonomy_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_taxonomy(tmp_path / "absent.yaml")


# --------------------------------------------------------------------- tags facet
CUSTOMERS = pd.DataFrame({
    "email": ["ann.lee@example.com", "bob.ray@example.org", "cy.moss@example.net", "dee.fox@example.com"],
    "ssn": ["536-22-1234", "401-12-3456", "123-45-6780", "219-33-4455"],
    "name": ["Ann Lee", "Bob Ray", "Cy Moss", "Dee Fox"],
    "amount": [10.5, 20.0, 7.25, 3.0],
})
RAW_VALUES = [v for c in ("email", "ssn") for v in CUSTOMERS[c]]


def test_pii_tags_one_per_info_type_and_one_policy_tag_per_column() -> None:
    report = classify_pii(CUSTOMERS[["email", "ssn", "amount"]])
    assert pii_tags(report) == [
        Tag("pii", "EMAIL_ADDRESS", CLASSIFIER_SOURCE, "email"),
        Tag("policy_tag", "PII", CLASSIFIER_SOURCE, "email"),
        Tag("pii", "US_SOCIAL_SECURITY_NUMBER", CLASSIFIER_SOURCE, "ssn"),
        Tag("policy_tag", "PII.Sensitive", CLASSIFIER_SOURCE, "ssn"),
    ]
    mixed = classify_pii(pd.DataFrame({"contact": ["ann@example.com", "4111 1111 1111 1111"] * 4}),
                         min_likelihood="POSSIBLE")
    tags = pii_tags(mixed)
    assert {t.value for t in tags if t.key == "pii"} == {"EMAIL_ADDRESS", "CREDIT_CARD_NUMBER"}
    assert [t.value for t in tags if t.key == "policy_tag"] == ["PII.Sensitive"]  # the most specific


def test_recorded_tags_are_a_spec_valid_dataset_event_without_raw_values(store) -> None:
    report = classify_pii(CUSTOMERS)
    event = record_tags(store, "file", "/data/customers.csv", report,
                        fields=[("email", "string"), ("ssn", "string"), ("name", "string"), ("amount", "double")])
    stored = list(store.events())
    assert stored == [event]
    assert_spec_valid(stored)
    assert set(event) == {"eventTime", "producer", "schemaURL", "dataset"}
    assert event["schemaURL"].endswith("#/$defs/DatasetEvent")
    facets = event["dataset"]["facets"]
    assert set(facets) == {"schema", "tags", PII_FACET}
    entries = facets["tags"]["tags"]
    assert {(t["key"], t["value"], t["field"]) for t in entries} >= {
        ("pii", "EMAIL_ADDRESS", "email"), ("policy_tag", "PII", "email"),
        ("pii", "US_SOCIAL_SECURITY_NUMBER", "ssn"), ("policy_tag", "PII.Sensitive", "ssn"),
    }
    assert all(t["source"] == CLASSIFIER_SOURCE for t in entries)
    evidence = facets[PII_FACET]
    assert evidence["_schemaURL"].startswith("https://github.com/nbgov/nbgov/")
    assert evidence["columnsScanned"] == ["email", "ssn", "name", "amount"]
    by_type = {f["infoType"]: f for f in evidence["findings"]}
    assert by_type["EMAIL_ADDRESS"]["example"].count("*") >= 3 and by_type["EMAIL_ADDRESS"]["matchRatio"] == 1.0
    assert by_type["US_SOCIAL_SECURITY_NUMBER"]["policyTag"] == "PII.Sensitive"
    text = str(stored) + str(store.dataset("file", "/data/customers.csv"))
    assert not [v for v in RAW_VALUES if v in text]


def test_a_new_report_replaces_classifier_tags_on_its_columns_and_keeps_the_rest(store) -> None:
    record_tags(store, NS, "t", [Tag("owner", "team-a", "USER"), {"key": "pii", "value": "true",
                                                                   "source": "USER", "field": "note"}])
    record_tags(store, NS, "t", classify_pii(CUSTOMERS[["email", "ssn"]]))
    # email no longer holds emails: its classifier tags go, ssn was not rescanned, USER tags stay
    record_tags(store, NS, "t", classify_pii(pd.DataFrame({"email": ["n/a", "none", "-", "?"]})))
    tags = {(t["key"], t["value"], t.get("field"), t.get("source"))
            for t in store.dataset(NS, "t")["facets"]["tags"]["tags"]}
    assert tags == {
        ("owner", "team-a", None, "USER"), ("pii", "true", "note", "USER"),
        ("pii", "US_SOCIAL_SECURITY_NUMBER", "ssn", CLASSIFIER_SOURCE),
        ("policy_tag", "PII.Sensitive", "ssn", CLASSIFIER_SOURCE),
    }
    evidence = store.dataset(NS, "t")["facets"][PII_FACET]
    assert [f["field"] for f in evidence["findings"]] == ["ssn"]
    assert_spec_valid(list(store.events()))
    with pytest.raises(TagError):
        record_tags(store, NS, "t", [{"key": "pii"}])


def test_marquez_node_data_shows_field_and_dataset_tags(store) -> None:
    store.add_events([to_dict(run_event("COMPLETE", job_namespace=NS, job_name="load", outputs=[
        dataset(NS, "customers", fields=[("email", "STRING"), ("ssn", "STRING"), ("amount", "DOUBLE")],
                kind="output")]))])
    record_tags(store, NS, "customers", classify_pii(CUSTOMERS[["email", "ssn", "amount"]]))
    record_tags(store, NS, "customers", [Tag("domain", "sales", "USER"), Tag("reviewed", "true", "USER")])
    data = store.dataset(NS, "customers")
    assert [(f["name"], f["tags"]) for f in data["fields"]] == [
        ("email", ["pii:EMAIL_ADDRESS", "policy_tag:PII"]),
        ("ssn", ["pii:US_SOCIAL_SECURITY_NUMBER", "policy_tag:PII.Sensitive"]),
        ("amount", []),
    ]
    assert data["tags"] == ["domain:sales", "reviewed"]
    node = next(n for n in store.lineage(f"dataset:{NS}:customers", 1)["graph"] if n["type"] == "DATASET")
    assert node["data"]["fields"][0]["tags"] == ["pii:EMAIL_ADDRESS", "policy_tag:PII"]
    assert store.datasets(NS)[0]["tags"] == ["domain:sales", "reviewed"]


def test_tags_event_needs_no_store_and_validates() -> None:
    event = tags_event("file", "/x.csv", [Tag("pii", "EMAIL_ADDRESS", "USER", "mail")], event_time="2024-05-01T00:00:00Z")
    assert_spec_valid(event)
    assert event["dataset"]["facets"]["tags"]["tags"] == [
        {"key": "pii", "value": "EMAIL_ADDRESS", "source": "USER", "field": "mail"}]


# ------------------------------------------------------------------- propagation
def lineage(fields: dict[str, list[tuple[str, str, str, bool]]], inputs: str) -> cl.ColumnLineageDatasetFacet:
    """``{out: [(input_field, type, subtype, masking)]}`` from dataset ``inputs`` in NS."""
    return cl.ColumnLineageDatasetFacet(fields={
        out: cl.Fields(inputFields=[
            cl.InputField(NS, inputs, src, transformations=[
                cl.Transformation(type=typ, subtype=sub, description="", masking=masking)])
            for src, typ, sub, masking in sources
        ])
        for out, sources in fields.items()
    })


def step(job: str, source: str, target: str, fields: dict[str, list[tuple[str, str, str, bool]]]) -> dict:
    event = to_dict(run_event(
        "COMPLETE", job_namespace=NS, job_name=job, event_time="2024-01-01T00:00:00Z",
        inputs=[dataset(NS, source)],
        outputs=[dataset(NS, target, fields=[(f, "STRING") for f in fields], kind="output",
                         facets={"columnLineage": lineage(fields, source)})],
    ))
    assert_spec_valid(event)
    return event


@pytest.fixture
def pipeline(store):
    """raw → clean → agg → report, three jobs; raw tagged by the classifier (+ a USER tag on name).

    clean.email_c    <- raw.email     DIRECT IDENTITY          propagates
    clean.ssn_hash   <- raw.ssn       DIRECT TRANSFORMATION    masking: true — stops
    clean.name_u     <- raw.name      DIRECT TRANSFORMATION    propagates (upper-casing)
    clean.amount     <- raw.amount    DIRECT IDENTITY
                     <- raw.email     INDIRECT FILTER          never propagates
    agg.n_emails     <- clean.email_c DIRECT AGGREGATION       propagates (DIRECT of any subtype)
    agg.total        <- clean.amount  DIRECT AGGREGATION
                     <- clean.email_c INDIRECT GROUP_BY        never propagates
    agg.ssn_hash     <- clean.ssn_hash DIRECT IDENTITY         nothing to carry
    report.contacts  <- agg.n_emails  DIRECT IDENTITY          3 hops from raw.email
    report.ssn_h     <- agg.ssn_hash  DIRECT IDENTITY
    """
    raw = to_dict(run_event("COMPLETE", job_namespace=NS, job_name="ingest", event_time="2024-01-01T00:00:00Z",
                            outputs=[dataset(NS, "raw", fields=[(c, "STRING") for c in CUSTOMERS], kind="output")]))
    events = [
        raw,
        step("clean", "raw", "clean", {
            "email_c": [("email", "DIRECT", "IDENTITY", False)],
            "ssn_hash": [("ssn", "DIRECT", "TRANSFORMATION", True)],
            "name_u": [("name", "DIRECT", "TRANSFORMATION", False)],
            "amount": [("amount", "DIRECT", "IDENTITY", False), ("email", "INDIRECT", "FILTER", False)],
        }),
        step("aggregate", "clean", "agg", {
            "n_emails": [("email_c", "DIRECT", "AGGREGATION", False)],
            "total": [("amount", "DIRECT", "AGGREGATION", False), ("email_c", "INDIRECT", "GROUP_BY", False)],
            "ssn_hash": [("ssn_hash", "DIRECT", "IDENTITY", False)],
        }),
        step("report", "agg", "report", {
            "contacts": [("n_emails", "DIRECT", "IDENTITY", False)],
            "ssn_h": [("ssn_hash", "DIRECT", "IDENTITY", False)],
        }),
    ]
    assert store.add_events(events).stored == 4
    record_tags(store, NS, "raw", classify_pii(CUSTOMERS[["email", "ssn", "amount"]]))
    record_tags(store, NS, "raw", [Tag("pii", "PERSON_NAME", "USER", "name")])
    assert_spec_valid(list(store.events()))
    return store


def summary(found) -> set[tuple[str, str, str, str, tuple[str, ...]]]:
    return {(f.node, f.key, f.value, f.source, f.path) for f in found}


def test_column_edges_lists_stored_edges_with_type_and_masking(pipeline) -> None:
    up = pipeline.column_edges(fid("agg", "total"), direction="up")
    assert [(e["input"]["field"], e["type"], e["subtype"], e["masking"]) for e in up] == [
        ("amount", "DIRECT", "AGGREGATION", False), ("email_c", "INDIRECT", "GROUP_BY", False),  # agg.total's
        ("amount", "DIRECT", "IDENTITY", False), ("email", "INDIRECT", "FILTER", False),  # clean.amount's
        ("email", "DIRECT", "IDENTITY", False),  # clean.email_c's (reached through the GROUP_BY edge)
    ]
    assert up[0]["output"] == {"namespace": NS, "dataset": "agg", "field": "total"}
    assert up[0]["job"] == {"namespace": NS, "name": "aggregate"}
    assert up[2]["job"] == {"namespace": NS, "name": "clean"}
    masked = pipeline.column_edges(fid("clean", "ssn_hash"))
    assert [(e["input"]["field"], e["masking"]) for e in masked] == [("ssn", True)]
    assert len(pipeline.column_edges(fid("report", "contacts"), 1)) == 1
    assert pipeline.column_edges(fid("report", "contacts"), 0) == []
    down = pipeline.column_edges(f"dataset:{NS}:raw", direction="down")
    assert {(e["output"]["dataset"], e["output"]["field"]) for e in down} == {
        ("clean", "email_c"), ("clean", "ssn_hash"), ("clean", "name_u"), ("clean", "amount"),
        ("agg", "n_emails"), ("agg", "total"), ("agg", "ssn_hash"), ("report", "contacts"), ("report", "ssn_h"),
    }
    with pytest.raises(StoreError):
        pipeline.column_edges(fid("agg", "total"), direction="sideways")
    with pytest.raises(NodeNotFoundError):
        pipeline.column_edges(f"job:{NS}:clean")


def test_tags_follow_direct_edges_and_stop_at_masking_and_indirect(pipeline) -> None:
    raw_email = fid("raw", "email")
    path = (raw_email, fid("clean", "email_c"), fid("agg", "n_emails"), fid("report", "contacts"))
    assert summary(effective_tags(pipeline, fid("report", "contacts"))) == {
        (path[-1], "pii", "EMAIL_ADDRESS", LINEAGE_SOURCE, path),
        (path[-1], "policy_tag", "PII", LINEAGE_SOURCE, path),
    }
    found = effective_tags(pipeline, fid("report", "contacts"))
    assert {f.origin for f in found} == {raw_email} and {f.origin_source for f in found} == {CLASSIFIER_SOURCE}
    assert effective_tags(pipeline, fid("report", "ssn_h")) == []  # masked at the first step
    assert effective_tags(pipeline, fid("clean", "ssn_hash")) == []
    assert effective_tags(pipeline, fid("agg", "total")) == []  # only INDIRECT links to email
    assert effective_tags(pipeline, fid("clean", "amount")) == []
    name_u = effective_tags(pipeline, fid("clean", "name_u"))
    assert [(f.value, f.source, f.origin_source) for f in name_u] == [("PERSON_NAME", LINEAGE_SOURCE, "USER")]
    # own tags come first, and the depth bounds the walk
    own = effective_tags(pipeline, raw_email)
    assert [(f.key, f.source, f.path) for f in own] == [("pii", CLASSIFIER_SOURCE, (raw_email,)),
                                                         ("policy_tag", CLASSIFIER_SOURCE, (raw_email,))]
    assert effective_tags(pipeline, fid("report", "contacts"), depth=2) == []
    assert len(effective_tags(pipeline, fid("report", "contacts"), depth=3)) == 2


def test_effective_tags_of_a_dataset_and_tagged_columns(pipeline) -> None:
    by_node: dict[str, set[str]] = {}
    for f in effective_tags(pipeline, f"dataset:{NS}:clean"):
        by_node.setdefault(f.node, set()).add(f"{f.key}:{f.value}")
    assert by_node == {fid("clean", "email_c"): {"pii:EMAIL_ADDRESS", "policy_tag:PII"},
                       fid("clean", "name_u"): {"pii:PERSON_NAME"}}
    listed = tagged_columns(pipeline)
    assert [c.node for c in listed] == sorted([
        fid("agg", "n_emails"), fid("clean", "email_c"), fid("clean", "name_u"), fid("raw", "email"),
        fid("raw", "name"), fid("raw", "ssn"), fid("report", "contacts"),
    ])
    contacts = next(c for c in listed if c.field == "contacts")
    assert (contacts.namespace, contacts.dataset) == (NS, "report")
    # both ways of asking agree, paths included
    for column in listed:
        assert summary(column.tags) == summary(effective_tags(pipeline, column.node))
    assert tagged_columns(pipeline, "elsewhere") == []
    assert contacts.to_dict()["tags"][0]["path"][0] == fid("raw", "email")


def test_diamond_gives_one_finding_per_origin_and_a_masked_branch_does_not_block(store) -> None:
    """a.x -> b.y -> d.w and a.x -> c.z -> d.w; then a second output e.v whose b-branch masks."""
    events = [
        to_dict(run_event("COMPLETE", job_namespace=NS, job_name="mk_a",
                          outputs=[dataset(NS, "a", fields=[("x", "STRING")], kind="output")])),
        step("ab", "a", "b", {"y": [("x", "DIRECT", "IDENTITY", False)], "m": [("x", "DIRECT", "TRANSFORMATION", True)]}),
        step("ac", "a", "c", {"z": [("x", "DIRECT", "TRANSFORMATION", False)]}),
    ]
    both = to_dict(run_event(
        "COMPLETE", job_namespace=NS, job_name="join", inputs=[dataset(NS, "b"), dataset(NS, "c")],
        outputs=[dataset(NS, "d", fields=[("w", "STRING"), ("v", "STRING")], kind="output", facets={
            "columnLineage": cl.ColumnLineageDatasetFacet(fields={
                "w": cl.Fields(inputFields=[
                    cl.InputField(NS, "b", "y", transformations=[cl.Transformation("DIRECT", "IDENTITY")]),
                    cl.InputField(NS, "c", "z", transformations=[cl.Transformation("DIRECT", "IDENTITY")])]),
                "v": cl.Fields(inputFields=[
                    cl.InputField(NS, "b", "m", transformations=[cl.Transformation("DIRECT", "IDENTITY")]),
                    cl.InputField(NS, "c", "z", transformations=[cl.Transformation("DIRECT", "IDENTITY")])]),
            })})],
    ))
    assert_spec_valid(both)
    store.add_events([*events, both])
    record_tags(store, NS, "a", [Tag("pii", "EMAIL_ADDRESS", "USER", "x")])
    w = effective_tags(store, fid("d", "w"))
    assert summary(w) == {(fid("d", "w"), "pii", "EMAIL_ADDRESS", LINEAGE_SOURCE,
                           (fid("a", "x"), fid("b", "y"), fid("d", "w")))}  # ties: b before c
    v = effective_tags(store, fid("d", "v"))
    assert [f.path for f in v] == [(fid("a", "x"), fid("c", "z"), fid("d", "v"))]
    assert effective_tags(store, fid("b", "m")) == []
    assert {c.node for c in tagged_columns(store)} == {fid("a", "x"), fid("b", "y"), fid("c", "z"),
                                                        fid("d", "w"), fid("d", "v")}


def test_cycle_terminates_and_tags_flow_around_it(store) -> None:
    """a.x -> b.y (job f) and b.y -> a.x (job g): a loop of DIRECT copies."""
    store.add_events([
        step("f", "a", "b", {"y": [("x", "DIRECT", "IDENTITY", False)]}),
        step("g", "b", "a", {"x": [("y", "DIRECT", "IDENTITY", False)]}),
    ])
    record_tags(store, NS, "a", [Tag("pii", "PHONE_NUMBER", "USER", "x")])
    assert summary(effective_tags(store, fid("b", "y"))) == {
        (fid("b", "y"), "pii", "PHONE_NUMBER", LINEAGE_SOURCE, (fid("a", "x"), fid("b", "y")))}
    assert [f.source for f in effective_tags(store, fid("a", "x"))] == ["USER"]  # never from itself
    record_tags(store, NS, "b", [Tag("policy_tag", "PII", "USER", "y")])
    assert summary(effective_tags(store, fid("a", "x"))) == {
        (fid("a", "x"), "pii", "PHONE_NUMBER", "USER", (fid("a", "x"),)),
        (fid("a", "x"), "policy_tag", "PII", LINEAGE_SOURCE, (fid("b", "y"), fid("a", "x"))),
    }
    assert [c.node for c in tagged_columns(store)] == [fid("a", "x"), fid("b", "y")]


def test_unknown_nodes(store) -> None:
    with pytest.raises(NodeNotFoundError):
        effective_tags(store, fid("nowhere", "x"))
    with pytest.raises(NodeNotFoundError):
        store.column_edges(f"dataset:{NS}:nowhere")
    assert tagged_columns(store) == []
