"""``nbgov.explore``: ipywidgets controls that re-query a real store and put the new graph,
as nbgov's mimebundle, into an Output widget; text and HTML fallbacks without widgets."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pytest

import nbgov
from nbgov.views import MIME_TYPE, LineageExplorer, LineageView, explore, show
from tests.fixtures.events import run_event
from tests.views.test_lineage_view import dot_nodes_and_edges

RAW = "dataset:file:/data/raw.csv"
CUSTOMERS = "dataset:postgres://db:5432:public.customers"
MODEL = "dataset:file:/models/m.pkl"
CLEAN, TRAIN = "job:ns:clean", "job:ns:train"
EMAIL_IN, EMAIL_OUT = "datasetField:file:/data/raw.csv:email", "datasetField:postgres://db:5432:public.customers:email"
ID_IN, ID_OUT = "datasetField:file:/data/raw.csv:id", "datasetField:postgres://db:5432:public.customers:id"


def shown(explorer: LineageExplorer) -> dict[str, Any]:
    """What the front end receives: the single output of the Output widget."""
    (output,) = explorer.output.outputs
    assert output["output_type"] == "display_data"
    return output["data"]


def drawn_nodes(explorer: LineageExplorer, key: str = "dot") -> set[str]:
    return dot_nodes_and_edges(shown(explorer)[MIME_TYPE][key])[0]


def test_changing_the_controls_requeries_the_store(pipeline: Any) -> None:
    explorer = explore(CUSTOMERS, store=pipeline)
    assert isinstance(explorer, widgets.VBox)
    assert drawn_nodes(explorer) == {RAW, CLEAN, CUSTOMERS, TRAIN, MODEL}

    explorer.direction.value = "down"
    assert drawn_nodes(explorer) == {CUSTOMERS, TRAIN, MODEL}
    assert explorer.view.title == f"downstream of {CUSTOMERS} (depth 2)"
    explorer.direction.value = "up"
    assert drawn_nodes(explorer) == {RAW, CLEAN, CUSTOMERS}

    explorer.node.value = MODEL
    explorer.direction.value = "both"
    assert drawn_nodes(explorer) == {RAW, CLEAN, CUSTOMERS, TRAIN, MODEL}
    explorer.depth.value = 0
    assert drawn_nodes(explorer) == {CUSTOMERS, TRAIN, MODEL}
    assert "(depth 0): 3 nodes, 2 edges." in explorer.status.value and 'role="status"' in explorer.status.value

    # the Output widget holds exactly what nbgov.show displays for the same settings
    same = show(MODEL, depth=0, store=pipeline)._repr_mimebundle_()
    assert shown(explorer) == same


def test_the_level_toggle_shows_the_column_graph_first(pipeline: Any) -> None:
    explorer = explore(CUSTOMERS, store=pipeline)
    assert shown(explorer)[MIME_TYPE]["columns_dot"] is None and "level" not in shown(explorer)[MIME_TYPE]

    explorer.level.value = "column"
    payload = shown(explorer)[MIME_TYPE]
    assert payload["level"] == "column"  # the renderer opens on the column level
    assert drawn_nodes(explorer, "columns_dot") == {EMAIL_IN, EMAIL_OUT, ID_IN, ID_OUT}
    assert dot_nodes_and_edges(payload["columns_dot"])[1] == {(EMAIL_IN, EMAIL_OUT), (ID_IN, ID_OUT)}
    assert "column level: 4 columns, 2 edges" in explorer.status.value

    explorer.level.value = "table"
    assert shown(explorer)[MIME_TYPE]["columns_dot"] is None
    assert explore(CUSTOMERS, store=pipeline, columns=True).level.value == "column"


def test_a_bad_node_keeps_the_graph_and_says_why(pipeline: Any) -> None:
    explorer = explore(MODEL, store=pipeline)
    before = shown(explorer)
    explorer.node.value = "dataset:nowhere:x"  # no exception reaches the widget event
    assert shown(explorer) == before
    assert explorer.error == "node not found: dataset:nowhere:x"
    assert 'role="alert"' in explorer.status.value and "node not found: dataset:nowhere:x" in explorer.status.value
    assert "Error: node not found" in explorer.to_text()
    explorer.node.value = "not an id"
    assert explorer.error is not None and "invalid node id" in explorer.error
    explorer.node.value = TRAIN
    assert explorer.error is None and drawn_nodes(explorer) == {CUSTOMERS, TRAIN, MODEL, RAW, CLEAN}


def test_fallbacks_for_front_ends_without_widgets(pipeline: Any) -> None:
    explorer = explore(MODEL, store=pipeline, depth=1, direction="up")
    bundle = explorer._repr_mimebundle_()
    assert set(bundle) == {"application/vnd.jupyter.widget-view+json", "text/plain", "text/html"}
    text = bundle["text/plain"]
    assert text.startswith(f"Lineage explorer (node {MODEL}, depth 1, direction up, table level); "
                           "its controls need a live kernel with ipywidgets.")
    assert explorer.view.to_text() in text and "[MODEL]" in text and "[FAILED]" in text
    html = bundle["text/html"]
    assert "its controls need a live kernel" in html
    assert f"<code>{MODEL}</code>" in html or f"<title>{MODEL}</title>" in html  # tables, or a system dot's SVG
    for rendering in (text, html, repr(explorer)):
        assert not re.search(r"0x[0-9a-f]{6,}|object at", rendering)
    assert repr(explorer) == f"LineageExplorer({MODEL!r}, depth=1, direction='up', level='table', nodes=5)"
    assert repr(explore(MODEL, store=pipeline, depth=1, direction="up")) == repr(explorer)  # stable


def test_controls_are_labelled_form_widgets(pipeline: Any) -> None:
    explorer = explore(MODEL, store=pipeline)
    assert [c.description for c in (explorer.node, explorer.depth, explorer.direction, explorer.level)] == [
        "Node", "Depth", "Direction", "Level"]
    assert explorer.direction.options == (("both ways", "both"), ("upstream", "up"), ("downstream", "down"))
    assert explorer.level.options == (("Tables", "table"), ("Columns", "column"))  # words, not colours
    assert set(explorer.node.options) == {RAW, CUSTOMERS, MODEL, CLEAN, TRAIN}  # suggestions
    assert explorer.depth.continuous_update is False  # one query per change, not per pixel


def test_default_node_and_default_store(pipeline: Any, store_url: str, monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:
    monkeypatch.setenv("NBGOV_STORE", store_url)
    explorer = nbgov.explore()  # the job updated last: train (its failed run at 02:00)
    assert explorer.view.root == TRAIN and isinstance(explorer.view, LineageView)
    explorer.depth.value = 0  # re-opens the store from $NBGOV_STORE, read when built
    monkeypatch.setenv("NBGOV_STORE", str(tmp_path / "elsewhere.db"))
    explorer.direction.value = "down"
    assert explorer.error is None and drawn_nodes(explorer) == {TRAIN, MODEL}


def test_errors_before_the_widget_exists(pipeline: Any, store: Any) -> None:
    with pytest.raises(nbgov.NbgovError, match="direction"):
        explore(MODEL, store=pipeline, direction="sideways")
    with pytest.raises(nbgov.NbgovError, match="depth"):
        explore(MODEL, store=pipeline, depth=-1)
    with pytest.raises(nbgov.NodeNotFoundError):
        explore("dataset:nowhere:x", store=pipeline)


def test_an_empty_store_has_no_default_node(tmp_path: Path) -> None:
    from nbgov.store import open_store

    with open_store(tmp_path / "empty.db") as empty, pytest.raises(nbgov.NbgovError, match="no job or dataset"):
        explore(store=empty)


def test_big_graphs_collapse_with_the_notice(store: Any) -> None:
    events = [run_event(f"j{i}", namespace=f"team{i % 5}", inputs=[{"namespace": "hub", "name": "src"}],
                        outputs=[{"namespace": f"team{i % 5}", "name": f"out{i}"}]) for i in range(250)]
    assert not store.add_events(events).rejected
    explorer = explore("dataset:hub:src", depth=1, store=store)
    payload = shown(explorer)[MIME_TYPE]
    assert payload["notice"] and "501 nodes is more than 200" in payload["notice"]
    assert "5 namespace group(s) collapsed (see the notice)" in explorer.status.value
    assert "Notice: 501 nodes" in explorer.to_text()
    explorer.direction.value = "up"  # nothing upstream of the hub: one node, no notice
    assert drawn_nodes(explorer) == {"dataset:hub:src"} and shown(explorer)[MIME_TYPE]["notice"] is None
