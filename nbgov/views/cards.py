"""Dataset, job and run cards: what a click on a graph node shows.

A card is JSON (the ``card`` of each node in the lineage MIME payload) built from the
store's Marquez-shaped node data; :class:`DatasetCard`, :class:`JobCard` and
:class:`RunCard` wrap one for display in a notebook (``text/plain`` and ``text/html``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from nbgov.errors import NbgovError
from nbgov.governance import dataset_kind, effective_tags
from nbgov.model.nodes import NodeId, NodeType
from nbgov.views.dot import is_pii_tag
from nbgov.views.html import CSS, badge, esc, table

if TYPE_CHECKING:
    from nbgov.store import Store

__all__ = ["DatasetCard", "JobCard", "RunCard", "dataset_card", "job_card", "run_summary"]

#: versions listed on a card (newest first)
MAX_VERSIONS = 10
#: characters of a job's source code or SQL kept on its card
MAX_SOURCE = 2000


def run_summary(run: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``{"id", "state", "startedAt", "endedAt"}`` of a Marquez run (plus its error message)."""
    if not run:
        return None
    out = {k: run.get(k) for k in ("id", "state", "startedAt", "endedAt")}
    error = ((run.get("facets") or {}).get("errorMessage") or {}).get("message")
    if error:
        out["error"] = str(error)
    return out


def _owners(facets: Mapping[str, Any]) -> list[str]:
    owners = (facets.get("ownership") or {}).get("owners") or ()
    return [str(o["name"]) for o in owners if isinstance(o, Mapping) and o.get("name")]


def _quality(facets: Mapping[str, Any]) -> dict[str, Any]:
    dq = facets.get("dataQualityMetrics")
    if not isinstance(dq, Mapping):
        return {}
    out = {k: dq[k] for k in ("rowCount", "bytes", "fileCount") if dq.get(k) is not None}
    columns = {}
    for name, m in (dq.get("columnMetrics") or {}).items():
        if isinstance(m, Mapping):
            columns[str(name)] = {k: m[k] for k in ("nullCount", "distinctCount", "min", "max") if k in m}
    if columns:
        out["columns"] = columns
    return out


def dataset_card(
    data: Mapping[str, Any],
    *,
    versions: Sequence[Mapping[str, Any]] | None = None,
    latest_run: Mapping[str, Any] | None = None,
    inherited_tags: Iterable[Any] = (),
) -> dict[str, Any]:
    """A dataset's card from its Marquez node data.

    Args:
        data: the ``data`` of a dataset node (``Store.lineage`` / ``Store.node``).
        versions: ``Store.dataset_versions`` rows (newest first), if read.
        latest_run: the run that wrote the newest version, if read.
        inherited_tags: :class:`~nbgov.governance.TagFinding` objects in effect on the
            dataset's columns (own and inherited through lineage).

    Returns:
        JSON-ready: ``id, namespace, name, description, datasetKind, fields [{name, type,
        tags, description}], quality, versions, owners, tags, pii, piiColumns, latestRun``.
    """
    ns, name = str(data.get("namespace", "")), str(data.get("name", ""))
    facets = data.get("facets") or {}
    by_field: dict[str, list[str]] = {}
    origins: dict[str, list[str]] = {}
    for f in inherited_tags:
        column = str(f.node).rsplit(":", 1)[-1] if str(f.node).startswith("datasetField:") else None
        tag = f.key if f.value in (None, "", "true") else f"{f.key}:{f.value}"
        if column is not None:
            by_field.setdefault(column, []).append(tag)
            if f.inherited:
                origins.setdefault(column, []).append(f"{tag} from {f.origin} via {' → '.join(f.path)}")
    fields = []
    for f in data.get("fields") or ():
        if not isinstance(f, Mapping):
            continue
        fname = str(f.get("name"))
        tags = sorted(set(f.get("tags") or ()) | set(by_field.get(fname, ())))
        entry = {"name": fname, "type": f.get("type"), "tags": tags, "description": f.get("description")}
        if origins.get(fname):
            entry["tagOrigins"] = sorted(set(origins[fname]))
        fields.append(entry)
    tags = sorted(set(data.get("tags") or ()))
    pii_columns = [f["name"] for f in fields if any(is_pii_tag(t) for t in f["tags"])]
    return {
        "id": str(NodeId.dataset(ns, name)),
        "namespace": ns,
        "name": name,
        "description": data.get("description"),
        "datasetKind": dataset_kind(ns, name, facets),
        "fields": fields,
        "quality": _quality(facets),
        "versions": [{"version": v.get("version"), "createdAt": v.get("createdAt"),
                      "createdByRun": v.get("createdByRun")} for v in (versions or ())[:MAX_VERSIONS]],
        "versionCount": len(versions) if versions is not None else None,
        "owners": _owners(facets),
        "tags": tags,
        "pii": bool(pii_columns) or any(is_pii_tag(t) for t in tags),
        "piiColumns": pii_columns,
        "latestRun": run_summary(latest_run),
        "updatedAt": data.get("updatedAt"),
    }


