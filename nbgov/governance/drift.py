"""Data drift between two versions of a dataset: schema first, then every common column.

``profile(df)`` condenses a frame into a small JSON-serialisable :class:`DatasetProfile`
(row count, per-column dtype, null count, a 201-point quantile sketch for numeric and
datetime columns, category counts for categorical ones); ``compare(reference, current)``
accepts a DataFrame or a profile on either side, so a later run can compare against a
stored profile without the old data. DataFrames are profiled on a seeded sample of at
most ``sample`` rows; row and null counts are always exact.

Example:
    >>> import numpy as np, pandas as pd
    >>> from nbgov.governance import compare
    >>> rng = np.random.default_rng(0)
    >>> ref = pd.DataFrame({"x": rng.normal(size=5000), "c": rng.choice(["a", "b"], 5000)})
    >>> cur = ref.assign(x=ref["x"] + 1.0)
    >>> report = compare(ref, cur)
    >>> report.drifted_columns
    ('x',)
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from nbgov.errors import NbgovError

__all__ = [
    "ColumnDrift",
    "ColumnProfile",
    "DatasetProfile",
    "DriftError",
    "DriftReport",
    "SchemaChange",
    "compare",
    "profile",
]

PROFILE_VERSION = 1
QUANTILES = np.linspace(0.0, 1.0, 201)  # the sketch: every half percentile
MAX_CATEGORIES = 100  # categories kept per column (top-k); the rest is counted as "other"
DISCRETE_LIMIT = 20  # numeric columns with at most this many distinct values compare as categories
KS_MAX_N = 1000  # KS below this sample size, normed Wasserstein above
KS_ALPHA_C = 1.949  # c(alpha) for alpha = 0.001 in the two-sample KS critical value
WASSERSTEIN_THRESHOLD = 0.1  # in reference standard deviations
JS_THRESHOLD = 0.1  # Jensen-Shannon distance, base 2, in [0, 1]
NULL_RATE_MIN_CHANGE = 0.01
HASH_BUCKETS = 128  # high-cardinality categoricals are also kept as a histogram of value hashes
IDENTIFIER_RATIO = 0.5  # distinct / non-null above this (and > MAX_CATEGORIES) = identifier-like
SEVERITIES = ("INFO", "WARNING", "ERROR")


class DriftError(NbgovError):
    """``compare`` or ``profile`` got something it cannot use.

    Args:
        message: what is wrong.
        field: the argument or profile field at fault.
    """

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


# =========================================================================== profiles


@dataclass(frozen=True)
class ColumnProfile:
    """What ``compare`` needs to know about one column, without its raw rows.

    Attributes:
        name: column name.
        dtype: the pandas dtype as text (``int64``, ``str``, ``datetime64[ns]``).
        logical: ``bool``, ``int``, ``float``, ``datetime``, ``timedelta``, ``string``,
            ``category`` or ``object`` — what a schema diff compares.
        kind: ``numeric``, ``datetime``, ``categorical`` or ``boolean`` — how drift is measured.
        count: rows (exact); nulls: null cells (exact).
        sampled: non-null values the statistics were computed on.
        distinct: distinct non-null values in the sample.
        mean, std: of the sample (numeric/datetime; datetimes in nanoseconds).
        quantiles: 201-point quantile sketch (numeric/datetime), enough for KS and Wasserstein.
        categories: value → count for up to 100 most frequent values; values are kept as
            text for columns with at most 100 distinct values, and as 64-bit hashes
            (``hashed=True``) for higher-cardinality ones, so a stored profile never holds
            identifiers or free text.
        other: sampled values outside ``categories``.
        buckets: for hashed columns, counts of all sampled values in 128 hash buckets —
            the histogram the frequency-shift statistic compares.
        unique_integers: every sampled value is a distinct integer (an id column).
    """

    name: str
    dtype: str
    logical: str
    kind: str
    count: int
    nulls: int
    sampled: int
    distinct: int
    mean: float | None = None
    std: float | None = None
    quantiles: tuple[float, ...] | None = None
    categories: dict[str, int] | None = None
    other: int = 0
    hashed: bool = False
    unique_integers: bool = False
    buckets: tuple[int, ...] | None = None

    @property
    def null_rate(self) -> float:
        return self.nulls / self.count if self.count else 0.0

    @property
    def identifier_like(self) -> bool:
        """Too many distinct values for category statistics (UUIDs, free text, ids)."""
        if self.kind == "numeric":
            return self.unique_integers
        if self.kind == "categorical":
            return self.distinct > MAX_CATEGORIES and self.distinct >= IDENTIFIER_RATIO * max(1, self.sampled)
        return False

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dtype": self.dtype,
            "logical": self.logical,
            "kind": self.kind,
            "count": self.count,
            "nulls": self.nulls,
            "sampled": self.sampled,
            "distinct": self.distinct,
            "mean": self.mean,
            "std": self.std,
            "quantiles": list(self.quantiles) if self.quantiles is not None else None,
            "categories": dict(self.categories) if self.categories is not None else None,
            "other": self.other,
            "hashed": self.hashed,
            "unique_integers": self.unique_integers,
            "buckets": list(self.buckets) if self.buckets is not None else None,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ColumnProfile:
        q = d.get("quantiles")
        c = d.get("categories")
        return cls(
            name=str(d["name"]),
            dtype=str(d["dtype"]),
            logical=str(d["logical"]),
            kind=str(d["kind"]),
            count=int(d["count"]),
            nulls=int(d["nulls"]),
            sampled=int(d["sampled"]),
            distinct=int(d["distinct"]),
            mean=None if d.get("mean") is None else float(d["mean"]),
            std=None if d.get("std") is None else float(d["std"]),
            quantiles=None if q is None else tuple(float(x) for x in q),
            categories=None if c is None else {str(k): int(v) for k, v in c.items()},
            other=int(d.get("other", 0)),
            hashed=bool(d.get("hashed", False)),
            unique_integers=bool(d.get("unique_integers", False)),
            buckets=None if d.get("buckets") is None else tuple(int(x) for x in d["buckets"]),
        )


@dataclass(frozen=True)
class DatasetProfile:
    """A frame condensed for drift comparison; JSON-serialisable via :meth:`to_dict`."""

    rows: int
    columns: tuple[ColumnProfile, ...]
    sample: int
    seed: int = 0
    version: int = PROFILE_VERSION

    def column(self, name: str) -> ColumnProfile:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "rows": self.rows,
            "sample": self.sample,
            "seed": self.seed,
            "columns": [c.to_dict() for c in self.columns],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DatasetProfile:
        """Rebuild a profile from :meth:`to_dict` output (e.g. read back from JSON).

        Raises:
            DriftError: the mapping is not a profile, or of an unknown version.
        """
        try:
            version = int(d.get("version", 0))
            if version != PROFILE_VERSION:
                raise DriftError(f"unsupported profile version {version}", field="version")
            return cls(
                rows=int(d["rows"]),
                columns=tuple(ColumnProfile.from_dict(c) for c in d["columns"]),
                sample=int(d["sample"]),
                seed=int(d.get("seed", 0)),
                version=version,
            )
        except DriftError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DriftError(f"not a dataset profile ({exc})", field="profile") from None

    def __repr__(self) -> str:
        return f"DatasetProfile(rows={self.rows}, columns={len(self.columns)}, sample={self.sample})"


def _logical(s: pd.Series) -> str:
    dt = s.dtype
    if pd.api.types.is_bool_dtype(dt):
        return "bool"
    if pd.api.types.is_complex_dtype(dt):
        return "object"
    if isinstance(dt, pd.CategoricalDtype):
        return "category"
    if pd.api.types.is_integer_dtype(dt):
        return "int"
    if pd.api.types.is_float_dtype(dt):
        return "float"
    if pd.api.types.is_datetime64_any_dtype(dt):
        return "datetime"
    if pd.api.types.is_timedelta64_dtype(dt):
        return "timedelta"
    if pd.api.types.is_string_dtype(dt):
        if dt == object:
            inferred = pd.api.types.infer_dtype(s.iloc[:1000], skipna=True)
            if inferred in ("string", "empty"):
                return "string"
            if inferred == "boolean":
                return "bool"
            return "object"
        return "string"
    if pd.api.types.is_numeric_dtype(dt):
        return "float"
    return "object"


_KIND = {
    "bool": "boolean",
    "int": "numeric",
    "float": "numeric",
    "timedelta": "numeric",
    "datetime": "datetime",
    "string": "categorical",
    "category": "categorical",
    "object": "categorical",
}


def _hashes(keys: pd.Series) -> np.ndarray:
    """Stable 64-bit hashes of text values (pandas' SipHash with its fixed default key)."""
    return pd.util.hash_pandas_object(keys.astype(object), index=False).to_numpy(dtype=np.uint64)


def _hash_keys(keys: list[str]) -> list[str]:
    return [f"{h:016x}" for h in _hashes(pd.Series(keys, dtype=object))]


def _bucket_counts(keys: list[str], counts: list[int]) -> np.ndarray:
    b = (_hashes(pd.Series(keys, dtype=object)) % np.uint64(HASH_BUCKETS)).astype(np.int64)
    return np.bincount(b, weights=np.asarray(counts, dtype=float), minlength=HASH_BUCKETS)


def _key_text(values: pd.Index | pd.Series) -> pd.Series:
    """Category values as comparable text: integral floats lose their ``.0``."""
    s = pd.Series(values, dtype=values.dtype) if isinstance(values, pd.Index) else values
    if pd.api.types.is_float_dtype(s.dtype):
        vals = s.to_numpy(dtype=float)
        if np.all(vals == np.round(vals)) and np.all(np.abs(vals) < 2**53):
            return pd.Series(vals.astype(np.int64)).astype(object).astype(str)
    return s.astype(object).astype(str)


def _value_counts(s: pd.Series) -> pd.Series:
    """Counts by text key, most frequent first (ties by key, so the order is deterministic)."""
    counts = s.value_counts(sort=False, dropna=True)
    keys = _key_text(counts.index)
    out = pd.Series(counts.to_numpy(), index=keys.to_numpy(dtype=object))
    if not out.index.is_unique:  # e.g. 1 and "1" in one object column
        out = out.groupby(level=0).sum()
    if len(out) <= MAX_CATEGORIES:
        order = np.lexsort((out.index.to_numpy(dtype=object).astype(str), -out.to_numpy()))
    else:  # only the top-k is kept, hashed: a stable sort on counts is enough
        order = np.argsort(-out.to_numpy(), kind="stable")
    return out.iloc[order]


def _quantiles(xs: np.ndarray) -> np.ndarray:
    """Linear-interpolated quantiles of an already sorted array."""
    pos = QUANTILES * (len(xs) - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, len(xs) - 1)
    frac = pos - lo
    return xs[lo] + (xs[hi] - xs[lo]) * frac


def _as_float(s: pd.Series, kind: str) -> np.ndarray:
    if kind == "datetime":
        d = s
        if getattr(d.dt, "tz", None) is not None:
            d = d.dt.tz_convert("UTC").dt.tz_localize(None)
        return d.astype("datetime64[ns]").astype("int64").to_numpy(dtype=float)
    if pd.api.types.is_timedelta64_dtype(s.dtype):
        return s.astype("timedelta64[ns]").astype("int64").to_numpy(dtype=float)
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)


