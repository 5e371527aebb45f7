"""The policy gate: declarative rules evaluated against the lineage store.

:func:`check` runs the built-in rules — each configurable and individually switchable in a
YAML policy file — and returns a :class:`PolicyReport` (text, JSON, JUnit XML). ``nbgov
check`` exits 1 when any rule fails; the notebook face runs the same rules after each cell
(``Nbgov.on_violation = ignore|warn|raise``).

Rules (names as written in the YAML file):

``output-owner``
    Every dataset a job writes has an owner: an ``ownership`` facet on the dataset, or on
    a job that writes it (``%%lineage --owner``). Options: ``exclude`` — ``fnmatch``
    patterns over ``NAMESPACE:NAME`` (default ``["dataframe://*"]``: in-kernel frames).
``pii-flow``
    No column tagged with one of ``tags`` (default ``["PII"]``; ``PII`` covers
    ``PII.Sensitive``; any ``pii`` info-type tag counts as ``PII``) flows into a written
    dataset whose namespace is not in ``allowed_namespaces`` (``fnmatch`` patterns, default
    ``["dataframe://*"]``). A flow follows column-lineage edges (DIRECT, unmasked) and,
    for columns without recorded edges, same-named columns through jobs (see
    :mod:`nbgov.governance.modelcard`). Every column of a written dataset is checked: those
    of its ``schema`` facet and those its column lineage names (an output without a schema
    facet is not skipped). The report gives the path of columns.
``sensitive-model``
    No model is trained on a feature tagged with one of ``tags`` (default
    ``["PII.Sensitive"]``) unless its current training run is approved (``nbgov approve``).
``schema-change``
    No ERROR-severity schema change (a column's type changed) in the latest run of each
    job, unless acknowledged in ``acknowledged``: a list of ``{dataset: PATTERN, column:
    NAME}`` (``column`` optional; ``dataset`` an ``fnmatch`` pattern over the ``dataset:``
    id or ``NAMESPACE:NAME``). Acknowledgments live in the policy file so they are reviewed
    like code.
``model-card``
    Every model has a card with what ``require`` lists (default ``["owner",
    "next_review"]``; also ``approved``, ``metrics``): an owner, and a next-review date
    in the future.
``data-quality``
    ``thresholds``: a list of ``{dataset: PATTERN, min_rows: N, max_null_ratio: R,
    columns: [PATTERN, …]}`` checked against each matching dataset's stored quality
    metrics (``dataQualityMetrics``); a matching dataset without metrics fails unless
    ``missing: skip``.

A policy file::

    rules:
      output-owner: {exclude: ["dataframe://*", "file:/tmp/*"]}
      pii-flow: {allowed_namespaces: ["dataframe://*", "postgres://vault:5432"]}
      schema-change:
        acknowledged: [{dataset: "dataset:file:/data/sales.csv", column: amount}]
      data-quality:
        thresholds: [{dataset: "*orders*", min_rows: 100, max_null_ratio: 0.05}]
      model-card: {enabled: false}

Rules not listed keep their defaults; ``enabled: false`` switches one off. Unknown rules
or options, and malformed YAML, raise :class:`PolicyError` with the file and line.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from nbgov.errors import ConfigError, NbgovError, NbgovWarning, NodeNotFoundError
from nbgov.governance.impact import dataset_kind
from nbgov.governance.modelcard import ModelCard, model_card, traced_tags
from nbgov.governance.ownership import owners_of
from nbgov.governance.schema import alerts_for_run
from nbgov.governance.tags import Tag, TagError, TagFinding, effective_tags
from nbgov.model.nodes import NodeId

if TYPE_CHECKING:
    from nbgov.store import Store

__all__ = [
    "DEFAULT_POLICY",
    "POLICY_ENV",
    "RULES",
    "Policy",
    "PolicyError",
    "PolicyReport",
    "PolicyViolationError",
    "PolicyViolationWarning",
    "RuleResult",
    "Violation",
    "check",
    "load_policy",
]

#: environment variable naming the policy file (``nbgov check`` and the notebook face)
POLICY_ENV = "NBGOV_POLICY"

#: rule name -> (description, default options)
RULES: dict[str, tuple[str, dict[str, Any]]] = {
    "output-owner": ("every output dataset has an owner", {"exclude": ["dataframe://*"]}),
    "pii-flow": ("no PII/Sensitive column flows into an output outside the allowed namespaces",
                 {"tags": ["PII"], "allowed_namespaces": ["dataframe://*"]}),
    "sensitive-model": ("no model is trained on Sensitive-tagged features unless approved",
                        {"tags": ["PII.Sensitive"]}),
    "schema-change": ("no unacknowledged ERROR-severity schema change in the latest run", {"acknowledged": []}),
    "model-card": ("every model has a card with an owner and a next-review date in the future",
                   {"require": ["owner", "next_review"]}),
    "data-quality": ("data-quality thresholds per dataset pattern", {"thresholds": [], "missing": "fail"}),
}
#: the defaults as a policy mapping
DEFAULT_POLICY: dict[str, Any] = {"rules": {name: {"enabled": True, **opts} for name, (_, opts) in RULES.items()}}
_CARD_REQUIREMENTS = ("owner", "next_review", "approved", "metrics")
_THRESHOLD_KEYS = {"dataset", "min_rows", "max_null_ratio", "columns"}


class PolicyError(ConfigError):
    """A policy file is unreadable or invalid.

    Attributes:
        file: the file (None for a mapping); line: 1-based line of the problem, if known.
    """

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        where = f"{file}:{line}" if file and line else file
        super().__init__(message, source=where)
        self.file = file
        self.line = line


class PolicyViolationError(NbgovError):
    """Raised (``on_violation = raise``) when policy rules fail.

    Attributes:
        report: the :class:`PolicyReport`.
    """

    def __init__(self, report: PolicyReport) -> None:
        super().__init__(report.summary())
        self.report = report


class PolicyViolationWarning(NbgovWarning):
    """A policy rule failed after a notebook cell (``on_violation = warn``)."""


# ------------------------------------------------------------------ results
@dataclass(frozen=True)
class Violation:
    """One offending node. ``path``: for flows, the ``datasetField:`` ids from origin to node."""

    rule: str
    node: str
    message: str
    path: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "node": self.node, "message": self.message, "path": list(self.path)}


@dataclass(frozen=True)
class RuleResult:
    """The outcome of one rule: what it checked and what failed."""

    rule: str
    description: str
    enabled: bool
    checked: int
    violations: tuple[Violation, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.violations

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "description": self.description, "enabled": self.enabled,
                "checked": self.checked, "passed": self.passed, "violations": [v.to_dict() for v in self.violations]}


@dataclass(frozen=True)
class PolicyReport:
    """Every rule's result. ``passed`` when no enabled rule has a violation."""

    results: tuple[RuleResult, ...]
    policy: str | None = None
    notebook: str | None = None

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def violations(self) -> tuple[Violation, ...]:
        return tuple(v for r in self.results for v in r.violations)

    @property
    def failed_rules(self) -> tuple[str, ...]:
        return tuple(r.rule for r in self.results if not r.passed)

    def summary(self) -> str:
        if self.passed:
            return "policy check passed"
        return (f"policy check failed: {len(self.violations)} violation(s) of "
                + ", ".join(self.failed_rules))

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "policy": self.policy, "notebook": self.notebook,
                "rules": [r.to_dict() for r in self.results]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    def to_text(self) -> str:
        lines = [f"nbgov check — policy {self.policy or '(built-in defaults)'}"
                 + (f", notebook {self.notebook}" if self.notebook else "")]
        for r in self.results:
            if not r.enabled:
                lines.append(f"  SKIP  {r.rule}: disabled")
                continue
            lines.append(f"  {'PASS' if r.passed else 'FAIL'}  {r.rule}: {r.description} ({r.checked} checked)")
            for v in r.violations:
                lines.append(f"        ✖ {v.node}: {v.message}")
                if v.path:
                    lines.append("          path: " + " -> ".join(v.path))
        lines.append(self.summary())
        return "\n".join(lines)

    def to_junit(self) -> str:
        """JUnit XML: one ``testsuite``, one ``testcase`` per rule, a ``failure`` per failing rule."""
        cases = []
        for r in self.results:
            name = quoteattr(r.rule)
            if not r.enabled:
                cases.append(f"  <testcase classname=\"nbgov.policy\" name={name}><skipped/></testcase>")
            elif r.passed:
                cases.append(f"  <testcase classname=\"nbgov.policy\" name={name}/>")
            else:
                body = "\n".join(f"{v.node}: {v.message}" + (f"\npath: {' -> '.join(v.path)}" if v.path else "")
                                 for v in r.violations)
                cases.append(f"  <testcase classname=\"nbgov.policy\" name={name}>"
                             f"<failure message={quoteattr(f'{len(r.violations)} violation(s)')}>"
                             f"{xml_escape(body)}</failure></testcase>")
        failures = sum(1 for r in self.results if r.enabled and not r.passed)
        skipped = sum(1 for r in self.results if not r.enabled)
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<testsuite name="nbgov-policy" tests="{len(self.results)}" failures="{failures}" '
                f'skipped="{skipped}" errors="0">\n' + "\n".join(cases) + "\n</testsuite>\n")

    def __repr__(self) -> str:
        return f"<PolicyReport {self.summary()}>"


