"""Impact analysis: everything downstream of a dataset, job or column, and whom to tell.

``impact(store, node_id)`` walks the lineage graph along its edges (dataset → job that
reads it → dataset that job writes → …) at any depth, and reports:

- every downstream **dataset**, grouped by kind (see :func:`dataset_kind`): ``table``,
  ``file``, ``model``, ``report`` or ``other``;
- every downstream **job** and its latest **run**;
- the **owners** to notify: the names in the ``ownership`` facets of the downstream jobs
  and datasets, deduplicated, each with the nodes it owns (the start node's own owners
  are not listed: they are the ones making the change);
- the **path** to each node: the shortest chain of node ids from the start (ties broken
  by id, so the answer is stable).

For a column (``datasetField:NS:NAME:FIELD``) only what is really derived from it counts,
through column lineage: **columns** reached by ``DIRECT`` edges only (the value flows
through: identity, transformation, aggregation) and, separately, those that need at least
one ``INDIRECT`` edge (the column filters, joins, groups or sorts the rows they come
from). The datasets are those holding derived columns, the jobs those that wrote a
derived column from its input's dataset; paths start at the column.

The walk uses the store's recursive ``downstream`` / ``column_lineage`` queries with
their default depth and continues from the nodes at the edge of each answer until none
is left, so cycles (a notebook that reads and rewrites the same file) cost nothing extra
and no depth limit cuts the answer short.

Example:
    >>> report = impact(store, "dataset:file:/data/raw.csv")  # doctest: +SKIP
    >>> report.datasets_by_kind()["model"][0].id             # doctest: +SKIP
    'dataset:file:/models/churn.pkl'
    >>> [o.name for o in report.owners]                       # doctest: +SKIP
    ['team:ml', 'user:ada']
"""

from __future__ import annotations

import html
import itertools
import json
import posixpath
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nbgov.governance.ownership import owners_of
from nbgov.model.nodes import NodeId, NodeType

if TYPE_CHECKING:
    import pandas as pd

    from nbgov.store import Store

__all__ = [
    "DATASET_KINDS",
    "IMPACT_FRAME_COLUMNS",
    "ImpactReport",
    "ImpactedColumn",
    "ImpactedNode",
    "ImpactedRun",
    "OwnerToNotify",
    "dataset_kind",
    "impact",
]

DATASET_KINDS = ("table", "file", "model", "report", "other")
IMPACT_FRAME_COLUMNS = (
    "node",
    "type",
    "kind",
    "distance",
    "dependency",
    "latest_run",
    "run_state",
    "owners",
    "path",
)
#: depth of each recursive query; the walk goes on from the nodes it reaches at this depth
WALK_DEPTH = 20

_TYPE_KINDS = {
    "TABLE": "table",
    "VIEW": "table",
    "MATERIALIZED_VIEW": "table",
    "DB_TABLE": "table",
    "FILE": "file",
    "MODEL": "model",
    "ML_MODEL": "model",
    "REPORT": "report",
    "DASHBOARD": "report",
    "CHART": "report",
    "NOTEBOOK": "report",
    "TOPIC": "other",
    "STREAM": "other",
}
_MODEL_SUFFIXES = frozenset(
    {
        ".pkl",
        ".pickle",
        ".joblib",
        ".onnx",
        ".pt",
        ".pth",
        ".h5",
        ".hdf5",
        ".keras",
        ".safetensors",
        ".pb",
        ".tflite",
        ".mlmodel",
        ".cbm",
        ".ckpt",
        ".model",
        ".gguf",
        ".mar",
        ".sav",
    }
)
_REPORT_SUFFIXES = frozenset(
    {
        ".html",
        ".htm",
        ".pdf",
        ".png",
        ".svg",
        ".jpg",
        ".jpeg",
        ".gif",
        ".docx",
        ".pptx",
        ".md",
        ".ipynb",
    }
)
_FILE_SUFFIXES = frozenset(
    {
        ".csv",
        ".tsv",
        ".txt",
        ".json",
        ".jsonl",
        ".ndjson",
        ".parquet",
        ".pq",
        ".feather",
        ".arrow",
        ".orc",
        ".avro",
        ".xlsx",
        ".xls",
        ".xml",
        ".yaml",
        ".yml",
        ".gz",
        ".zip",
        ".bz2",
        ".zst",
        ".npy",
        ".npz",
        ".dta",
        ".sas7bdat",
    }
)
_FILE_SCHEMES = frozenset(
    {
        "file",
        "s3",
        "s3a",
        "s3n",
        "gs",
        "gcs",
        "hdfs",
        "abfs",
        "abfss",
        "wasb",
        "wasbs",
        "dbfs",
        "adl",
        "oss",
        "http",
        "https",
        "ftp",
        "sftp",
        "remotefile",
        "local",
    }
)
_DIRECT = frozenset({"DIRECT", "IDENTITY", "TRANSFORMATION", "AGGREGATION"})
_INDIRECT = frozenset({"INDIRECT", "JOIN", "GROUP_BY", "FILTER", "SORT", "WINDOW", "CONDITIONAL"})


