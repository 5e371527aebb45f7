"""``nbgov report``: one self-contained HTML file a colleague can open offline.

The page holds the lineage graph(s), every dataset with its schema, quality metrics,
tags/PII, versions, schema alerts, drift and PII evidence where stored, and every job
with its runs and their states. Nothing is fetched: styles are inline, and the graph is
drawn, in this order of preference, by

1. ``engine`` (the default): the WebAssembly Graphviz of ``@viz-js/viz`` (its UMD build,
   defining the global ``Viz``), inlined in ``<script id="nbgov-viz-engine">``; nbgov
   takes the path given, else ``$NBGOV_VIZ_JS``, else
   ``nbgov/views/static/viz-standalone.js``, which the JupyterLab extension's build
   (``build:prod``, run by ``pip install``) copies there and every wheel ships;
2. ``svg``: SVG from a system Graphviz ``dot``, inlined;
3. ``dot``: the DOT text and a table of nodes and edges.

The page says which one it used. Every name is escaped; the DOT is placed as escaped
text that the inline script reads with ``textContent``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbgov import __version__
from nbgov.errors import NbgovError
from nbgov.governance import schema_changes
from nbgov.governance.tags import PII_FACET
from nbgov.model.nodes import NodeId
from nbgov.views import cards as _cards
from nbgov.views.dot import DEFAULT_MAX_NODES, DotGraph, lineage_dot, node_kind, node_label
from nbgov.views.governance import DriftView
from nbgov.views.html import CSS, badge, esc, graph_table, svg_from_dot, table
from nbgov.views.lineage import lineage_graph

if TYPE_CHECKING:
    from nbgov.store import Store

__all__ = ["ENGINE_FILE", "ENGINE_SCRIPT_ID", "HtmlReport", "build_report", "default_engine", "inline_script"]

#: where the WebAssembly Graphviz bundle is expected (copied from @viz-js/viz's lib/viz-standalone.js)
ENGINE_FILE = Path(__file__).resolve().parent / "static" / "viz-standalone.js"
#: environment variable naming another engine file
ENGINE_ENV = "NBGOV_VIZ_JS"
#: the ``id`` of the ``<script>`` element holding the inlined engine
ENGINE_SCRIPT_ID = "nbgov-viz-engine"
#: runs listed per job
MAX_RUNS = 20

DRAWINGS = {
    "engine": "The graphs are drawn in your browser by the bundled WebAssembly Graphviz (no network needed); "
              "the DOT text and tables below are the fallback when scripts are off.",
    "svg": "The graphs were drawn by the Graphviz `dot` installed where the report was made.",
    "dot": "No Graphviz was available when the report was made: the graphs are shown as DOT text "
           "(paste it into any Graphviz viewer) and as tables of nodes and edges.",
}

_PAGE_CSS = (
    "body{margin:2rem;max-width:80rem}h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;"
    "border-bottom:1px solid #ddd}h3{font-size:1rem;margin:1.2rem 0 .3rem}pre{background:#f5f5f7;padding:.8rem;"
    "overflow:auto;white-space:pre-wrap}.nbgov-graph g.node{cursor:pointer}.nbgov-graph g.node:focus{outline:3px "
    "solid #2563eb}section.nbgov-card:target{background:#fffbeb}.nbgov-card-head{font-size:1.05rem;margin-top:1.4rem}"
    ".nbgov-card-head p{font-size:.9rem}"
)

_SCRIPT = """
(function () {
  var blocks = document.querySelectorAll("pre.nbgov-dot");
  if (!blocks.length || typeof Viz === "undefined") { return; }
  Viz.instance().then(function (viz) {
    blocks.forEach(function (pre) {
      var svg;
      try { svg = viz.renderSVGElement(pre.textContent); } catch (e) { return; }
      var holder = document.createElement("div");
      holder.className = "nbgov-graph";
      holder.appendChild(svg);
      pre.parentNode.insertBefore(holder, pre);
      pre.hidden = true;
      var fallback = pre.parentNode.querySelector(".nbgov-fallback");
      if (fallback) { fallback.hidden = true; }
      svg.querySelectorAll("g.node").forEach(function (g) {
        var title = g.querySelector("title");
        var target = title && document.querySelector('[data-node-title="' + CSS.escape(title.textContent) + '"]');
        if (!target) { return; }
        g.setAttribute("data-node-id", title.textContent);
        g.setAttribute("tabindex", "0");
        g.setAttribute("role", "link");
        g.setAttribute("aria-label", title.textContent);
        var go = function () { location.hash = target.id; target.focus(); };
        g.addEventListener("click", go);
        g.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); go(); } });
      });
    });
    document.documentElement.setAttribute("data-nbgov-drawn", "engine");
  });
})();
"""


@dataclass(frozen=True)
class HtmlReport:
    """A built report: the page, how its graphs are drawn (``engine``, ``svg`` or ``dot``)
    and the node ids it describes."""

    html: str
    drawing: str
    nodes: tuple[str, ...]

    def write(self, path: str | os.PathLike[str]) -> Path:
        """Write the page (UTF-8), creating parent folders; returns the path."""
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(self.html, encoding="utf-8")
        return out

    def __repr__(self) -> str:
        return f"HtmlReport({len(self.html)} characters, drawing={self.drawing!r}, nodes={len(self.nodes)})"


def default_engine() -> Path | None:
    """The WebAssembly Graphviz bundle to inline: ``$NBGOV_VIZ_JS``, else the packaged one."""
    env = os.environ.get(ENGINE_ENV, "").strip()
    for candidate in ([Path(env)] if env else []) + [ENGINE_FILE]:
        if candidate.is_file():
            return candidate
    return None


def _anchor(node_id: str) -> str:
    return "n-" + hashlib.sha1(node_id.encode("utf-8")).hexdigest()[:12]


def _store_graph(store: Store) -> dict[str, Any]:
    """Every job and dataset of the store as one Marquez-shaped graph (no extra queries per job)."""
    nodes: dict[str, dict[str, Any]] = {}
    edges: set[tuple[str, str]] = set()
    for d in store.datasets():
        nid = str(NodeId.dataset(d["namespace"], d["name"]))
        nodes[nid] = {"id": nid, "type": "DATASET", "data": d}
    for j in store.jobs():
        jid = str(NodeId.job(j["namespace"], j["name"]))
        nodes[jid] = {"id": jid, "type": "JOB", "data": j}
        for i in j.get("inputs") or ():
            edges.add((str(NodeId.dataset(i["namespace"], i["name"])), jid))
        for o in j.get("outputs") or ():
            edges.add((jid, str(NodeId.dataset(o["namespace"], o["name"]))))
    edges = {(a, b) for a, b in edges if a in nodes and b in nodes}
    for nid, n in nodes.items():
        n["inEdges"] = [{"origin": a, "destination": b} for a, b in sorted(edges) if b == nid]
        n["outEdges"] = [{"origin": a, "destination": b} for a, b in sorted(edges) if a == nid]
    return {"graph": [nodes[k] for k in sorted(nodes)]}


def _drawing_html(dot: DotGraph, graph: Mapping[str, Any], mode: str, pii: set[str]) -> str:
    by_id = {n["id"]: n for n in graph.get("graph", ())}
    rows = [(nid, node_kind(by_id[nid]), node_label(by_id[nid], pii=nid in pii)) for nid in dot.nodes]
    rows += [(gid, "GROUP", f"{g['namespace']}: {g['count']} nodes") for gid, g in sorted(dot.groups.items())]
    tables = graph_table(rows, list(dot.edges))
    if mode == "svg":
        svg = svg_from_dot(dot.dot)
        if svg is not None:
            return f'<div class="nbgov-graph">{svg}</div><details><summary>nodes and edges</summary>{tables}</details>'
    text = f'<pre class="nbgov-dot">{esc(dot.dot)}</pre>'
    if mode == "engine":
        return f'{text}<div class="nbgov-fallback">{tables}</div>'
    return text + tables


def _dataset_section(store: Store, node: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    card = _cards.card_for(store, node)
    view = _cards.DatasetCard(card)
    nid = card["id"]
    parts = [f'<section class="nbgov-card" id="{_anchor(nid)}" tabindex="-1" data-node-title="{esc(nid)}">',
             view._head_html(), view._body_html()]
    ns, name = card["namespace"], card["name"]
    try:
        alerts = schema_changes(store, ns, name)
    except NbgovError:
        alerts = []
    if alerts:
        parts.append(table(["severity", "alert", "column", "from", "to", "version", "run"], (
            [badge(a.severity), esc(a.type), f"<code>{esc(a.column)}</code>", esc(a.from_type), esc(a.to_type),
             f"<code>{esc(a.to_version)}</code>", f"<code>{esc(a.run_id)}</code>"] for a in alerts),
            caption=f"schema alerts ({len(alerts)})"))
    try:
        drift = DriftView.from_store(store, nid)  # the stored profiles also give the histograms
        drift.title = f"Drift between the last two profiled versions of {nid}"
    except NbgovError:
        drift = None
    if drift is not None:
        parts.append(drift._body())
    evidence = ((node.get("data") or {}).get("facets") or {}).get(PII_FACET) or {}
    findings = evidence.get("findings") if isinstance(evidence, Mapping) else None
    if findings:
        parts.append(table(["column", "info type", "policy tag", "likelihood", "match ratio", "masked example"], (
            [f"<code>{esc(f.get('field'))}</code>", esc(f.get("infoType")), esc(f.get("policyTag")),
             badge(f.get("likelihood")), esc(f"{f['matchRatio']:.1%}" if isinstance(f.get("matchRatio"), float)
                                              else f.get("matchRatio")),
             f"<code>{esc(f.get('example'))}</code>"] for f in findings if isinstance(f, Mapping)),
            caption="PII scan evidence"))
    parts.append("</section>")
    summary = {"alerts": len(alerts), "drift": drift.report.severity if drift is not None else None}
    return "".join(parts), {**card, **summary}


def _job_section(store: Store, node: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    data = node.get("data") or {}
    runs = store.runs(str(data.get("namespace", "")), str(data.get("name", "")), limit=MAX_RUNS)
    card = _cards.job_card(data, runs=runs)
    view = _cards.JobCard(card)
    nid = card["id"]
    return (f'<section class="nbgov-card" id="{_anchor(nid)}" tabindex="-1" data-node-title="{esc(nid)}">'
            f"{view._head_html()}{view._body_html()}</section>"), card


def build_report(
    store: Store,
    node_ids: Sequence[str | NodeId] = (),
    *,
    title: str | None = None,
    depth: int = 2,
    engine: str | os.PathLike[str] | bool | None = None,
    max_nodes: int | None = DEFAULT_MAX_NODES,
    store_label: str | None = None,
) -> HtmlReport:
    """Build the self-contained HTML report.

    Args:
        store: an open store.
        node_ids: the nodes whose lineage is drawn (one graph each, ``depth`` job hops);
            none: the whole store in one graph.
        title: the page title.
        depth: job hops around each node.
        engine: the ``viz-standalone.js`` file to inline; None looks for
            :func:`default_engine`; False never inlines one.
        max_nodes: collapse threshold of each graph.
        store_label: the (redacted) store location printed in the footer.

    Raises:
        NodeNotFoundError, InvalidNodeIdError: a node is unknown or malformed.
    """
    engine_path = default_engine() if engine is None or engine is True else (Path(engine) if engine else None)
    script = engine_path.read_text(encoding="utf-8") if engine_path is not None else None
    if script is not None:
        mode = "engine"
    elif svg_from_dot("digraph { a }", timeout=5) is not None:
        mode = "svg"
    else:
        mode = "dot"
    graphs: list[tuple[str, dict[str, Any], str | None]] = []
    if node_ids:
        for node in node_ids:
            graph, root, gtitle = lineage_graph(store, node, depth=depth)
            graphs.append((gtitle, graph, root))
    else:
        graphs.append(("every job and dataset in the store", _store_graph(store), None))

    all_nodes: dict[str, Mapping[str, Any]] = {}
    for _, graph, _ in graphs:
        for n in graph.get("graph", ()):
            all_nodes.setdefault(n["id"], n)
    dataset_html, job_html = [], []
    cards: dict[str, dict[str, Any]] = {}
    for nid in sorted(all_nodes):
        node = all_nodes[nid]
        section, card = (_job_section if node.get("type") == "JOB" else _dataset_section)(store, node)
        (job_html if node.get("type") == "JOB" else dataset_html).append(section)
        cards[nid] = card
    pii = {nid for nid, c in cards.items() if c.get("pii")}

    page_title = title or "nbgov lineage report"
    failed = sum(1 for nid, c in cards.items()
                 if nid.startswith("job:") and (c.get("latestRun") or {}).get("state") == "FAILED")
    alerts = sum(int(c.get("alerts") or 0) for c in cards.values())
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(page_title)}</title><style>{CSS}{_PAGE_CSS}</style></head>",
        f'<body class="nbgov-view" data-nbgov-drawing="{mode}">',
        f"<h1>{esc(page_title)}</h1>",
        (f"<p>{len(dataset_html)} datasets ({len(pii)} with personal data), {len(job_html)} jobs "
        f"({failed} whose last run failed), {alerts} schema alert(s).</p>"),
        f'<p class="nbgov-muted" id="nbgov-drawing">{esc(DRAWINGS[mode])}</p>',
        "<h2>Lineage</h2>",
    ]
    for gtitle, graph, root in graphs:
        dot = lineage_dot(graph, root, pii=pii, max_nodes=max_nodes)
        parts.append(f"<h3>{esc(gtitle)}</h3>")
        if dot.notice:
            parts.append(f'<p class="nbgov-notice" role="note">{esc(dot.notice)}</p>')
        parts.append(f"<div>{_drawing_html(dot, graph, mode, pii)}</div>")
    parts.append('<p class="nbgov-muted">Boxes are jobs (with their last run\'s state), cylinders tables, notes '
                 "files; [MODEL] marks models, [PII] datasets with personal data.</p>")
    parts += ["<h2>Datasets</h2>", *dataset_html, "<h2>Jobs and runs</h2>", *job_html]
    made = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    footer = f"made by nbgov {esc(__version__)} on {esc(made)}"
    if store_label:
        footer += f" from <code>{esc(store_label)}</code>"
    parts.append(f'<p class="nbgov-muted"><small>{footer}</small></p>')
    if script is not None:
        parts.append(f'<script id="{ENGINE_SCRIPT_ID}">{inline_script(script)}</script>')
        parts.append(f'<script id="nbgov-draw">{_SCRIPT}</script>')
    parts.append("</body></html>")
    return HtmlReport(html="\n".join(parts) + "\n", drawing=mode, nodes=tuple(sorted(all_nodes)))


def inline_script(script: str) -> str:
    """Script text safe inside ``<script>``: no ``</script`` or ``<!--`` can end or confuse it."""
    return script.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT").replace("<!--", "<\\!--")