# ------------------------------------------------------------------ the policy
@dataclass(frozen=True)
class Policy:
    """Rule options after defaults are applied. ``rules``: name → options (with ``enabled``)."""

    rules: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: DEFAULT_POLICY["rules"])
    source: str | None = None

    def enabled(self, rule: str) -> bool:
        return bool(self.rules[rule].get("enabled", True))

    @classmethod
    def from_mapping(cls, data: Any, *, source: str | None = None,
                     lines: Mapping[tuple[str, ...], int] | None = None) -> Policy:
        """Validate a policy mapping (as read from YAML) and apply the defaults.

        Raises:
            PolicyError: unknown rule or option, or a value of the wrong type.
        """
        lines = lines or {}

        def fail(message: str, *path: str) -> PolicyError:
            for cut in range(len(path), -1, -1):
                if path[:cut] in lines:
                    return PolicyError(message, file=source, line=lines[path[:cut]])
            return PolicyError(message, file=source)

        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise fail("a policy is a mapping with a 'rules' key")
        unknown = set(data) - {"rules", "version"}
        if unknown:
            raise fail(f"unknown top-level key {min(unknown)!r} (expected 'rules')", min(unknown))
        given = data.get("rules") or {}
        if not isinstance(given, Mapping):
            raise fail("'rules' must map rule names to options", "rules")
        rules: dict[str, dict[str, Any]] = {}
        for name, (_, defaults) in RULES.items():
            opts = given.get(name, {})
            if opts is None:
                opts = {}
            if isinstance(opts, bool):
                opts = {"enabled": opts}
            if not isinstance(opts, Mapping):
                raise fail(f"rule {name!r}: options must be a mapping (or true/false)", "rules", name)
            extra = set(opts) - set(defaults) - {"enabled"}
            if extra:
                key = min(extra)
                raise fail(f"rule {name!r} has no option {key!r} (options: {', '.join(['enabled', *defaults])})",
                           "rules", name, key)
            merged = {"enabled": True, **defaults, **opts}
            if not isinstance(merged["enabled"], bool):
                raise fail(f"rule {name!r}: enabled must be true or false", "rules", name, "enabled")
            for key, default in defaults.items():
                if isinstance(default, list) and not isinstance(merged[key], list):
                    raise fail(f"rule {name!r}: {key} must be a list", "rules", name, key)
            rules[name] = merged
        for name in given:
            if name not in RULES:
                raise fail(f"unknown rule {name!r} (rules: {', '.join(RULES)})", "rules", str(name))
        bad = [r for r in rules["model-card"]["require"] if r not in _CARD_REQUIREMENTS]
        if bad:
            raise fail(f"model-card: unknown requirement {bad[0]!r} ({', '.join(_CARD_REQUIREMENTS)})",
                       "rules", "model-card", "require")
        for i, t in enumerate(rules["data-quality"]["thresholds"]):
            if not isinstance(t, Mapping) or not isinstance(t.get("dataset"), str):
                raise fail(f"data-quality threshold {i + 1} needs a 'dataset' pattern", "rules", "data-quality",
                           "thresholds")
            if set(t) - _THRESHOLD_KEYS:
                raise fail(f"data-quality threshold {i + 1}: unknown key {min(set(t) - _THRESHOLD_KEYS)!r}",
                           "rules", "data-quality", "thresholds")
        if rules["data-quality"]["missing"] not in ("fail", "skip"):
            raise fail("data-quality: missing must be 'fail' or 'skip'", "rules", "data-quality", "missing")
        for i, a in enumerate(rules["schema-change"]["acknowledged"]):
            if not isinstance(a, Mapping) or not isinstance(a.get("dataset"), str):
                raise fail(f"schema-change acknowledgment {i + 1} needs a 'dataset'", "rules", "schema-change",
                           "acknowledged")
        return cls(rules, source)


