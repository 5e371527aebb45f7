"""Column tags from PII findings, stored as OpenLineage ``tags`` facets, and their propagation.

A :class:`~nbgov.governance.pii.PiiReport` becomes, per column with findings, one tag
``{key: "pii", value: INFO_TYPE}`` per info type and one ``{key: "policy_tag", value:
TAG}`` with the most specific policy tag of the :mod:`taxonomy <nbgov.governance.taxonomy>`
— all with ``source: "NBGOV_CLASSIFIER"`` and ``field`` the column. The evidence
(likelihood, match ratio, values sampled, a *masked* example) goes in a companion custom
facet, ``nbgov_pii``. No raw value is ever written.

:func:`record_tags` stores them as a spec-valid OpenLineage DatasetEvent. Tags then
**propagate along column lineage** at query time: :func:`effective_tags` gives a
column's own tags plus those inherited from every upstream column it was derived from
through DIRECT edges of any subtype (IDENTITY, TRANSFORMATION, AGGREGATION), across any
number of steps, with the path (source ``LINEAGE``). A field pair with a ``masking: true``
transformation (hashing, redaction) does not propagate, nor do INDIRECT edges (filters,
joins, group-bys, sorts): they shape which rows exist, not what a value holds.

Example:
    >>> from nbgov.governance import classify_pii, record_tags, effective_tags
    >>> report = classify_pii(df)                                      # doctest: +SKIP
    >>> record_tags(store, "file", "/data/customers.csv", report)       # doctest: +SKIP
    >>> effective_tags(store, "datasetField:warehouse:mart.contacts:mail")  # doctest: +SKIP
    [TagFinding(node='datasetField:warehouse:mart.contacts:mail', key='pii', value='EMAIL_ADDRESS',
                source='LINEAGE', origin='datasetField:file:/data/customers.csv:email', ...)]
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nbgov.emit.events import PRODUCER, Field, dataset, dataset_event, facet, to_dict
from nbgov.errors import NbgovError, NodeNotFoundError
from nbgov.governance.pii import PiiReport
from nbgov.governance.taxonomy import Taxonomy, load_taxonomy
from nbgov.model.nodes import NodeId, NodeType
from nbgov.store import DEFAULT_DEPTH

if TYPE_CHECKING:
    from nbgov.store import Store

__all__ = [
    "CLASSIFIER_SOURCE",
    "LINEAGE_SOURCE",
    "PII_FACET",
    "PII_FACET_SCHEMA_URL",
    "PROPAGATED_KEYS",
    "ColumnTags",
    "Tag",
    "TagError",
    "TagFinding",
    "effective_tags",
    "pii_facet",
    "pii_tags",
    "record_tags",
    "tagged_columns",
    "tags_event",
    "tags_facet",
]

#: ``source`` of tags nbgov's classifier sets
CLASSIFIER_SOURCE = "NBGOV_CLASSIFIER"
#: ``source`` of tags a column inherits through column lineage (computed, never stored)
LINEAGE_SOURCE = "LINEAGE"
#: tag keys that follow column lineage
PROPAGATED_KEYS: tuple[str, ...] = ("pii", "policy_tag")
#: key of the companion custom facet holding the classifier's evidence
PII_FACET = "nbgov_pii"
#: ``_schemaURL`` of that facet (documented in docs/governance.md)
PII_FACET_SCHEMA_URL = "https://github.com/nbgov/nbgov/blob/main/docs/governance.md#the-nbgov_pii-facet"


class TagError(NbgovError):
    """Tags could not be built or recorded (bad argument)."""


@dataclass(frozen=True)
class Tag:
    """One entry of an OpenLineage ``tags`` dataset facet.

    Attributes:
        key: what the tag says, e.g. ``pii`` or ``policy_tag``.
        value: its value, e.g. ``EMAIL_ADDRESS`` or ``PII.Sensitive``.
        source: who set it: ``NBGOV_CLASSIFIER``, ``USER``, an integration's name.
        field: the column it applies to; None for the whole dataset.
    """

    key: str
    value: str
    source: str | None = None
    field: str | None = None

    def to_dict(self) -> dict[str, str]:
        """The facet entry (``source``/``field`` left out when None)."""
        out = {"key": self.key, "value": self.value}
        if self.source is not None:
            out["source"] = self.source
        if self.field is not None:
            out["field"] = self.field
        return out

    @classmethod
    def from_dict(cls, entry: Mapping[str, Any]) -> Tag:
        """Read a facet entry. Raises TagError when ``key`` or ``value`` is missing."""
        if not isinstance(entry, Mapping) or not isinstance(entry.get("key"), str):
            raise TagError(f"a tag needs a text key, got {entry!r}")
        value = entry.get("value")
        if not isinstance(value, str):
            raise TagError(f"tag {entry['key']!r} needs a text value")
        source, where = entry.get("source"), entry.get("field")
        return cls(entry["key"], value, source if isinstance(source, str) else None,
                   where if isinstance(where, str) and where else None)


@dataclass(frozen=True)
class TagFinding:
    """A tag in effect on a column (or a dataset), own or inherited.

    Attributes:
        node: the ``datasetField:`` (or ``dataset:``) id the tag is in effect on.
        key: the tag's key.
        value: the tag's value.
        source: ``LINEAGE`` for an inherited tag, else the stored tag's source.
        origin: the id of the column the tag was set on (``node`` for own tags).
        origin_source: the source of the tag where it was set.
        path: for inherited tags, the ``datasetField:`` ids from ``origin`` to ``node``
            (a shortest path; ties broken by id); ``(node,)`` for own tags.
    """

    node: str
    key: str
    value: str
    source: str | None
    origin: str
    origin_source: str | None
    path: tuple[str, ...]

    @property
    def inherited(self) -> bool:
        return self.source == LINEAGE_SOURCE

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.node, "key": self.key, "value": self.value, "source": self.source,
            "origin": self.origin, "origin_source": self.origin_source, "path": list(self.path),
        }


@dataclass(frozen=True)
class ColumnTags:
    """A column and the tags in effect on it (own first, then inherited)."""

    node: str
    namespace: str
    dataset: str
    field: str
    tags: tuple[TagFinding, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.node, "namespace": self.namespace, "dataset": self.dataset, "field": self.field,
            "tags": [t.to_dict() for t in self.tags],
        }


# ------------------------------------------------------------------ from a report
def pii_tags(report: PiiReport, *, taxonomy: Taxonomy | None = None) -> list[Tag]:
    """The classifier's tags for a report: per column, its info types and its policy tag.

    Args:
        report: from :func:`~nbgov.governance.pii.classify_pii`.
        taxonomy: maps info types to policy tags; default :func:`load_taxonomy`.

    Returns:
        ``pii`` tags (one per info type) then one ``policy_tag`` (the most specific
        policy tag of its info types), per column with findings, in column order.
    """
    tax = taxonomy or load_taxonomy()
    out: list[Tag] = []
    for column, findings in report.by_column().items():
        types = list(dict.fromkeys(f.info_type for f in findings))
        out += [Tag("pii", t, CLASSIFIER_SOURCE, column) for t in types]
        policy = tax.most_specific(tax.policy_tag(t) for t in types)
        if policy:
            out.append(Tag("policy_tag", policy, CLASSIFIER_SOURCE, column))
    return out


def tags_facet(tags: Iterable[Tag | Mapping[str, Any]]) -> dict[str, Any]:
    """An OpenLineage ``tags`` dataset facet (TagsDatasetFacet 1-0-0) holding ``tags``."""
    entries = [t if isinstance(t, Tag) else Tag.from_dict(t) for t in tags]
    return facet("tags", {"tags": [t.to_dict() for t in entries]})


def pii_facet(report: PiiReport, *, taxonomy: Taxonomy | None = None) -> dict[str, Any]:
    """The ``nbgov_pii`` custom facet: the classifier's evidence, masked, per finding.

    Keys: ``rows``, ``sample``, ``minLikelihood``, ``taxonomy``, ``columnsScanned`` (the
    column names) and ``findings`` — each ``{field, infoType, policyTag, likelihood,
    matchRatio, sampled, example, reasons}`` where ``example`` is masked.
    """
    tax = taxonomy or load_taxonomy()
    return {
        "_producer": PRODUCER,
        "_schemaURL": PII_FACET_SCHEMA_URL,
        "rows": report.rows,
        "sample": report.sample,
        "minLikelihood": report.min_likelihood.name,
        "taxonomy": tax.name,
        "columnsScanned": list(report.columns),
        "findings": [
            {"field": f.column, "infoType": f.info_type, "policyTag": tax.policy_tag(f.info_type),
             "likelihood": f.likelihood.name, "matchRatio": f.match_ratio, "sampled": f.sampled,
             "example": f.example, "reasons": list(f.reasons)}
            for f in report.findings
        ],
    }


def _merge_tags(old: Sequence[Tag], new: Sequence[Tag], replaced_fields: set[str] | None) -> list[Tag]:
    """``old`` minus the classifier's tags on ``replaced_fields`` (a new scan of them), plus ``new``."""
    kept = [
        t for t in old
        if not (replaced_fields is not None and t.source == CLASSIFIER_SOURCE and t.field in replaced_fields)
    ]
    return list(dict.fromkeys([*kept, *new]))