def _column_profile(name: str, full: pd.Series, rows: np.ndarray | None) -> ColumnProfile:
    logical = _logical(full)
    kind = _KIND[logical]
    na = full.isna().to_numpy()
    nulls = int(na.sum())
    if rows is None:
        s = full[~na]
    else:
        s = full.iloc[rows[~na[rows]]]
    kw: dict[str, Any] = {}
    distinct = 0
    if kind in ("numeric", "datetime"):
        x = _as_float(s, kind)
        x = np.sort(x[np.isfinite(x)])
        if len(x):
            distinct = int(1 + np.count_nonzero(np.diff(x)))
            kw["mean"] = float(x.mean())
            kw["std"] = float(x.std(ddof=1)) if len(x) > 1 else 0.0
            kw["quantiles"] = tuple(float(q) for q in _quantiles(x))
            integral = logical == "int" or bool(np.all(x == np.round(x)))
            kw["unique_integers"] = integral and distinct == len(x) and len(x) > DISCRETE_LIMIT
        if kind == "numeric" and 0 < distinct <= DISCRETE_LIMIT:
            counts = _value_counts(pd.Series(x))
            kw["categories"] = {str(k): int(v) for k, v in counts.items()}
        sampled = len(x)
    else:
        counts = _value_counts(s)
        distinct = len(counts)
        sampled = int(counts.sum())
        if distinct <= MAX_CATEGORIES:
            kw["categories"] = {str(k): int(v) for k, v in counts.items()}
        else:
            top = counts.iloc[:MAX_CATEGORIES]
            kw["categories"] = dict(zip(_hash_keys(list(top.index)), (int(v) for v in top)))
            kw["other"] = int(sampled - top.sum())
            kw["hashed"] = True
            if distinct < IDENTIFIER_RATIO * sampled:  # identifier-like columns need no histogram
                kw["buckets"] = tuple(int(b) for b in _bucket_counts(list(counts.index), counts.tolist()))
    return ColumnProfile(
        name=name,
        dtype=str(full.dtype),
        logical=logical,
        kind=kind,
        count=len(full),
        nulls=nulls,
        sampled=sampled,
        distinct=distinct,
        **kw,
    )