def _yaml_lines(node: Any, path: tuple[str, ...], out: dict[tuple[str, ...], int]) -> None:
    import yaml

    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            here = (*path, str(key.value))
            out[here] = key.start_mark.line + 1
            _yaml_lines(value, here, out)


def load_policy(path: str | os.PathLike[str] | None = None) -> Policy:
    """A policy from a YAML file; default ``$NBGOV_POLICY``, else the built-in defaults.

    Raises:
        PolicyError: the file cannot be read, is not valid YAML (with its line), or is
            not a valid policy.
    """
    if path is None:
        path = os.environ.get(POLICY_ENV, "").strip() or None
        if path is None:
            return Policy()
    import yaml

    name = os.fspath(path)
    try:
        text = Path(name).read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"cannot read the policy: {exc.strerror or exc}", file=name) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError(f"invalid YAML: {problem}", file=name,
                          line=mark.line + 1 if mark is not None else None) from None
    lines: dict[tuple[str, ...], int] = {}
    _yaml_lines(node, (), lines)
    return Policy.from_mapping(data, source=name, lines=lines)


# ------------------------------------------------------------------ scope
@dataclass
class _Scope:
    """What the check looks at: the jobs (all, or one notebook's), what they write and read."""

    jobs: list[Mapping[str, Any]]
    written: dict[str, tuple[str, str]]  # dataset id -> (ns, name)
    writers: dict[str, list[Mapping[str, Any]]]
    datasets: dict[str, Mapping[str, Any]]