def dataset_kind(namespace: str, name: str, facets: Mapping[str, Any] | None = None) -> str:
    """``table``, ``file``, ``model``, ``report`` or ``other`` — the first rule that applies:

    1. the ``datasetType`` facet: MODEL/ML_MODEL → model; REPORT/DASHBOARD/CHART/NOTEBOOK →
       report; TABLE/VIEW/MATERIALIZED_VIEW → table; TOPIC/STREAM → other; FILE → file
       unless the name's suffix says model or report;
    2. the name's suffix: ``.pkl .joblib .onnx .pt .h5 .keras .safetensors …`` → model;
       ``.html .pdf .png .svg .docx .pptx .md .ipynb …`` → report; ``.csv .parquet .json
       .xlsx .feather …`` → file;
    3. the namespace's scheme: ``model://`` (nbgov's in-kernel models) → model; file
       systems and object stores (``file``, ``s3``, ``gs``, ``hdfs``, ``abfss``, ``https`` …)
       → file; anything else (databases, warehouses, ``dataframe://`` in-kernel frames) →
       table.
    """
    ftype = (facets or {}).get("datasetType")
    declared = str(ftype.get("datasetType") or "").upper() if isinstance(ftype, Mapping) else ""
    suffix = posixpath.splitext(name.rstrip("/").lower())[1]
    by_suffix = (
        "model"
        if suffix in _MODEL_SUFFIXES
        else "report"
        if suffix in _REPORT_SUFFIXES
        else "file"
        if suffix in _FILE_SUFFIXES
        else None
    )
    if declared in _TYPE_KINDS:
        kind = _TYPE_KINDS[declared]
        return by_suffix if kind == "file" and by_suffix in ("model", "report") else kind
    if by_suffix:
        return by_suffix
    scheme = namespace.split("://", 1)[0].lower() if "://" in namespace else namespace.lower()
    if scheme == "model":
        return "model"
    if scheme in _FILE_SCHEMES:
        return "file"
    return "table"


# ------------------------------------------------------------------------ results
@dataclass(frozen=True)
class ImpactedNode:
    """A downstream dataset or job.

    Attributes:
        id: its node id; type: ``DATASET`` or ``JOB``; kind: the dataset kind, or ``job``.
        namespace, name: as in the id.
        distance: edges from the start (a job one hop below a dataset is 1, the
            dataset it writes 2).
        path: the shortest chain of node ids from the start to this node, both included.
        owners: owner names from its ``ownership`` facet.
        latest_run: for a job, its latest run (``id``, ``state``, ``startedAt``,
            ``endedAt``), None if it never ran.
    """

    id: str
    type: str
    kind: str
    namespace: str
    name: str
    distance: int
    path: tuple[str, ...]
    owners: tuple[str, ...] = ()
    latest_run: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {
            "id": self.id,
            "type": self.type,
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "distance": self.distance,
            "path": list(self.path),
            "owners": list(self.owners),
        }
        if self.type == "JOB":
            out["latest_run"] = dict(self.latest_run) if self.latest_run else None
        return out


@dataclass(frozen=True)
class ImpactedRun:
    """The latest run of a downstream job."""

    id: str
    job: str
    state: str | None
    started_at: str | None
    ended_at: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "job": self.job,
            "state": self.state,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
        }


