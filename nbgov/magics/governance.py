"""Governance in the notebook: PII tags on the frames a cell wrote, schema-change notices, ``%pii``.

The extension calls :meth:`PiiMagics.after_cell` once a captured cell's events are in the
store (inside its guard). Two steps follow, each in its own guard stage so a failure in
one is one notice, counted in ``%nbgov status``, and never the cell's failure:

- ``pii`` — each output of the cell whose captured object is a pandas DataFrame is
  classified with :func:`~nbgov.governance.classify_pii` (skipped above
  ``Nbgov.pii_max_rows`` rows; frames above :data:`ROW_SAMPLE` rows are classified on a
  seeded simple random sample of that many rows, of which ``classify_pii`` examines at
  most 1,000 values per column, evenly spaced among its non-null values — a uniform
  sample already, so without the order-independent hashing ``%pii df`` does; a frame
  version classified before in the session reuses its report, see :class:`PiiMagics`)
  and its findings recorded as column tags on the dataset, under the
  namespace and name the cell's COMPLETE event gave it. When a column holding PII had no
  ``pii`` tag yet — neither its own nor one inherited through column lineage — one line
  per cell says so: ``nbgov: PII in features.parquet: email (EMAIL_ADDRESS, PII) —
  tagged; see %pii features.parquet``. Only masked examples ever leave the classifier.
- ``schema alerts`` — :func:`~nbgov.governance.alerts_for_run` for the cell's run: one
  line per WARNING or ERROR alert (``nbgov: schema change in sales.parquet: amount int64
  → str (TYPE_CHANGE, ERROR)``), one summary line for the INFO ones.

``%pii df`` shows ``classify_pii(df)``; ``%pii dataset:NS:NAME`` (or a dataset's name, or
its last path component) shows the stored findings and the tags in effect on its columns,
inherited ones with their lineage path.
"""

from __future__ import annotations

import dataclasses
import html
import logging
import os
import sys
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class, needs_local_scope, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring

from nbgov.capture import access as _access
from nbgov.capture.access import Access
from nbgov.magics.naming import dataset_for

__all__ = ["ROW_SAMPLE", "PiiMagics", "StoredPii", "classify_frame"]

log = logging.getLogger(__name__)

#: frames with more rows are classified on a seeded sample of this many rows
ROW_SAMPLE = 20_000
#: values examined per column (``classify_pii``'s ``sample``)
_SAMPLE = 1000
#: per dataset, at most this many PII columns are named in a notice
_NAMED_COLUMNS = 3
#: reports of classified frame versions kept for the session (least recently used dropped)
_KEPT_REPORTS = 256


def classify_frame(frame: Any, metrics: Mapping[str, Any] | None = None) -> Any:
    """``classify_pii`` of an output frame, row-sampled above :data:`ROW_SAMPLE`.

    *metrics* (the frame's ``columnMetrics`` from its quality facet, with bounds that cover
    every row classified here: over all rows, or over this very sample — see
    ``PiiMagics._bounds_cover``) rule
    out bool columns and numeric columns whose bounds no numeric info type reaches before
    any row is sampled: the report is the one ``classify_pii`` gives, cheaper.
    """
    from nbgov.capture.profile import column_labels
    from nbgov.governance import PiiReport, classify_pii

    names = [str(c) for c in column_labels(frame)]
    skip = _ruled_out(frame, names, metrics)
    if len(skip) == len(names):  # nothing to look at: the report classify_pii would give
        return PiiReport((), tuple(names), len(frame), _SAMPLE)
    part = frame if not skip else frame.iloc[:, [i for i, n in enumerate(names) if n not in skip]]
    report = classify_pii(_rows(part), sample=_SAMPLE, sampling="stride")
    return dataclasses.replace(report, rows=len(frame), columns=tuple(names))


