"""The lineage view: DOT node and edge sets for graphs stored from real events, the MIME
payload contract, escaping of hostile names, the fallbacks without Graphviz, collapsing."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import unquote

import pytest

import nbgov
from nbgov.views import MIME_TYPE, LineageView, lineage_dot, show
from nbgov.views.dot import dot_id, dot_label, element_id
from tests.fixtures.events import run_event
from tests.views.conftest import HOSTILE, NASTY

RAW = "dataset:file:/data/raw.csv"
CUSTOMERS = "dataset:postgres://db:5432:public.customers"
MODEL = "dataset:file:/models/m.pkl"
CLEAN, TRAIN = "job:ns:clean", "job:ns:train"

QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')


def dot_nodes_and_edges(dot: str) -> tuple[set[str], set[tuple[str, str]]]:
    """Node and edge statements of DOT text, from a left-to-right tokenisation (so a quoted
    id may hold anything, newlines included)."""
    tokens = re.findall(r'"(?:[^"\\]|\\.)*"|->|[\[\];{}=,]|[^\s"\[\];{}=,]+', dot)
    nodes, edges, depth = set(), set(), 0
    for i, tok in enumerate(tokens):
        if tok == "[":
            depth += 1
        elif tok == "]":
            depth -= 1
        elif depth == 0 and tok.startswith('"') and i + 1 < len(tokens):
            if tokens[i + 1] == "->":
                edges.add((_unquote(tok), _unquote(tokens[i + 2])))
            elif tokens[i - 1] not in ("->", "=") and tokens[i + 1] in ("[", ";"):
                nodes.add(_unquote(tok))
    return nodes, edges


def _unquote(quoted: str) -> str:
    return quoted[1:-1].replace('\\"', '"')


def dot_element_ids(dot: str) -> tuple[dict[str, str], dict[str, str]]:
    """``({node: its id attribute}, {cluster name: its id attribute})`` from DOT text: a
    node's ``id=`` inside its ``[...]``, a cluster's ``id=…;`` statement in its body."""
    tokens = re.findall(r'"(?:[^"\\]|\\.)*"|->|[\[\];{}=,]|[^\s"\[\];{}=,]+', dot)
    nodes: dict[str, str] = {}
    clusters: dict[str, str] = {}
    cluster_stack: list[str | None] = []
    owner: str | None = None
    depth = 0
    for i, tok in enumerate(tokens):
        if tok == "{":
            prev = tokens[i - 1] if i else ""
            cluster_stack.append(_unquote(prev) if tokens[i - 2 if i > 1 else 0] == "subgraph" else None)
        elif tok == "}":
            cluster_stack.pop()
        elif tok == "[":
            depth += 1
            before = tokens[i - 1]
            owner = _unquote(before) if before.startswith('"') and tokens[i - 2] != "->" else None
        elif tok == "]":
            depth -= 1
            owner = None
        elif tok == "id" and tokens[i + 1] == "=":
            value = _unquote(tokens[i + 2])
            if depth and owner is not None:
                nodes[owner] = value
            elif not depth and cluster_stack and cluster_stack[-1] is not None:
                clusters[cluster_stack[-1]] = value
    return nodes, clusters


def test_dot_of_a_stored_pipeline_has_exactly_its_nodes_and_edges(pipeline: Any) -> None:
    view = show(MODEL, store=pipeline)
    nodes, edges = dot_nodes_and_edges(view.dot)
    assert nodes == {RAW, CUSTOMERS, MODEL, CLEAN, TRAIN}
    assert edges == {(RAW, CLEAN), (CLEAN, CUSTOMERS), (CUSTOMERS, TRAIN), (TRAIN, MODEL)}
    assert set(view.table.nodes) == nodes and set(view.table.edges) == edges
    assert "rankdir=LR;" in view.dot
    lines = {n: next(line for line in view.dot.splitlines() if line.lstrip().startswith(dot_id(n))) for n in nodes}
    assert "shape=box," in lines[CLEAN] and "shape=box3d" in lines[MODEL] and "shape=note" in lines[RAW]
    assert "shape=cylinder" in lines[CUSTOMERS]
    assert "[MODEL]" in lines[MODEL] and "[PII]" in lines[RAW]  # a text marker, not colour only
    assert "[PII]" not in lines[CUSTOMERS] or "pii" in json.dumps(view.nodes[CUSTOMERS]["card"]).lower()
    assert "[FAILED]" in lines[TRAIN] and "penwidth=2" in lines[TRAIN]
    assert "peripheries=2" in lines[MODEL]  # the root


def test_every_node_has_an_element_id_from_its_node_id(pipeline: Any) -> None:
    view = show(CUSTOMERS, store=pipeline, columns=True)
    ids, clusters = dot_element_ids(view.dot)
    # ordinary Marquez ids are their own element ids
    assert ids == {n: n for n in (RAW, CUSTOMERS, MODEL, CLEAN, TRAIN)} and clusters == {}
    email_in, email_out = "datasetField:file:/data/raw.csv:email", "datasetField:postgres://db:5432:public.customers:email"
    id_in, id_out = "datasetField:file:/data/raw.csv:id", "datasetField:postgres://db:5432:public.customers:id"
    col_ids, col_clusters = dot_element_ids(view.columns.dot)
    assert col_ids == {n: n for n in (email_in, email_out, id_in, id_out)}
    # one cluster per dataset, its id the dataset's node id (a renderer opens that dataset's card)
    assert col_clusters == {"cluster_0": RAW, "cluster_1": CUSTOMERS}
    assert set(dot_nodes_and_edges(view.columns.dot)[0]) == set(col_ids)


def test_element_ids_of_hostile_names_are_escaped_and_reversible(hostile: Any) -> None:
    view = show(f"job:ns:{NASTY}", store=hostile, columns=True)
    ids, _ = dot_element_ids(view.dot)
    assert ids == {
        f"dataset:ns:{HOSTILE}": "dataset:ns:%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E",
        f"job:ns:{NASTY}": "job:ns:q%22uo%5Cte%20%26%20%3Cb%3E%0A%5CN",
        f"dataset:ns:{NASTY}": "dataset:ns:q%22uo%5Cte%20%26%20%3Cb%3E%0A%5CN",
    }
    col_ids, col_clusters = dot_element_ids(view.columns.dot)
    assert col_ids  # the hostile column and the column typed with a hostile name
    assert set(col_clusters.values()) == {element_id(f"dataset:ns:{HOSTILE}"), element_id(f"dataset:ns:{NASTY}")}
    for node, value in {**ids, **col_ids}.items():
        assert re.fullmatch(r"[A-Za-z0-9:/@\-._~%]+", value), value  # a valid HTML id, nothing to escape anywhere
        assert unquote(value) == node
    assert len(set(ids.values())) == len(ids)
    assert element_id("dataset:ns:100%") == "dataset:ns:100%25"  # '%' itself is encoded: decoding is exact
    assert element_id("dataset:ns:données") == "dataset:ns:donn%C3%A9es"


def test_direction_and_depth_limit_the_graph(pipeline: Any) -> None:
    up = show(CUSTOMERS, direction="up", store=pipeline)
    assert set(up.table.nodes) == {RAW, CLEAN, CUSTOMERS}
    down = show(CUSTOMERS, direction="down", store=pipeline)
    assert set(down.table.nodes) == {CUSTOMERS, TRAIN, MODEL}
    near = show(TRAIN, depth=0, store=pipeline)
    assert set(near.table.nodes) == {TRAIN, CUSTOMERS, MODEL}
    with pytest.raises(nbgov.NbgovError):
        show(TRAIN, direction="sideways", store=pipeline)
    with pytest.raises(nbgov.NodeNotFoundError):
        show("dataset:nowhere:x", store=pipeline)


def test_mimebundle_follows_the_contract(pipeline: Any) -> None:
    view = show(MODEL, store=pipeline, columns=True)
    bundle = view._repr_mimebundle_()
    assert set(bundle) == {MIME_TYPE, "text/plain", "text/html"}
    payload = bundle[MIME_TYPE]
    assert set(payload) == {"version", "title", "dot", "columns_dot", "nodes", "notice"}
    assert payload["version"] == 1 and payload["notice"] is None
    json.dumps(payload)  # JSON-serialisable as it stands
    assert set(payload["nodes"]) >= {RAW, CUSTOMERS, MODEL, CLEAN, TRAIN}
    for nid, entry in payload["nodes"].items():
        assert set(entry) == {"kind", "label", "card"}, nid
        assert entry["kind"] in {"DATASET", "JOB", "MODEL", "DATASET_FIELD"}
    kinds = {nid: e["kind"] for nid, e in payload["nodes"].items()}
    assert kinds[MODEL] == "MODEL" and kinds[TRAIN] == "JOB" and kinds[RAW] == "DATASET"
    card = payload["nodes"][CUSTOMERS]["card"]
    assert card["fields"] == [
        {"name": "id", "type": "INTEGER", "tags": [], "description": None},
        {"name": "email", "type": "VARCHAR", "tags": ["pii:EMAIL_ADDRESS"], "description": None,
         "tagOrigins": [("pii:EMAIL_ADDRESS from datasetField:file:/data/raw.csv:email via "
                        "datasetField:file:/data/raw.csv:email → datasetField:postgres://db:5432:public.customers:email")]},
    ]
    assert card["pii"] is True and card["piiColumns"] == ["email"]  # inherited through column lineage
    assert card["quality"] == {"rowCount": 42, "columns": {"email": {"nullCount": 3, "distinctCount": 39}}}
    assert len(card["versions"]) == 1 and card["latestRun"]["state"] == "COMPLETED"
    train = payload["nodes"][TRAIN]["card"]
    assert train["latestRun"]["state"] == "FAILED" and train["latestRun"]["error"] == "ValueError: boom"
    assert train["inputs"] == [CUSTOMERS] and train["outputs"] == [MODEL]
    # column level: clusters per dataset, edges input column -> derived column
    email_in, email_out = "datasetField:file:/data/raw.csv:email", "datasetField:postgres://db:5432:public.customers:email"
    assert dot_nodes_and_edges(payload["columns_dot"]) == (set(), set())  # the model has no column lineage …
    assert show(MODEL, store=pipeline).to_payload()["columns_dot"] is None  # … and None when not asked for
    col = show(CUSTOMERS, store=pipeline, columns=True)
    cnodes, cedges = dot_nodes_and_edges(col.to_payload()["columns_dot"])
    assert (email_in, email_out) in cedges and {email_in, email_out} <= cnodes
    assert "subgraph \"cluster_0\"" in col.to_payload()["columns_dot"]
    assert col.nodes[email_out]["kind"] == "DATASET_FIELD" and col.nodes[email_out]["card"]["inputs"] == [email_in]


def test_text_repr_is_stable_and_readable(pipeline: Any) -> None:
    view = show(MODEL, store=pipeline)
    again = show(MODEL, store=pipeline)
    assert view.to_text() == again.to_text() and repr(view) == repr(again)
    assert repr(view) == f"LineageView({MODEL!r}, nodes=5, edges=4)"
    text = view._repr_mimebundle_()["text/plain"]
    assert text.startswith(f"lineage of {MODEL} (depth 2)")
    assert f"[PII] {RAW}" in text and f"[MODEL] {MODEL}" in text and "[FAILED]" in text
    assert not re.search(r"0x[0-9a-f]{6,}|\d{4}-\d\d-\d\dT", text)


def test_html_without_graphviz_is_an_escaped_table(pipeline: Any, no_dot: None) -> None:
    html = show(MODEL, store=pipeline)._repr_html_()
    assert "<svg" not in html and "Graphviz is not installed" in html
    assert f"<code>{RAW}</code>" in html and "<th scope=\"col\">from</th>" in html


def test_html_uses_svg_from_a_dot_program_on_path(pipeline: Any, fake_dot: Any) -> None:
    html = show(MODEL, store=pipeline)._repr_html_()
    assert '<svg width="10pt">' in html and "<?xml" not in html


@pytest.mark.skipif(__import__("shutil").which("dot") is None, reason="no system Graphviz")
def test_system_graphviz_draws_every_node(pipeline: Any) -> None:  # pragma: no cover - depends on the machine
    html = show(MODEL, store=pipeline)._repr_html_()
    for nid in (RAW, CUSTOMERS, MODEL, CLEAN, TRAIN):
        assert f"<title>{nid}</title>" in html


def test_hostile_names_are_escaped_everywhere(hostile: Any, no_dot: None) -> None:
    view = show(f"job:ns:{NASTY}", store=hostile, columns=True)
    nodes, edges = dot_nodes_and_edges(view.dot)
    assert nodes == {f"dataset:ns:{HOSTILE}", f"job:ns:{NASTY}", f"dataset:ns:{NASTY}"}
    assert edges == {(f"dataset:ns:{HOSTILE}", f"job:ns:{NASTY}"), (f"job:ns:{NASTY}", f"dataset:ns:{NASTY}")}
    # outside DOT's quoted strings nothing of a name is left; no HTML-like label anywhere
    bare = QUOTED.sub("ID", view.dot)
    assert "img" not in bare and "onerror" not in bare and "<" not in bare.replace("->", "")
    html = view._repr_html_()
    assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    payload = view._repr_mimebundle_()[MIME_TYPE]
    assert set(payload["nodes"]) >= nodes  # the ids themselves are kept exactly, as data
    assert "\\N" not in dot_label("\\N").replace("\\\\N", "")  # \N stays literal, not the node name


def test_dot_quoting_round_trips_through_dot_lexing() -> None:
    for text in ['plain', 'a"b', 'back\\slash', 'x\\"y', HOSTILE, 'trailing\\', "new\nline", "node"]:
        quoted = dot_id(text)
        assert quoted.startswith('"') and quoted.endswith('"')
        body = quoted[1:-1]
        assert not re.search(r'(?<!\\)"', body)  # every inner quote is escaped: the string cannot end early
        lexed = re.sub(r'\\"', '"', body)  # DOT's lexer: only \" is an escape
        assert lexed == (text + " " if text.endswith("\\") else text)


def test_big_graph_collapses_by_namespace_with_a_notice(store: Any) -> None:
    # 250 jobs in 5 namespaces, each reading the hub and writing its own output: 501 nodes
    events = [run_event(f"j{i}", namespace=f"team{i % 5}", inputs=[{"namespace": "hub", "name": "src"}],
                        outputs=[{"namespace": f"team{i % 5}", "name": f"out{i}"}]) for i in range(250)]
    assert not store.add_events(events).rejected
    view = show("dataset:hub:src", depth=1, store=store)
    assert len(view.graph["graph"]) == 501
    notice = view.to_payload()["notice"]
    assert notice and "501 nodes is more than 200" in notice and "5 namespace node(s)" in notice
    assert view.table.nodes == ("dataset:hub:src",)  # the next ring (250 jobs) does not fit in half the budget
    assert set(view.table.groups) == {f"namespace:team{i}" for i in range(5)}
    assert all(g["count"] == 100 and g["jobs"] == 50 for g in view.table.groups.values())
    nodes, edges = dot_nodes_and_edges(view.dot)
    assert nodes == {"dataset:hub:src", *view.table.groups}
    assert edges == {("dataset:hub:src", f"namespace:team{i}") for i in range(5)}
    assert set(view.nodes) == {"dataset:hub:src"}  # groups have no card
    assert dot_element_ids(view.dot)[0] == {n: n for n in nodes}  # folded groups are addressable too
    assert "Notice: 501 nodes" in view.to_text() and "Collapsed:" in view.to_text()
    full = lineage_dot(view.graph, "dataset:hub:src", max_nodes=None)
    assert len(full.nodes) == 501 and full.notice is None


def test_a_parent_job_shows_its_childrens_lineage(store: Any) -> None:
    parent = {"parent": {"_producer": "x", "_schemaURL": "https://openlineage.io/spec/facets/1-1-0/ParentRunFacet.json",
                         "run": {"runId": "0190a5c1-7b2e-7c41-8a10-3f6f2b9d0001"},
                         "job": {"namespace": "notebook", "name": "nb.ipynb"}}}
    events = [run_event("nb.ipynb", "START", namespace="notebook", run_id="0190a5c1-7b2e-7c41-8a10-3f6f2b9d0001"),
              run_event("nb.ipynb/cell-1", namespace="notebook", inputs=[{"namespace": "file", "name": "/a.csv"}],
                        outputs=[{"namespace": "file", "name": "/b.csv"}], run_facets=parent)]
    assert not store.add_events(events).rejected
    view = show("job:notebook:nb.ipynb", store=store)
    assert set(view.table.nodes) == {"dataset:file:/a.csv", "job:notebook:nb.ipynb/cell-1", "dataset:file:/b.csv"}
    assert "1 child job(s)" in view.title


def test_show_opens_the_default_store(pipeline: Any, store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBGOV_STORE", store_url)
    assert isinstance(nbgov.show(MODEL), LineageView)
    assert nbgov.show is show