def job_card(data: Mapping[str, Any], *, runs: Sequence[Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """A job's card: inputs, outputs, owners, type, SQL or source, latest run (and ``runs``)."""
    ns, name = str(data.get("namespace", "")), str(data.get("name", ""))
    facets = data.get("facets") or {}
    jt = facets.get("jobType") or {}
    source = (facets.get("sourceCode") or {}).get("sourceCode")
    sql = (facets.get("sql") or {}).get("query")
    card: dict[str, Any] = {
        "id": str(NodeId.job(ns, name)),
        "namespace": ns,
        "name": name,
        "description": data.get("description") or (facets.get("documentation") or {}).get("description"),
        "jobType": jt.get("jobType"),
        "integration": jt.get("integration"),
        "parentJob": data.get("parentJobName"),
        "inputs": [str(NodeId.dataset(i["namespace"], i["name"])) for i in data.get("inputs") or ()],
        "outputs": [str(NodeId.dataset(o["namespace"], o["name"])) for o in data.get("outputs") or ()],
        "owners": _owners(facets),
        "tags": [],
        "fields": [],
        "quality": {},
        "versions": [],
        "latestRun": run_summary(data.get("latestRun")),
        "sql": str(sql)[:MAX_SOURCE] if sql else None,
        "sourceCode": str(source)[:MAX_SOURCE] if source else None,
    }
    if runs is not None:
        card["runs"] = [run_summary(r) for r in runs]
    return card


# --------------------------------------------------------------------- from a store
def card_for(store: Store, node: Mapping[str, Any], *, tags: bool = True) -> dict[str, Any]:
    """The card of one graph node, reading its versions, last run and tags from ``store``."""
    data = node.get("data") or {}
    if node.get("type") == "JOB":
        return job_card(data)
    ns, name = str(data.get("namespace", "")), str(data.get("name", ""))
    versions = store.dataset_versions(ns, name)
    latest = None
    run_id = versions[0].get("createdByRun") if versions else None
    if run_id:
        try:
            latest = store.run(run_id)
        except NbgovError:
            latest = None
    found: list[Any] = []
    if tags:
        try:
            found = effective_tags(store, NodeId.dataset(ns, name))
        except NbgovError:
            found = []
    return dataset_card(data, versions=versions, latest_run=latest, inherited_tags=found)


# --------------------------------------------------------------------- display
class _Card:
    """A card for display: ``text/plain`` and ``text/html``, a stable repr."""

    kind = "node"

    def __init__(self, card: Mapping[str, Any]) -> None:
        self.card = dict(card)

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(self.card, default=str))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.card.get('id')!r})"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/plain": self.to_text(), "text/html": self._repr_html_()}

    def _head_html(self) -> str:
        c = self.card
        marks = []
        if c.get("pii"):
            marks.append(badge("PII"))
        if c.get("datasetKind") == "model":
            marks.append('<span class="nbgov-badge" style="color:#6d28d9;border-color:#6d28d9">MODEL</span>')
        owners = ", ".join(esc(o) for o in c.get("owners") or ()) or "none recorded"
        return (f'<div class="nbgov-card-head"><b>{esc(self.kind)}</b> <code>{esc(c.get("id"))}</code> '
                f"{' '.join(marks)}</div>"
                + (f"<p>{esc(c['description'])}</p>" if c.get("description") else "")
                + f'<p class="nbgov-muted">owners: {owners}</p>')

    def _repr_html_(self) -> str:
        return f'<div class="nbgov-view nbgov-card"><style>{CSS}</style>{self._head_html()}{self._body_html()}</div>'

    def _body_html(self) -> str:
        return ""

    def to_text(self) -> str:
        return repr(self)