def _in_notebook(job_name: str, notebook: str) -> bool:
    names = {notebook, os.path.basename(notebook)}
    return any(job_name == n or job_name.startswith(n + "/") for n in names if n)


def _scope(store: Store, notebook: str | None) -> _Scope:
    jobs = [j for j in store.jobs() if notebook is None or _in_notebook(j["name"], notebook)]
    datasets = {str(NodeId.dataset(d["namespace"], d["name"])): d for d in store.datasets()}
    written: dict[str, tuple[str, str]] = {}
    writers: dict[str, list[Mapping[str, Any]]] = {}
    for job in jobs:
        for out in job.get("outputs") or ():
            node = str(NodeId.dataset(out["namespace"], out["name"]))
            written[node] = (out["namespace"], out["name"])
            writers.setdefault(node, []).append(job)
    return _Scope(jobs, dict(sorted(written.items())), writers, datasets)


def _match(patterns: Iterable[str], ns: str, name: str) -> bool:
    keys = (f"{ns}:{name}", str(NodeId.dataset(ns, name)), ns, name)
    return any(fnmatch.fnmatchcase(k, p) for p in patterns for k in keys)


def _tag_matches(key: str, value: str, wanted: Sequence[str]) -> bool:
    for w in wanted:
        if value == w or value.startswith(w + ".") or (key == "pii" and w == "PII"):
            return True
    return False


