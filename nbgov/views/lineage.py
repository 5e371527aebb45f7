"""The lineage graph view: :func:`show` and the :class:`LineageView` it returns.

A view renders everywhere: its ``_repr_mimebundle_`` carries nbgov's own MIME type
(:data:`MIME_TYPE`, drawn by the JupyterLab extension in ``labextension/`` from a saved,
untrusted notebook, no kernel needed), ``text/plain`` (a tree, stable for nbval: no
addresses, no times) and ``text/html`` (SVG when a system ``dot`` is installed, else an
escaped table of nodes and edges).

The payload (``version`` 1)::

    {"version": 1, "title": str, "dot": str, "columns_dot": str | None,
     "nodes": {DOT node id: {"kind": "DATASET"|"JOB"|"MODEL"|"DATASET_FIELD",
                             "label": str, "card": {...}}},
     "notice": str | None,
     "level": "column"}            # only when the column level is to be shown first

DOT node ids are Marquez node ids, so a renderer maps an SVG node's ``<title>`` back to
``nodes``. Nodes folded into a namespace group by a collapse have no entry.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from nbgov import render
from nbgov.errors import NbgovError
from nbgov.model.nodes import NodeId, NodeType
from nbgov.views import cards as _cards
from nbgov.views.dot import DEFAULT_MAX_NODES, DotGraph, column_dot, lineage_dot, node_kind, node_label
from nbgov.views.html import CSS, esc, graph_table, svg_from_dot

if TYPE_CHECKING:
    from nbgov.store import Store

__all__ = ["MIME_TYPE", "PAYLOAD_VERSION", "LineageView", "lineage_graph", "show"]

MIME_TYPE = "application/vnd.nbgov.lineage+json"
PAYLOAD_VERSION = 1
DIRECTIONS = ("both", "up", "down")
#: datasets whose column lineage a job-centred ``columns=True`` view reads
MAX_COLUMN_DATASETS = 50


@contextlib.contextmanager
def _opened(store: Store | None) -> Iterator[Store]:
    if store is not None:
        yield store
        return
    from nbgov.store import open_store

    opened = open_store(None)
    try:
        yield opened
    finally:
        opened.close()


def _merge(graphs: list[Mapping[str, Any]]) -> dict[str, Any]:
    """One Marquez graph holding every node and edge of ``graphs``."""
    nodes: dict[str, dict[str, Any]] = {}
    edges: set[tuple[str, str]] = set()
    for g in graphs:
        for n in g.get("graph", ()):
            nodes.setdefault(n["id"], {"id": n["id"], "type": n["type"], "data": n.get("data")})
            for e in (*n.get("inEdges", ()), *n.get("outEdges", ())):
                edges.add((e["origin"], e["destination"]))
    for n in nodes.values():
        n["inEdges"] = [{"origin": a, "destination": b} for a, b in sorted(edges) if b == n["id"]]
        n["outEdges"] = [{"origin": a, "destination": b} for a, b in sorted(edges) if a == n["id"]]
    return {"graph": [nodes[k] for k in sorted(nodes)]}


def lineage_graph(store: Store, node_id: str | NodeId, *, depth: int = 2,
                  direction: str = "both") -> tuple[dict[str, Any], str, str]:
    """The graph a view shows: ``(graph, root id, title)``.

    A job that read and wrote nothing itself but has child jobs (a notebook, whose cells
    are its children) stands for the union of its children's lineage.

    Raises:
        NodeNotFoundError, InvalidNodeIdError: the node is unknown or malformed.
        NbgovError: ``direction`` is not up, down or both.
    """
    if direction not in DIRECTIONS:
        raise NbgovError(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
    _, parsed = store.resolve(node_id)
    query = {"both": store.lineage, "up": store.upstream, "down": store.downstream}[direction]
    root = str(parsed.dataset_node) if parsed.type is NodeType.DATASET_FIELD else str(parsed)
    graph = query(root, depth)
    label = {"both": "lineage", "up": "upstream", "down": "downstream"}[direction]
    title = f"{label} of {root} (depth {depth})"
    if parsed.type is NodeType.JOB and len(graph.get("graph", ())) <= 1:
        children = [j for j in store.jobs(parsed.namespace) if j.get("parentJobName") == parsed.name]
        if children:
            graph = _merge([query(str(NodeId.job(j["namespace"], j["name"])), depth) for j in children])
            title = f"{label} of {root}: {len(children)} child job(s) (depth {depth})"
    return graph, root, title


def _column_graph(store: Store, graph: Mapping[str, Any], root: str, node_id: str, depth: int,
                  direction: str, drawn: tuple[str, ...]) -> dict[str, Any]:
    _, parsed = store.resolve(node_id)
    if parsed.type is not NodeType.JOB:
        return store.column_lineage(parsed, depth, with_downstream=direction != "up")
    datasets = [n for n in drawn if n.startswith("dataset:")][:MAX_COLUMN_DATASETS]
    return _merge([store.column_lineage(d, 1) for d in datasets])


def _field_card(node: Mapping[str, Any]) -> dict[str, Any]:
    data = node.get("data") or {}
    return {
        "id": node["id"],
        "namespace": data.get("namespace"),
        "dataset": str(NodeId.dataset(str(data.get("namespace", "")), str(data.get("dataset", "")))),
        "field": data.get("field"),
        "type": data.get("fieldType"),
        "transformation": data.get("transformationType"),
        "description": data.get("transformationDescription"),
        "inputs": [f"datasetField:{i.get('namespace')}:{i.get('dataset')}:{i.get('field')}"
                   for i in data.get("inputFields") or ()],
    }


class LineageView:
    """A lineage graph for display (see the module docs for the MIME payload).

    Build it with :func:`show`. Attributes are plain data: ``root``, ``title``,
    ``graph`` (Marquez shape), ``table`` (:class:`~nbgov.views.dot.DotGraph`),
    ``columns`` (the column-level one or None), ``nodes`` (the payload's node map),
    ``level`` (``table`` or ``column``: the level a renderer shows first).
    """

    def __init__(self, *, root: str, title: str, graph: Mapping[str, Any], table: DotGraph,
                 columns: DotGraph | None, nodes: Mapping[str, Mapping[str, Any]], level: str = "table") -> None:
        self.root = root
        self.level = "column" if level == "column" and columns is not None else "table"
        self.title = title
        self.graph = graph
        self.table = table
        self.columns = columns
        self.nodes = dict(nodes)
        self._html: str | None = None

    @property
    def notice(self) -> str | None:
        notes = [n for n in (self.table.notice, self.columns.notice if self.columns else None) if n]
        return " ".join(notes) or None

    @property
    def dot(self) -> str:
        return self.table.dot

    def to_payload(self) -> dict[str, Any]:
        """The ``application/vnd.nbgov.lineage+json`` data."""
        payload = {
            "version": PAYLOAD_VERSION,
            "title": self.title,
            "dot": self.table.dot,
            "columns_dot": self.columns.dot if self.columns else None,
            "nodes": self.nodes,
            "notice": self.notice,
        }
        if self.level == "column":
            payload["level"] = "column"
        return payload

    def __repr__(self) -> str:
        cols = f", columns={len(self.columns.nodes)}" if self.columns else ""
        return f"LineageView({self.root!r}, nodes={len(self.table.nodes)}, edges={len(self.table.edges)}{cols})"

    # ------------------------------------------------------------ renderings
    def to_text(self) -> str:
        """The ``text/plain`` rendering: title, notice, the up/down trees, markers."""
        lines = [self.title]
        if self.notice:
            lines.append(f"Notice: {self.notice}")
        lines.append("")
        if self.table.groups:
            lines.append("Shown one by one:")
            lines += [f"  {n}" for n in self.table.nodes]
            lines.append("Collapsed:")
            lines += [f"  {g['namespace']}: {g['count']} nodes ({g['datasets']} datasets, {g['jobs']} jobs)"
                      for _, g in sorted(self.table.groups.items())]
        else:
            lines.append(render.lineage_text(self.graph, self.root))
        marked = [(nid, e) for nid, e in sorted(self.nodes.items())
                  if e["kind"] == "MODEL" or (e.get("card") or {}).get("pii")]
        if marked:
            lines += ["", "Marked:"]
            for nid, e in marked:
                marks = (["MODEL"] if e["kind"] == "MODEL" else []) + (["PII"] if e["card"].get("pii") else [])
                lines.append(f"  [{', '.join(marks)}] {nid}")
        if self.columns is not None:
            lines += ["", f"Column level: {len(self.columns.nodes)} columns, {len(self.columns.edges)} edges"]
            lines += [f"  {a} -> {b}" for a, b in self.columns.edges]
        return "\n".join(lines)

    def _drawing(self, dot: DotGraph, kinds: Mapping[str, str]) -> str:
        svg = svg_from_dot(dot.dot)
        if svg is not None:
            return f'<div class="nbgov-graph">{svg}</div>'
        labels = {nid: str(e.get("label", "")) for nid, e in self.nodes.items()}
        rows = [(nid, kinds.get(nid, "DATASET_FIELD"), labels.get(nid, nid)) for nid in dot.nodes]
        rows += [(gid, "GROUP", f"{g['namespace']}: {g['count']} nodes") for gid, g in sorted(dot.groups.items())]
        return ('<p class="nbgov-muted">Graphviz is not installed here: the graph as tables '
                "(JupyterLab with nbgov's extension draws it).</p>" + graph_table(rows, list(dot.edges)))

    def _repr_html_(self) -> str:
        if self._html is None:
            kinds = {nid: str(e["kind"]) for nid, e in self.nodes.items()}
            parts = [f'<div class="nbgov-view nbgov-lineage"><style>{CSS}</style>',
                     f"<p><b>{esc(self.title)}</b></p>"]
            if self.notice:
                parts.append(f'<p class="nbgov-notice" role="note">{esc(self.notice)}</p>')
            parts.append(self._drawing(self.table, kinds))
            parts.append('<p class="nbgov-muted">Boxes are jobs (with their last run\'s state), cylinders tables, '
                         "notes files; [MODEL] marks models, [PII] datasets with personal data.</p>")
            if self.columns is not None:
                parts.append("<p><b>Column level</b></p>")
                parts.append(self._drawing(self.columns, kinds))
            parts.append("</div>")
            self._html = "".join(parts)
        return self._html

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {MIME_TYPE: self.to_payload(), "text/plain": self.to_text(), "text/html": self._repr_html_()}


def build_view(store: Store, node_id: str | NodeId, *, depth: int = 2, direction: str = "both",
               columns: bool = False, max_nodes: int | None = DEFAULT_MAX_NODES,
               cards: bool = True, level: str = "table") -> LineageView:
    """:func:`show` on an open store; ``level="column"`` (with ``columns``) asks a renderer
    to show the column level first."""
    graph, root, title = lineage_graph(store, node_id, depth=depth, direction=direction)
    by_id = {n["id"]: n for n in graph.get("graph", ())}
    first = lineage_dot(graph, root, max_nodes=max_nodes)
    entries: dict[str, dict[str, Any]] = {}
    for nid in first.nodes:
        node = by_id[nid]
        if cards:
            card = _cards.card_for(store, node)
        elif node.get("type") == "JOB":
            card = _cards.job_card(node.get("data") or {})
        else:
            card = _cards.dataset_card(node.get("data") or {})
        entries[nid] = {"kind": node_kind(node), "label": node_label(node, pii=bool(card.get("pii"))), "card": card}
    pii = [nid for nid, e in entries.items() if e["card"].get("pii")]
    table = lineage_dot(graph, root, pii=pii, max_nodes=max_nodes)
    col_dot = None
    if columns:
        col_graph = _column_graph(store, graph, root, node_id, depth, direction, table.nodes)
        field = str(node_id) if str(node_id).startswith("datasetField:") else None
        col_dot = column_dot(col_graph, max_nodes=max_nodes, highlight=field)
        col_nodes = {n["id"]: n for n in col_graph.get("graph", ())}
        for nid in col_dot.nodes:
            card = _field_card(col_nodes[nid])
            entries[nid] = {"kind": "DATASET_FIELD", "label": f"{card['field']} ({card['dataset']})", "card": card}
    return LineageView(root=root, title=title, graph=graph, table=table, columns=col_dot, nodes=entries,
                       level=level)


def show(
    node_id: str | NodeId,
    *,
    depth: int = 2,
    direction: str = "both",
    columns: bool = False,
    store: Store | None = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
) -> LineageView:
    """The lineage graph around a node, for display in a notebook.

    Args:
        node_id: ``dataset:NS:NAME``, ``job:NS:NAME`` or ``datasetField:NS:NAME:FIELD``.
            A job whose children did the work (a notebook) shows its children's lineage.
        depth: job hops to follow (as ``Store.lineage``).
        direction: ``both``, ``up`` (what it was derived from) or ``down`` (what was derived from it).
        columns: also draw column-level lineage.
        store: an open store; by default ``$NBGOV_STORE`` (else ``.nbgov/lineage.db``),
            opened and closed here.
        max_nodes: beyond this many nodes the graph is collapsed with a notice; None never.

    Returns:
        A :class:`LineageView` holding everything it renders (no store access at display).

    Raises:
        NodeNotFoundError: the node is not in the store.
        InvalidNodeIdError: the id is malformed.
        NbgovError: a bad ``direction``.
    """
    with _opened(store) as opened:
        return build_view(opened, node_id, depth=depth, direction=direction, columns=columns,
                          max_nodes=max_nodes)