def _rows(frame: Any) -> Any:
    """The frame, or a seeded simple random sample of :data:`ROW_SAMPLE` of its rows (row order kept)."""
    if len(frame) <= ROW_SAMPLE:
        return frame
    from nbgov.capture.profile import sample_positions, take_rows

    return take_rows(frame, sample_positions(len(frame), ROW_SAMPLE))


def _ruled_out(frame: Any, names: list[str], metrics: Mapping[str, Any] | None) -> set[str]:
    """Columns of *frame* that cannot hold PII by their dtype and whole-column bounds.

    Bool columns, and numeric columns whose profiled ``min``/``max`` stay below every
    numeric info type's size. Nothing is ruled out when column names repeat (the
    profile renames duplicates, so its metrics cannot be matched by name).
    """
    from nbgov.governance.pii import numbers_without_pii

    if len(set(names)) != len(names):
        return set()
    import numpy as np

    from nbgov.capture.adapters.pandas import frame_dtypes

    out = set()
    for name, dtype in zip(names, frame_dtypes(frame)):
        kind = getattr(dtype, "kind", "")
        if kind == "b" or (not isinstance(dtype, np.dtype) and str(dtype) == "boolean"):
            out.add(name)
            continue
        m = (metrics or {}).get(name)
        if not isinstance(m, Mapping):
            continue
        bounded = "min" in m and "max" in m
        empty = m.get("nullCount") == len(frame)  # no values: profiles leave the bounds out
        if (bounded or empty) and numbers_without_pii(dtype, m.get("min"), m.get("max")):
            out.add(name)
    return out


def _stderr(message: str) -> None:
    """A notice, as the guard shows its own (one line on stderr)."""
    try:
        print(message, file=sys.stderr)
    except Exception:  # noqa: BLE001, S110 - a closed stderr must not fail the cell either
        pass


def _label(name: str) -> str:
    """A dataset's short name in notices: the last path component (``features.parquet``, ``df``)."""
    return name.rstrip("/").rsplit("/", 1)[-1] or name


def _pandas_frame(obj: Any) -> bool:
    pd = sys.modules.get("pandas")  # a cell that never imported pandas wrote no pandas frame
    return pd is not None and isinstance(obj, pd.DataFrame)


def _stored_tags(facet: Any) -> list[Mapping[str, Any]]:
    """The entries of a dataset's stored ``tags`` facet."""
    entries = facet.get("tags") if isinstance(facet, Mapping) else None
    return [e for e in entries if isinstance(e, Mapping)] if isinstance(entries, list) else []


