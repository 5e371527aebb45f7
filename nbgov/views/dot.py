"""DOT text for lineage graphs, table level and column level.

Input: the Marquez-shaped graphs the store answers (``Store.lineage / upstream /
downstream / column_lineage``). Output: a :class:`DotGraph` — the DOT text plus the node
ids and edges it draws, and a notice when a large graph was collapsed.

The DOT node ids are the Marquez node ids (``dataset:NS:NAME``, ``job:NS:NAME``,
``datasetField:NS:NAME:FIELD``), always double-quoted, so a renderer can map an SVG
node's ``<title>`` back to the node. Labels are plain (never HTML-like) and escaped.

Why the text is assembled here rather than with ``graphviz.Digraph.node/edge``: the
package's ``quote``/``quote_edge`` read ``a:b:c`` as node ``a``, port ``b``, compass
``c`` (every Marquez id has colons) and pass ``<…>`` through as an HTML-like label
(a dataset named ``<img src=x onerror=…>`` would become markup); its per-call API is
also slower (see ``benchmarks/bench_views.py``). The package's :func:`graphviz.escape`
is used for labels, so backslash sequences in names (``\\N``, ``\\l``) stay literal.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import graphviz

from nbgov.errors import InvalidNodeIdError
from nbgov.governance import dataset_kind
from nbgov.model.nodes import NodeId

__all__ = [
    "DEFAULT_MAX_NODES",
    "DotGraph",
    "column_dot",
    "dot_id",
    "dot_label",
    "element_id",
    "graph_edges",
    "lineage_dot",
    "node_kind",
]

#: beyond this many nodes a graph is collapsed (see :func:`lineage_dot`)
DEFAULT_MAX_NODES = 200

#: the text marker shown next to PII-tagged datasets (colour is never the only carrier)
PII_MARK = "[PII]"
MODEL_MARK = "[MODEL]"


@dataclass(frozen=True)
class DotGraph:
    """A DOT digraph and what it draws.

    Attributes:
        dot: the DOT text.
        nodes: the ids of the nodes drawn individually (DOT names), sorted.
        edges: ``(origin, destination)`` DOT names, sorted.
        groups: collapsed nodes: DOT name -> ``{"namespace", "count", "datasets", "jobs"}``.
        notice: why and how the graph was collapsed, or None.
    """

    dot: str
    nodes: tuple[str, ...]
    edges: tuple[tuple[str, str], ...]
    groups: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    notice: str | None = None


# ------------------------------------------------------------------------ quoting
def dot_id(text: str) -> str:
    """``text`` as a quoted DOT id that Graphviz reads back as ``text``.

    DOT's lexer turns only ``\\"`` into ``"`` inside quoted strings and keeps any other
    backslash, so escaping each quote is enough; a trailing backslash cannot be
    represented (it would escape the closing quote) and gets a space after it.
    """
    text = str(text)
    if '"' not in text and "\r" not in text and not text.endswith("\\"):
        return f'"{text}"'
    text = text.replace("\r", "")
    if text.endswith("\\"):
        text += " "
    return '"' + text.replace('"', '\\"') + '"'


def dot_label(text: str) -> str:
    """``text`` as a quoted plain DOT label: backslashes literal, quotes escaped,
    line breaks as ``\\n`` (centred lines)."""
    body = graphviz.escape(str(text).replace("\r", "")).replace('"', '\\"').replace("\n", "\\n")
    if body.endswith("\\") and not body.endswith("\\n"):
        body += " "
    return f'"{body}"'


#: characters an element id keeps as they are: RFC 3986's unreserved ones plus ``:``, ``/``, ``@``
_ID_SAFE = ":/@-._~"


def element_id(node_id: str) -> str:
    """The ``id`` attribute of a node's (or a cluster's) SVG element: the node id
    percent-encoded (UTF-8), so ``urllib.parse.unquote`` / ``decodeURIComponent`` give the
    node id back.

    Ordinary Marquez ids (``dataset:file:/data/raw.csv``) come out unchanged; anything else
    (spaces, quotes, backslashes, ``<``, ``%``, non-ASCII) is encoded, so the id is a valid
    HTML id (no whitespace), needs no escaping in DOT, XML or CSS attribute selectors, and
    cannot meet Graphviz's backslash escapes (``\\N`` in an escString).
    """
    return quote(str(node_id), safe=_ID_SAFE)


# --------------------------------------------------------------------------- kinds
def node_kind(node: Mapping[str, Any]) -> str:
    """``JOB``, ``MODEL``, ``DATASET`` or ``DATASET_FIELD`` for a Marquez graph node."""
    ntype = node.get("type")
    if ntype in ("JOB", "DATASET_FIELD"):
        return str(ntype)
    return "MODEL" if dataset_shape(node) == "model" else "DATASET"


def dataset_shape(node: Mapping[str, Any]) -> str:
    """``table``, ``file``, ``model``, ``report`` or ``other`` (see
    :func:`nbgov.governance.dataset_kind`)."""
    data = node.get("data") or {}
    ns, name = _ns_name(node)
    return dataset_kind(ns, name, data.get("facets") or {})


def _ns_name(node: Mapping[str, Any]) -> tuple[str, str]:
    data = node.get("data") or {}
    ns, name = data.get("namespace"), data.get("name")
    if isinstance(ns, str) and isinstance(name, str):
        return ns, name
    try:
        parsed = NodeId.parse(str(node.get("id", "")))
    except InvalidNodeIdError:
        return "", str(node.get("id", ""))
    return parsed.namespace, parsed.name


def graph_edges(graph: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every ``(origin, destination)`` of a table-level graph, sorted, once each."""
    edges = set()
    for node in graph.get("graph", ()):
        for edge in (*node.get("inEdges", ()), *node.get("outEdges", ())):
            edges.add((edge["origin"], edge["destination"]))
    return sorted(edges)


