"""Views of governance results: drift diffs, PII findings, impact trees.

Each wraps a result object from :mod:`nbgov.governance` (whose own reprs stay as they
are) and adds what a reader needs at a glance: severities in words, symbols and colour,
null rates before and after, small inline SVG histograms (no plotting library, no
script), where a tag came from along the lineage, the downstream tree with owners.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from nbgov.governance import (
    DatasetProfile,
    DriftReport,
    ImpactReport,
    PiiReport,
    TagFinding,
    effective_tags,
    version_profiles,
)
from nbgov.views.html import CSS, badge, categories_svg, esc, histogram_svg, rate_bars_svg, table

if TYPE_CHECKING:
    from nbgov.model.nodes import NodeId
    from nbgov.store import Store

__all__ = ["DriftView", "ImpactView", "PiiView"]


class _View:
    """``text/plain`` + ``text/html``, a stable repr."""

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"text/plain": self.to_text(), "text/html": self._repr_html_()}

    def to_text(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def _repr_html_(self) -> str:
        return f'<div class="nbgov-view"><style>{CSS}</style>{self._body()}</div>'

    def _body(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError


# --------------------------------------------------------------------------- drift
class DriftView(_View):
    """A drift diff: schema changes, row counts, per-column null rates and verdicts,
    new/missing categories and histograms of both versions.

    Args:
        report: from :func:`nbgov.compare` or :func:`nbgov.governance.version_drift`.
        reference, current: the two profiles, when known: they give the histograms.
        title: a heading, e.g. the dataset and versions compared.
    """

    def __init__(self, report: DriftReport, *, reference: DatasetProfile | None = None,
                 current: DatasetProfile | None = None, title: str | None = None) -> None:
        self.report = report
        self.reference = reference
        self.current = current
        self.title = title or "Drift"

    @classmethod
    def from_store(cls, store: Store, dataset_id: str | NodeId, from_version: str | None = None,
                   to_version: str | None = None) -> DriftView:
        """Drift between two stored versions (see :func:`nbgov.governance.version_profiles`)."""
        from nbgov.governance import compare

        ref, cur = version_profiles(store, dataset_id, from_version, to_version)
        return cls(compare(ref.profile, cur.profile), reference=ref.profile, current=cur.profile,
                   title=f"Drift of {dataset_id}: {ref.version} → {cur.version}")

    def __repr__(self) -> str:
        s = self.report.summary()
        return (f"DriftView(rows {s['rows_reference']} -> {s['rows_current']}, "
                f"{s['columns_drifted']} of {s['columns_compared']} columns drifted, severity={s['severity']})")

    def to_text(self) -> str:
        return f"{self.title}\n{self.report!r}"

    def _profile(self, which: DatasetProfile | None, column: str) -> Any:
        if which is None:
            return None
        try:
            return which.column(column)
        except Exception:  # noqa: BLE001 - a column absent from one side has no histogram
            return None

    def _sparkline(self, column: str) -> str:
        r, c = self._profile(self.reference, column), self._profile(self.current, column)
        if r is None and c is None:
            return ""
        if (r is not None and r.quantiles) or (c is not None and c.quantiles):
            return histogram_svg(r.quantiles if r is not None else None, c.quantiles if c is not None else None,
                                 label=column)
        if (r is not None and r.categories and not r.hashed) or (c is not None and c.categories and not c.hashed):
            return categories_svg(r.categories if r is not None and not r.hashed else None,
                                  c.categories if c is not None and not c.hashed else None, label=column)
        return ""

    def _body(self) -> str:
        rep = self.report
        s = rep.summary()
        change = "" if s["row_change"] is None else f" ({s['row_change']:+.1%})"
        parts = [
            (f"<p><b>{esc(self.title)}</b> — severity {badge(rep.severity)} · rows {rep.rows_reference:,} → "
            f"{rep.rows_current:,}{esc(change)} · {s['columns_drifted']} of {s['columns_compared']} columns drifted"
            f" · {len(rep.schema_changes)} schema change(s)</p>")
        ]
        if rep.schema_changes:
            parts.append(table(
                ["severity", "change", "column", "from", "to"],
                ([badge(ch.severity), esc(ch.type), f"<code>{esc(ch.column)}</code>", esc(ch.from_), esc(ch.to)]
                 for ch in rep.schema_changes),
                caption="schema changes"))
        rows = []
        for c in rep.columns:
            if c.statistic == "none":  # identifier-like, or no values on one side
                stat = "not compared"
            else:
                stat = c.statistic if c.value is None else f"{c.statistic} {c.value:.4g}"
                stat += "" if c.threshold is None else f" (threshold {c.threshold:.4g})"
            cats = []
            if c.new_categories:
                cats.append("new: " + ", ".join(f"<code>{esc(x)}</code>" for x in c.new_categories[:10]))
            if c.missing_categories:
                cats.append("missing: " + ", ".join(f"<code>{esc(x)}</code>" for x in c.missing_categories[:10]))
            verdict = badge(c.severity if c.drifted else "OK") + (
                f'<div class="nbgov-muted">{esc("; ".join(c.reasons))}</div>' if c.reasons else "")
            rows.append([
                f"<code>{esc(c.column)}</code>", esc(c.kind),
                f"{c.null_rate_reference:.1%} → {c.null_rate_current:.1%}<br>"
                + rate_bars_svg(c.null_rate_reference, c.null_rate_current),
                esc(stat), verdict, "<br>".join(cats) or "-",
                self._sparkline(c.column) or "-",
            ])
        parts.append(table(["column", "kind", "null rate before → after", "statistic", "verdict", "categories",
                            "distribution (line before, bars after)"], rows, caption="columns"))
        return "".join(parts)


# ----------------------------------------------------------------------------- PII
class PiiView(_View):
    """PII findings as columns × info types (likelihood, match ratio, masked example),
    and the tags in effect with where they came from along the lineage.

    Args:
        report: from :func:`nbgov.classify_pii`, or None to show tags only.
        tags: :class:`~nbgov.governance.TagFinding` objects (e.g. from
            :func:`nbgov.governance.effective_tags`).
        title: a heading.
    """

    def __init__(self, report: PiiReport | None = None, *, tags: Iterable[TagFinding] = (),
                 title: str | None = None) -> None:
        self.report = report
        self.tags = tuple(tags)
        self.title = title or "PII"

    @classmethod
    def from_store(cls, store: Store, dataset_id: str | NodeId, report: PiiReport | None = None) -> PiiView:
        """Tags in effect on a dataset's columns (own and inherited), with ``report`` if given."""
        return cls(report, tags=effective_tags(store, dataset_id), title=f"PII of {dataset_id}")

    def __repr__(self) -> str:
        n = len(self.report.findings) if self.report is not None else 0
        return f"PiiView({n} findings, {len(self.tags)} tags)"

    def to_text(self) -> str:
        lines = [self.title]
        if self.report is not None:
            lines.append(repr(self.report))
        for t in self.tags:
            where = f" inherited from {t.origin} via {' -> '.join(t.path)}" if t.inherited else f" ({t.source})"
            lines.append(f"  {t.node}: {t.key}={t.value}{where}")
        return "\n".join(lines)

    def _matrix(self) -> str:
        rep = self.report
        if rep is None:
            return ""
        types = sorted({f.info_type for f in rep.findings})
        if not types:
            return f"<p>No PII found in {len(rep.columns)} columns at likelihood {esc(rep.min_likelihood.name)} or above.</p>"
        rows = []
        for column, findings in rep.by_column().items():
            cells = {f.info_type: f for f in findings}
            row = [f"<code>{esc(column)}</code>"]
            for t in types:
                f = cells.get(t)
                row.append("" if f is None else
                           f"{badge(f.likelihood.name)} {f.match_ratio:.0%}<br><code>{esc(f.example)}</code>")
            rows.append(row)
        return table(["column", *types], rows,
                     caption=f"{len(rep.findings)} finding(s) in {len(rep.pii_columns)} of {len(rep.columns)} columns"
                             f" · {rep.rows:,} rows · sample {rep.sample:,}")

    def _body(self) -> str:
        parts = [f"<p><b>{esc(self.title)}</b></p>", self._matrix()]
        if self.tags:
            rows = []
            for t in self.tags:
                origin = (" → ".join(f"<code>{esc(p)}</code>" for p in t.path) if t.inherited
                          else f"set by {esc(t.source)}")
                rows.append([f"<code>{esc(t.node)}</code>", f"<code>{esc(t.key)}:{esc(t.value)}</code>",
                             "inherited" if t.inherited else "own", origin])
            parts.append(table(["column", "tag", "how", "where it came from"], rows, caption="tags in effect"))
        return "".join(parts)


