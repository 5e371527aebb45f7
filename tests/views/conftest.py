"""Fixtures for view tests: small pipelines stored from real OpenLineage events."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.events import column_lineage, dataset, facet, run_event, schema

HOSTILE = "<img src=x onerror=alert(1)>"
#: a name with every character DOT, HTML and Python reprs treat specially
NASTY = 'q"uo\\te & <b>\n\\N'


def tags_facet(*tags: tuple[str, str, str | None]) -> dict[str, Any]:
    return facet({"tags": [{"key": k, "value": v, **({"field": f} if f else {})} for k, v, f in tags]},
                 name="TagsDatasetFacet")


def pipeline_events() -> list[dict[str, Any]]:
    """raw.csv (PII email) -> clean -> customers (table) -> train -> model.pkl (a MODEL), with
    column lineage customers.email <- raw.csv.email; the train job's last run FAILED."""
    raw = dataset("/data/raw.csv", "file", facets={
        "schema": schema(("id", "INTEGER"), ("email", "VARCHAR")),
        "tags": tags_facet(("pii", "EMAIL_ADDRESS", "email")),
    })
    customers = dataset("public.customers", "postgres://db:5432", facets={
        "schema": schema(("id", "INTEGER"), ("email", "VARCHAR")),
        "columnLineage": column_lineage({"email": [("file", "/data/raw.csv", "email")],
                                         "id": [("file", "/data/raw.csv", "id")]}),
        "dataQualityMetrics": facet({"rowCount": 42, "columnMetrics": {"email": {"nullCount": 3, "distinctCount": 39}}},
                                    name="DataQualityMetricsInputDatasetFacet"),
    })
    model = dataset("/models/m.pkl", "file", facets={
        "datasetType": facet({"datasetType": "MODEL"}, name="DatasetTypeDatasetFacet"),
    })
    return [
        run_event("clean", "COMPLETE", inputs=[raw], outputs=[customers], time="2024-01-01T00:00:00Z"),
        run_event("train", "COMPLETE", inputs=[dataset("public.customers", "postgres://db:5432")], outputs=[model],
                  time="2024-01-01T01:00:00Z"),
        run_event("train", "FAIL", inputs=[dataset("public.customers", "postgres://db:5432")], outputs=[model],
                  time="2024-01-01T02:00:00Z",
                  run_facets={"errorMessage": facet({"message": "ValueError: boom", "programmingLanguage": "python"},
                                                    name="ErrorMessageRunFacet")}),
    ]


@pytest.fixture
def pipeline(store: Any) -> Any:
    result = store.add_events(pipeline_events())
    assert not result.rejected, result.rejected
    return store


@pytest.fixture
def hostile(store: Any) -> Any:
    """job:ns:NASTY reads dataset:ns:HOSTILE (a column named HOSTILE too) and writes dataset:ns:NASTY."""
    src = dataset(HOSTILE, facets={"schema": schema((HOSTILE, "VARCHAR"))})
    dst = dataset(NASTY, facets={"schema": schema(("x", HOSTILE))})
    result = store.add_events([run_event(NASTY, inputs=[src], outputs=[dst])])
    assert not result.rejected, result.rejected
    return store


@pytest.fixture
def no_dot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """PATH without any Graphviz binary: the real fallback path."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


@pytest.fixture
def fake_dot(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A ``dot`` program on PATH that answers any input with a fixed SVG (the system
    Graphviz is an external binary; this stands in for it when it is not installed)."""
    bindir = tmp_path / "fake-bin"
    bindir.mkdir()
    exe = bindir / "dot"
    exe.write_text("#!/bin/sh\ncat > /dev/null\necho '<?xml version=\"1.0\"?>'\n"
                   "echo '<svg width=\"10pt\"><g class=\"node\"><title>fake</title></g></svg>'\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    monkeypatch.setenv("PATH", str(bindir) + os.pathsep + os.environ.get("PATH", ""))
    return exe