def _stored_facets(store: Store, namespace: str, name: str) -> dict[str, Any]:
    try:
        return dict(store.dataset(namespace, name).get("facets") or {})
    except NodeNotFoundError:
        return {}


def _stored_tags(facets: Mapping[str, Any]) -> list[Tag]:
    facet = facets.get("tags")
    entries = facet.get("tags") if isinstance(facet, Mapping) else None
    out = []
    for entry in entries if isinstance(entries, list) else ():
        try:
            out.append(Tag.from_dict(entry))
        except TagError:
            continue  # someone else's malformed entry: not ours to repair or to fail on
    return out


def tags_event(
    namespace: str,
    name: str,
    report_or_tags: PiiReport | Iterable[Tag | Mapping[str, Any]],
    *,
    fields: Iterable[Field] | None = None,
    taxonomy: Taxonomy | None = None,
    existing: Mapping[str, Any] | None = None,
    event_time: str | dt.datetime | None = None,
) -> dict[str, Any]:
    """The OpenLineage DatasetEvent that sets a dataset's tags (as JSON-ready data).

    Args:
        namespace: the dataset's namespace.
        name: the dataset's name.
        report_or_tags: a :class:`PiiReport` (→ classifier tags and the ``nbgov_pii``
            facet) or tags to add (:class:`Tag` or facet-entry mappings).
        fields: the dataset's columns as ``(name, type)``, → a ``schema`` facet.
        taxonomy: for a report; default :func:`load_taxonomy`.
        existing: the dataset's current facets; its tags are kept (a report replaces
            the classifier's earlier tags and evidence on the columns it scanned).
        event_time: default now.

    Raises:
        TagError: a tag is malformed.
    """
    existing = existing or {}
    facets: dict[str, Any] = {}
    old = _stored_tags(existing)
    if isinstance(report_or_tags, PiiReport):
        tax = taxonomy or load_taxonomy()
        scanned = set(report_or_tags.columns)
        facets["tags"] = tags_facet(_merge_tags(old, pii_tags(report_or_tags, taxonomy=tax), scanned))
        evidence = pii_facet(report_or_tags, taxonomy=tax)
        prior = existing.get(PII_FACET)
        if isinstance(prior, Mapping) and isinstance(prior.get("findings"), list):
            evidence["findings"] = [
                f for f in prior["findings"] if isinstance(f, Mapping) and f.get("field") not in scanned
            ] + evidence["findings"]
        facets[PII_FACET] = evidence
    else:
        new = [t if isinstance(t, Tag) else Tag.from_dict(t) for t in report_or_tags]
        facets["tags"] = tags_facet(_merge_tags(old, new, None))
    static = dataset(namespace, name, fields=fields, kind="output")  # the schema facet, by the client's classes
    schema = {k: to_dict(v) if not isinstance(v, Mapping) else dict(v) for k, v in (static.facets or {}).items()}
    return to_dict(dataset_event(namespace, name, facets={**schema, **facets}, event_time=event_time))


