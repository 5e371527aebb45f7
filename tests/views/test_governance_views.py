"""Drift, PII, impact views and the cards: text and HTML reprs, escaping, inline SVG."""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

import nbgov
from nbgov.governance import set_owners
from nbgov.views import DatasetCard, DriftView, ImpactView, JobCard, PiiView, RunCard
from tests.views.conftest import HOSTILE

CUSTOMERS = "dataset:postgres://db:5432:public.customers"


def _no_markup_leak(html: str) -> None:
    assert HOSTILE not in html and "<script" not in html and not re.search(r"0x[0-9a-f]{6,}", html)


def test_drift_view_shows_severity_in_words_nulls_and_histograms() -> None:
    ref = pd.DataFrame({"amount": [float(i) for i in range(200)], HOSTILE: ["a", "b"] * 100,
                        "gone": [1] * 200})
    cur = pd.DataFrame({"amount": [float(i) + 500 for i in range(200)], HOSTILE: ["a", "c"] * 100,
                        "new": ["x"] * 200})
    cur.loc[:49, "amount"] = None
    ref_p, cur_p = nbgov.profile(ref), nbgov.profile(cur)
    view = DriftView(nbgov.compare(ref_p, cur_p), reference=ref_p, current=cur_p, title="orders v1 → v2")
    html = view._repr_html_()
    _no_markup_leak(html)
    assert "✖ ERROR" in html or "▲ WARNING" in html  # severity as a word with a symbol
    assert "SCHEMA_REMOVAL" in html and "<code>gone</code>" in html and "SCHEMA_ADDITION" in html
    assert "0.0% → 25.0%" in html  # null rate of amount before → after
    assert html.count("<svg") >= 3 and "<title>amount distribution" in html  # inline histograms, labelled
    assert "new: <code>c</code>" in html and "missing: <code>b</code>" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    text = view._repr_mimebundle_()["text/plain"]
    assert text.startswith("orders v1 → v2\nDriftReport(rows 200 -> 200")
    assert repr(view).startswith("DriftView(rows 200 -> 200") and "0x" not in repr(view)


def test_pii_view_is_columns_by_info_types_with_tag_origins(pipeline: Any) -> None:
    frame = pd.DataFrame({"contact": [f"user{i}@example.com" for i in range(50)], "n": range(50)})
    report = nbgov.classify_pii(frame)
    view = PiiView.from_store(pipeline, CUSTOMERS, report=report)
    html = view._repr_html_()
    _no_markup_leak(html)
    assert '<th scope="col">EMAIL_ADDRESS</th>' in html and "<code>contact</code>" in html
    assert "user0@example.com" not in html  # examples are masked
    assert "inherited" in html and "datasetField:file:/data/raw.csv:email</code> → <code>" in html
    text = view.to_text()
    assert "email: pii=EMAIL_ADDRESS inherited from datasetField:file:/data/raw.csv:email via" in text
    assert repr(view) == f"PiiView({len(report.findings)} findings, 1 tags)"


def test_impact_view_is_a_downstream_tree_with_owners(pipeline: Any) -> None:
    set_owners(pipeline, "job:ns:train", ["team:ml"])
    view = ImpactView.from_store(pipeline, "dataset:file:/data/raw.csv")
    text = view.to_text()
    assert text.splitlines()[:5] == [
        "Impact of dataset:file:/data/raw.csv",
        "  └─ job:ns:clean (job) [COMPLETED]",
        f"    └─ {CUSTOMERS} (table)",
        "      └─ job:ns:train (job) [FAILED]  owners: team:ml",
        "        └─ dataset:file:/models/m.pkl (model)",
    ]
    assert text.endswith("Owners to notify: team:ml")
    html = view._repr_html_()
    assert "✖ FAILED" in html and "team:ml" in html and "owners to notify" in html


def test_cards(pipeline: Any) -> None:
    card = DatasetCard.from_store(pipeline, CUSTOMERS)
    assert repr(card) == f"DatasetCard({CUSTOMERS!r})"
    text = card.to_text()
    assert "(table, PII)" in text and "email: VARCHAR  [pii:EMAIL_ADDRESS]  nulls 3" in text and "rows: 42" in text
    html = card._repr_html_()
    assert "⚠ PII" in html and "42 rows" in html and "✔ COMPLETED" in html
    job = JobCard.from_store(pipeline, "job:ns:train")
    assert [r["state"] for r in job.card["runs"]] == ["FAILED", "COMPLETED"]
    assert "ValueError: boom" in job._repr_html_()
    run = RunCard.from_store(pipeline, job.card["runs"][0]["id"])
    assert run.card["job"] == "job:ns:train" and "error: ValueError: boom" in run.to_text()
    assert "✖ FAILED" in run._repr_mimebundle_()["text/html"]


def test_cards_escape_hostile_names(hostile: Any) -> None:
    card = DatasetCard.from_store(hostile, f"dataset:ns:{HOSTILE}")
    _no_markup_leak(card._repr_html_())
    assert HOSTILE in card.to_text()  # plain text keeps the name as it is
