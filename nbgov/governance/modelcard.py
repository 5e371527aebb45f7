"""Model cards from the record, and model approvals.

:func:`model_card` builds a :class:`ModelCard` for a model dataset from the lineage store
alone: what the model is (estimator, hyperparameters, version, when it was trained), what
it was trained on (every upstream dataset back to the sources, with the version the
training run read, rows, columns and the range of each date column when a profile or
quality metrics were stored), its features (type and the PII / policy tags in effect on
each, inherited through lineage), its label (column, source dataset, class balance when a
profile of the source holds it), its evaluation metrics (``nbgov_model`` facet, see
:mod:`nbgov.governance.metrics`) and its governance (owners, approval).

**How tags reach a feature.** A feature's tags are its :func:`effective_tags` (own tags and
those inherited along stored column-lineage edges) plus, where no column edge was recorded
(pandas steps record none; SQL steps do), those of the *same-named column* of each
upstream dataset reached through jobs that carry a column of that name at every step —
a name match, reported with its path like any inherited tag. A masking step should
therefore rename the column it masks (``email`` → ``email_sha256``); a column overwritten
in place under its own name keeps its origin's tags.

**Approvals** (:func:`approve`) are stored as the ``nbgov_approval`` dataset facet on a
spec-valid DatasetEvent: who, when, the next review date and the training run approved —
a refit makes the approval stale (status ``STALE`` on the card) until approved again.
The approver may also become an owner (``ownership`` facet) when the model has none.

Example:
    >>> card = nbgov.model_card(model)            # doctest: +SKIP
    >>> card.to_dict()["governance"]["approved_by"]  # doctest: +SKIP
    'user:ana'
"""

from __future__ import annotations

import datetime as dt
import html
import json
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from nbgov.emit.events import PRODUCER, dataset_event, facet, to_dict
from nbgov.errors import NbgovError, NodeNotFoundError
from nbgov.governance.impact import dataset_kind
from nbgov.governance.metrics import (
    APPROVAL_FACET,
    APPROVAL_SCHEMA_URL,
    MODEL_FACET,
    describe_model,
    model_store,
    training_run,
)
from nbgov.governance.ownership import owners_of, validate_owner
from nbgov.governance.profiles import PROFILE_FACET
from nbgov.governance.tags import LINEAGE_SOURCE, PROPAGATED_KEYS, Tag, TagFinding, effective_tags
from nbgov.model.nodes import NodeId
from nbgov.store import DEFAULT_DEPTH

if TYPE_CHECKING:
    from nbgov.store import Store

__all__ = [
    "ApprovalError",
    "Feature",
    "Label",
    "ModelCard",
    "UpstreamDataset",
    "approve",
    "model_card",
    "traced_tags",
    "upstream_datasets",
]


class ApprovalError(NbgovError):
    """An approval is malformed (no approver, a bad date, a review date in the past)."""


# ------------------------------------------------------------------ results
@dataclass(frozen=True)
class UpstreamDataset:
    """A dataset the model derives from.

    Attributes:
        node: its ``dataset:`` id; namespace, name: its parts.
        kind: ``file``, ``table``, ``model``, ``report`` or ``other`` (see ``dataset_kind``).
        distance: dataset hops from the model (1: read by the training run).
        version: the version the training run read (distance 1), else the current version.
        rows: row count, when quality metrics were stored.
        columns: column count, when the schema is known.
        date_ranges: ``(column, min, max)`` of date/time columns, from a stored profile.
        source: whether no job in the store writes it (a source of the lineage).
    """

    node: str
    namespace: str
    name: str
    kind: str
    distance: int
    version: str | None
    rows: int | None
    columns: int | None
    date_ranges: tuple[tuple[str, str, str], ...] = ()
    source: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.node, "namespace": self.namespace, "name": self.name, "kind": self.kind,
            "distance": self.distance, "version": self.version, "rows": self.rows, "columns": self.columns,
            "date_ranges": [{"column": c, "min": lo, "max": hi} for c, lo, hi in self.date_ranges],
            "source": self.source,
        }


