"""Plain-text, DOT and HTML renderings of Marquez-shaped graphs and catalog rows.

Pure functions over the dictionaries the store returns (``{"graph": [...]}`` from
``Store.lineage`` / ``Store.column_lineage``); standard library only, no I/O. Every
label placed in DOT is escaped with :func:`dot_quote`, every value placed in HTML
with :func:`html.escape`.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = [
    "column_lineage_dot",
    "column_lineage_text",
    "dot_quote",
    "html_report",
    "lineage_dot",
    "lineage_edges",
    "lineage_text",
    "table",
]

_TEE, _LAST, _PIPE, _GAP = "├── ", "└── ", "│   ", "    "


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """An aligned plain-text table: a header line, a rule, one line per row.

    ``None`` shows as ``-``; newlines in cells show as spaces.
    """
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], len(value))
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, (list, tuple)):
        return ", ".join(_cell(v) for v in value) or "-"
    return " ".join(str(value).split("\n"))


# ---------------------------------------------------------------------------- lineage
def lineage_edges(graph: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every ``(origin, destination)`` edge of a lineage graph, sorted, once each."""
    edges = set()
    for node in graph.get("graph", ()):
        for edge in (*node.get("inEdges", ()), *node.get("outEdges", ())):
            edges.add((edge["origin"], edge["destination"]))
    return sorted(edges)


def _adjacency(graph: Mapping[str, Any]) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    ups: dict[str, list[str]] = {}
    downs: dict[str, list[str]] = {}
    for origin, destination in lineage_edges(graph):
        downs.setdefault(origin, []).append(destination)
        ups.setdefault(destination, []).append(origin)
    return ups, downs


def _tree(root: str, children: Mapping[str, list[str]], label: Mapping[str, str], seen: set[str]) -> list[str]:
    """Lines of a tree from ``root``; a node met again is shown once, marked ``(see above)``.

    ``seen`` receives every node of the tree.
    """
    lines = [label.get(root, root)]
    seen.add(root)
    seen_here = {root}

    def walk(node: str, prefix: str) -> None:
        kids = children.get(node, [])
        for i, kid in enumerate(kids):
            last = i == len(kids) - 1
            again = kid in seen_here
            lines.append(prefix + (_LAST if last else _TEE) + label.get(kid, kid) + ("  (see above)" if again else ""))
            if not again:
                seen.add(kid)
                seen_here.add(kid)
                walk(kid, prefix + (_GAP if last else _PIPE))

    walk(root, "")
    return lines


def _node_label(node: Mapping[str, Any]) -> str:
    data = node.get("data") or {}
    extra = ""
    if node.get("type") == "JOB":
        run = data.get("latestRun") or {}
        if run.get("state"):
            extra = f"  [{run['state']}]"
    elif data.get("fields"):
        extra = f"  ({len(data['fields'])} fields)"
    return f"{node['id']}{extra}"


def lineage_text(graph: Mapping[str, Any], root: str | None = None) -> str:
    """A readable rendering: the upstream tree and the downstream tree of ``root``.

    Nodes of the graph in neither tree (reached through a sibling) are listed after.
    Without ``root`` every node is listed with its inputs and outputs.
    """
    nodes = {n["id"]: n for n in graph.get("graph", ())}
    edges = lineage_edges(graph)
    if not nodes:
        return "(empty graph)"
    label = {nid: _node_label(n) for nid, n in nodes.items()}
    summary = f"{len(nodes)} nodes, {len(edges)} edges"
    ups, downs = _adjacency(graph)
    if root is None or root not in nodes:
        lines = []
        for nid in sorted(nodes):
            lines.append(label[nid])
            lines += [f"  <- {o}" for o in ups.get(nid, [])]
            lines += [f"  -> {d}" for d in downs.get(nid, [])]
        return "\n".join([*lines, "", summary])
    covered: set[str] = set()
    up = _tree(root, ups, label, covered)
    down = _tree(root, downs, label, covered)
    lines = ["Upstream (what it was derived from):", *(("  " + line for line in up) if len(up) > 1 else ["  nothing"]),
             "", "Downstream (what was derived from it):",
             *(("  " + line for line in down) if len(down) > 1 else ["  nothing"])]
    others = sorted(set(nodes) - covered)
    if others:
        lines += ["", "Also connected:", *(f"  {label[o]}" for o in others)]
    return "\n".join([*lines, "", summary])


