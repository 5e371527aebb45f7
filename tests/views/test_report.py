"""``nbgov report`` and ``nbgov demo``: one self-contained HTML file with the lineage,
datasets, runs and alerts; the WebAssembly engine inlined when given."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nbgov.cli import cli
from nbgov.views import build_report
from tests.views.conftest import HOSTILE, NASTY

EXTERNAL = re.compile(r"""(?:src|href|action|data)\s*=\s*["']?\s*(?:https?:)?//|url\(|@import|<link|<iframe|<img""",
                      re.IGNORECASE)


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def assert_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert not EXTERNAL.search(page), EXTERNAL.search(page)
    for tag in re.findall(r"<script\b[^>]*>", page, re.IGNORECASE):
        assert "src" not in tag.lower(), tag  # every script inline


def test_report_of_a_node_holds_its_graph_datasets_runs_and_alerts(pipeline: Any, store_url: str,
                                                                   tmp_path: Path, no_dot: None) -> None:
    out = tmp_path / "out" / "r.html"
    result = run("report", "dataset:file:/models/m.pkl", "--store", store_url, "--out", str(out),
                 "--title", "Churn <report>")
    assert result.exit_code == 0, result.output
    assert f"report: {out}" in result.output and "DOT text and tables" in result.output
    page = out.read_text("utf-8")
    assert_self_contained(page)
    assert "<script" not in page and 'data-nbgov-drawing="dot"' in page
    assert "<title>Churn &lt;report&gt;</title>" in page
    for node in ("dataset:file:/data/raw.csv", "dataset:postgres://db:5432:public.customers",
                 "dataset:file:/models/m.pkl", "job:ns:clean", "job:ns:train"):
        assert f'data-node-title="{node}"' in page  # a card per node
        assert f"<code>{node}</code>" in page  # in the node table
    assert '<pre class="nbgov-dot">digraph &quot;lineage&quot;' in page
    assert "ValueError: boom" in page and "✖ FAILED" in page  # state in words and symbol, not colour only
    assert "pii:EMAIL_ADDRESS" in page and "⚠ PII" in page and "42 rows" in page
    assert "3 datasets (2 with personal data), 2 jobs (1 whose last run failed)" in page


def test_report_without_nodes_covers_the_whole_store(pipeline: Any) -> None:
    built = build_report(pipeline, engine=False)
    assert set(built.nodes) == {"dataset:file:/data/raw.csv", "dataset:postgres://db:5432:public.customers",
                                "dataset:file:/models/m.pkl", "job:ns:clean", "job:ns:train"}
    assert "every job and dataset in the store" in built.html
    assert repr(built).startswith("HtmlReport(") and "0x" not in repr(built)


def test_report_escapes_hostile_names(hostile: Any, no_dot: None) -> None:
    page = build_report(hostile, engine=False).html
    assert HOSTILE not in page and "& <b>" not in page
    assert html.escape(HOSTILE) in page and html.escape(NASTY.split("\n")[0]) in page
    assert_self_contained(page)


def test_report_inlines_the_engine_and_its_renderer(pipeline: Any, tmp_path: Path) -> None:
    engine = tmp_path / "viz-standalone.js"
    engine.write_text('var Viz = {instance: function () { return Promise.reject("</script><b>x</b>"); }};\n')
    built = build_report(pipeline, ["job:ns:train"], engine=engine)
    assert built.drawing == "engine"
    page = built.html
    assert_self_contained(page)
    assert page.count("<script>") == 2 and "var Viz = {instance" in page
    assert "</script><b>" not in page and "<\\/script><b>x</b>" in page  # the engine cannot end its own tag
    assert "Viz.instance().then" in page and 'setAttribute("tabindex", "0")' in page  # keyboard focus on nodes
    assert '<pre class="nbgov-dot">' in page and '<div class="nbgov-fallback">' in page  # shown with scripts off


def test_report_engine_comes_from_the_environment(pipeline: Any, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    engine = tmp_path / "engine.js"
    engine.write_text("var Viz;\n")
    monkeypatch.setenv("NBGOV_VIZ_JS", str(engine))
    assert build_report(pipeline).drawing == "engine"
    monkeypatch.setenv("NBGOV_VIZ_JS", str(tmp_path / "missing.js"))
    assert build_report(pipeline).drawing in ("svg", "dot")  # no packaged bundle yet, or a system dot


def test_report_uses_a_dot_program_when_there_is_no_engine(pipeline: Any, fake_dot: Any) -> None:
    built = build_report(pipeline, engine=False)
    assert built.drawing == "svg" and '<svg width="10pt">' in built.html
    assert "<script" not in built.html


def test_unknown_node_is_a_one_line_error(pipeline: Any, store_url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", "dataset:no:such", "--store", store_url,
                                      "--out", str(tmp_path / "x.html")])
    assert result.exit_code == 1 and result.output.startswith("Error: ") and "dataset:no:such" in result.output
    assert not (tmp_path / "x.html").exists()


def test_demo_writes_the_rich_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_dot: None) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NBGOV_VIZ_JS", raising=False)
    result = run("demo")
    assert result.exit_code == 0, result.output
    page = (tmp_path / ".nbgov" / "demo" / "report.html").read_text("utf-8")
    assert_self_contained(page)
    assert "<title>nbgov demo: churn model pipeline</title>" in page
    # the rich report: cards per node with schema, runs with states and errors, [MODEL] marker
    assert 'data-node-title="dataset:file:/models/churn_model.pkl"' in page and "[MODEL]" in page
    assert "✖ FAILED" in page and "ValueError: Input contains NaN" in page and "DECIMAL(12,2)" in page
    assert "No Graphviz was available" in page