# ------------------------------------------------------------------ rules
def _output_owner(store: Store, scope: _Scope, opts: Mapping[str, Any], **_: Any) -> tuple[int, list[Violation]]:
    checked, out = 0, []
    for node, (ns, name) in scope.written.items():
        if _match(opts["exclude"], ns, name):
            continue
        checked += 1
        if owners_of(scope.datasets.get(node, {}).get("facets") or {}):
            continue
        if any(owners_of(j.get("facets") or {}) for j in scope.writers.get(node, ())):
            continue
        out.append(Violation("output-owner", node, "no owner (set one: nbgov owner NODE --add team:NAME, "
                                                   "or %%lineage --owner team:NAME on the cell that writes it)"))
    return checked, out


def _stored_tags(data: Mapping[str, Any]) -> list[Tag]:
    facet = (data.get("facets") or {}).get("tags")
    out = []
    for entry in facet.get("tags") or () if isinstance(facet, Mapping) else ():
        try:
            out.append(Tag.from_dict(entry))
        except TagError:
            continue
    return out


def _flows(store: Store, scope: _Scope, wanted: Sequence[str]) -> list[TagFinding]:
    """Each tag matching ``wanted`` in effect on a column of a written dataset, inherited through lineage."""
    origins: set[tuple[str, str, str]] = set()
    for d in scope.datasets.values():
        for t in _stored_tags(d):
            if t.field and _tag_matches(t.key, t.value, wanted):
                origins.add((d["namespace"], d["name"], t.field))
    if not origins:
        return []
    found: list[TagFinding] = []
    for node, (ns, name) in scope.written.items():
        fields = [f["name"] for f in scope.datasets.get(node, {}).get("fields") or () if isinstance(f, Mapping)]
        derived = _derived_columns(store, ns, name)
        # the dataset's columns; edges into a column it no longer has (a refit on other features) are history
        for column in fields or sorted(derived):
            if column in derived:  # recorded column lineage decides (a masking edge stops the flow)
                tags = effective_tags(store, str(NodeId.dataset_field(ns, name, column)))
            else:  # no column edges: same-named columns through the jobs
                tags = traced_tags(store, NodeId.dataset(ns, name), column)
            for finding in tags:
                if finding.inherited and _tag_matches(finding.key, finding.value, wanted):
                    found.append(finding)
    return found


def _derived_columns(store: Store, ns: str, name: str) -> set[str]:
    """The columns of a dataset that have recorded column lineage (whether or not the
    dataset has a ``schema`` facet: ``COPY … TO 'file'`` may leave none)."""
    try:
        edges = store.column_edges(NodeId.dataset(ns, name), 1, direction="up")
    except NodeNotFoundError:
        return set()
    return {e["output"]["field"] for e in edges
            if e["output"]["namespace"] == ns and e["output"]["dataset"] == name and e["output"]["field"]}


def _pii_flow(store: Store, scope: _Scope, opts: Mapping[str, Any], **_: Any) -> tuple[int, list[Violation]]:
    seen: dict[tuple[str, str], Violation] = {}
    findings = _flows(store, scope, opts["tags"])
    for f in findings:
        target = f.path[-1]
        ns = _namespace_of(target, scope)
        if ns is None or any(fnmatch.fnmatchcase(ns, p) for p in opts["allowed_namespaces"]):
            continue
        key = (f.origin, target)
        if key not in seen:
            seen[key] = Violation("pii-flow", target, f"{f.key}={f.value} from {f.origin} flows into namespace "
                                  f"{ns}, which is not allowed (allowed: {', '.join(opts['allowed_namespaces']) or 'none'})",
                                  f.path)
    return len(scope.written), sorted(seen.values(), key=lambda v: (v.node, v.path))


def _namespace_of(field_id: str, scope: _Scope) -> str | None:
    for (ns, name) in scope.written.values():
        if field_id.startswith(f"datasetField:{ns}:{name}:"):
            return ns
    return None


