"""``nbgov report`` opened in a real Chromium with the network off: the inlined WebAssembly
Graphviz draws every graph (no system ``dot``, no request), nodes are reachable by
keyboard and lead to their cards, hostile names stay text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nbgov.cli import cli
from nbgov.store import open_store
from nbgov.views import element_id
from tests.browser.offline import open_offline
from tests.fixtures.events import dataset, run_event, schema
from tests.views.conftest import HOSTILE, pipeline_events

pytestmark = pytest.mark.timeout(120)

RAW = "dataset:file:/data/raw.csv"
CUSTOMERS = "dataset:postgres://db:5432:public.customers"
MODEL = "dataset:file:/models/m.pkl"
CLEAN, TRAIN = "job:ns:clean", "job:ns:train"
EVIL = f"dataset:ns:{HOSTILE}"
EVIL_JOB = "job:ns:publish <b>"
PUBLISHED = "dataset:ns:out"


@pytest.fixture
def report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The report of a real SQLite store: the views' pipeline plus a job reading a dataset
    with a hostile name, written by the CLI with no Graphviz binary on PATH."""
    location = tmp_path / "lineage.db"
    with open_store(location) as store:
        evil = dataset(HOSTILE, facets={"schema": schema((HOSTILE, "VARCHAR"))})
        result = store.add_events([*pipeline_events(), run_event("publish <b>", inputs=[evil],
                                                                  outputs=[dataset("out")])])
        assert not result.rejected, result.rejected
    empty = tmp_path / "no-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.delenv("NBGOV_VIZ_JS", raising=False)
    out = tmp_path / "report.html"
    done = CliRunner().invoke(cli, ["report", "--store", str(location), "--out", str(out)], catch_exceptions=False)
    assert done.exit_code == 0 and "the bundled WebAssembly Graphviz" in done.output, done.output
    return out


def keyboard_then_click(page: Any) -> dict[str, Any]:
    """Tab to the first node and press Enter, then click the hostile node: where each lands."""
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.getAttribute('data-node-id')")
    page.keyboard.press("Enter")
    after_enter = page.evaluate("[location.hash, document.activeElement.dataset.nodeTitle]")
    page.locator(f'.nbgov-graph g.node[id="{element_id(EVIL)}"]').click()
    after_click = page.evaluate("document.activeElement.dataset.nodeTitle")
    page.wait_for_timeout(300)  # an injected onerror handler would have fired by now
    return {
        "focused": focused,
        "after_enter": after_enter,
        "after_click": after_click,
        "images": page.evaluate("document.querySelectorAll('img, image, iframe').length"),
        "fallback_hidden": page.evaluate("document.querySelector('.nbgov-fallback').hidden"),
        "evil_label": page.locator(f'.nbgov-graph g.node[id="{element_id(EVIL)}"] text').first.text_content(),
    }


def test_report_draws_its_graph_offline_and_nodes_lead_to_cards(report: Path) -> None:
    drawn = open_offline(report, screenshot="report-offline", then=keyboard_then_click)

    nodes = {RAW, CUSTOMERS, MODEL, CLEAN, TRAIN, EVIL, EVIL_JOB, PUBLISHED}
    assert drawn.node_titles == [nodes]  # one graph: the whole store, every node drawn
    assert drawn.edge_titles == [{f"{RAW}->{CLEAN}", f"{CLEAN}->{CUSTOMERS}", f"{CUSTOMERS}->{TRAIN}",
                                  f"{TRAIN}->{MODEL}", f"{EVIL}->{EVIL_JOB}", f"{EVIL_JOB}->{PUBLISHED}"}]
    assert drawn.node_ids == [{element_id(n) for n in nodes}]
    assert element_id(EVIL) == "dataset:ns:%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E"
    assert [url for url in drawn.requests if not url.startswith("file://")] == []
    assert drawn.dialogs == []

    seen = drawn.result
    assert seen["focused"] in nodes  # Tab reaches a node …
    anchor, card = seen["after_enter"]
    assert anchor.startswith("#n-") and card == seen["focused"]  # … and Enter moves to its card
    assert seen["after_click"] == EVIL
    assert seen["images"] == 0 and seen["evil_label"] == HOSTILE  # the hostile name is text
    assert seen["fallback_hidden"] is True  # the tables for scripts-off are hidden once drawn
