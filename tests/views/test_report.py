"""``nbgov report`` and ``nbgov demo``: one self-contained HTML file with the lineage,
datasets, runs and alerts; the packaged WebAssembly engine inlined by default, the
system ``dot`` or DOT text and tables when there is none. (That the inlined engine draws
the graph with the network off is checked in Chromium: tests/browser/test_report_offline.py.)"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nbgov.cli import cli
from nbgov.views import build_report
from nbgov.views import report as report_module
from nbgov.views.report import ENGINE_FILE, ENGINE_SCRIPT_ID, inline_script
from tests.views.conftest import HOSTILE, NASTY

EXTERNAL = re.compile(r"""(?:src|href|action|data)\s*=\s*["']?\s*(?:https?:)?//|url\(|@import|<link|<iframe|<img""",
                      re.IGNORECASE)
ENGINE_BLOCK = re.compile(rf'<script id="{ENGINE_SCRIPT_ID}">(.*?)</script>', re.DOTALL)
#: hosts named inside @viz-js/viz's build: XML namespace and DTD identifiers and the
#: Graphviz and expat home pages, all string constants (the offline browser test proves
#: nothing is requested)
ENGINE_HOSTS = {"www.w3.org", "www.graphviz.org", "libexpat.github.io"}


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def packaged_engine() -> str:
    """The engine the build copies into the package (``build:prod``, run by ``pip install``)."""
    assert ENGINE_FILE.is_file(), f"{ENGINE_FILE} is missing: `pip install -e .` builds it (labextension build:prod)"
    return ENGINE_FILE.read_text("utf-8")


def split_engine(page: str) -> tuple[str, str | None]:
    """``(the page without the engine's <script> element, the engine's text or None)``."""
    blocks = ENGINE_BLOCK.findall(page)
    assert len(blocks) <= 1
    return ENGINE_BLOCK.sub("", page), (blocks[0] if blocks else None)


def assert_self_contained(page: str) -> str:
    """Check the page loads nothing from anywhere; return it without the engine's script.

    The page outside the engine may hold no reference at all (no ``url(``, ``src``,
    ``href`` to another origin, no stylesheet link, image or frame); the engine is a
    third-party build whose WebAssembly data and loader contain ``url(``, ``fetch`` and
    XML namespace URLs, so there the check is for URLs to load: it may only name the hosts
    of :data:`ENGINE_HOSTS`, and never import or fetch an absolute URL.
    """
    assert page.startswith("<!DOCTYPE html>")
    rest, engine = split_engine(page)
    assert not EXTERNAL.search(rest), EXTERNAL.search(rest)
    for tag in re.findall(r"<script\b[^>]*>", page, re.IGNORECASE):
        assert "src" not in tag.lower(), tag  # every script inline
    if engine is not None:
        hosts = set(re.findall(r"""https?://([^/\s"'`\\)]+)""", engine))
        assert hosts <= ENGINE_HOSTS, hosts - ENGINE_HOSTS
        assert not re.search(r"""(?:import|importScripts|fetch)\s*\(\s*["'`](?:https?:)?//""", engine)
    return rest