def _models(scope: _Scope) -> list[str]:
    """Written model datasets, except saved copies of a model (a file whose ``model`` tag links it)."""
    out = []
    for node, (ns, name) in scope.written.items():
        data = scope.datasets.get(node, {})
        if dataset_kind(ns, name, data.get("facets")) != "model":
            continue
        if any(t.key == "model" and t.field is None for t in _stored_tags(data)):
            continue
        out.append(node)
    return out


def _cards(store: Store, scope: _Scope, cache: dict[str, ModelCard]) -> list[ModelCard]:
    out = []
    for node in _models(scope):
        if node not in cache:
            ns, name = scope.written[node]
            cache[node] = model_card(str(NodeId.dataset(ns, name)), store=store)
        out.append(cache[node])
    return out


def _sensitive_model(store: Store, scope: _Scope, opts: Mapping[str, Any], *, cards: dict[str, ModelCard],
                     **_: Any) -> tuple[int, list[Violation]]:
    models = _cards(store, scope, cards)
    out = []
    for card in models:
        if card.approved:
            continue
        for feature in card.features:
            hits = [t for t in feature.tags if _tag_matches(t.key, t.value, opts["tags"])]
            if hits:
                t = hits[0]
                out.append(Violation("sensitive-model", card.node,
                                     f"trained on feature {feature.name!r} tagged {t.key}={t.value} "
                                     f"(from {t.origin}) and not approved ({card.approval_status})", t.path))
    return len(models), out


def _acknowledged(alert: Any, acks: Iterable[Mapping[str, Any]]) -> bool:
    for a in acks:
        pattern = str(a["dataset"])
        if not (fnmatch.fnmatchcase(alert.node_id, pattern)
                or fnmatch.fnmatchcase(f"{alert.namespace}:{alert.dataset}", pattern)):
            continue
        if a.get("column") in (None, alert.column) and a.get("to_version") in (None, alert.to_version):
            return True
    return False


def _schema_change(store: Store, scope: _Scope, opts: Mapping[str, Any], **_: Any) -> tuple[int, list[Violation]]:
    out, checked = [], 0
    for job in scope.jobs:
        latest = job.get("latestRun")
        if not latest:
            continue
        checked += 1
        try:
            alerts = alerts_for_run(store, latest["id"])
        except NodeNotFoundError:  # pragma: no cover - a job's latest run is stored
            continue
        for alert in alerts:
            if alert.severity == "ERROR" and not _acknowledged(alert, opts["acknowledged"]):
                out.append(Violation("schema-change", alert.node_id,
                                     f"{alert.type} of column {alert.column}: {alert.from_type} -> {alert.to_type} "
                                     f"in run {alert.run_id} of {job['name']} (acknowledge it in the policy file)"))
    return checked, out


def _model_card(store: Store, scope: _Scope, opts: Mapping[str, Any], *, cards: dict[str, ModelCard],
                today: dt.date, **_: Any) -> tuple[int, list[Violation]]:
    models = _cards(store, scope, cards)
    out = []
    for card in models:
        missing = []
        need = set(opts["require"])
        if "owner" in need and not card.owners:
            missing.append("an owner")
        if "next_review" in need:
            review = card.next_review
            if not review or not card.approved:
                missing.append("a next-review date (nbgov approve MODEL --by NAME --next-review YYYY-MM-DD)"
                               if not review else f"a current approval ({card.approval_status})")
            elif review <= today.isoformat():
                missing.append(f"a next-review date in the future (was {review})")
        if "approved" in need and not card.approved and "next_review" not in need:
            missing.append(f"an approval ({card.approval_status})")
        if "metrics" in need and not card.metrics:
            missing.append("evaluation metrics (nbgov.log_metrics)")
        if missing:
            out.append(Violation("model-card", card.node, "model card lacks " + "; ".join(missing)))
    return len(models), out