def is_pii_tag(tag: str) -> bool:
    """A Marquez tag name (``key`` or ``key:value``) that marks personal data."""
    key, _, value = tag.partition(":")
    return key.lower() == "pii" or (key.lower() == "policy_tag" and value.upper().startswith("PII"))


def data_has_pii(data: Mapping[str, Any] | None) -> bool:
    """Whether a dataset's own tags (dataset or column level) mark personal data."""
    if not data:
        return False
    tags = list(data.get("tags") or ())
    for f in data.get("fields") or ():
        if isinstance(f, Mapping):
            tags += list(f.get("tags") or ())
    return any(isinstance(t, str) and is_pii_tag(t) for t in tags)


# ------------------------------------------------------------------------ labels
def _short(name: str, limit: int = 48) -> str:
    return name if len(name) <= limit else "…" + name[-(limit - 1):]


def node_label(node: Mapping[str, Any], *, pii: bool = False, kind: str | None = None) -> str:
    """A node's readable label: name, namespace, markers (state, ``[PII]``, ``[MODEL]``)."""
    data = node.get("data") or {}
    ns, name = _ns_name(node)
    lines = [_short(name or str(node.get("id", ""))), _short(ns, 40)]
    if node.get("type") == "JOB":
        state = (data.get("latestRun") or {}).get("state")
        if state:
            lines.append(f"[{state}]")
    else:
        marks = []
        if (kind or node_kind(node)) == "MODEL":
            marks.append(MODEL_MARK)
        if pii:
            marks.append(PII_MARK)
        if marks:
            lines.append(" ".join(marks))
    return "\n".join(lines)


_STATE_COLOURS = {"FAILED": "#b91c1c", "ABORTED": "#b45309", "RUNNING": "#1d4ed8", "COMPLETED": "#15803d"}


def _node_attrs(node: Mapping[str, Any], *, pii: bool, root: bool, shape: str) -> list[str]:
    """Shape and style; ``shape`` is the dataset's kind (``job`` for jobs)."""
    if shape == "job":
        state = ((node.get("data") or {}).get("latestRun") or {}).get("state")
        attrs = ["shape=box", 'style="rounded,filled"', 'fillcolor="#e0ecff"']
        if state in _STATE_COLOURS:
            attrs.append(f'color="{_STATE_COLOURS[state]}"')
        if state == "FAILED":
            attrs.append("penwidth=2")
    else:
        dot_shape = {"model": "box3d", "file": "note", "report": "tab"}.get(shape, "cylinder")
        attrs = [f"shape={dot_shape}", "style=filled", f'fillcolor="{"#efe4ff" if shape == "model" else "#f3f4f6"}"']
        if pii:
            attrs += ['color="#b91c1c"', "penwidth=2"]
    if root:
        attrs = [a for a in attrs if not a.startswith("fillcolor")] + ['fillcolor="#ffe9a8"', "peripheries=2"]
    return attrs