def profile(df: pd.DataFrame, *, sample: int = 100_000, seed: int = 0) -> DatasetProfile:
    """Condense *df* into a :class:`DatasetProfile` (no raw rows kept).

    Args:
        df: the frame.
        sample: statistics are computed on at most this many rows (seeded); row and null
            counts are exact.
        seed: seeds the row sample.

    Returns:
        The profile; ``profile(df).to_dict()`` is JSON-serialisable.

    Raises:
        DriftError: *df* is not a DataFrame, has duplicate column names, or *sample* < 1.
    """
    if not isinstance(df, pd.DataFrame):
        raise DriftError(f"expected a pandas DataFrame, got {type(df).__name__}", field="df")
    if not isinstance(sample, int) or isinstance(sample, bool) or sample < 1:
        raise DriftError("must be a positive int", field="sample")
    names = [str(c) for c in df.columns]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise DriftError(f"duplicate column names {dup}", field="df")
    rows = None
    if len(df) > sample:
        rows = np.sort(np.random.default_rng(seed).choice(len(df), size=sample, replace=False))
    cols = tuple(_column_profile(n, df.iloc[:, i], rows) for i, n in enumerate(names))
    return DatasetProfile(rows=len(df), columns=cols, sample=sample, seed=seed)


# =========================================================================== statistics