class DatasetCard(_Card):
    """A dataset's schema with types and tags, quality metrics, versions, owners, PII and
    last run. Build with :meth:`from_store` or from a :func:`dataset_card` dict."""

    kind = "dataset"

    @classmethod
    def from_store(cls, store: Store, node_id: str | NodeId) -> DatasetCard:
        """Read the card of ``node_id`` (a ``dataset:`` id).

        Raises:
            NodeNotFoundError: no such dataset.
        """
        _, parsed = store.resolve(node_id)
        if parsed.type is NodeType.JOB:
            raise NbgovError(f"{node_id} is a job: use JobCard")
        data = store.node(parsed.dataset_node)
        return cls(card_for(store, {"id": str(parsed.dataset_node), "type": "DATASET", "data": data}))

    def to_text(self) -> str:
        c = self.card
        q = c.get("quality") or {}
        cols = q.get("columns") or {}
        head = (f"{c['id']}  ({c.get('datasetKind')}{', PII' if c.get('pii') else ''})"
                f"  owners: {', '.join(c.get('owners') or ()) or '-'}")
        lines = [head]
        if q.get("rowCount") is not None:
            lines.append(f"  rows: {q['rowCount']}")
        for f in c.get("fields") or ():
            m = cols.get(f["name"], {})
            extra = f"  nulls {m['nullCount']}" if "nullCount" in m else ""
            tags = f"  [{', '.join(f['tags'])}]" if f.get("tags") else ""
            lines.append(f"  {f['name']}: {f.get('type') or '?'}{tags}{extra}")
        count = c.get("versionCount")
        lines.append(f"  versions: {count if count is not None else len(c.get('versions') or ())}")
        run = c.get("latestRun")
        if run:
            lines.append(f"  last run: {run.get('id')} {run.get('state')}")
        return "\n".join(lines)

    def _body_html(self) -> str:
        c = self.card
        q = c.get("quality") or {}
        cols = q.get("columns") or {}
        rows = []
        for f in c.get("fields") or ():
            m = cols.get(f["name"], {})
            tag_html = " ".join((badge("PII") + " " if is_pii_tag(t) else "") + f"<code>{esc(t)}</code>"
                                for t in f.get("tags") or ())
            origin = "<br>".join(esc(o) for o in f.get("tagOrigins") or ())
            rows.append([f"<code>{esc(f['name'])}</code>", esc(f.get("type")),
                         tag_html + (f'<div class="nbgov-muted">{origin}</div>' if origin else ""),
                         esc(m.get("nullCount")), esc(m.get("distinctCount")), esc(m.get("min")), esc(m.get("max"))])
        parts = [table(["column", "type", "tags", "nulls", "distinct", "min", "max"], rows,
                       caption="schema" + (f" · {q['rowCount']:,} rows" if isinstance(q.get("rowCount"), int) else ""))
                 if rows else "<p><em>no schema recorded</em></p>"]
        if c.get("tags"):
            parts.append("<p>dataset tags: " + ", ".join(f"<code>{esc(t)}</code>" for t in c["tags"]) + "</p>")
        versions = c.get("versions") or []
        if versions:
            parts.append(table(["version", "created", "written by run"],
                               ([f"<code>{esc(v.get('version'))}</code>", esc(v.get("createdAt")),
                                 f"<code>{esc(v.get('createdByRun'))}</code>"] for v in versions),
                               caption=f"versions ({c.get('versionCount') or len(versions)})"))
        run = c.get("latestRun")
        if run:
            parts.append(f"<p>last run <code>{esc(run.get('id'))}</code> {badge(run.get('state'))}"
                         + (f" <code>{esc(run['error'])}</code>" if run.get("error") else "") + "</p>")
        return "".join(parts)


