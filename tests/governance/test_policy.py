"""The policy gate's rules, each with a passing and a failing store (both backends), and
policy files (fixtures under tests/policies)."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from nbgov.emit.events import dataset, run_event, to_dict
from nbgov.governance import set_owners
from nbgov.governance.modelcard import approve
from nbgov.governance.policy import RULES, Policy, PolicyError, check, load_policy
from tests.governance.test_modelcard import CUSTOMERS, FRAMES, MODEL, MODELS, NB, pipeline
from tests.spec import assert_spec_valid

POLICIES = Path(__file__).resolve().parents[1] / "policies"
TODAY = dt.date(2024, 3, 2)


def only(rule: str, **options) -> dict:
    """A policy with only ``rule`` on."""
    return {"rules": {name: ({"enabled": True, **options} if name == rule else False) for name in RULES}}


def result(report, rule: str):
    (found,) = [r for r in report.results if r.rule == rule]
    return found


# ----------------------------------------------------------------- output-owner
def test_output_owner_fails_for_an_unowned_output_and_passes_with_job_or_dataset_owners(store) -> None:
    pipeline(store)
    report = check(store, only("output-owner"), today=TODAY)
    assert not report.passed and report.failed_rules == ("output-owner",)
    assert [v.node for v in report.violations] == [MODEL]  # frames are excluded by default
    set_owners(store, MODEL, ["team:risk"])
    assert check(store, only("output-owner"), today=TODAY).passed
    # with frames included, the frame is owned through the job that writes it
    assert not check(store, only("output-owner", exclude=[]), today=TODAY).passed
    pipeline(store, job_owner="team:data")
    assert check(store, only("output-owner", exclude=[]), today=TODAY).passed


# --------------------------------------------------------------------- pii-flow
def test_pii_flow_names_the_path_from_the_pii_column_to_the_model(store) -> None:
    pipeline(store)
    report = check(store, only("pii-flow"), today=TODAY)
    assert report.failed_rules == ("pii-flow",)
    (v,) = report.violations
    assert v.node == f"datasetField:{MODELS}:{NB}/model:email"
    assert v.path == (f"datasetField:file:{CUSTOMERS}:email", f"datasetField:{FRAMES}:{NB}/train:email",
                      f"datasetField:{MODELS}:{NB}/model:email")
    text = report.to_text()
    assert "FAIL  pii-flow" in text and " -> ".join(v.path) in text
    assert check(store, only("pii-flow", allowed_namespaces=["dataframe://*", "model://*"]), today=TODAY).passed


def test_pii_flow_passes_when_the_column_is_masked_under_a_new_name(store) -> None:
    pipeline(store, email_feature="email_sha256")
    assert check(store, only("pii-flow"), today=TODAY).passed


# -------------------------------------------------------------- sensitive-model
def _sensitive(store) -> None:
    pipeline(store)
    from nbgov.governance import record_tags

    record_tags(store, "file", CUSTOMERS, [{"key": "policy_tag", "value": "PII.Sensitive", "field": "age",
                                            "source": "USER"}])


def test_sensitive_model_fails_until_approved(store) -> None:
    _sensitive(store)
    report = check(store, only("sensitive-model"), today=TODAY)
    (v,) = report.violations
    assert v.node == MODEL and "'age'" in v.message and "PII.Sensitive" in v.message
    assert v.path[0] == f"datasetField:file:{CUSTOMERS}:age"
    approve(MODEL, by="user:ana", next_review="2024-12-31", store=store, today=TODAY)
    assert check(store, only("sensitive-model"), today=TODAY).passed


def test_sensitive_model_passes_without_sensitive_features(store) -> None:
    pipeline(store)  # email is PII, not PII.Sensitive
    assert check(store, only("sensitive-model"), today=TODAY).passed


# ---------------------------------------------------------------- schema-change
def _write(store, job: str, fields, when: str) -> None:
    store.add_events([to_dict(run_event("COMPLETE", job_namespace="etl", job_name=job, event_time=when,
                                        outputs=[dataset("file", "/out/sales.csv", fields=fields, kind="output")]))])


def test_schema_change_fails_on_a_type_change_until_acknowledged(store) -> None:
    _write(store, "load", [("amount", "int64")], "2024-01-01T00:00:00Z")
    assert check(store, only("schema-change"), today=TODAY).passed  # one version: nothing changed
    _write(store, "load", [("amount", "string")], "2024-01-02T00:00:00Z")
    (v,) = check(store, only("schema-change"), today=TODAY).violations
    assert v.node == "dataset:file:/out/sales.csv" and "TYPE_CHANGE of column amount: int64 -> string" in v.message
    ack = only("schema-change", acknowledged=[{"dataset": "dataset:file:/out/*", "column": "amount"}])
    assert check(store, ack, today=TODAY).passed
    other = only("schema-change", acknowledged=[{"dataset": "dataset:file:/out/*", "column": "price"}])
    assert not check(store, other, today=TODAY).passed


# ------------------------------------------------------------------- model-card
def test_model_card_needs_an_owner_and_a_future_review(store) -> None:
    pipeline(store)
    (v,) = check(store, only("model-card"), today=TODAY).violations
    assert "an owner" in v.message and "next-review" in v.message
    approve(MODEL, by="user:ana", next_review="2024-06-01", store=store, today=TODAY)
    assert check(store, only("model-card"), today=TODAY).passed
    (v,) = check(store, only("model-card"), today=dt.date(2024, 7, 1)).violations
    assert "in the future (was 2024-06-01)" in v.message
    (v,) = check(store, only("model-card", require=["metrics"]), today=TODAY).violations
    assert "metrics" in v.message


# ----------------------------------------------------------------- data-quality
def test_data_quality_thresholds_per_dataset_pattern(store) -> None:
    pipeline(store)  # train: 40 rows, amount 4 nulls (10 %)
    ok = only("data-quality", thresholds=[{"dataset": "*train", "min_rows": 10, "max_null_ratio": 0.2}])
    assert check(store, ok, today=TODAY).passed
    bad = only("data-quality", thresholds=[{"dataset": "*train", "min_rows": 100, "max_null_ratio": 0.05}])
    got = sorted((v.node, v.message) for v in check(store, bad, today=TODAY).violations)
    assert got == [(f"dataset:{FRAMES}:{NB}/train", "40 rows, fewer than min_rows 100"),
                   (f"datasetField:{FRAMES}:{NB}/train:amount", "null ratio 0.100 above max_null_ratio 0.05")]
    missing = only("data-quality", thresholds=[{"dataset": "*orders.csv", "min_rows": 1}])
    (v,) = check(store, missing, today=TODAY).violations
    assert v.message == "no quality metrics recorded"
    assert check(store, only("data-quality", thresholds=missing["rules"]["data-quality"]["thresholds"],
                             missing="skip"), today=TODAY).passed


# ----------------------------------------------------------- scope and reports
def test_notebook_scope_and_report_formats(store) -> None:
    pipeline(store)
    assert check(store, only("pii-flow"), notebook="other.ipynb", today=TODAY).passed
    scoped = check(store, only("pii-flow"), notebook=f"/some/dir/{NB}", today=TODAY)
    assert not scoped.passed and scoped.notebook == f"/some/dir/{NB}"
    report = check(store, today=TODAY)  # the built-in defaults
    assert set(report.failed_rules) == {"output-owner", "pii-flow", "model-card"}
    suite = ET.fromstring(report.to_junit())
    assert suite.get("failures") == "3" and len(suite.findall("testcase")) == len(RULES)
    failing = [c.get("name") for c in suite.findall("testcase") if c.find("failure") is not None]
    assert failing == ["output-owner", "pii-flow", "model-card"]
    data = report.to_dict()
    assert data["passed"] is False and [r["rule"] for r in data["rules"]] == list(RULES)
    assert_spec_valid([e for e in store.events()])


# ------------------------------------------------------------------ policy files
def test_policy_files_switch_and_configure_rules() -> None:
    pol = load_policy(POLICIES / "strict.yaml")
    assert pol.source.endswith("strict.yaml")
    assert not pol.enabled("model-card") and pol.rules["pii-flow"]["allowed_namespaces"] == ["dataframe://*"]
    assert pol.rules["data-quality"]["thresholds"][0]["min_rows"] == 10
    assert Policy().enabled("model-card")


@pytest.mark.parametrize(("name", "line", "text"), [
    ("broken_yaml.yaml", 4, "invalid YAML"),
    ("unknown_rule.yaml", 3, "unknown rule 'owners-everywhere'"),
    ("unknown_option.yaml", 4, "rule 'pii-flow' has no option 'allow'"),
])
def test_corrupt_policies_name_the_file_and_line(name: str, line: int, text: str) -> None:
    with pytest.raises(PolicyError) as info:
        load_policy(POLICIES / name)
    assert info.value.line == line and text in str(info.value)
    assert str(info.value).startswith(f"{POLICIES / name}:{line}: ")


def test_a_missing_policy_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy(tmp_path / "nope.yaml")


def test_policy_file_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBGOV_POLICY", str(POLICIES / "strict.yaml"))
    assert not load_policy().enabled("model-card")