# ---------------------------------------------------------------------- collapse
def _distances(root: str, edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    around: dict[str, list[str]] = {}
    for a, b in edges:
        around.setdefault(a, []).append(b)
        around.setdefault(b, []).append(a)
    dist = {root: 0}
    queue = deque([root])
    while queue:
        here = queue.popleft()
        for nxt in around.get(here, ()):
            if nxt not in dist:
                dist[nxt] = dist[here] + 1
                queue.append(nxt)
    return dist


def _keep_nearest(ids: Sequence[str], root: str | None, edges: Sequence[tuple[str, str]], budget: int) -> set[str]:
    """The nodes within the largest distance from ``root`` that fit in ``budget``."""
    if root is None or root not in set(ids) or budget <= 0:
        return set()
    dist = _distances(root, edges)
    by_ring: dict[int, list[str]] = {}
    for nid, d in dist.items():
        by_ring.setdefault(d, []).append(nid)
    kept: set[str] = set()
    for d in sorted(by_ring):
        if len(kept) + len(by_ring[d]) > budget:
            break
        kept.update(by_ring[d])
    return kept or {root}


# ------------------------------------------------------------------------- graphs
def lineage_dot(
    graph: Mapping[str, Any],
    root: str | None = None,
    *,
    pii: Iterable[str] = (),
    max_nodes: int | None = DEFAULT_MAX_NODES,
    name: str = "lineage",
) -> DotGraph:
    """DOT for a table-level lineage graph, ranked left to right.

    Jobs are rounded boxes (with their latest run's state), datasets cylinders, files
    notes, models 3-D boxes marked ``[MODEL]``, PII-tagged datasets outlined and marked
    ``[PII]``; ``root`` is highlighted (double outline).

    Beyond ``max_nodes`` nodes the graph is collapsed: the nodes nearest ``root`` (whole
    rings of equal distance, as many as fit in half the budget) stay as they are and
    every other node is folded into one node per namespace showing its counts, with
    :attr:`DotGraph.notice` saying so.

    Args:
        graph: ``{"graph": [...]}`` as ``Store.lineage`` returns it.
        root: the node the view is centred on.
        pii: ids of datasets to mark as holding personal data (besides their own tags).
        max_nodes: collapse threshold; None never collapses.
        name: the digraph's name.
    """
    nodes = {n["id"]: n for n in graph.get("graph", ())}
    edges = graph_edges(graph)
    pii_ids = set(pii) | {nid for nid, n in nodes.items() if n.get("type") != "JOB" and data_has_pii(n.get("data"))}
    groups: dict[str, dict[str, Any]] = {}
    notice = None
    if max_nodes is not None and len(nodes) > max_nodes:
        kept = _keep_nearest(sorted(nodes), root, edges, max_nodes // 2)
        member: dict[str, str] = {}
        for nid in sorted(nodes):
            if nid in kept:
                continue
            ns, _ = _ns_name(nodes[nid])
            gid = f"namespace:{ns}"
            g = groups.setdefault(gid, {"namespace": ns, "count": 0, "datasets": 0, "jobs": 0})
            g["count"] += 1
            g["jobs" if nodes[nid].get("type") == "JOB" else "datasets"] += 1
            member[nid] = gid
        shown_edges = sorted({(member.get(a, a), member.get(b, b)) for a, b in edges
                              if member.get(a, a) != member.get(b, b)})
        folded = len(nodes) - len(kept)
        notice = (f"{len(nodes)} nodes is more than {max_nodes}: "
                  + (f"showing the {len(kept)} nearest {root} and " if kept else "")
                  + f"grouping {folded} other nodes into {len(groups)} namespace node(s). "
                  "Ask for a smaller depth or a narrower node to see them one by one.")
        drawn = sorted(kept)
    else:
        shown_edges = edges
        drawn = sorted(nodes)
    out = [f"digraph {dot_id(name)} {{",
           "  rankdir=LR;",
           '  graph [fontname="Helvetica", fontsize=10];',
           '  node [fontname="Helvetica", fontsize=10];',
           '  edge [color="#6b7280", arrowsize=0.7];']
    for nid in drawn:
        node = nodes[nid]
        is_pii = nid in pii_ids
        shape = "job" if node.get("type") == "JOB" else dataset_shape(node)
        kind = "JOB" if shape == "job" else "MODEL" if shape == "model" else "DATASET"
        attrs = [f"id={dot_id(element_id(nid))}", f"label={dot_label(node_label(node, pii=is_pii, kind=kind))}",
                 *_node_attrs(node, pii=is_pii, root=nid == root, shape=shape)]
        out.append(f"  {dot_id(nid)} [{', '.join(attrs)}];")
    for gid, g in sorted(groups.items()):
        parts = [f"{g['datasets']} datasets" if g["datasets"] else "", f"{g['jobs']} jobs" if g["jobs"] else ""]
        label = f"{_short(g['namespace'], 40)}\n[{g['count']} nodes collapsed]\n" + ", ".join(p for p in parts if p)
        out.append(f'  {dot_id(gid)} [id={dot_id(element_id(gid))}, label={dot_label(label)}, shape=folder, style="filled,dashed", '
                   'fillcolor="#fafafa"];')
    for a, b in shown_edges:
        out.append(f"  {dot_id(a)} -> {dot_id(b)};")
    out.append("}")
    return DotGraph(dot="\n".join(out) + "\n", nodes=tuple(drawn), edges=tuple(shown_edges), groups=groups,
                    notice=notice)


def column_dot(graph: Mapping[str, Any], *, max_nodes: int | None = DEFAULT_MAX_NODES,
               highlight: str | None = None, name: str = "column_lineage") -> DotGraph:
    """DOT for a column-level graph: one cluster per dataset, edges from input column to
    the column derived from it, labelled with the transformation.

    Beyond ``max_nodes`` columns only the first ``max_nodes`` (by id, ``highlight``'s
    dataset first) are drawn, with a notice.

    Args:
        graph: ``{"graph": [...]}`` as ``Store.column_lineage`` returns it.
        max_nodes: collapse threshold; None never collapses.
        highlight: a ``datasetField:`` id to highlight.
        name: the digraph's name.
    """
    nodes = {n["id"]: n for n in graph.get("graph", ())}
    ids = sorted(nodes)
    notice = None
    if max_nodes is not None and len(ids) > max_nodes:
        ids = ids[:max_nodes]
        notice = (f"{len(nodes)} columns is more than {max_nodes}: showing the first {max_nodes} by id. "
                  "Ask for a smaller depth to see the rest.")
    shown = set(ids)
    how: dict[tuple[str, str], str] = {}
    for nid in ids:
        data = nodes[nid].get("data") or {}
        for item in data.get("inputFields") or ():
            src = f"datasetField:{item.get('namespace')}:{item.get('dataset')}:{item.get('field')}"
            how[(src, nid)] = str(item.get("transformationType") or "")
    for nid in ids:
        for edge in nodes[nid].get("inEdges", ()):  # origin = the column, destination = its input
            how.setdefault((edge["destination"], edge["origin"]), "")
    edges = sorted((a, b) for a, b in how if a in shown and b in shown)
    by_dataset: dict[tuple[str, str], list[str]] = {}
    for nid in ids:
        data = nodes[nid].get("data") or {}
        by_dataset.setdefault((str(data.get("namespace", "")), str(data.get("dataset", ""))), []).append(nid)
    out = [f"digraph {dot_id(name)} {{", "  rankdir=LR;", '  graph [fontname="Helvetica", fontsize=10];',
           '  node [fontname="Helvetica", fontsize=10, shape=box, style="rounded"];',
           '  edge [color="#6b7280", arrowsize=0.7, fontname="Helvetica", fontsize=8];']
    for i, ((ns, ds), members) in enumerate(sorted(by_dataset.items())):
        out.append(f"  subgraph {dot_id(f'cluster_{i}')} {{")
        out.append(f"    id={dot_id(element_id(str(NodeId.dataset(ns, ds))))};")
        out.append(f"    label={dot_label(f'{_short(ds)}  ({_short(ns, 40)})')};")
        out.append('    style="rounded,filled"; fillcolor="#f9fafb"; color="#9ca3af";')
        for nid in members:
            data = nodes[nid].get("data") or {}
            label = str(data.get("field", nid))
            if data.get("fieldType"):
                label += f"\n{data['fieldType']}"
            extra = ', style="rounded,filled", fillcolor="#ffe9a8", peripheries=2' if nid == highlight else ""
            out.append(f"    {dot_id(nid)} [id={dot_id(element_id(nid))}, label={dot_label(label)}{extra}];")
        out.append("  }")
    for a, b in edges:
        label = how.get((a, b))
        out.append(f"  {dot_id(a)} -> {dot_id(b)}" + (f" [label={dot_label(label)}]" if label else "") + ";")
    out.append("}")
    return DotGraph(dot="\n".join(out) + "\n", nodes=tuple(ids), edges=tuple(edges), notice=notice)