@pytest.fixture
def no_engine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An installation without the packaged engine: its path points at a missing file."""
    monkeypatch.setattr(report_module, "ENGINE_FILE", tmp_path / "not-built" / "viz-standalone.js")
    monkeypatch.delenv("NBGOV_VIZ_JS", raising=False)


def test_report_of_a_node_holds_its_graph_datasets_runs_and_alerts(pipeline: Any, store_url: str, tmp_path: Path,
                                                                   no_dot: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NBGOV_VIZ_JS", raising=False)
    out = tmp_path / "out" / "r.html"
    result = run("report", "dataset:file:/models/m.pkl", "--store", store_url, "--out", str(out),
                 "--title", "Churn <report>")
    assert result.exit_code == 0, result.output
    assert f"report: {out}" in result.output and "drawn by the bundled WebAssembly Graphviz" in result.output
    page = out.read_text("utf-8")
    rest = assert_self_contained(page)
    # by default, with no system dot on PATH: the packaged engine, inlined as it is, and the script drawing with it
    assert 'data-nbgov-drawing="engine"' in page and "drawn in your browser by the bundled WebAssembly" in page
    assert split_engine(page)[1] == inline_script(packaged_engine())
    assert re.findall(r"<script\b[^>]*>", page) == [f'<script id="{ENGINE_SCRIPT_ID}">', '<script id="nbgov-draw">']
    assert "Viz.instance().then" in rest
    page = rest  # what follows is nbgov's own markup
    assert "<title>Churn &lt;report&gt;</title>" in page
    for node in ("dataset:file:/data/raw.csv", "dataset:postgres://db:5432:public.customers",
                 "dataset:file:/models/m.pkl", "job:ns:clean", "job:ns:train"):
        assert f'data-node-title="{node}"' in page  # a card per node
        assert f"<code>{node}</code>" in page  # in the node table
    assert '<pre class="nbgov-dot">digraph &quot;lineage&quot;' in page  # the DOT the engine draws …
    assert '<div class="nbgov-fallback">' in page  # … and the tables shown with scripts off
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
    for engine in (None, False):  # with the packaged engine and without
        built = build_report(hostile, engine=engine)
        assert built.drawing == ("engine" if engine is None else "dot")
        page = assert_self_contained(built.html)  # the engine is the packaged file, compared below
        assert HOSTILE not in page and "& <b>" not in page
        assert html.escape(HOSTILE) in page and html.escape(NASTY.split("\n")[0]) in page
        # the DOT the engine reads is escaped text, the node ids percent-encoded
        assert "id=&quot;dataset:ns:%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E&quot;" in page
    assert split_engine(build_report(hostile).html)[1] == inline_script(packaged_engine())


def test_report_inlines_the_engine_and_its_renderer(pipeline: Any, tmp_path: Path) -> None:
    engine = tmp_path / "viz-standalone.js"
    engine.write_text('var Viz = {instance: function () { return Promise.reject("</script><b>x</b>"); }};\n')
    built = build_report(pipeline, ["job:ns:train"], engine=engine)
    assert built.drawing == "engine"
    page = built.html
    assert_self_contained(page)
    assert page.count("<script") == 2 and split_engine(page)[1].startswith("var Viz = {instance")
    assert "</script><b>" not in page and "<\\/script><b>x</b>" in page  # the engine cannot end its own tag
    assert "Viz.instance().then" in page and 'setAttribute("tabindex", "0")' in page  # keyboard focus on nodes
    assert '<pre class="nbgov-dot">' in page and '<div class="nbgov-fallback">' in page  # shown with scripts off


def test_report_engine_comes_from_the_environment(pipeline: Any, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    engine = tmp_path / "engine.js"
    engine.write_text("var Viz;\n")
    monkeypatch.setenv("NBGOV_VIZ_JS", str(engine))
    built = build_report(pipeline)
    assert built.drawing == "engine" and split_engine(built.html)[1] == "var Viz;\n"
    monkeypatch.setenv("NBGOV_VIZ_JS", str(tmp_path / "missing.js"))
    built = build_report(pipeline)  # a missing file named there: the packaged engine
    assert built.drawing == "engine" and split_engine(built.html)[1] == inline_script(packaged_engine())


def test_without_any_engine_the_report_shows_dot_text_and_tables(pipeline: Any, store_url: str, tmp_path: Path,
                                                                   no_engine: None, no_dot: None) -> None:
    out = tmp_path / "r.html"
    result = run("report", "--store", store_url, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "nothing: no Graphviz found, DOT text and tables instead" in result.output
    page = out.read_text("utf-8")
    assert_self_contained(page)
    assert "<script" not in page and 'data-nbgov-drawing="dot"' in page and "No Graphviz was available" in page
    assert '<pre class="nbgov-dot">digraph &quot;lineage&quot;' in page and "<code>job:ns:train</code>" in page
    assert '<div class="nbgov-fallback">' not in page  # nothing to fall back from: the tables are the drawing


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
    assert "dot` not found" not in result.output
    page = (tmp_path / ".nbgov" / "demo" / "report.html").read_text("utf-8")
    assert split_engine(page)[1] == inline_script(packaged_engine())
    page = assert_self_contained(page)
    assert "<title>nbgov demo: churn model pipeline</title>" in page
    # the rich report: cards per node with schema, runs with states and errors, [MODEL] marker
    assert 'data-node-title="dataset:file:/models/churn_model.pkl"' in page and "[MODEL]" in page
    assert "✖ FAILED" in page and "ValueError: Input contains NaN" in page and "DECIMAL(12,2)" in page
    assert "drawn in your browser by the bundled WebAssembly Graphviz" in page


def test_demo_without_an_engine_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_dot: None,
                                        no_engine: None) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("demo")
    assert result.exit_code == 0, result.output
    assert "(Graphviz `dot` not found: the graph is shown as DOT text)" in result.output
    page = (tmp_path / ".nbgov" / "demo" / "report.html").read_text("utf-8")
    assert "<script" not in page and "No Graphviz was available" in page


def test_the_drift_section_draws_histograms_from_the_stored_profiles(tmp_path: Path) -> None:
    """Two profiled versions of a dataset: the report's drift section carries the two
    versions' histograms (inline SVG), as the notebook's DriftView.from_store does."""
    import numpy as np
    import pandas as pd

    from nbgov.emit.events import dataset, run_event, to_dict
    from nbgov.governance import record_profile
    from nbgov.store import open_store

    rng = np.random.default_rng(3)
    ns, name = "file", str(tmp_path / "sales.parquet")
    with open_store(str(tmp_path / "l.db")) as store:
        for day, shift in ((1, 0.0), (2, 25.0)):
            df = pd.DataFrame({"amount": rng.normal(100 + shift, 10, 2000), "region": rng.choice(["n", "s"], 2000)})
            event = to_dict(run_event("COMPLETE", job_namespace="nb", job_name="cell-sales",
                                      event_time=f"2024-01-0{day}T00:00:00Z",
                                      outputs=[dataset(ns, name, fields=[(c, str(t)) for c, t in df.dtypes.items()],
                                                       kind="output")]))
            store.add_events([event])
            record_profile(store, ns, name, df)
        page = build_report(store, [f"dataset:{ns}:{name}"], engine=False).html
    section = page[page.index("Drift between the last two profiled versions"):]
    section = section[: section.index("</table>")]
    titles = re.findall(r"<title>([^<]*)</title>", section)
    assert any(t.startswith("amount distribution") and "bars current, line reference" in t for t in titles)
    assert any(t.startswith("region top categories") for t in titles)