class JobCard(_Card):
    """A job's inputs, outputs, owners, SQL or source and runs with their states."""

    kind = "job"

    @classmethod
    def from_store(cls, store: Store, node_id: str | NodeId, *, runs: int = 10) -> JobCard:
        """Read the card of ``node_id`` (a ``job:`` id) with its last ``runs`` runs."""
        _, parsed = store.resolve(node_id)
        if parsed.type is not NodeType.JOB:
            raise NbgovError(f"{node_id} is not a job: use DatasetCard")
        data = store.node(parsed)
        return cls(job_card(data, runs=store.runs(parsed.namespace, parsed.name, limit=runs)))

    def to_text(self) -> str:
        c = self.card
        lines = [f"{c['id']}  owners: {', '.join(c.get('owners') or ()) or '-'}"]
        lines += [f"  reads  {i}" for i in c.get("inputs") or ()]
        lines += [f"  writes {o}" for o in c.get("outputs") or ()]
        for r in c.get("runs") or ([c["latestRun"]] if c.get("latestRun") else []):
            lines.append(f"  run {r.get('id')} {r.get('state')}" + (f": {r['error']}" if r.get("error") else ""))
        return "\n".join(lines)

    def _body_html(self) -> str:
        c = self.card
        io = table(["reads", "writes"], [[
            "<br>".join(f"<code>{esc(i)}</code>" for i in c.get("inputs") or ()) or "-",
            "<br>".join(f"<code>{esc(o)}</code>" for o in c.get("outputs") or ()) or "-"]])
        runs = c.get("runs") or ([c["latestRun"]] if c.get("latestRun") else [])
        run_rows = ([f"<code>{esc(r.get('id'))}</code>", badge(r.get("state")), esc(r.get("startedAt")),
                     esc(r.get("endedAt")), esc(r.get("error"))] for r in runs)
        code = c.get("sql") or c.get("sourceCode")
        return (io + table(["run", "state", "started", "ended", "error"], run_rows, caption="runs")
                + (f"<pre><code>{esc(code)}</code></pre>" if code else ""))


class RunCard(_Card):
    """One run: its job, state, times, duration and error."""

    kind = "run"

    @classmethod
    def from_store(cls, store: Store, run_id: str) -> RunCard:
        """Read run ``run_id``. Raises NodeNotFoundError when it is unknown."""
        run = store.run(run_id)
        card = run_summary(run) or {}
        job = run.get("jobId") or {}
        card.update({"job": str(NodeId.job(job.get("namespace", ""), job.get("name", ""))),
                     "durationMs": run.get("durationMs"), "parentRunId": run.get("parentRunId")})
        return cls(card)

    def __repr__(self) -> str:
        return f"RunCard({self.card.get('id')!r}, state={self.card.get('state')!r})"

    def to_text(self) -> str:
        c = self.card
        text = f"run {c.get('id')} of {c.get('job')}: {c.get('state')} ({c.get('startedAt')} → {c.get('endedAt')})"
        return text + (f"\n  error: {c['error']}" if c.get("error") else "")

    def _head_html(self) -> str:
        c = self.card
        return (f"<div><b>run</b> <code>{esc(c.get('id'))}</code> {badge(c.get('state'))} of "
                f"<code>{esc(c.get('job'))}</code></div>")

    def _body_html(self) -> str:
        c = self.card
        rows = [[esc(k), esc(c.get(k))] for k in ("startedAt", "endedAt", "durationMs", "parentRunId")]
        if c.get("error"):
            rows.append(["error", f"<code>{esc(c['error'])}</code>"])
        return table(["", ""], rows)