def _cdf_from_quantiles(q: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Evaluate the CDF implied by a quantile sketch at *x* (right-continuous)."""
    lo = np.searchsorted(q, x, side="right")  # number of sketch points <= x
    out = np.interp(x, q, QUANTILES)
    # Flat runs in q (ties) are jumps of the CDF: take the top of the jump at the tied value.
    tied_top = np.where(lo > 0, QUANTILES[np.clip(lo - 1, 0, len(q) - 1)], 0.0)
    out = np.maximum(out, tied_top)
    out[x < q[0]] = 0.0
    out[x >= q[-1]] = 1.0
    return out


def ks_statistic(q_ref: np.ndarray, q_cur: np.ndarray) -> float:
    """Two-sample Kolmogorov–Smirnov distance between two quantile sketches."""
    x = np.union1d(q_ref, q_cur)
    return float(np.max(np.abs(_cdf_from_quantiles(q_ref, x) - _cdf_from_quantiles(q_cur, x))))


def wasserstein(q_ref: np.ndarray, q_cur: np.ndarray) -> float:
    """First Wasserstein distance: the L1 distance between quantile functions, averaged over
    the sketch's interior points (the 0.5% tails on each side — sample minimum and maximum,
    the noisiest statistics there are — are left out, which keeps heavy tails from raising
    false alarms)."""
    d = np.abs(q_ref - q_cur)[1:-1]
    return float(d.mean())


def js_distance(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen–Shannon distance (base 2, in [0, 1]) between two count vectors."""
    p = p / p.sum() if p.sum() else p
    q = q / q.sum() if q.sum() else q
    m = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_p = np.where(p > 0, p * np.log2(p / m), 0.0).sum()
        kl_q = np.where(q > 0, q * np.log2(q / m), 0.0).sum()
    return float(math.sqrt(max(0.0, (kl_p + kl_q) / 2)))


# =========================================================================== report


@dataclass(frozen=True)
class SchemaChange:
    """One schema difference.

    ``type`` is ``SCHEMA_ADDITION`` (INFO), ``SCHEMA_REMOVAL`` (WARNING), ``TYPE_CHANGE``
    (ERROR when the kind of data changes, e.g. number → text; WARNING within a kind, e.g.
    int → float), ``NULLABILITY_CHANGE`` (WARNING: a column without nulls now has some; INFO
    the other way) or ``RENAME_HINT`` (INFO: a removed and an added column look alike).
    """

    type: str
    column: str
    from_: str | None
    to: str | None
    severity: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "column": self.column,
            "from": self.from_,
            "to": self.to,
            "severity": self.severity,
        }