def dot_quote(text: str) -> str:
    """``text`` as a double-quoted DOT string: backslashes, quotes and line breaks escaped."""
    escaped = (
        str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "\\n")
    )
    return f'"{escaped}"'


def _short_name(node_id: str, namespace: str, name: str) -> str:
    return f"{name}\n{namespace}" if namespace else node_id


def lineage_dot(graph: Mapping[str, Any], root: str | None = None) -> str:
    """A Graphviz DOT digraph: jobs as boxes, datasets as cylinders, ``root`` filled."""
    lines = ["digraph lineage {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10];']
    for node in graph.get("graph", ()):
        data = node.get("data") or {}
        is_job = node.get("type") == "JOB"
        label = _short_name(node["id"], data.get("namespace", ""), data.get("name", ""))
        state = ((data.get("latestRun") or {}).get("state")) if is_job else None
        if state:
            label += f"\n[{state}]"
        attrs = [f"label={dot_quote(label)}", "shape=box" if is_job else "shape=cylinder"]
        if node["id"] == root:
            attrs += ["style=filled", 'fillcolor="#ffe9a8"']
        elif state == "FAILED":
            attrs += ['color="#c0392b"']
        lines.append(f"  {dot_quote(node['id'])} [{', '.join(attrs)}];")
    for origin, destination in lineage_edges(graph):
        lines.append(f"  {dot_quote(origin)} -> {dot_quote(destination)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------- column lineage
def _field_label(data: Mapping[str, Any]) -> str:
    return f"datasetField:{data.get('namespace')}:{data.get('dataset')}:{data.get('field')}"


def _transformation(item: Mapping[str, Any]) -> str:
    kind = item.get("transformationType")
    desc = item.get("transformationDescription")
    return " ".join(str(p) for p in (kind, f"({desc})" if desc else None) if p)


def column_lineage_text(graph: Mapping[str, Any]) -> str:
    """One block per column that has inputs: its id, then ``<- input-id  TYPE (description)`` lines."""
    nodes = sorted(graph.get("graph", ()), key=lambda n: n["id"])
    if not nodes:
        return "(empty graph)"
    lines: list[str] = []
    leaves = []
    for node in nodes:
        data = node.get("data") or {}
        inputs = data.get("inputFields") or []
        if not inputs:
            leaves.append(_field_label(data))
            continue
        typ = f"  {data['fieldType']}" if data.get("fieldType") else ""
        lines.append(_field_label(data) + typ)
        for item in inputs:
            how = _transformation(item)
            lines.append(f"  <- {_field_label(item)}" + (f"  {how}" if how else ""))
    if leaves:
        lines += ["", "Source columns (no recorded inputs):", *(f"  {leaf}" for leaf in leaves)]
    edges = {(e["origin"], e["destination"]) for n in nodes for e in n.get("inEdges", ())}
    return "\n".join([*lines, "", f"{len(nodes)} columns, {len(edges)} edges"]).lstrip("\n")


def column_lineage_dot(graph: Mapping[str, Any]) -> str:
    """A DOT digraph of columns, grouped in one cluster per dataset, edges input → output."""
    by_dataset: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for node in graph.get("graph", ()):
        data = node.get("data") or {}
        by_dataset.setdefault((data.get("namespace", ""), data.get("dataset", "")), []).append(node)
    lines = ["digraph column_lineage {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10, shape=box];']
    for i, ((ns, name), members) in enumerate(sorted(by_dataset.items())):
        lines.append(f"  subgraph cluster_{i} {{")
        lines.append(f"    label={dot_quote(f'{name}  ({ns})')};")
        for node in sorted(members, key=lambda n: n["id"]):
            field = (node.get("data") or {}).get("field", node["id"])
            lines.append(f"    {dot_quote(node['id'])} [label={dot_quote(field)}];")
        lines.append("  }")
    edges = set()
    for node in graph.get("graph", ()):
        for edge in node.get("inEdges", ()):  # origin = the column, destination = its input
            edges.add((edge["destination"], edge["origin"]))
    for src, dst in sorted(edges):
        lines.append(f"  {dot_quote(src)} -> {dot_quote(dst)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------- HTML
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1d1d1f;max-width:72rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}
h3{font-size:1rem;margin-bottom:.3rem}
table{border-collapse:collapse;margin:.5rem 0 1rem}
th,td{border:1px solid #ddd;padding:.25rem .6rem;text-align:left;vertical-align:top;font-size:.9rem}
th{background:#f5f5f7}code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem}
pre{background:#f5f5f7;padding:1rem;overflow:auto}
.FAILED{color:#c0392b;font-weight:600}.COMPLETED{color:#1e8449}.RUNNING{color:#b9770e}
.svg svg{max-width:100%;height:auto}
"""


def _e(value: Any) -> str:
    return html.escape("-" if value is None else str(value), quote=True)


def _html_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """Rows hold already-escaped HTML."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_report(
    *,
    title: str,
    datasets: Sequence[Mapping[str, Any]],
    jobs: Sequence[Mapping[str, Any]],
    runs: Mapping[str, Sequence[Mapping[str, Any]]],
    graph: Mapping[str, Any],
    root: str,
    svg: str | None = None,
    store: str = "",
) -> str:
    """A self-contained HTML page: datasets with schemas, jobs with runs, the lineage.

    No external scripts, styles or images: CSS is inline and the picture is either the
    ``svg`` given (Graphviz output, inlined without its XML prolog) or the DOT text.

    Args:
        title: the page heading.
        datasets: ``Store.datasets()`` rows.
        jobs: ``Store.jobs()`` rows.
        runs: runs of each job, keyed by ``job:NS:NAME``.
        graph: ``Store.lineage(root)``.
        root: the node the lineage is centred on.
        svg: rendered SVG of :func:`lineage_dot`, when a ``dot`` binary was available.
        store: the store's (redacted) location, shown in the footer.
    """
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f"<p>{len(datasets)} datasets, {len(jobs)} jobs, lineage of <code>{_e(root)}</code>.</p>",
        "<h2>Datasets</h2>",
    ]
    for ds in datasets:
        ident = f"dataset:{ds.get('namespace')}:{ds.get('name')}"
        parts.append(f"<h3><code>{_e(ident)}</code></h3>")
        if ds.get("description"):
            parts.append(f"<p>{_e(ds['description'])}</p>")
        fields = ds.get("fields") or []
        if fields:
            parts.append(_html_table(
                ["column", "type", "description"],
                ([f"<code>{_e(f.get('name'))}</code>", _e(f.get("type")), _e(f.get("description"))] for f in fields),
            ))
        else:
            parts.append("<p><em>no schema recorded</em></p>")
    parts.append("<h2>Jobs and runs</h2>")
    for job in jobs:
        ident = f"job:{job.get('namespace')}:{job.get('name')}"
        parts.append(f"<h3><code>{_e(ident)}</code></h3>")
        if job.get("description"):
            parts.append(f"<p>{_e(job['description'])}</p>")
        io = ", ".join(f"{i['namespace']}:{i['name']}" for i in job.get("inputs") or []) or None
        out = ", ".join(f"{o['namespace']}:{o['name']}" for o in job.get("outputs") or []) or None
        parts.append(f"<p>reads {_e(io)}; writes {_e(out)}</p>")
        job_runs = runs.get(ident, [])
        parts.append(_html_table(
            ["run", "state", "started", "ended", "duration (ms)", "error"],
            ([f"<code>{_e(r.get('id'))}</code>", f'<span class="{_e(r.get("state"))}">{_e(r.get("state"))}</span>',
              _e(r.get("startedAt")), _e(r.get("endedAt")), _e(r.get("durationMs")),
              _e(((r.get("facets") or {}).get("errorMessage") or {}).get("message"))] for r in job_runs),
        ))
    parts.append(f"<h2>Lineage of <code>{_e(root)}</code></h2>")
    parts.append(_html_table(
        ["from", "to"],
        ([f"<code>{_e(o)}</code>", f"<code>{_e(d)}</code>"] for o, d in lineage_edges(graph)),
    ))
    if svg:
        parts.append(f'<div class="svg">{_strip_prolog(svg)}</div>')
    else:
        parts.append("<p>Graphviz <code>dot</code> was not found, so here is the graph as DOT text"
                     " (paste it into any Graphviz viewer):</p>")
        parts.append(f"<pre>{_e(lineage_dot(graph, root))}</pre>")
    parts.append(f"<h2>Raw lineage (Marquez shape)</h2><details><summary>JSON</summary><pre>"
                 f"{_e(json.dumps(graph, indent=2, sort_keys=True))}</pre></details>")
    if store:
        parts.append(f"<p><small>store: <code>{_e(store)}</code></small></p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _strip_prolog(svg: str) -> str:
    """Drop the ``<?xml …?>`` and ``<!DOCTYPE …>`` lines Graphviz writes before ``<svg``."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else ""