def record_tags(
    store: Store,
    namespace: str,
    name: str,
    report_or_tags: PiiReport | Iterable[Tag | Mapping[str, Any]],
    *,
    fields: Iterable[Field] | None = None,
    taxonomy: Taxonomy | None = None,
    emit: bool = False,
) -> dict[str, Any]:
    """Store a dataset's tags as an OpenLineage DatasetEvent; return the event.

    The dataset's other tags are kept: a report replaces only the classifier's tags on
    the columns it scanned (so a column no longer found to hold PII loses its
    ``NBGOV_CLASSIFIER`` tags); user tags stay. One line from a notebook hook::

        record_tags(store, *dataset_name_for("file", path=p), classify_pii(df))

    Args:
        store: where to record.
        namespace: the dataset's namespace (see :func:`nbgov.emit.events.dataset_name_for`).
        name: the dataset's name.
        report_or_tags: a :class:`PiiReport`, or tags to add.
        fields: the dataset's columns as ``(name, type)``; given, they become its schema.
        taxonomy: for a report; default :func:`load_taxonomy`.
        emit: also queue the event for the configured OpenLineage backend.

    Raises:
        TagError: a tag is malformed.
        StoreError: the store cannot be written.
    """
    event = tags_event(namespace, name, report_or_tags, fields=fields, taxonomy=taxonomy,
                       existing=_stored_facets(store, namespace, name))
    store.add_events([event], emit=emit)
    return event