@dataclass(frozen=True)
class ColumnDrift:
    """The verdict on one column present in both versions.

    Attributes:
        statistic: ``ks``, ``wasserstein_normed``, ``jensen_shannon``, ``type_change`` or
            ``none`` (identifier-like columns: only nulls are compared).
        value, threshold: the statistic and the value above which it counts as drift.
        drifted: any of: distribution shift, significant new/missing categories,
            null-rate change, change of kind.
        severity: ``INFO`` (no drift), ``WARNING`` or ``ERROR``.
        reasons: short text for each finding.
    """

    column: str
    kind: str
    statistic: str
    value: float | None
    threshold: float | None
    drifted: bool
    severity: str
    null_rate_reference: float
    null_rate_current: float
    new_categories: tuple[str, ...] = ()
    missing_categories: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "statistic": self.statistic,
            "value": self.value,
            "threshold": self.threshold,
            "drifted": self.drifted,
            "severity": self.severity,
            "null_rate_reference": self.null_rate_reference,
            "null_rate_current": self.null_rate_current,
            "new_categories": list(self.new_categories),
            "missing_categories": list(self.missing_categories),
            "reasons": list(self.reasons),
        }


DRIFT_FRAME_COLUMNS = (
    "column",
    "kind",
    "statistic",
    "value",
    "threshold",
    "drifted",
    "severity",
    "null_rate_reference",
    "null_rate_current",
    "new_categories",
    "missing_categories",
)