# -------------------------------------------------------------------------- impact
class ImpactView(_View):
    """The downstream tree of an :class:`~nbgov.governance.ImpactReport`, each node with its
    owners and (for jobs) its latest run, then the owners to notify."""

    def __init__(self, report: ImpactReport) -> None:
        self.report = report

    @classmethod
    def from_store(cls, store: Store, node_id: str | NodeId) -> ImpactView:
        from nbgov.governance import impact

        return cls(impact(store, node_id))

    def __repr__(self) -> str:
        return f"ImpactView({self.report!r})"

    def _children(self) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """Impacted nodes by id, and each node's children along the shortest paths (sorted)."""
        nodes = {n.id: n for n in (*self.report.datasets, *self.report.jobs)}
        children: dict[str, list[str]] = {}
        for n in nodes.values():
            parent = n.path[-2] if len(n.path) >= 2 else self.report.node
            children.setdefault(parent, []).append(n.id)
        return nodes, {k: sorted(v) for k, v in children.items()}

    def _tree(self) -> list[tuple[int, Any]]:
        """``(depth, node)`` in depth-first order of the shortest paths."""
        nodes, children = self._children()
        out: list[tuple[int, Any]] = []

        def walk(nid: str, depth: int) -> None:
            for kid in children.get(nid, ()):
                out.append((depth, nodes[kid]))
                walk(kid, depth + 1)

        walk(self.report.node, 1)
        return out

    @staticmethod
    def _describe(n: Any) -> str:
        run = n.latest_run or {}
        state = f" [{run.get('state')}]" if run.get("state") else ""
        owners = f"  owners: {', '.join(n.owners)}" if n.owners else ""
        return f"{n.id} ({n.kind}){state}{owners}"

    def to_text(self) -> str:
        lines = [f"Impact of {self.report.node}"]
        lines += [f"{'  ' * d}└─ {self._describe(n)}" for d, n in self._tree()]
        lines.append("Owners to notify: " + (", ".join(o.name for o in self.report.owners) or "none recorded"))
        lines += [f"note: {n}" for n in self.report.notes]
        return "\n".join(lines)

    def _body(self) -> str:
        nodes, children = self._children()

        def item(n: Any) -> str:
            run = n.latest_run or {}
            owners = ", ".join(esc(o) for o in n.owners)
            return (f'<span class="nbgov-muted" aria-hidden="true">└─ </span><code>{esc(n.id)}</code> '
                    f'<span class="nbgov-muted">{esc(n.kind)}</span>'
                    + (f" {badge(run.get('state'))}" if run.get("state") else "")
                    + (f" · owners: {owners}" if owners else ""))

        def branch(nid: str, indent: int) -> str:
            kids = children.get(nid, ())
            if not kids:
                return ""
            lis = "".join(f'<li data-node-id="{esc(k)}">{item(nodes[k])}{branch(k, 18)}</li>' for k in kids)
            margin = "0" if indent else "4px 0 8px"
            return (f'<ul class="nbgov-impact-tree" style="list-style:none;margin:{margin};'
                    f'padding-left:{indent}px">{lis}</ul>')

        # nested lists: the tree's shape is in the markup (screen readers announce the levels),
        # not only in the indentation
        tree = branch(self.report.node, 0) or "<p>nothing downstream</p>"
        owners = table(["owner", "nodes"], ([esc(o.name), "<br>".join(f"<code>{esc(x)}</code>" for x in o.nodes)]
                                            for o in self.report.owners), caption="owners to notify")
        notes = "".join(f'<p class="nbgov-muted">{esc(n)}</p>' for n in self.report.notes)
        cols = ""
        if self.report.columns:
            cols = table(["column", "dependency", "via"],
                         ([f"<code>{esc(c.id)}</code>", esc(c.dependency), esc(" → ".join(c.transformations))]
                          for c in self.report.columns), caption="derived columns")
        return f"<p><b>Impact of <code>{esc(self.report.node)}</code></b></p>{tree}{cols}{owners}{notes}"


def severity_counts(items: Sequence[Any]) -> Mapping[str, int]:
    """``{severity: count}`` of objects with a ``severity`` attribute."""
    out: dict[str, int] = {}
    for i in items:
        out[i.severity] = out.get(i.severity, 0) + 1
    return out