# ------------------------------------------------------------------------- the magics
@magics_class
class PiiMagics(Magics):
    """``%pii`` and the post-cell governance step, for one shell (registered by the extension).

    A frame whose version was classified earlier in the session is not classified again:
    its report is kept under the frame's profile (the fingerprint that is the dataset's
    version, with every metric of the profile), so running a cell again on the same data
    costs no classification. Any change the profile sees — a sampled row, a null count, a
    distinct count, a bound, a column or a dtype — is a new version, classified anew.

    Attributes:
        classified: frames classified this session.
        reused: frames whose report came from an earlier classification of their version.
        classify_seconds: CPU seconds spent classifying them (``time.process_time``).
    """

    def __init__(self, shell: Any, extension: Any, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self.extension = extension
        self.classified = 0
        self.reused = 0
        self.classify_seconds = 0.0
        self._reports: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._registered = False

    def register(self) -> PiiMagics:
        """Register ``%pii``. Idempotent."""
        if not self._registered:
            self.shell.magics_manager.register(self)
            self._registered = True
        return self

    def unregister(self) -> None:
        """Remove ``%pii`` (only if it is still this object's). Idempotent."""
        if not self._registered:
            return
        self._registered = False
        manager = self.shell.magics_manager
        if getattr(manager.magics["line"].get("pii"), "__self__", None) is self:
            del manager.magics["line"]["pii"]
        if manager.registry.get(type(self).__name__) is self:
            del manager.registry[type(self).__name__]
        while self in self.shell.configurables:
            self.shell.configurables.remove(self)

    # ------------------------------------------------------------- after a cell
    def after_cell(self, events: Sequence[Mapping[str, Any]], accesses: Iterable[Access], *,
                   reshaped: Iterable[tuple[str, str]] | None = None,
                   profile: Callable[[Any], Any] | None = None) -> None:
        """Classify the cell's output frames and show schema alerts; never raises.

        Args:
            events: the cell's events as stored (START, then COMPLETE or FAIL).
            accesses: what the cell read and wrote, with the captured objects.
            reshaped: the ``(namespace, name)`` of the outputs whose schema the store saw
                change (``ImportResult.reshaped``): only these are looked at for schema
                alerts; ``None``: all outputs.
            profile: the cell's ``profile(frame) -> Profile`` (one per object, so the
                profiles its events were built from): keys the reports kept for frame
                versions classified before. ``None``: every frame is classified.
        """
        guard = self.extension.guard
        if not events:
            return
        end = events[-1]
        if self.extension.classify_outputs:
            with guard.running("pii"), _access.calling():
                self._classify_outputs(end, accesses, profile)
        with guard.running("schema alerts"), _access.calling():
            self._schema_alerts(end, None if reshaped is None else set(reshaped))

    def _outputs(self, end: Mapping[str, Any], accesses: Iterable[Access]) -> list[tuple[str, str, Any, Any]]:
        """``(namespace, name, frame, metrics)`` of each output frame, named as the stored
        event names it; ``metrics`` is the event's ``columnMetrics`` for it (or ``None``)."""
        written = {(d.get("namespace"), d.get("name")): d for d in end.get("outputs") or ()}
        job_namespace = end["job"]["namespace"]
        parent = ((end.get("run") or {}).get("facets") or {}).get("parent") or {}
        notebook = (parent.get("job") or {}).get("name") or ""
        out = []
        for access in accesses:
            if access.direction != "output" or not _pandas_frame(access.obj):
                continue
            key = dataset_for(access.location, job_namespace=job_namespace, notebook=notebook)
            if key in written:  # a location whose naming failed was left out of the event
                quality = ((written[key].get("facets") or {}).get("dataQualityMetrics") or {})
                metrics = quality.get("columnMetrics") if self._bounds_cover(access.obj) else None
                out.append((key[0], key[1], access.obj, metrics))
        return out

    def _bounds_cover(self, frame: Any) -> bool:
        """Whether the profile's bounds cover every row the classifier will look at, so that
        they may rule a column out of classification: bounds over every row, or bounds of
        the very sample :func:`classify_frame` classifies (same size, same seed). A
        sample's bounds could otherwise miss the rows the classifier would flag."""
        from nbgov.capture.profile import whole_column_bounds

        ext = self.extension
        rows, columns = frame.shape
        if whole_column_bounds(rows, columns, sample_rows=ext.profile_max_rows,
                               exact_cells=ext.profile_exact_max_cells):
            return True
        return rows > ROW_SAMPLE and ext.profile_max_rows == ROW_SAMPLE  # both: sample_positions(rows, ROW_SAMPLE)

    def _classify_outputs(self, end: Mapping[str, Any], accesses: Iterable[Access],
                          profile: Callable[[Any], Any] | None = None) -> None:
        store = self.extension._open_store()
        news: list[tuple[str, list[str]]] = []
        recorded = False
        reports: dict[int, Any] = {}  # a frame both assigned and written is classified once
        for namespace, name, frame, metrics in self._outputs(end, accesses):
            if len(frame) > self.extension.pii_max_rows:
                continue
            with self.extension.guard.running("pii"):
                if id(frame) not in reports:
                    reports[id(frame)] = self._classify(frame, metrics, profile)
                columns, wrote = self._tag(store, namespace, name, reports[id(frame)])
                recorded = recorded or wrote
                if columns:
                    news.append((name, columns))
        if recorded and self.extension.emit:
            with self.extension.guard.running("emit"):
                self.extension._wake_emitter()
        if news:
            parts = []
            for name, columns in news:
                shown = columns[:_NAMED_COLUMNS] + ([f"+{len(columns) - _NAMED_COLUMNS} more"]
                                                    if len(columns) > _NAMED_COLUMNS else [])
                parts.append(f"{_label(name)}: {', '.join(shown)}")
            _stderr(f"nbgov: PII in {'; '.join(parts)} — tagged; see %pii {_label(news[0][0])}")

    def _classify(self, frame: Any, metrics: Mapping[str, Any] | None = None,
                  profile: Callable[[Any], Any] | None = None) -> Any:
        """:func:`classify_frame`, timed and counted; the kept report when this version of
        the frame was classified before (see the class)."""
        import time

        key = self._version_key(frame, metrics, profile)
        if key is not None and key in self._reports:
            self._reports.move_to_end(key)
            self.reused += 1
            return self._reports[key]
        started = time.process_time()
        try:
            report = classify_frame(frame, metrics)
        finally:
            self.classify_seconds += time.process_time() - started
            self.classified += 1
        if key is not None:
            self._reports[key] = report
            while len(self._reports) > _KEPT_REPORTS:
                self._reports.popitem(last=False)
        return report

    @staticmethod
    def _version_key(frame: Any, metrics: Mapping[str, Any] | None,
                     profile: Callable[[Any], Any] | None) -> tuple[Any, ...] | None:
        """What a frame's report depends on, as far as nbgov can tell it apart: the profile's
        fingerprint, fields and metrics, the metrics that rule columns out, the column
        labels as given, and today (implied ages); ``None`` when there is no profile."""
        import datetime

        from nbgov.model import jsontext

        if profile is None:
            return None
        try:
            prof = profile(frame)
        except Exception:  # noqa: BLE001 - the profile failed (reported by the events): classify
            return None
        fingerprint = getattr(prof, "fingerprint", None)
        if not fingerprint:
            return None
        try:
            labels = tuple(map(str, frame.columns))
            measured = jsontext.dumps(prof.quality)
            given = jsontext.dumps(metrics) if metrics is not None else None
        except Exception:  # noqa: BLE001 - odd labels or values: classify, as without a key
            return None
        return (fingerprint, prof.fields, labels, measured, given, datetime.date.today())

    def _tag(self, store: Any, namespace: str, name: str, report: Any) -> tuple[list[str], bool]:
        """Record a report's tags on a dataset. Returns the newly tagged columns (described
        for the notice) and whether a tag event was written."""
        from nbgov.governance import CLASSIFIER_SOURCE, effective_tags, pii_tags, record_tags

        stored = _stored_tags(store.dataset_facet(namespace, name, "tags"))
        scanned = set(report.columns)
        ours = any(t.get("source") == CLASSIFIER_SOURCE and t.get("field") in scanned for t in stored)
        if not report.findings and not ours:
            return [], False  # nothing to add, nothing to take back: no store write
        tagged: set[str] = set()
        if report.findings:
            node = f"dataset:{namespace}:{name}"
            prefix = f"datasetField:{namespace}:{name}:"
            tagged = {t.node[len(prefix):] for t in effective_tags(store, node, keys=("pii",))
                      if t.key == "pii" and t.node.startswith(prefix)}
        record_tags(store, namespace, name, report, emit=self.extension.emit)
        types: dict[str, list[str]] = {}
        policies: dict[str, str] = {}
        for tag in pii_tags(report):
            if tag.key == "pii":
                types.setdefault(tag.field or "", []).append(tag.value)
            elif tag.key == "policy_tag":
                policies[tag.field or ""] = tag.value
        news = [f"{column} ({'+'.join(found)}{', ' + policies[column] if column in policies else ''})"
                for column, found in types.items() if column not in tagged]
        return news, True

    def _schema_alerts(self, end: Mapping[str, Any], reshaped: set[tuple[str, str]] | None = None) -> None:
        written = [(d["namespace"], d["name"]) for d in end.get("outputs") or ()]
        if reshaped is not None:  # an output written with the schema it had cannot have an alert
            written = [key for key in written if key in reshaped]
        if not written:
            return
        from nbgov.governance import alerts_for_run

        alerts = alerts_for_run(self.extension._open_store(), end["run"]["runId"], written=written)
        info = []
        for alert in alerts:
            if alert.severity in ("WARNING", "ERROR"):
                _stderr(f"nbgov: schema change in {_label(alert.dataset)}: {_change(alert)} "
                        f"({alert.type}, {alert.severity})")
            else:
                info.append(alert)
        if info:
            by_dataset: dict[str, list[str]] = {}
            for alert in info:
                by_dataset.setdefault(_label(alert.dataset), []).append(_change(alert, short=True))
            _stderr("nbgov: schema change in " + "; ".join(
                f"{label}: {', '.join(changes)}" for label, changes in by_dataset.items()) + " (INFO)")

    # --------------------------------------------------------------------- %pii
    @no_var_expand
    @needs_local_scope
    @magic_arguments()
    @argument("target", help="a DataFrame variable; or dataset:NS:NAME, datasetField:NS:NAME:FIELD, "
                             "a dataset's name or its last path component (stored findings and tags)")
    @argument("--sample", type=int, default=1000, help="values examined per column (a DataFrame; default 1000)")
    @argument("--min-likelihood", default="LIKELY",
              help="VERY_UNLIKELY … VERY_LIKELY (a DataFrame; default LIKELY)")
    @line_magic("pii")
    def pii(self, line: str, local_ns: dict[str, Any] | None = None) -> Any:
        """Show which columns hold PII: ``%pii df`` classifies a DataFrame; ``%pii
        dataset:NS:NAME`` shows a stored dataset's findings and the tags in effect on its
        columns (own and inherited through column lineage, with the path)."""
        from nbgov.errors import NbgovError

        args = parse_argstring(self.pii, line)
        target = args.target.strip().strip("'\"")
        namespace = {**self.shell.user_ns, **(local_ns or {})}
        try:
            if target.isidentifier() and target in namespace:
                return self._classify_variable(target, namespace[target], args)
            with _access.calling():
                return self._stored(target)
        except NbgovError as exc:
            raise UsageError(f"%pii: {exc}") from None

    def _classify_variable(self, name: str, value: Any, args: Any) -> Any:
        from nbgov.governance import classify_pii

        if not _pandas_frame(value):
            raise UsageError(f"%pii: {name} is a {type(value).__name__}, not a pandas DataFrame")
        return classify_pii(value, sample=args.sample, min_likelihood=args.min_likelihood)

    def _stored(self, target: str) -> StoredPii:
        from nbgov.governance import effective_tags
        from nbgov.model.nodes import NodeId, NodeType

        store = self.extension._open_store()
        if target.startswith(("dataset:", "datasetField:")):
            _, node = store.resolve(target)
        else:
            node = self._dataset_named(store, target)
        data = store.dataset(node.namespace, node.name)
        field = node.field if node.type is NodeType.DATASET_FIELD else None
        evidence = (data.get("facets") or {}).get("nbgov_pii") or {}
        findings = [f for f in evidence.get("findings") or () if isinstance(f, Mapping)
                    and (field is None or f.get("field") == field)]
        shown = NodeId.dataset_field(node.namespace, node.name, field) if field else NodeId.dataset(
            node.namespace, node.name)
        return StoredPii(str(shown), findings, effective_tags(store, shown))

    @staticmethod
    def _dataset_named(store: Any, target: str) -> Any:
        from nbgov.model.nodes import NodeId

        path = os.path.abspath(os.path.expanduser(target))
        found = [d for d in store.datasets() if d["name"] in (target, path)]
        if not found:
            found = [d for d in store.datasets() if _label(d["name"]) == target]
        if not found:
            raise UsageError(f"%pii: {target!r} is neither a DataFrame variable nor a dataset in the store "
                             "(try dataset:NAMESPACE:NAME)")
        if len(found) > 1:
            ids = ", ".join(str(NodeId.dataset(d["namespace"], d["name"])) for d in found[:5])
            raise UsageError(f"%pii: {target!r} names {len(found)} datasets: {ids}; give the full id")
        return NodeId.dataset(found[0]["namespace"], found[0]["name"])


def _change(alert: Any, *, short: bool = False) -> str:
    """What a schema alert says changed, in a few words."""
    kind, column, a, b = alert.type, alert.column, alert.from_type, alert.to_type
    if kind == "SCHEMA_ADDITION":
        return f"+{column}" if short else f"column {column} added ({b})"
    if kind == "SCHEMA_REMOVAL":
        return f"-{column}" if short else f"column {column} removed (was {a})"
    if kind == "RENAME_HINT":
        return f"{a} → {b}?" if short else f"{a} may have been renamed to {b}"
    return f"{column} {a} → {b}"


# ------------------------------------------------------------------------- the view
class StoredPii:
    """A stored dataset's (or column's) PII findings and the tags in effect on its columns.

    Attributes:
        node: the ``dataset:`` or ``datasetField:`` id shown.
        findings: the classifier's evidence (``nbgov_pii`` facet entries: field, infoType,
            policyTag, likelihood, matchRatio, sampled, masked example).
        tags: :class:`~nbgov.governance.TagFinding` objects, own and inherited.
    """

    def __init__(self, node: str, findings: Sequence[Mapping[str, Any]], tags: Sequence[Any]) -> None:
        self.node = node
        self.findings = tuple(findings)
        self.tags = tuple(tags)

    def __repr__(self) -> str:
        lines = [f"PII of {self.node}: {len(self.findings)} finding(s), {len(self.tags)} tag(s) in effect"]
        for f in self.findings:
            lines.append(f"  {f.get('field')}  {f.get('infoType')}  {f.get('likelihood')}  "
                         f"{float(f.get('matchRatio') or 0):.0%}  {f.get('example') or ''}")
        for t in self.tags:
            how = f"inherited via {' -> '.join(t.path)}" if t.inherited else f"set by {t.source}"
            lines.append(f"  {t.node}: {t.key}={t.value} ({how})")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        parts = [f"<p><b>PII of <code>{esc(self.node)}</code></b></p>"]
        if self.findings:
            rows = "".join(
                f"<tr><td><code>{esc(str(f.get('field')))}</code></td><td>{esc(str(f.get('infoType')))}</td>"
                f"<td>{esc(str(f.get('likelihood')))}</td><td>{float(f.get('matchRatio') or 0):.0%}</td>"
                f"<td><code>{esc(str(f.get('example') or ''))}</code></td></tr>" for f in self.findings)
            parts.append("<table><tr><th>column</th><th>info type</th><th>likelihood</th><th>match</th>"
                         f"<th>example (masked)</th></tr>{rows}</table>")
        else:
            parts.append("<p>No stored findings.</p>")
        if self.tags:
            rows = "".join(
                f"<tr><td><code>{esc(t.node)}</code></td><td><code>{esc(t.key)}:{esc(t.value)}</code></td>"
                f"<td>{'inherited' if t.inherited else 'own'}</td><td>"
                + (" → ".join(f"<code>{esc(p)}</code>" for p in t.path) if t.inherited
                   else f"set by {esc(str(t.source))}") + "</td></tr>" for t in self.tags)
            parts.append("<table><tr><th>column</th><th>tag</th><th>how</th><th>where it came from</th></tr>"
                         f"{rows}</table>")
        return "".join(parts)