# ------------------------------------------------------------------- propagation
Col = tuple[str, str, str]  # (namespace, dataset, field)


def _cid(col: Col) -> str:
    return str(NodeId.dataset_field(*col))


def _col(ref: Mapping[str, str]) -> Col:
    return (ref["namespace"], ref["dataset"], ref["field"])


def _propagating(edges: Iterable[Mapping[str, Any]]) -> dict[Col, list[Col]]:
    """``input column -> [output columns]`` for pairs with a DIRECT edge and no masking edge."""
    direct: set[tuple[Col, Col]] = set()
    masked: set[tuple[Col, Col]] = set()
    for e in edges:
        pair = (_col(e["input"]), _col(e["output"]))
        if e.get("masking"):
            masked.add(pair)
        if e.get("type") == "DIRECT":
            direct.add(pair)
    down: dict[Col, list[Col]] = {}
    for src, dst in sorted(direct - masked):
        if src != dst:
            down.setdefault(src, []).append(dst)
    return down


def _paths_from(origin: Col, down: Mapping[Col, list[Col]], depth: int) -> dict[Col, tuple[Col, ...]]:
    """Shortest paths from ``origin`` along ``down`` (neighbours in order), at most ``depth`` steps."""
    paths: dict[Col, tuple[Col, ...]] = {origin: (origin,)}
    queue = deque([origin])
    while queue:
        here = queue.popleft()
        if len(paths[here]) > depth:
            continue
        for nxt in down.get(here, ()):
            if nxt not in paths:
                paths[nxt] = (*paths[here], nxt)
                queue.append(nxt)
    return paths