@dataclass(frozen=True)
class DriftReport:
    """The result of :func:`compare`: schema changes, then one verdict per common column."""

    rows_reference: int
    rows_current: int
    schema_changes: tuple[SchemaChange, ...]
    columns: tuple[ColumnDrift, ...]
    sample: int = 100_000

    @property
    def drifted_columns(self) -> tuple[str, ...]:
        return tuple(c.column for c in self.columns if c.drifted)

    @property
    def severity(self) -> str:
        """The highest severity among schema changes and column verdicts."""
        levels = [SEVERITIES.index(s.severity) for s in self.schema_changes]
        levels += [SEVERITIES.index(c.severity) for c in self.columns]
        return SEVERITIES[max(levels, default=0)]

    @property
    def has_drift(self) -> bool:
        """True when any column drifted or the schema changed (beyond INFO hints)."""
        return bool(self.drifted_columns) or any(s.severity != "INFO" for s in self.schema_changes)

    def summary(self) -> dict[str, Any]:
        change = (
            (self.rows_current - self.rows_reference) / self.rows_reference if self.rows_reference else None
        )
        return {
            "rows_reference": self.rows_reference,
            "rows_current": self.rows_current,
            "row_change": None if change is None else round(change, 6),
            "columns_compared": len(self.columns),
            "columns_drifted": len(self.drifted_columns),
            "schema_changes": len(self.schema_changes),
            "severity": self.severity,
            "has_drift": self.has_drift,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable: ``summary``, ``schema_changes`` and ``columns`` (name → verdict)."""
        return {
            "summary": self.summary(),
            "schema_changes": [s.to_dict() for s in self.schema_changes],
            "columns": {c.column: c.to_dict() for c in self.columns},
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    def to_frame(self) -> pd.DataFrame:
        """One row per compared column (``DRIFT_FRAME_COLUMNS``)."""
        rows = [
            (
                c.column,
                c.kind,
                c.statistic,
                c.value,
                c.threshold,
                c.drifted,
                c.severity,
                c.null_rate_reference,
                c.null_rate_current,
                list(c.new_categories),
                list(c.missing_categories),
            )
            for c in self.columns
        ]
        return pd.DataFrame(rows, columns=list(DRIFT_FRAME_COLUMNS)).astype(
            {
                "value": "float64",
                "threshold": "float64",
                "drifted": "bool",
                "null_rate_reference": "float64",
                "null_rate_current": "float64",
            }
        )

    def __repr__(self) -> str:
        s = self.summary()
        head = (
            f"DriftReport(rows {self.rows_reference} -> {self.rows_current}, {s['columns_drifted']} of "
            f"{s['columns_compared']} columns drifted, {len(self.schema_changes)} schema changes, "
            f"severity={self.severity})"
        )
        lines = [head]
        for ch in self.schema_changes:
            lines.append(f"  {ch.severity:<7} {ch.type} {ch.column}: {ch.from_} -> {ch.to}")
        for c in self.columns:
            if c.drifted:
                val = "" if c.value is None else f" {c.statistic}={c.value:.4g} (> {c.threshold:.4g})"
                lines.append(f"  {c.severity:<7} DRIFT {c.column}:{val} {'; '.join(c.reasons)}".rstrip())
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        esc = html.escape
        colour = {"INFO": "#4b5563", "WARNING": "#c2410c", "ERROR": "#b91c1c"}
        td = "padding:3px 8px;border-bottom:1px solid #e5e7eb;text-align:left"
        table = "border-collapse:collapse;font-family:system-ui,sans-serif;font-size:13px"
        s = self.summary()
        parts = [
            '<div class="nbgov-drift-report">',
            (
                f'<p style="font-family:system-ui,sans-serif;font-size:13px;margin:4px 0"><b>Drift</b>: rows '
                f"{self.rows_reference:,} &rarr; {self.rows_current:,} &middot; {s['columns_drifted']} of "
                f"{s['columns_compared']} columns drifted &middot; {len(self.schema_changes)} schema change(s) "
                f'&middot; <span style="color:{colour[self.severity]};font-weight:600">'
                f"{esc(self.severity)}</span></p>"
            ),
        ]
        if self.schema_changes:
            parts.append(f'<table style="{table}"><thead><tr>')
            parts += [f'<th style="{td}">{h}</th>' for h in ("type", "column", "from", "to", "severity")]
            parts.append("</tr></thead><tbody>")
            for ch in self.schema_changes:
                parts.append(
                    f'<tr><td style="{td}">{esc(ch.type)}</td><td style="{td}"><code>{esc(ch.column)}</code></td>'
                    f'<td style="{td}">{esc(str(ch.from_))}</td><td style="{td}">{esc(str(ch.to))}</td>'
                    f'<td style="{td};color:{colour[ch.severity]};font-weight:600">{esc(ch.severity)}</td></tr>'
                )
            parts.append("</tbody></table>")
        parts.append(f'<table style="{table};margin-top:6px"><thead><tr>')
        heads = ("column", "kind", "statistic", "value", "threshold", "null rate", "categories", "verdict")
        parts += [f'<th style="{td}">{h}</th>' for h in heads]
        parts.append("</tr></thead><tbody>")
        for c in self.columns:
            value = "" if c.value is None else f"{c.value:.4g}"
            thr = "" if c.threshold is None else f"{c.threshold:.4g}"
            cats = []
            if c.new_categories:
                cats.append("new: " + ", ".join(c.new_categories[:10]))
            if c.missing_categories:
                cats.append("missing: " + ", ".join(c.missing_categories[:10]))
            verdict = c.severity if c.drifted else "ok"
            parts.append(
                f'<tr><td style="{td}"><code>{esc(c.column)}</code></td><td style="{td}">{esc(c.kind)}</td>'
                f'<td style="{td}">{esc(c.statistic)}</td><td style="{td}">{value}</td><td style="{td}">{thr}</td>'
                f'<td style="{td}">{c.null_rate_reference:.1%} &rarr; {c.null_rate_current:.1%}</td>'
                f'<td style="{td}">{esc("; ".join(cats))}</td>'
                f'<td style="{td};color:{colour[c.severity]};font-weight:600" title="{esc("; ".join(c.reasons))}">'
                f"{esc(verdict)}</td></tr>"
            )
        parts.append("</tbody></table></div>")
        return "".join(parts)


# =========================================================================== compare


def _as_profile(
    obj: pd.DataFrame | DatasetProfile | Mapping[str, Any], which: str, sample: int, seed: int
) -> DatasetProfile:
    if isinstance(obj, DatasetProfile):
        return obj
    if isinstance(obj, pd.DataFrame):
        return profile(obj, sample=sample, seed=seed)
    if isinstance(obj, Mapping):
        return DatasetProfile.from_dict(obj)
    raise DriftError(f"expected a DataFrame or DatasetProfile, got {type(obj).__name__}", field=which)


def _null_change(r: ColumnProfile, c: ColumnProfile) -> tuple[bool, float]:
    p1, p2 = r.null_rate, c.null_rate
    if not r.count or not c.count:
        return False, 0.0
    pooled = (r.nulls + c.nulls) / (r.count + c.count)
    se = math.sqrt(max(pooled * (1 - pooled), 0.0) * (1 / r.count + 1 / c.count))
    threshold = max(NULL_RATE_MIN_CHANGE, 4 * se)
    return abs(p2 - p1) > threshold, threshold


def _categorical(
    r: ColumnProfile, c: ColumnProfile
) -> tuple[float, float, tuple[str, ...], tuple[str, ...], bool]:
    """JS distance on top-k + other, its threshold, new/missing categories, and whether
    the category changes are significant."""
    rc, cc = dict(r.categories or {}), dict(c.categories or {})
    if r.hashed or c.hashed:  # compare histograms of value hashes
        p = np.asarray(r.buckets, dtype=float) if r.hashed else _bucket_counts(list(rc), list(rc.values()))
        q = np.asarray(c.buckets, dtype=float) if c.hashed else _bucket_counts(list(cc), list(cc.values()))
        keys = [str(i) for i in range(HASH_BUCKETS - 1)]
    else:
        keys = sorted(set(rc) | set(cc))
        p = np.array([rc.get(k, 0) for k in keys], dtype=float)
        q = np.array([cc.get(k, 0) for k in keys], dtype=float)
    value = js_distance(p, q) if p.sum() and q.sum() else 0.0
    k = max(2, len(keys))
    n1, n2 = max(1, r.sampled), max(1, c.sampled)
    noise = math.sqrt((k - 1) / (8 * math.log(2)) * (1 / n1 + 1 / n2))
    threshold = max(JS_THRESHOLD, 3 * noise)
    new: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    significant = False
    complete = not r.hashed and not c.hashed
    if complete:
        new_keys = [k for k in cc if k not in rc]
        missing_keys = [k for k in rc if k not in cc]
        new = tuple(sorted(new_keys))
        missing = tuple(sorted(missing_keys))
        # A category matters when the other side would have shown it about 5+ times.
        significant = any(cc[k] / n2 * n1 >= 5 for k in new_keys) or any(
            rc[k] / n1 * n2 >= 5 for k in missing_keys
        )
    return value, threshold, new, missing, significant


def _severity(drifted: bool, strong: bool) -> str:
    if not drifted:
        return "INFO"
    return "ERROR" if strong else "WARNING"


def _compare_column(r: ColumnProfile, c: ColumnProfile) -> ColumnDrift:
    null_drift, _ = _null_change(r, c)
    reasons: list[str] = []
    if null_drift:
        reasons.append(f"null rate {r.null_rate:.1%} -> {c.null_rate:.1%}")
    base: dict[str, Any] = {
        "column": r.name,
        "null_rate_reference": round(r.null_rate, 6),
        "null_rate_current": round(c.null_rate, 6),
    }
    numeric_like = {"numeric", "datetime"}
    if r.kind != c.kind and not ({r.kind, c.kind} <= {"categorical", "boolean"}):
        reasons.insert(0, f"kind changed {r.kind} -> {c.kind}")
        return ColumnDrift(
            kind=c.kind,
            statistic="type_change",
            value=None,
            threshold=None,
            drifted=True,
            severity="ERROR",
            reasons=tuple(reasons),
            **base,
        )
    kind = c.kind
    new: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    if r.sampled == 0 or c.sampled == 0:
        stat, value, thr, dist_drift, strong = "none", None, None, False, False
        if r.sampled != c.sampled:
            reasons.append("one side has no values")
            dist_drift, strong = True, True
    elif kind in numeric_like and r.identifier_like and c.identifier_like:
        stat, value, thr, dist_drift, strong = "none", None, None, False, False
    elif kind in numeric_like and not (r.categories is not None and c.categories is not None):
        q1 = np.asarray(r.quantiles, dtype=float)
        q2 = np.asarray(c.quantiles, dtype=float)
        n1, n2 = r.sampled, c.sampled
        if min(n1, n2) <= KS_MAX_N:
            stat = "ks"
            value = ks_statistic(q1, q2)
            thr = KS_ALPHA_C * math.sqrt((n1 + n2) / (n1 * n2))
        else:
            stat = "wasserstein_normed"
            scale = r.std if r.std else (c.std if c.std else 1.0)
            value = wasserstein(q1, q2) / scale
            thr = WASSERSTEIN_THRESHOLD
        dist_drift = value > thr
        strong = value > 3 * thr
        if dist_drift:
            reasons.append(
                f"distribution shift ({stat} {value:.3g} > {thr:.3g}; mean {r.mean:.4g} -> {c.mean:.4g}, "
                f"std {r.std:.4g} -> {c.std:.4g})"
                if kind == "numeric"
                else f"distribution shift ({stat} {value:.3g} > {thr:.3g})"
            )
    elif r.identifier_like or c.identifier_like:
        stat, value, thr, dist_drift, strong = "none", None, None, False, False
    else:
        stat = "jensen_shannon"
        value, thr, new, missing, significant = _categorical(r, c)
        dist_drift = value > thr or significant
        strong = value > 3 * thr
        if value > thr:
            reasons.append(f"frequency shift (JS distance {value:.3g} > {thr:.3g})")
        if significant and new:
            reasons.append(f"new categories: {', '.join(new[:10])}")
        if significant and missing:
            reasons.append(f"missing categories: {', '.join(missing[:10])}")
    drifted = dist_drift or null_drift
    strong = strong or (null_drift and abs(c.null_rate - r.null_rate) >= 0.2)
    return ColumnDrift(
        kind=kind,
        statistic=stat,
        value=None if value is None else round(float(value), 6),
        threshold=None if thr is None else round(float(thr), 6),
        drifted=drifted,
        severity=_severity(drifted, strong),
        new_categories=new,
        missing_categories=missing,
        reasons=tuple(reasons),
        **base,
    )


def _looks_alike(a: ColumnProfile, b: ColumnProfile) -> bool:
    if a.logical != b.logical or abs(a.null_rate - b.null_rate) > 0.05:
        return False
    return not _compare_column(a, b).drifted


def _schema(ref: DatasetProfile, cur: DatasetProfile) -> list[SchemaChange]:
    changes: list[SchemaChange] = []
    rnames, cnames = ref.names, cur.names
    added = [n for n in cnames if n not in rnames]
    removed = [n for n in rnames if n not in cnames]
    for n in added:
        changes.append(SchemaChange("SCHEMA_ADDITION", n, None, cur.column(n).dtype, "INFO"))
    for n in removed:
        changes.append(SchemaChange("SCHEMA_REMOVAL", n, ref.column(n).dtype, None, "WARNING"))
    for n in rnames:
        if n not in cnames:
            continue
        r, c = ref.column(n), cur.column(n)
        if r.logical != c.logical:
            same_kind = r.kind == c.kind or {r.kind, c.kind} <= {"categorical", "boolean"}
            changes.append(
                SchemaChange("TYPE_CHANGE", n, r.dtype, c.dtype, "WARNING" if same_kind else "ERROR")
            )
        if r.nulls == 0 and c.nulls > 0 and r.count:
            changes.append(SchemaChange("NULLABILITY_CHANGE", n, "non-null", "nullable", "WARNING"))
        elif r.nulls > 0 and c.nulls == 0 and c.count:
            changes.append(SchemaChange("NULLABILITY_CHANGE", n, "nullable", "non-null", "INFO"))
    used: set[str] = set()
    for old in removed:
        for new in added:
            if new not in used and _looks_alike(ref.column(old), cur.column(new)):
                changes.append(SchemaChange("RENAME_HINT", new, old, new, "INFO"))
                used.add(new)
                break
    return changes


def compare(
    reference: pd.DataFrame | DatasetProfile | Mapping[str, Any],
    current: pd.DataFrame | DatasetProfile | Mapping[str, Any],
    *,
    sample: int = 100_000,
    seed: int = 0,
) -> DriftReport:
    """Compare two versions of a dataset: schema, row counts, nulls and distributions.

    Args:
        reference: the earlier version — a DataFrame, a :class:`DatasetProfile`, or a
            profile's ``to_dict()`` read back from storage.
        current: the later version, same choices.
        sample: DataFrames are profiled on at most this many rows.
        seed: seeds the row samples.

    Returns:
        A :class:`DriftReport`. Frames with different columns work: added and removed
        columns are schema changes; common columns are compared.

    Raises:
        DriftError: an argument is neither a DataFrame nor a profile, or is invalid.
    """
    ref = _as_profile(reference, "reference", sample, seed)
    cur = _as_profile(current, "current", sample, seed)
    changes = _schema(ref, cur)
    cols = tuple(_compare_column(ref.column(n), cur.column(n)) for n in cur.names if n in ref.names)
    return DriftReport(ref.rows, cur.rows, tuple(changes), cols, sample)