def _data_quality(store: Store, scope: _Scope, opts: Mapping[str, Any], **_: Any) -> tuple[int, list[Violation]]:
    out, checked = [], 0
    touched = dict(scope.written)
    for job in scope.jobs:
        for item in job.get("inputs") or ():
            touched.setdefault(str(NodeId.dataset(item["namespace"], item["name"])), (item["namespace"], item["name"]))
    for t in opts["thresholds"]:
        for node, (ns, name) in sorted(touched.items()):
            if not _match([t["dataset"]], ns, name):
                continue
            checked += 1
            metrics = _quality(store, scope.datasets.get(node, {}), ns, name)
            if metrics is None:
                if opts["missing"] == "fail":
                    out.append(Violation("data-quality", node, "no quality metrics recorded"))
                continue
            rows = metrics.get("rowCount")
            if t.get("min_rows") is not None and isinstance(rows, int) and rows < int(t["min_rows"]):
                out.append(Violation("data-quality", node, f"{rows} rows, fewer than min_rows {t['min_rows']}"))
            if t.get("max_null_ratio") is not None and isinstance(rows, int) and rows > 0:
                for col, m in sorted((metrics.get("columnMetrics") or {}).items()):
                    if t.get("columns") and not any(fnmatch.fnmatchcase(col, p) for p in t["columns"]):
                        continue
                    nulls = (m or {}).get("nullCount")
                    if isinstance(nulls, int) and nulls / rows > float(t["max_null_ratio"]):
                        out.append(Violation("data-quality", str(NodeId.dataset_field(ns, name, col)),
                                             f"null ratio {nulls / rows:.3f} above max_null_ratio {t['max_null_ratio']}"))
    return checked, out


def _quality(store: Store, data: Mapping[str, Any], ns: str, name: str) -> Mapping[str, Any] | None:
    metrics = (data.get("facets") or {}).get("dataQualityMetrics")
    if isinstance(metrics, Mapping) and "rowCount" in metrics:
        return metrics
    try:
        versions = store.dataset_versions(ns, name)
    except NodeNotFoundError:
        return None
    for v in versions:
        m = (v.get("facets") or {}).get("dataQualityMetrics")
        if isinstance(m, Mapping) and "rowCount" in m:
            return m
    return None


_CHECKS = {
    "output-owner": _output_owner,
    "pii-flow": _pii_flow,
    "sensitive-model": _sensitive_model,
    "schema-change": _schema_change,
    "model-card": _model_card,
    "data-quality": _data_quality,
}


def check(
    store: Store,
    policy: Policy | str | os.PathLike[str] | Mapping[str, Any] | None = None,
    *,
    notebook: str | None = None,
    today: dt.date | None = None,
    rules: Sequence[str] | None = None,
) -> PolicyReport:
    """Evaluate the policy's rules against the store.

    Args:
        store: the lineage store.
        policy: a :class:`Policy`, a YAML file, a mapping, or None (``$NBGOV_POLICY``, else
            the built-in defaults).
        notebook: only the jobs of this notebook (its job name or ``.ipynb`` path: the
            notebook's job and its ``<notebook>/cell-…`` jobs).
        today: the date review dates are compared with; default today.
        rules: only these rules (default: every rule).

    Returns:
        The report; ``report.passed`` is False when any enabled rule found a violation.

    Raises:
        PolicyError: the policy is invalid.
    """
    if isinstance(policy, Policy):
        pol = policy
    elif isinstance(policy, Mapping):
        pol = Policy.from_mapping(policy)
    else:
        pol = load_policy(policy)
    scope = _scope(store, notebook)
    cards: dict[str, ModelCard] = {}
    results = []
    for name, (description, _) in RULES.items():
        if rules is not None and name not in rules:
            continue
        if not pol.enabled(name):
            results.append(RuleResult(name, description, False, 0))
            continue
        checked, violations = _CHECKS[name](store, scope, pol.rules[name], cards=cards, today=today or dt.date.today())
        results.append(RuleResult(name, description, True, checked, tuple(violations)))
    return PolicyReport(tuple(results), pol.source, notebook)