class _Tags:
    """Stored tags per dataset, read once each."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[tuple[str, str], list[Tag]] = {}

    def of_dataset(self, ns: str, name: str) -> list[Tag]:
        key = (ns, name)
        if key not in self._cache:
            self._cache[key] = _stored_tags(_stored_facets(self.store, ns, name))
        return self._cache[key]

    def of_column(self, col: Col) -> list[Tag]:
        return [t for t in self.of_dataset(col[0], col[1]) if t.field == col[2]]


def _own(node: str, tags: Iterable[Tag]) -> list[TagFinding]:
    return [TagFinding(node, t.key, t.value, t.source, node, t.source, (node,)) for t in tags]


def _inherited(path: tuple[Col, ...], tags: Iterable[Tag], keys: Sequence[str]) -> list[TagFinding]:
    ids = tuple(_cid(c) for c in path)
    return [
        TagFinding(ids[-1], t.key, t.value, LINEAGE_SOURCE, ids[0], t.source, ids)
        for t in tags
        if t.key in keys and t.source != LINEAGE_SOURCE
    ]


def _order(found: Iterable[TagFinding]) -> list[TagFinding]:
    unique = {(f.node, f.key, f.value, f.source, f.origin): f for f in found}
    return sorted(unique.values(), key=lambda f: (f.node, f.inherited, len(f.path), f.origin, f.key, f.value))


def effective_tags(
    store: Store, node: NodeId | str, *, depth: int = DEFAULT_DEPTH, keys: Sequence[str] = PROPAGATED_KEYS
) -> list[TagFinding]:
    """The tags in effect on a column, or on every column of a dataset.

    Own tags (as stored, any source) plus, for each upstream column reached through
    propagating edges (DIRECT, no masking) within ``depth`` steps, its tags whose key is
    in ``keys`` — with source ``LINEAGE``, the origin column and a shortest path.
    Diamonds yield one finding per (tag, origin); cycles terminate.

    Args:
        store: the lineage store.
        node: a ``datasetField:`` id, or a ``dataset:`` id (dataset-level tags too).
        depth: how many column-lineage steps to follow upstream.
        keys: which tag keys propagate.

    Returns:
        Findings sorted by node, own before inherited, then by path length.

    Raises:
        NodeNotFoundError: the dataset is unknown (or the node is a job).
    """
    _, parsed = store.resolve(node)
    if parsed.type is NodeType.JOB:
        raise NodeNotFoundError(f"{node} (tags need a dataset or datasetField id)")
    ns, name = parsed.namespace, parsed.name
    cache = _Tags(store)
    stored = cache.of_dataset(ns, name)
    found: list[TagFinding] = []
    if parsed.type is NodeType.DATASET_FIELD:
        targets: list[Col] = [(ns, name, parsed.field or "")]
    else:
        found += _own(str(NodeId.dataset(ns, name)), [t for t in stored if t.field is None])
        columns = {t.field for t in stored if t.field is not None}
        columns |= {f["name"] for f in store.dataset(ns, name).get("fields") or () if isinstance(f, Mapping)}
        targets = [(ns, name, f) for f in sorted(c for c in columns if c)]
    for target in targets:
        found += _own(_cid(target), cache.of_column(target))
    down = _propagating(store.column_edges(parsed, depth, direction="up"))
    upstream: dict[Col, set[Col]] = {}
    for src, dsts in down.items():
        for dst in dsts:
            upstream.setdefault(dst, set()).add(src)
    for target in targets:
        # every column the target derives from, then a shortest path from each to it
        reach, todo = {target}, [target]
        while todo:
            for src in upstream.get(todo.pop(), ()):
                if src not in reach:
                    reach.add(src)
                    todo.append(src)
        for origin in sorted(reach - {target}):
            tags = cache.of_column(origin)
            if not any(t.key in keys for t in tags):
                continue
            path = _paths_from(origin, down, depth).get(target)
            if path is not None:
                found += _inherited(path, tags, keys)
    return _order(found)


def tagged_columns(
    store: Store, namespace: str | None = None, *, depth: int = DEFAULT_DEPTH, keys: Sequence[str] = PROPAGATED_KEYS
) -> list[ColumnTags]:
    """Every column with a tag in ``keys`` in effect — set on it or inherited through lineage.

    Args:
        store: the lineage store.
        namespace: only columns of datasets in this namespace (their tags may come from
            columns in any namespace).
        depth: how many column-lineage steps a tag may travel.
        keys: which tag keys count (and propagate).

    Returns:
        One :class:`ColumnTags` per column, sorted by node id.
    """
    found: list[TagFinding] = []
    columns: dict[str, Col] = {}
    for ds in store.datasets():
        ns, name = ds["namespace"], ds["name"]
        own = [t for t in _stored_tags(ds.get("facets") or {}) if t.field is not None and t.key in keys]
        if not own:
            continue
        by_field: dict[str, list[Tag]] = {}
        for t in own:
            by_field.setdefault(t.field or "", []).append(t)
        down = _propagating(store.column_edges(NodeId.dataset(ns, name), depth, direction="down"))
        for f, tags in by_field.items():
            origin: Col = (ns, name, f)
            columns[_cid(origin)] = origin
            found += _own(_cid(origin), tags)
            for target, path in _paths_from(origin, down, depth).items():
                if target != origin:
                    columns[_cid(target)] = target
                    found += _inherited(path, tags, keys)
    per_column: dict[str, list[TagFinding]] = {}
    for finding in _order(found):
        per_column.setdefault(finding.node, []).append(finding)
    out = []
    for node_id, tags in sorted(per_column.items()):
        ns, name, f = columns[node_id]
        if namespace is None or ns == namespace:
            out.append(ColumnTags(node_id, ns, name, f, tuple(tags)))
    return out
