"""``nbgov model-card``, ``nbgov approve`` and ``nbgov check`` against a store (both backends)."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from nbgov.cli import cli
from tests.governance.test_modelcard import CUSTOMERS, MODEL, pipeline
from tests.spec import assert_spec_valid

POLICIES = Path(__file__).resolve().parents[1] / "policies"


@pytest.fixture
def loc(store, store_url):
    pipeline(store)
    return store_url


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_model_card_in_each_format(loc, tmp_path: Path) -> None:
    got = run("model-card", "model", "--format", "json", "--store", loc)
    assert got.exit_code == 0, got.output
    card = json.loads(got.output)
    assert card["model_details"]["node"] == MODEL
    assert card["data_lineage"]["features"]["pii_features"] == ["email"]
    assert any(d["name"] == CUSTOMERS for d in card["data_lineage"]["training_data"])
    md = run("model-card", MODEL, "--store", loc)
    assert md.exit_code == 0 and md.output.startswith("# Model card: model")
    out = tmp_path / "card.html"
    page = run("model-card", "model", "--format", "html", "-o", str(out), "--store", loc)
    assert page.exit_code == 0 and page.output == ""
    html = out.read_text("utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html and "Model card: model" in html
    missing = run("model-card", "nope", "--store", loc)
    assert missing.exit_code == 1 and missing.output.startswith("Error: no model named 'nope'")


def test_approve_then_check_passes_the_card_rule(loc, store) -> None:
    future = (dt.date.today() + dt.timedelta(days=90)).isoformat()
    before = run("check", "--rule", "model-card", "--store", loc)
    assert before.exit_code == 1 and "FAIL  model-card" in before.output
    got = run("approve", "model", "--by", "user:ana", "--next-review", future, "--format", "json", "--store", loc)
    assert got.exit_code == 0, got.output
    assert json.loads(got.output)["approval_status"] == "APPROVED"
    assert_spec_valid([e for e in store.events() if "run" not in e])
    after = run("check", "--rule", "model-card", "--store", loc)
    assert after.exit_code == 0 and "PASS  model-card" in after.output
    past = run("approve", "model", "--by", "user:ana", "--next-review", "2001-01-01", "--store", loc)
    assert past.exit_code == 1 and "not in the future" in past.output
    no_review = run("approve", "model", "--by", "user:ana", "--store", loc)
    assert no_review.exit_code == 2 and "--next-review is required" in no_review.output


def test_check_fails_with_the_pii_path_and_writes_junit(loc, tmp_path: Path) -> None:
    got = run("check", "--store", loc)
    assert got.exit_code == 1
    assert "FAIL  pii-flow" in got.output
    assert f"path: datasetField:file:{CUSTOMERS}:email -> " in got.output
    out = tmp_path / "policy.xml"
    junit = run("check", "--format", "junit", "-o", str(out), "--store", loc)
    assert junit.exit_code == 1 and ET.fromstring(out.read_text("utf-8")).get("failures") == "3"
    data = json.loads(run("check", "--format", "json", "--policy", str(POLICIES / "strict.yaml"),
                          "--store", loc).output)
    assert data["policy"].endswith("strict.yaml")
    assert [r["rule"] for r in data["rules"] if not r["passed"]] == ["output-owner", "pii-flow"]
    assert run("check", "--notebook", "other.ipynb", "--store", loc).exit_code == 0


def test_check_reports_bad_policies_and_rules_in_one_line(loc) -> None:
    bad = run("check", "--policy", str(POLICIES / "unknown_option.yaml"), "--store", loc)
    assert bad.exit_code == 1
    assert bad.output == f"Error: {POLICIES / 'unknown_option.yaml'}:4: rule 'pii-flow' has no option 'allow'" \
                         " (options: enabled, tags, allowed_namespaces)\n"
    rule = run("check", "--rule", "nope", "--store", loc)
    assert rule.exit_code == 2 and "unknown rule 'nope'" in rule.output