@dataclass(frozen=True)
class ImpactedColumn:
    """A column derived from the start column.

    Attributes:
        id: its ``datasetField:`` id; namespace, dataset, field: as in the id.
        dependency: ``DIRECT`` (reached through DIRECT edges only) or ``INDIRECT``.
        transformations: the transformation (subtype, else type) of each edge on the path.
        distance: column edges from the start; path: the column ids from the start.
    """

    id: str
    namespace: str
    dataset: str
    field: str
    dependency: str
    transformations: tuple[str, ...]
    distance: int
    path: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "namespace": self.namespace,
            "dataset": self.dataset,
            "field": self.field,
            "dependency": self.dependency,
            "transformations": list(self.transformations),
            "distance": self.distance,
            "path": list(self.path),
        }


@dataclass(frozen=True)
class OwnerToNotify:
    """An owner named on downstream nodes, with the nodes (sorted by distance, then id)."""

    name: str
    nodes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "nodes": list(self.nodes)}


@dataclass(frozen=True)
class ImpactReport:
    """What a change to ``node`` reaches. Sequences are sorted by distance, then id.

    Attributes:
        node: the start node id as stored.
        datasets, jobs: downstream datasets and jobs.
        runs: the latest run of each downstream job that ran (sorted by job id).
        owners: owners to notify, sorted by name.
        columns: for a column start, the derived columns (DIRECT first).
        notes: remarks on the answer (e.g. a column without column lineage).
    """

    node: str
    datasets: tuple[ImpactedNode, ...] = ()
    jobs: tuple[ImpactedNode, ...] = ()
    runs: tuple[ImpactedRun, ...] = ()
    owners: tuple[OwnerToNotify, ...] = ()
    columns: tuple[ImpactedColumn, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def datasets_by_kind(self) -> dict[str, list[ImpactedNode]]:
        """Kind → datasets, every kind of :data:`DATASET_KINDS` present (maybe empty)."""
        out: dict[str, list[ImpactedNode]] = {k: [] for k in DATASET_KINDS}
        for d in self.datasets:
            out[d.kind].append(d)
        return out

    @property
    def direct_columns(self) -> tuple[ImpactedColumn, ...]:
        return tuple(c for c in self.columns if c.dependency == "DIRECT")

    @property
    def indirect_columns(self) -> tuple[ImpactedColumn, ...]:
        return tuple(c for c in self.columns if c.dependency == "INDIRECT")

    def summary(self) -> dict[str, Any]:
        return {
            "datasets": len(self.datasets),
            "datasets_by_kind": {k: len(v) for k, v in self.datasets_by_kind().items()},
            "jobs": len(self.jobs),
            "runs": len(self.runs),
            "owners": len(self.owners),
            "columns_direct": len(self.direct_columns),
            "columns_indirect": len(self.indirect_columns),
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable; keys ``node``, ``summary``, ``datasets`` (kind → list),
        ``jobs``, ``runs``, ``owners``, ``columns`` (``direct`` / ``indirect``), ``notes``."""
        return {
            "node": self.node,
            "summary": self.summary(),
            "datasets": {k: [d.to_dict() for d in v] for k, v in self.datasets_by_kind().items()},
            "jobs": [j.to_dict() for j in self.jobs],
            "runs": [r.to_dict() for r in self.runs],
            "owners": [o.to_dict() for o in self.owners],
            "columns": {
                "direct": [c.to_dict() for c in self.direct_columns],
                "indirect": [c.to_dict() for c in self.indirect_columns],
            },
            "notes": list(self.notes),
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    def to_frame(self) -> pd.DataFrame:
        """One row per impacted dataset, job and column (:data:`IMPACT_FRAME_COLUMNS`)."""
        import pandas as pd

        rows: list[tuple[Any, ...]] = []
        for n in (*self.datasets, *self.jobs):
            run = n.latest_run or {}
            rows.append(
                (
                    n.id,
                    n.type,
                    n.kind,
                    n.distance,
                    None,
                    run.get("id"),
                    run.get("state"),
                    list(n.owners),
                    list(n.path),
                )
            )
        for c in self.columns:
            rows.append(
                (c.id, "DATASET_FIELD", "column", c.distance, c.dependency, None, None, [], list(c.path))
            )
        return pd.DataFrame(rows, columns=list(IMPACT_FRAME_COLUMNS)).astype({"distance": "int64"})

    def _head(self) -> str:
        s = self.summary()
        kinds = ", ".join(f"{k} {n}" for k, n in s["datasets_by_kind"].items() if n)
        head = (
            f"{s['datasets']} datasets"
            + (f" ({kinds})" if kinds else "")
            + f", {s['jobs']} jobs, {s['runs']} runs, {s['owners']} owners"
        )
        if self.columns or self.node.startswith("datasetField:"):
            head += f", {s['columns_direct']} direct and {s['columns_indirect']} indirect columns"
        return head

    def to_text(self) -> str:
        """A readable multi-line summary (what ``nbgov impact`` prints)."""
        lines = [f"Impact of {self.node}: {self._head()}"]
        if self.datasets:
            lines += ["", "Datasets:"]
            for kind, items in self.datasets_by_kind().items():
                for d in items:
                    owners = f"  owners: {', '.join(d.owners)}" if d.owners else ""
                    lines.append(f"  {kind:<6} {d.id}{owners}")
                    lines.append(f"         via {' -> '.join(d.path)}")
        if self.jobs:
            lines += ["", "Jobs (latest run):"]
            for j in self.jobs:
                run = j.latest_run or {}
                state = f"{run.get('id')} {run.get('state')}" if run else "never ran"
                owners = f"  owners: {', '.join(j.owners)}" if j.owners else ""
                lines.append(f"  {j.id}  {state}{owners}")
        for label, cols in (
            ("Columns derived directly:", self.direct_columns),
            ("Columns derived indirectly:", self.indirect_columns),
        ):
            if cols:
                lines += ["", label]
                for c in cols:
                    lines.append(f"  {c.id}  ({' -> '.join(c.transformations)})")
        lines += ["", "Owners to notify:"]
        if self.owners:
            lines += [f"  {o.name}  ({', '.join(o.nodes)})" for o in self.owners]
        else:
            lines.append("  none recorded (set them with: nbgov owner NODE_ID --add team:NAME)")
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"ImpactReport({self.node}: {self._head()})"

    def _repr_html_(self) -> str:
        esc = html.escape
        td = "padding:3px 8px;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top"
        table = "border-collapse:collapse;font-family:system-ui,sans-serif;font-size:13px;margin-top:6px"

        def tab(headers: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
            head = "".join(f'<th style="{td}">{esc(h)}</th>' for h in headers)
            body = "".join("<tr>" + "".join(f'<td style="{td}">{c}</td>' for c in r) + "</tr>" for r in rows)
            return f'<table style="{table}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'

        def path(p: Iterable[str]) -> str:
            return " &rarr; ".join(f"<code>{esc(x)}</code>" for x in p)

        head = (
            f'<p style="font-family:system-ui,sans-serif;font-size:13px;margin:4px 0"><b>Impact</b> of '
            f"<code>{esc(self.node)}</code>: {esc(self._head())}</p>"
        )
        parts = ['<div class="nbgov-impact-report">', head]
        if self.datasets:
            parts.append(
                tab(
                    ("kind", "dataset", "owners", "path"),
                    (
                        (esc(d.kind), f"<code>{esc(d.id)}</code>", esc(", ".join(d.owners)), path(d.path))
                        for d in self.datasets
                    ),
                )
            )
        if self.jobs:
            parts.append(
                tab(
                    ("job", "latest run", "state", "owners"),
                    (
                        (
                            f"<code>{esc(j.id)}</code>",
                            esc(str((j.latest_run or {}).get("id") or "")),
                            esc(str((j.latest_run or {}).get("state") or "")),
                            esc(", ".join(j.owners)),
                        )
                        for j in self.jobs
                    ),
                )
            )
        if self.columns:
            parts.append(
                tab(
                    ("column", "dependency", "transformations", "path"),
                    (
                        (
                            f"<code>{esc(c.id)}</code>",
                            esc(c.dependency),
                            esc(" → ".join(c.transformations)),
                            path(c.path),
                        )
                        for c in self.columns
                    ),
                )
            )
        parts.append(
            tab(
                ("owner to notify", "owns"),
                ((esc(o.name), ", ".join(f"<code>{esc(n)}</code>" for n in o.nodes)) for o in self.owners),
            )
            if self.owners
            else '<p style="font-family:system-ui,sans-serif;font-size:13px">No owners recorded.</p>'
        )
        parts += [
            f'<p style="font-family:system-ui,sans-serif;font-size:12px">{esc(n)}</p>' for n in self.notes
        ]
        parts.append("</div>")
        return "".join(parts)


# ------------------------------------------------------------------------ walking
def _bfs(start: str, out: Mapping[str, Iterable[str]]) -> dict[str, tuple[str, ...]]:
    """Shortest path (node ids) from ``start`` to every node reachable along ``out``."""
    paths = {start: (start,)}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(out.get(node, ())):
            if nxt not in paths:
                paths[nxt] = (*paths[node], nxt)
                queue.append(nxt)
    return paths


def _node_of(n: Mapping[str, Any]) -> NodeId:
    """The NodeId of a Marquez graph node, from its data (never by re-parsing its id)."""
    data = n.get("data") or {}
    if n.get("type") == "DATASET_FIELD":
        return NodeId.dataset_field(data["namespace"], data["dataset"], data["field"])
    kind = NodeType.JOB if n.get("type") == "JOB" else NodeType.DATASET
    return NodeId(kind, data["namespace"], data["name"])


def _dataset_graph(store: Store, start: NodeId) -> tuple[dict[str, Mapping[str, Any]], dict[str, set[str]]]:
    """Every node downstream of ``start`` (id → Marquez node) and the out-edges among them."""
    nodes: dict[str, Mapping[str, Any]] = {}
    out: dict[str, set[str]] = {}
    todo, done = [start], set()
    while todo:
        origin = todo.pop()
        if str(origin) in done:
            continue
        done.add(str(origin))
        graph = store.downstream(origin, WALK_DEPTH)["graph"]
        local: dict[str, set[str]] = {}
        for n in graph:
            nodes.setdefault(n["id"], n)
            for e in n["outEdges"]:
                out.setdefault(e["origin"], set()).add(e["destination"])
                local.setdefault(e["origin"], set()).add(e["destination"])
        steps = 2 * WALK_DEPTH + (1 if origin.type is NodeType.JOB else 2)
        for node_id, p in _bfs(str(origin), local).items():
            if len(p) - 1 >= steps and node_id not in done:  # its out-edges may not have been walked
                todo.append(_node_of(nodes[node_id]))
    return nodes, out


def _column_graph(store: Store, start: NodeId) -> tuple[dict[str, NodeId], dict[str, dict[str, str]]]:
    """Fields downstream of ``start`` (id → NodeId) and ``derived → {input: transformation}``."""
    fields: dict[str, NodeId] = {str(start): start}
    inputs: dict[str, dict[str, str]] = {}
    todo, done = [start], set()
    while todo:
        origin = todo.pop()
        if str(origin) in done:
            continue
        done.add(str(origin))
        graph = store.column_lineage(origin, WALK_DEPTH, with_downstream=True)["graph"]
        by_id = {n["id"]: n for n in graph}
        local: dict[str, set[str]] = {}
        for n in graph:
            for e in n["outEdges"]:
                local.setdefault(e["origin"], set()).add(e["destination"])
        reach = _bfs(str(origin), local)
        for node_id, p in reach.items():
            n = by_id[node_id]
            fields.setdefault(node_id, _node_of(n))
            for item in n["data"].get("inputFields") or ():
                src = str(NodeId.dataset_field(item["namespace"], item["dataset"], item["field"]))
                if src in reach:
                    inputs.setdefault(node_id, {})[src] = str(
                        item.get("transformationType") or "DIRECT"
                    ).upper()
            if len(p) - 1 >= WALK_DEPTH and node_id not in done:
                todo.append(fields[node_id])
    return fields, inputs


def _latest_run(data: Mapping[str, Any]) -> dict[str, Any] | None:
    run = data.get("latestRun")
    if not isinstance(run, Mapping) or not run.get("id"):
        return None
    return {
        "id": run["id"],
        "state": run.get("state"),
        "startedAt": run.get("startedAt"),
        "endedAt": run.get("endedAt"),
    }


def _report(
    root: str,
    nodes: Mapping[str, Mapping[str, Any]],
    paths: Mapping[str, tuple[str, ...]],
    columns: tuple[ImpactedColumn, ...] = (),
    notes: tuple[str, ...] = (),
) -> ImpactReport:
    datasets: list[ImpactedNode] = []
    jobs: list[ImpactedNode] = []
    owned: dict[str, set[tuple[int, str]]] = {}
    for node_id, p in paths.items():
        if node_id == root or node_id not in nodes:
            continue
        n = nodes[node_id]
        data = n.get("data") or {}
        parsed = _node_of(n)
        facets = data.get("facets") or {}
        names = owners_of(facets)
        for name in names:
            owned.setdefault(name, set()).add((len(p) - 1, node_id))
        if parsed.type is NodeType.JOB:
            jobs.append(
                ImpactedNode(
                    node_id,
                    "JOB",
                    "job",
                    parsed.namespace,
                    parsed.name,
                    len(p) - 1,
                    p,
                    names,
                    _latest_run(data),
                )
            )
        else:
            datasets.append(
                ImpactedNode(
                    node_id,
                    "DATASET",
                    dataset_kind(parsed.namespace, parsed.name, facets),
                    parsed.namespace,
                    parsed.name,
                    len(p) - 1,
                    p,
                    names,
                )
            )
    datasets.sort(key=lambda n: (n.distance, n.id))
    jobs.sort(key=lambda n: (n.distance, n.id))
    runs = sorted(
        (
            ImpactedRun(
                j.latest_run["id"],
                j.id,
                j.latest_run.get("state"),
                j.latest_run.get("startedAt"),
                j.latest_run.get("endedAt"),
            )
            for j in jobs
            if j.latest_run
        ),
        key=lambda r: r.job,
    )
    owners = tuple(
        OwnerToNotify(name, tuple(n for _, n in sorted(items))) for name, items in sorted(owned.items())
    )
    return ImpactReport(root, tuple(datasets), tuple(jobs), tuple(runs), owners, columns, notes)


def _column_impact(store: Store, start: NodeId) -> ImpactReport:
    root = str(start)
    fields, inputs = _column_graph(store, start)
    consumers: dict[str, dict[str, str]] = {}
    for derived, ins in inputs.items():
        for src, how in ins.items():
            consumers.setdefault(src, {})[derived] = how
    direct = _bfs(
        root, {s: [d for d, how in m.items() if how not in _INDIRECT] for s, m in consumers.items()}
    )
    every = _bfs(root, {s: list(m) for s, m in consumers.items()})
    columns = []
    for col_id, p in every.items():
        if col_id == root:
            continue
        dependency, p = ("DIRECT", direct[col_id]) if col_id in direct else ("INDIRECT", p)
        c = fields[col_id]
        steps = tuple(inputs[b][a] for a, b in itertools.pairwise(p))
        columns.append(
            ImpactedColumn(col_id, c.namespace, c.name, c.field or "", dependency, steps, len(p) - 1, p)
        )
    columns.sort(key=lambda c: (c.dependency != "DIRECT", c.distance, c.id))

    # Datasets and jobs: only those that carry a derivation, reached through those jobs.
    start_ds = start.dataset_node
    nodes, out = _dataset_graph(store, start_ds)
    edges: dict[str, set[str]] = {}
    for derived, ins in inputs.items():
        if derived not in every:
            continue
        d2 = str(fields[derived].dataset_node)
        for src in ins:
            if src not in every:
                continue
            d1 = str(fields[src].dataset_node)
            origin = root if src == root else d1
            via = sorted(j for j in out.get(d1, ()) if d2 in out.get(j, ()))
            for j in via:
                edges.setdefault(origin, set()).add(j)
                edges.setdefault(j, set()).add(d2)
            if not via:
                edges.setdefault(origin, set()).add(d2)
            if d2 not in nodes:  # a dataset known only from column lineage
                nodes = {
                    **nodes,
                    d2: {"id": d2, "type": "DATASET", "data": store.node(fields[derived].dataset_node)},
                }
    notes: tuple[str, ...] = ()
    if not columns:
        note = (
            f"no column lineage is recorded downstream of {root}; for everything downstream of its dataset"
            f" run: nbgov impact {start_ds}"
        )
        notes = (note,)
    return _report(root, nodes, _bfs(root, edges), tuple(columns), notes)


def impact(store: Store, node_id: str | NodeId) -> ImpactReport:
    """Everything downstream of a dataset, job or column, with paths and owners to notify.

    Args:
        store: the lineage store.
        node_id: ``dataset:NS:NAME``, ``job:NS:NAME`` or ``datasetField:NS:NAME:FIELD``.

    Returns:
        An :class:`ImpactReport`.

    Raises:
        NodeNotFoundError: the node (or the column) is not in the store.
        InvalidNodeIdError: the id is malformed.
    """
    _, parsed = store.resolve(node_id)
    if parsed.type is NodeType.DATASET_FIELD:
        return _column_impact(store, parsed)
    nodes, out = _dataset_graph(store, parsed)
    return _report(str(parsed), nodes, _bfs(str(parsed), out))