@dataclass(frozen=True)
class Feature:
    """A feature column and the tags in effect on it."""

    name: str
    type: str | None
    tags: tuple[TagFinding, ...] = ()

    @property
    def pii(self) -> bool:
        return any(t.key in PROPAGATED_KEYS for t in self.tags)

    @property
    def policy_tags(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t.value for t in self.tags if t.key == "policy_tag"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "type": self.type, "pii": self.pii, "policy_tags": list(self.policy_tags),
            "tags": [{"key": t.key, "value": t.value, "inherited": t.inherited, "origin": t.origin,
                      "path": list(t.path)} for t in self.tags],
        }


@dataclass(frozen=True)
class Label:
    """The label column: its name and type, the dataset it came from, its class balance if known."""

    column: str | None
    source: str | None = None
    class_balance: tuple[tuple[str, int], ...] | None = None
    type: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "type": self.type, "source": self.source,
                "class_balance": dict(self.class_balance) if self.class_balance is not None else None}


@dataclass(frozen=True)
class ModelCard:
    """An auditor-ready description of one model, built from the store.

    Render it with :meth:`to_dict` (the JSON form), :meth:`to_markdown` or in a notebook
    (self-contained HTML, every value escaped).
    """

    node: str
    name: str
    version: str | None
    type: str | None
    estimator: str | None
    hyperparameters: tuple[tuple[str, str], ...]
    trained_on: str | None
    training_run: str | None
    training_rows: int | None
    training_data: tuple[UpstreamDataset, ...]
    features: tuple[Feature, ...]
    label: Label
    metrics: tuple[tuple[str, float], ...]
    metrics_source: tuple[tuple[str, str], ...]
    owners: tuple[str, ...]
    approval: Mapping[str, Any] | None = field(default=None, hash=False)

    # -------------------------------------------------------------- governance
    @property
    def approval_status(self) -> str:
        """``APPROVED``, ``STALE`` (approved for an earlier training run), ``REVOKED`` or ``NOT_APPROVED``."""
        if not self.approval:
            return "NOT_APPROVED"
        if self.approval.get("status") != "APPROVED":
            return str(self.approval.get("status") or "NOT_APPROVED")
        approved_run = self.approval.get("trainingRun")
        if approved_run and self.training_run and approved_run != self.training_run:
            return "STALE"
        return "APPROVED"

    @property
    def approved(self) -> bool:
        return self.approval_status == "APPROVED"

    @property
    def next_review(self) -> str | None:
        return (self.approval or {}).get("nextReview")

    @property
    def pii_features(self) -> tuple[Feature, ...]:
        return tuple(f for f in self.features if f.pii)

    # -------------------------------------------------------------- renderings
    def to_dict(self) -> dict[str, Any]:
        """The JSON form: ``model_details``, ``data_lineage``, ``evaluation``, ``governance``."""
        approval = self.approval or {}
        return {
            "model_details": {
                "name": self.name, "node": self.node, "version": self.version, "type": self.type,
                "estimator": self.estimator, "hyperparameters": dict(self.hyperparameters),
                "trained_on": self.trained_on, "training_run": self.training_run,
                "training_rows": self.training_rows,
            },
            "data_lineage": {
                "training_data": [d.to_dict() for d in self.training_data],
                "features": {
                    "feature_names": [f.name for f in self.features],
                    "details": [f.to_dict() for f in self.features],
                    "pii_features": [f.name for f in self.pii_features],
                },
                "labels": self.label.to_dict(),
            },
            "evaluation": {"metrics": dict(self.metrics), "sources": dict(self.metrics_source)},
            "governance": {
                "owner": self.owners[0] if self.owners else None,
                "owners": list(self.owners),
                "approval_status": self.approval_status,
                "approved_by": approval.get("approvedBy"),
                "approval_date": approval.get("approvalDate"),
                "next_review": approval.get("nextReview"),
            },
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_markdown(self) -> str:
        """The card as Markdown (table cells have ``|`` and newlines escaped)."""
        d = self.to_dict()
        md = _md
        out = [f"# Model card: {md(self.name)}", "", "## Model details", ""]
        det = d["model_details"]
        for key in ("node", "type", "estimator", "version", "trained_on", "training_run", "training_rows"):
            out.append(f"- **{key.replace('_', ' ')}**: {md(det[key])}")
        if self.hyperparameters:
            out.append("- **hyperparameters**: " + ", ".join(f"`{md(k)}={md(v)}`" for k, v in self.hyperparameters))
        out += ["", "## Data lineage", "", "| dataset | kind | hops | version | rows | columns | date ranges |",
                "|---|---|---|---|---|---|---|"]
        for ds in self.training_data:
            ranges = "; ".join(f"{c}: {lo} … {hi}" for c, lo, hi in ds.date_ranges)
            out.append(f"| {md(ds.node)}{' (source)' if ds.source else ''} | {md(ds.kind)} | {ds.distance} | "
                       f"{md(ds.version)} | {md(ds.rows)} | {md(ds.columns)} | {md(ranges or '-')} |")
        out += ["", "### Features", "", "| feature | type | tags (origin) |", "|---|---|---|"]
        for f in self.features:
            tags = "; ".join(f"{t.key}={t.value} ({'from ' + t.origin if t.inherited else 'own'})" for t in f.tags)
            out.append(f"| {md(f.name)} | {md(f.type)} | {md(tags or '-')} |")
        if self.pii_features:
            out += ["", "**This model is trained on PII-tagged features: "
                    + ", ".join(md(f.name) for f in self.pii_features) + ".**"]
        lab = self.label
        balance = ", ".join(f"{k}: {v}" for k, v in lab.class_balance) if lab.class_balance else "unknown"
        out += ["", "### Label", "", f"- **column**: {md(lab.column)}", f"- **type**: {md(lab.type)}",
                f"- **source**: {md(lab.source)}",
                f"- **class balance**: {md(balance)}", "", "## Evaluation", ""]
        out += [f"- **{md(k)}**: {v:g}" for k, v in self.metrics] or ["No metrics recorded."]
        gov = d["governance"]
        out += ["", "## Governance", "", f"- **owners**: {md(', '.join(self.owners) or '(none)')}",
                f"- **approval status**: {gov['approval_status']}", f"- **approved by**: {md(gov['approved_by'])}",
                f"- **approval date**: {md(gov['approval_date'])}", f"- **next review**: {md(gov['next_review'])}", ""]
        return "\n".join(out)

    def to_html(self) -> str:
        """Self-contained HTML (no script, stylesheet or image is loaded; every value escaped)."""
        e = _esc
        d = self.to_dict()
        rows = "".join(
            f"<tr><td><code>{e(ds.node)}</code>{' <em>source</em>' if ds.source else ''}</td><td>{e(ds.kind)}</td>"
            f"<td>{ds.distance}</td><td><code>{e(ds.version)}</code></td><td>{e(ds.rows)}</td><td>{e(ds.columns)}</td>"
            f"<td>{e('; '.join(f'{c}: {lo} … {hi}' for c, lo, hi in ds.date_ranges) or '-')}</td></tr>"
            for ds in self.training_data
        )
        feats = "".join(
            f"<tr><td><code>{e(f.name)}</code></td><td>{e(f.type)}</td><td>"
            + ("".join(f"<span style='color:#b91c1c;font-weight:600'>⚠ {e(t.key)}={e(t.value)}</span> "
                       f"<span style='color:#4b5563'>{e('from ' + t.origin if t.inherited else 'own')}</span><br>"
                       for t in f.tags) or "-")
            + "</td></tr>"
            for f in self.features
        )
        metrics = "".join(f"<tr><td>{e(k)}</td><td>{e(f'{v:g}')}</td></tr>" for k, v in self.metrics)
        gov = d["governance"]
        params = ", ".join(f"{k}={v}" for k, v in self.hyperparameters)
        balance = ", ".join(f"{k}: {v}" for k, v in self.label.class_balance) if self.label.class_balance else "unknown"
        warn = (f"<p style='border-left:4px solid #b91c1c;background:#fef2f2;padding:4px 8px'>Trained on PII-tagged "
                f"features: {e(', '.join(f.name for f in self.pii_features))}</p>" if self.pii_features else "")
        style = "font-family:system-ui,sans-serif;font-size:13px;color:#1f2937"
        table = "border-collapse:collapse"
        return (
            f"<div class='nbgov-model-card' style='{style}'>"
            f"<h3>Model card: {e(self.name)}</h3>{warn}"
            f"<table style='{table}'><tr><th>node</th><td><code>{e(self.node)}</code></td></tr>"
            f"<tr><th>type</th><td>{e(self.type)}</td></tr><tr><th>version</th><td><code>{e(self.version)}</code></td></tr>"
            f"<tr><th>trained on</th><td>{e(self.trained_on)}</td></tr>"
            f"<tr><th>training rows</th><td>{e(self.training_rows)}</td></tr>"
            f"<tr><th>hyperparameters</th><td><code>{e(params or '-')}</code></td></tr></table>"
            f"<h4>Data lineage</h4><table style='{table}'><tr><th>dataset</th><th>kind</th><th>hops</th>"
            f"<th>version</th><th>rows</th><th>columns</th><th>date ranges</th></tr>{rows}</table>"
            f"<h4>Features</h4><table style='{table}'><tr><th>feature</th><th>type</th><th>tags</th></tr>{feats}</table>"
            f"<p><b>Label</b>: <code>{e(self.label.column)}</code> ({e(self.label.type)}) from "
            f"<code>{e(self.label.source)}</code>; "
            f"class balance {e(balance)}</p>"
            f"<h4>Evaluation</h4><table style='{table}'>{metrics or '<tr><td>No metrics recorded.</td></tr>'}</table>"
            f"<h4>Governance</h4><table style='{table}'>"
            f"<tr><th>owners</th><td>{e(', '.join(self.owners) or '(none)')}</td></tr>"
            f"<tr><th>approval</th><td>{e(gov['approval_status'])}</td></tr>"
            f"<tr><th>approved by</th><td>{e(gov['approved_by'])}</td></tr>"
            f"<tr><th>approval date</th><td>{e(gov['approval_date'])}</td></tr>"
            f"<tr><th>next review</th><td>{e(gov['next_review'])}</td></tr></table></div>"
        )

    def _repr_html_(self) -> str:
        return self.to_html()

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __repr__(self) -> str:
        return (f"<ModelCard {self.node}: {self.type}, {len(self.training_data)} upstream datasets, "
                f"{len(self.features)} features ({len(self.pii_features)} PII), {self.approval_status}>")


def _esc(value: Any) -> str:
    return html.escape("-" if value is None else str(value), quote=True)


def _md(value: Any) -> str:
    text = "-" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


# ------------------------------------------------------------------ the graph
def _fields(data: Mapping[str, Any]) -> dict[str, str | None]:
    return {f["name"]: f.get("type") for f in data.get("fields") or () if isinstance(f, Mapping) and "name" in f}


def _parents(store: Store, node: NodeId, direction: str, depth: int) -> tuple[
        dict[str, set[str]], dict[str, Mapping[str, Any]]]:
    """dataset id → the datasets one job away (up: its inputs; down: its outputs), plus node data."""
    graph = (store.upstream if direction == "up" else store.downstream)(node, depth)["graph"]
    by_id = {n["id"]: n for n in graph}
    data = {n["id"]: n.get("data") or {} for n in graph if n["type"] == "DATASET"}
    step: dict[str, set[str]] = {}
    for n in graph:
        if n["type"] != "DATASET":
            continue
        for edge in n["inEdges" if direction == "up" else "outEdges"]:
            job = by_id.get(edge["origin" if direction == "up" else "destination"])
            if job is None:
                continue
            for e2 in job["inEdges" if direction == "up" else "outEdges"]:
                other = e2["origin" if direction == "up" else "destination"]
                if other in data and other != n["id"]:
                    step.setdefault(n["id"], set()).add(other)
    return step, data


def _stored_tags(data: Mapping[str, Any]) -> list[Tag]:
    facet_ = (data.get("facets") or {}).get("tags")
    out = []
    for entry in facet_.get("tags") or () if isinstance(facet_, Mapping) else ():
        try:
            out.append(Tag.from_dict(entry))
        except NbgovError:
            continue
    return out


def traced_tags(
    store: Store, node: NodeId | str, column: str, *, depth: int = DEFAULT_DEPTH,
    keys: tuple[str, ...] = PROPAGATED_KEYS, graph: tuple[dict[str, set[str]], dict[str, Mapping[str, Any]]] | None = None,
) -> list[TagFinding]:
    """The tags in effect on one column: :func:`effective_tags` plus name-matched inheritance.

    The name match walks upstream from the dataset through jobs, following a dataset only
    while it has a column named ``column``; each tag with a key in ``keys`` set on that
    column of a dataset reached is inherited (source ``LINEAGE``) with the path of
    ``datasetField:`` ids from the tagged column to ``column``.

    Raises:
        NodeNotFoundError: the dataset is unknown.
    """
    parsed = node if isinstance(node, NodeId) else store.resolve(node)[1]
    target = NodeId.dataset(parsed.namespace, parsed.name)
    field_id = str(NodeId.dataset_field(parsed.namespace, parsed.name, column))
    found = {(t.key, t.value, t.origin): t for t in effective_tags(store, field_id, depth=depth, keys=keys)}
    up, data = graph or _parents(store, target, "up", depth)
    start = str(target)
    paths: dict[str, tuple[str, ...]] = {start: (start,)}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        for parent in sorted(up.get(here, ())):
            if parent in paths or column not in _fields(data.get(parent, {})):
                continue
            paths[parent] = (parent, *paths[here])
            queue.append(parent)
    for ds_id, path in sorted(paths.items(), key=lambda kv: (len(kv[1]), kv[0])):
        if ds_id == start:
            continue
        cols = tuple(str(NodeId.dataset_field(*_parts(p, data, target), column)) for p in path)
        for t in _stored_tags(data.get(ds_id, {})):
            if t.field == column and t.key in keys and t.source != LINEAGE_SOURCE:
                key = (t.key, t.value, cols[0])
                if key not in found:
                    found[key] = TagFinding(field_id, t.key, t.value, LINEAGE_SOURCE, cols[0], t.source, cols)
    return sorted(found.values(), key=lambda f: (f.inherited, len(f.path), f.origin, f.key, f.value))


def _parts(ds_id: str, data: Mapping[str, Mapping[str, Any]], start: NodeId) -> tuple[str, str]:
    if ds_id == str(start):
        return start.namespace, start.name
    return data[ds_id]["namespace"], data[ds_id]["name"]


def _run_reads(store: Store, run_id: str | None) -> dict[tuple[str, str], tuple[str | None, int | None]]:
    """``(namespace, name) → (version read, rows read)`` of the inputs of one run, from its events."""
    out: dict[tuple[str, str], tuple[str | None, int | None]] = {}
    if not run_id:
        return out
    for event in store.events(run_id=run_id):
        for item in event.get("inputs") or ():
            key = (item.get("namespace"), item.get("name"))
            version = ((item.get("facets") or {}).get("version") or {}).get("datasetVersion")
            rows = ((item.get("inputFacets") or {}).get("dataQualityMetrics") or {}).get("rowCount")
            before = out.get(key, (None, None))
            out[key] = (version if isinstance(version, str) else before[0],
                        rows if isinstance(rows, int) else before[1])
    return out


def _written(store: Store, ns: str, name: str, version: str | None) -> tuple[str | None, Mapping[str, Any]]:
    """``(run, facets)`` of the version of a dataset a run wrote (the latest when ``version`` is
    None or unknown); ``(None, {})`` for a dataset no run wrote."""
    try:
        versions = store.dataset_versions(ns, name)
    except NodeNotFoundError:  # pragma: no cover - a graph node is always stored
        return None, {}
    chosen = next((v for v in versions if v["version"] == version), None) if version else None
    chosen = chosen or (versions[0] if versions else None)
    return (chosen["createdByRun"], chosen.get("facets") or {}) if chosen else (None, {})


def _date_ranges(facets: Mapping[str, Any], fields: Mapping[str, str | None]) -> tuple[tuple[str, str, str], ...]:
    prof = facets.get(PROFILE_FACET)
    out = []
    for col in prof.get("columns") or () if isinstance(prof, Mapping) else ():
        q = col.get("quantiles") if isinstance(col, Mapping) else None
        if col.get("logical") == "datetime" and isinstance(q, list) and q:
            lo, hi = (dt.datetime.fromtimestamp(v / 1e9, dt.timezone.utc).isoformat() for v in (q[0], q[-1]))
            out.append((str(col.get("name")), lo, hi))
    if out:
        return tuple(out)
    metrics = (facets.get("dataQualityMetrics") or {}).get("columnMetrics") or {}
    for name, typ in fields.items():
        m = metrics.get(name) or {}
        if typ and any(w in typ.lower() for w in ("date", "time")) and "min" in m and "max" in m:
            out.append((name, str(m["min"]), str(m["max"])))
    return tuple(out)


def upstream_datasets(store: Store, node: NodeId | str, *, depth: int = DEFAULT_DEPTH) -> list[UpstreamDataset]:
    """Every dataset the model (or any dataset) derives from, nearest first, to the sources.

    Versions and rows are those of training time: walking up from the model, each
    dataset's version is the one read by the run that wrote the version of its consumer
    the walk came from (for the model's direct inputs: the training run; None when that
    run recorded no version), and its rows those that run read (its
    ``dataQualityMetrics`` input facet), else those stored with that version or the
    dataset; a dataset that run did not read (a parent through another run of the job)
    shows its current version. Date ranges come from the model's ``nbgov_model`` facet (the
    training window, for the training datasets), else a stored profile.

    Raises:
        NodeNotFoundError: the dataset is unknown.
    """
    parsed = node if isinstance(node, NodeId) else store.resolve(node)[1]
    base = NodeId.dataset(parsed.namespace, parsed.name)
    start = str(base)
    up, data = _parents(store, base, "up", depth)
    run_id, _, _ = training_run(store, base)
    model_facet = (store.dataset(base.namespace, base.name).get("facets") or {}).get(MODEL_FACET)
    window: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    same_run = isinstance(model_facet, Mapping) and model_facet.get("trainingRun") == run_id
    for r in (model_facet or {}).get("dateRanges") or () if same_run else ():
        window.setdefault((r["namespace"], r["name"]), []).append((r["column"], r["min"], r["max"]))
    producer: dict[str, str | None] = {start: run_id}
    found: dict[str, tuple[int, str | None, int | None, Mapping[str, Any]]] = {}  # hops, version, rows, facets
    reads_cache: dict[str | None, dict[tuple[str, str], tuple[str | None, int | None]]] = {}
    queue = deque([(start, 0)])
    seen = {start}
    def reads_of(run: str | None) -> dict[tuple[str, str], tuple[str | None, int | None]]:
        if run not in reads_cache:
            reads_cache[run] = _run_reads(store, run)
        return reads_cache[run]

    while queue:
        here, hops = queue.popleft()
        reads = dict(reads_of(producer.get(here)))
        # a run that changed `here` in place read it too: what the run that wrote that version read counts
        d_here = data.get(here, {}) if here != start else {"namespace": base.namespace, "name": base.name}
        key_here, run, steps = (d_here.get("namespace"), d_here.get("name")), producer.get(here), 0
        while key_here in reads_of(run) and steps < 20:
            run, _ = _written(store, *key_here, reads_of(run)[key_here][0])
            if run is None or run == producer.get(here):
                break
            for key, value in reads_of(run).items():
                reads.setdefault(key, value)
            steps += 1
        for parent in sorted(up.get(here, ())):
            if parent in seen:
                continue
            seen.add(parent)
            d = data.get(parent, {})
            ns, name = d.get("namespace"), d.get("name")
            read = (ns, name) in reads
            version, rows = reads[(ns, name)] if read else (d.get("currentVersion"), None)
            wrote, version_facets = _written(store, ns, name, version)
            producer[parent] = wrote
            found[parent] = (hops + 1, version, rows, version_facets)
            queue.append((parent, hops + 1))
    out = []
    for ds_id, (hops, version, rows, version_facets) in sorted(found.items(), key=lambda kv: (kv[1][0], kv[0])):
        d = data.get(ds_id, {})
        ns, name = d.get("namespace"), d.get("name")
        facets = d.get("facets") or {}
        fields = _fields(d)
        for candidate in (version_facets, facets):
            if not isinstance(rows, int):
                rows = (candidate.get("dataQualityMetrics") or {}).get("rowCount")
        if not isinstance(rows, int):
            prof = facets.get(PROFILE_FACET)
            rows = prof.get("rows") if isinstance(prof, Mapping) else None
        ranges = tuple(window.get((ns, name), ())) or _date_ranges(facets, fields)
        out.append(UpstreamDataset(
            node=ds_id, namespace=ns, name=name, kind=dataset_kind(ns, name, facets), distance=hops,
            version=version, rows=rows if isinstance(rows, int) else None, columns=len(fields) or None,
            date_ranges=ranges, source=not up.get(ds_id),
        ))
    return out


def _label_source(store: Store, node: NodeId, column: str, training: tuple[UpstreamDataset, ...],
                  data: Mapping[str, Mapping[str, Any]], depth: int) -> str | None:
    """The dataset the label came from: the farthest origin of the label's column lineage,
    else the farthest upstream dataset (a source preferred) with a column of that name."""
    field_id = NodeId.dataset_field(node.namespace, node.name, column)
    try:
        edges = store.column_edges(field_id, depth, direction="up")
    except NodeNotFoundError:
        edges = []
    if edges:
        outputs = {(e["output"]["namespace"], e["output"]["dataset"]) for e in edges}
        origins = [(e["input"]["namespace"], e["input"]["dataset"]) for e in edges
                   if (e["input"]["namespace"], e["input"]["dataset"]) not in outputs]
        if origins:
            return str(NodeId.dataset(*max(origins)))
    having = [u for u in training if column in _fields(data.get(u.node, {}))]
    sources = [u for u in having if u.source] or having
    return sources[-1].node if sources else None


def _class_balance(store: Store, source: str | None, column: str,
                   data: Mapping[str, Mapping[str, Any]]) -> tuple[tuple[str, int], ...] | None:
    if source is None:
        return None
    prof = (data.get(source, {}).get("facets") or {}).get(PROFILE_FACET)
    for col in prof.get("columns") or () if isinstance(prof, Mapping) else ():
        if isinstance(col, Mapping) and col.get("name") == column and isinstance(col.get("categories"), Mapping) \
                and not col.get("hashed"):
            return tuple(sorted((str(k), int(v)) for k, v in col["categories"].items()))
    return None


# ------------------------------------------------------------------ public API
def model_card(model: Any, *, store: Store | None = None, depth: int = DEFAULT_DEPTH) -> ModelCard:
    """The model card of a model, from the store.

    Args:
        model: a fitted estimator in a kernel where nbgov is loaded, or the model's
            dataset (``dataset:NS:NAME``, ``NS:NAME`` or a unique name such as ``model``).
        store: the lineage store; default the notebook's (for an object) or ``open_store()``.
        depth: how far upstream to follow the lineage.

    Raises:
        ModelNotFoundError: the model cannot be found.
    """
    with model_store(model, store) as (db, node):
        return _card(db, node, depth)


def _card(store: Store, node: NodeId, depth: int) -> ModelCard:
    data = store.dataset(node.namespace, node.name)
    facets = data.get("facets") or {}
    summary = describe_model(store, node)
    stored = facets.get(MODEL_FACET) if isinstance(facets.get(MODEL_FACET), Mapping) else {}
    run_id, ended, _ = training_run(store, node)
    if stored.get("trainingRun") == run_id:
        summary["metrics"] = dict(stored.get("metrics") or {})
        summary["metricsSource"] = dict(stored.get("metricsSource") or {})
    graph = _parents(store, node, "up", depth)
    types = _fields(data)
    features = tuple(
        Feature(name, types.get(name), tuple(traced_tags(store, node, name, depth=depth, graph=graph)))
        for name in summary["features"]
    )
    label_col = summary["label"]
    label_source, label_type, balance = None, None, None
    training = tuple(upstream_datasets(store, node, depth=depth))
    if label_col:
        label_source = _label_source(store, node, label_col, training, graph[1], depth)
        label_type = types.get(label_col) or _fields(graph[1].get(label_source or "", {})).get(label_col)
        kept = summary.get("classBalance")
        balance = (tuple(sorted((str(k), int(v)) for k, v in kept.items())) if isinstance(kept, Mapping)
                   else _class_balance(store, label_source, label_col, graph[1]))
    owners = owners_of(facets)
    if not owners:  # the job that trained it
        for job in {e["origin"] for n in store.upstream(node, 0)["graph"] if n["id"] == str(node)
                    for e in n["inEdges"]}:
            try:
                owners += tuple(o for o in owners_of(store.node(job).get("facets") or {}) if o not in owners)
            except NodeNotFoundError:  # pragma: no cover - a graph node is always stored
                continue
    approval = facets.get(APPROVAL_FACET) if isinstance(facets.get(APPROVAL_FACET), Mapping) else None
    dtype = facets.get("datasetType") if isinstance(facets.get("datasetType"), Mapping) else {}
    return ModelCard(
        node=str(node), name=node.name.rsplit("/", 1)[-1], version=data.get("currentVersion"),
        type=dtype.get("subType") or summary["estimator"], estimator=summary["estimator"],
        hyperparameters=tuple(summary["hyperparameters"].items()), trained_on=ended, training_run=run_id,
        training_rows=summary["trainingRows"], training_data=training, features=features,
        label=Label(label_col, label_source, balance, label_type),
        metrics=tuple(sorted(summary["metrics"].items())), metrics_source=tuple(sorted(summary["metricsSource"].items())),
        owners=tuple(owners), approval=dict(approval) if approval else None,
    )


def _date(value: str | dt.date | None, what: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise ApprovalError(f"{what} must be a date written YYYY-MM-DD, got {value!r}") from None


def approve(
    model: Any,
    *,
    by: str,
    next_review: str | dt.date | None,
    store: Store | None = None,
    date: str | dt.date | None = None,
    note: str | None = None,
    revoke: bool = False,
    emit: bool = True,
    today: dt.date | None = None,
) -> ModelCard:
    """Approve (or revoke the approval of) a model's current training run.

    Args:
        model: a fitted estimator (nbgov loaded) or the model's dataset name.
        by: who approves, e.g. ``user:ana`` (any non-empty text; ``team:``/``user:`` names
            also become the model's owner when it has none).
        next_review: the date by which the model must be reviewed again (after today).
        store: the lineage store; default as for :func:`model_card`.
        date: the approval date; default today.
        note: free text stored with the approval.
        revoke: record a revocation instead.
        emit: also queue the event for the configured OpenLineage backend.
        today: the date to compare ``next_review`` with (tests); default today.

    Returns:
        The model card afterwards.

    Raises:
        ApprovalError: no approver, a malformed date, or a review date not in the future.
        ModelNotFoundError: the model cannot be found.
    """
    if not isinstance(by, str) or not by.strip():
        raise ApprovalError("an approval needs an approver (--by NAME)")
    review = _date(next_review, "the next review date")
    when = _date(date, "the approval date") or (today or dt.date.today()).isoformat()
    if not revoke and review is not None and review <= (today or dt.date.today()).isoformat():
        raise ApprovalError(f"the next review date {review} is not in the future")
    with model_store(model, store) as (db, node):
        run_id, _, _ = training_run(db, node)
        payload = {"status": "REVOKED" if revoke else "APPROVED", "approvedBy": by.strip(),
                   "approvalDate": when, "nextReview": review, "trainingRun": run_id, "note": note}
        facets: dict[str, Any] = {APPROVAL_FACET: {"_producer": PRODUCER, "_schemaURL": APPROVAL_SCHEMA_URL, **payload}}
        current = owners_of(db.dataset(node.namespace, node.name).get("facets") or {})
        if not current and not revoke:
            try:
                facets["ownership"] = facet("ownership", {"owners": [{"name": validate_owner(by.strip())}]})
            except NbgovError:
                pass  # free-text approver: not an owner name
        db.add_events([to_dict(dataset_event(node.namespace, node.name, facets=facets))], emit=emit)
        return _card(db, node, DEFAULT_DEPTH)
