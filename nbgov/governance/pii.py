"""PII classification of DataFrame columns, named after Google DLP info types.

``classify_pii(df)`` samples every column (order-independently), runs vectorised
validators over the sample, and turns the fraction of values that validate — plus
column-name hints and frame context — into a DLP likelihood per (column, info type).
Findings never carry raw values: each has a masked example such as ``j***@e***.com``.

Example:
    >>> import pandas as pd
    >>> from nbgov.governance import classify_pii
    >>> df = pd.DataFrame({"contact": ["ann@example.com", "bob@example.org"], "qty": [1, 2]})
    >>> report = classify_pii(df)
    >>> report.to_frame()[["column", "info_type", "likelihood"]].values.tolist()
    [['contact', 'EMAIL_ADDRESS', 'VERY_LIKELY']]
"""

from __future__ import annotations

import datetime as _dt
import enum
import html
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from nbgov.capture.profile import even_positions
from nbgov.errors import NbgovError
from nbgov.governance import _pii_lexicon as lex
from nbgov.governance import _pii_validators as v

__all__ = [
    "INFO_TYPES",
    "SAMPLINGS",
    "CustomIdentifier",
    "Likelihood",
    "PiiConfigError",
    "PiiFinding",
    "PiiReport",
    "classify_pii",
    "mask_value",
    "numbers_without_pii",
]

INFO_TYPES: tuple[str, ...] = (
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD_NUMBER",
    "US_SOCIAL_SECURITY_NUMBER",
    "PERSON_NAME",
    "STREET_ADDRESS",
    "IP_ADDRESS",
    "IBAN_CODE",
    "DATE_OF_BIRTH",
)


#: the smallest magnitude a number must reach to be worth validating as PII (7 digits)
MIN_NUMERIC_PII = 1_000_000

class PiiConfigError(NbgovError):
    """An argument of :func:`classify_pii` is invalid.

    Args:
        message: what is wrong.
        field: the argument at fault, e.g. ``custom[0].regex`` or ``min_likelihood``.
    """

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


class Likelihood(enum.IntEnum):
    """DLP likelihood levels, ordered: ``Likelihood.LIKELY > Likelihood.POSSIBLE``."""

    VERY_UNLIKELY = 1
    UNLIKELY = 2
    POSSIBLE = 3
    LIKELY = 4
    VERY_LIKELY = 5

    @classmethod
    def parse(cls, value: Likelihood | str | int, *, field: str = "min_likelihood") -> Likelihood:
        """Accept a member, its name (any case) or its number."""
        if isinstance(value, Likelihood):
            return value
        if isinstance(value, str) and value.strip().upper() in cls.__members__:
            return cls[value.strip().upper()]
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 5:
            return cls(value)
        raise PiiConfigError(f"expected one of {', '.join(cls.__members__)}, got {value!r}", field=field)

    def __str__(self) -> str:
        return self.name


def _clamp(level: int) -> Likelihood:
    return Likelihood(min(5, max(1, level)))


@dataclass(frozen=True)
class CustomIdentifier:
    """A Macie-style custom data identifier.

    A value matches when *regex* is found in it and, if *keywords* are given, one of
    them appears in the column name or at most *max_distance* characters before the
    match (case-insensitive). Matches equal to one of *ignore_words* are discarded.
    The finding's info type is *name*.
    """

    name: str
    regex: str
    keywords: tuple[str, ...] = ()
    max_distance: int = 50
    ignore_words: tuple[str, ...] = ()

    @classmethod
    def from_mapping(cls, spec: Mapping[str, Any] | CustomIdentifier, *, index: int = 0) -> CustomIdentifier:
        """Build from ``{"name", "regex", "keywords", "max_distance", "ignore_words"}``."""
        if isinstance(spec, CustomIdentifier):
            ident = spec
        elif isinstance(spec, Mapping):
            unknown = set(spec) - {"name", "regex", "keywords", "max_distance", "ignore_words"}
            if unknown:
                raise PiiConfigError(f"unknown keys {sorted(unknown)}", field=f"custom[{index}]")
            try:
                ident = cls(
                    name=spec["name"],
                    regex=spec["regex"],
                    keywords=tuple(spec.get("keywords") or ()),
                    max_distance=spec.get("max_distance", 50),
                    ignore_words=tuple(spec.get("ignore_words") or ()),
                )
            except KeyError as exc:
                raise PiiConfigError(f"missing key {exc.args[0]!r}", field=f"custom[{index}]") from None
        else:
            raise PiiConfigError(
                f"expected a mapping or CustomIdentifier, got {type(spec).__name__}", field=f"custom[{index}]"
            )
        where = f"custom[{index}]"
        if not isinstance(ident.name, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,63}", ident.name):
            raise PiiConfigError("name must be an identifier like CUST_ID", field=f"{where}.name")
        if ident.name.upper() in INFO_TYPES:
            raise PiiConfigError(f"{ident.name} is a built-in info type", field=f"{where}.name")
        if (
            not isinstance(ident.max_distance, int)
            or isinstance(ident.max_distance, bool)
            or not (0 <= ident.max_distance <= 300)
        ):
            raise PiiConfigError("max_distance must be an int in 0..300", field=f"{where}.max_distance")
        if not isinstance(ident.regex, str) or not ident.regex:
            raise PiiConfigError("regex must be a non-empty string", field=f"{where}.regex")
        try:
            re.compile(ident.regex)
        except re.error as exc:
            raise PiiConfigError(f"invalid regex: {exc}", field=f"{where}.regex") from None
        if not all(isinstance(k, str) and k.strip() for k in ident.keywords):
            raise PiiConfigError("keywords must be non-empty strings", field=f"{where}.keywords")
        return ident


@dataclass(frozen=True)
class PiiFinding:
    """One info type found in one column.

    Attributes:
        column: the column name (as ``str``).
        info_type: a DLP info type name, or a custom identifier's name.
        likelihood: how sure the classifier is.
        match_ratio: fraction of sampled non-null values that validate (or, for free
            text, that contain a validated match).
        sampled: number of non-null values examined.
        example: one matching value, masked (never raw).
        reasons: short human-readable evidence, e.g. ``"column name hint"``.
    """

    column: str
    info_type: str
    likelihood: Likelihood
    match_ratio: float
    sampled: int
    example: str
    reasons: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "info_type": self.info_type,
            "likelihood": self.likelihood.name,
            "match_ratio": self.match_ratio,
            "sampled": self.sampled,
            "example": self.example,
            "reasons": list(self.reasons),
        }


FRAME_COLUMNS = ("column", "info_type", "likelihood", "match_ratio", "sampled", "example")

_LEVEL_COLOURS = {
    Likelihood.VERY_LIKELY: "#b91c1c",
    Likelihood.LIKELY: "#c2410c",
    Likelihood.POSSIBLE: "#a16207",
    Likelihood.UNLIKELY: "#4b5563",
    Likelihood.VERY_UNLIKELY: "#6b7280",
}


@dataclass(frozen=True)
class PiiReport:
    """The result of :func:`classify_pii`: findings per column, all masked.

    Attributes:
        findings: one per (column, info type) at or above ``min_likelihood``, in column order.
        columns: every column that was scanned, in frame order.
        rows: number of rows in the frame.
        sample: the per-column sample size asked for.
        min_likelihood: the reporting threshold.
    """

    findings: tuple[PiiFinding, ...]
    columns: tuple[str, ...]
    rows: int
    sample: int
    min_likelihood: Likelihood = Likelihood.LIKELY

    def __iter__(self) -> Iterator[PiiFinding]:
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    @property
    def pii_columns(self) -> tuple[str, ...]:
        """Columns with at least one finding, in frame order."""
        seen = dict.fromkeys(f.column for f in self.findings)
        return tuple(seen)

    def by_column(self) -> dict[str, tuple[PiiFinding, ...]]:
        """Findings grouped by column (only columns with findings)."""
        out: dict[str, list[PiiFinding]] = {}
        for f in self.findings:
            out.setdefault(f.column, []).append(f)
        return {k: tuple(fs) for k, fs in out.items()}

    def info_types(self, column: str) -> frozenset[str]:
        """The info types found in *column*."""
        return frozenset(f.info_type for f in self.findings if f.column == column)

    def to_frame(self) -> pd.DataFrame:
        """One row per (column, info type) with exactly the columns ``FRAME_COLUMNS``."""
        rows = [
            (f.column, f.info_type, f.likelihood.name, f.match_ratio, f.sampled, f.example)
            for f in self.findings
        ]
        frame = pd.DataFrame(rows, columns=list(FRAME_COLUMNS))
        return frame.astype({"match_ratio": "float64", "sampled": "int64"})

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary (no raw values)."""
        return {
            "rows": self.rows,
            "sample": self.sample,
            "min_likelihood": self.min_likelihood.name,
            "columns_scanned": list(self.columns),
            "pii_columns": list(self.pii_columns),
            "findings": [f.to_dict() for f in self.findings],
        }

    def __repr__(self) -> str:
        head = (
            f"PiiReport({len(self.findings)} findings in {len(self.pii_columns)} of {len(self.columns)} columns, "
            f"rows={self.rows}, sample={self.sample}, min_likelihood={self.min_likelihood.name})"
        )
        if not self.findings:
            return head
        w = max(len(f.column) for f in self.findings)
        t = max(len(f.info_type) for f in self.findings)
        lines = [
            f"  {f.column:<{w}}  {f.info_type:<{t}}  {f.likelihood.name:<13} {f.match_ratio:6.1%}  {f.example}"
            for f in self.findings
        ]
        return "\n".join([head, *lines])

    def _repr_html_(self) -> str:
        esc = html.escape
        cap = (
            f"PII: {len(self.findings)} finding(s) in {len(self.pii_columns)} of {len(self.columns)} columns "
            f"&middot; {self.rows:,} rows, sample {self.sample:,} &middot; min likelihood {self.min_likelihood.name}"
        )
        style = "border-collapse:collapse;font-family:system-ui,sans-serif;font-size:13px"
        td = "padding:3px 8px;border-bottom:1px solid #e5e7eb;text-align:left"
        head = "".join(f'<th style="{td}">{esc(c)}</th>' for c in (*FRAME_COLUMNS, "why"))
        body = []
        for f in self.findings:
            colour = _LEVEL_COLOURS[f.likelihood]
            body.append(
                "<tr>"
                f'<td style="{td}"><code>{esc(f.column)}</code></td>'
                f'<td style="{td}">{esc(f.info_type)}</td>'
                f'<td style="{td};color:{colour};font-weight:600">{esc(f.likelihood.name)}</td>'
                f'<td style="{td}">{f.match_ratio:.1%}</td>'
                f'<td style="{td}">{f.sampled}</td>'
                f'<td style="{td}"><code>{esc(f.example)}</code></td>'
                f'<td style="{td};color:#4b5563">{esc("; ".join(f.reasons))}</td>'
                "</tr>"
            )
        if not body:
            body.append(f'<tr><td style="{td}" colspan="7">No PII found at this likelihood.</td></tr>')
        return (
            f'<div class="nbgov-pii-report"><table style="{style}">'
            f'<caption style="text-align:left;font-weight:600;padding:4px 0">{cap}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        )


# =========================================================================== masking


def _mask_word(word: str) -> str:
    return (word[0] + "***") if word else word


def mask_value(info_type: str, value: object) -> str:
    """Mask *value* for display as an example of *info_type*; never returns the raw value.

    Emails keep the first character of the user and domain and the top-level domain
    (``j***@e***.com``); card numbers keep the last four digits, SSNs the last four,
    IBANs the country code and last two characters; phone numbers keep ``+`` and the last
    two digits; IPv4 the first octet; dates, names and addresses keep only their shape
    and initials. Unknown (custom) types keep the first character and punctuation.
    """
    text = str(value).strip()
    if not text:
        return ""
    t = info_type.upper()
    if t == "EMAIL_ADDRESS" and "@" in text:
        local, _, domain = text.rpartition("@")
        local = local.rsplit("<", 1)[-1].removeprefix("mailto:")
        labels = domain.rstrip(">").split(".")
        tld = labels[-1] if len(labels) > 1 else ""
        out = f"{_mask_word(local)}@{_mask_word(labels[0])}" + (f".{tld}" if tld else "")
    elif t in ("CREDIT_CARD_NUMBER", "US_SOCIAL_SECURITY_NUMBER"):
        total = sum(c.isdigit() for c in text)
        keep = 4 if total >= 9 else 0
        out, seen = [], 0
        for c in text:
            if c.isdigit():
                seen += 1
                out.append(c if seen > total - keep else "*")
            else:
                out.append(c)
        out = "".join(out)
    elif t == "IBAN_CODE":
        chars = [c for c in text]
        alnum = [i for i, c in enumerate(chars) if c.isalnum()]
        for k, i in enumerate(alnum):
            if 2 <= k < len(alnum) - 2:
                chars[i] = "*"
        out = "".join(chars)
    elif t == "PHONE_NUMBER":
        total = sum(c.isdigit() for c in text)
        out, seen = [], 0
        for c in text:
            if c.isdigit():
                seen += 1
                out.append(c if seen > total - 2 and total >= 7 else "*")
            else:
                out.append(c)
        out = "".join(out)
    elif t == "IP_ADDRESS":
        if ":" in text and text.count(".") < 3:
            first = text.strip("[]").split(":", 1)[0]
            out = f"{first or '*'}:****:****:…"
        else:
            out = text.split(".", 1)[0] + ".*.*.*"
    elif t == "DATE_OF_BIRTH":
        out = re.sub(r"[0-9]", "*", text)
        out = re.sub(r"[A-Za-zÀ-ÿ]+", "**", out)
    elif t in ("PERSON_NAME", "STREET_ADDRESS"):
        out = re.sub(r"[0-9]+", "#", text)
        out = re.sub(r"[^\W\d_]+", lambda m: _mask_word(m.group(0)), out)
        out = re.sub(r"\s+", " ", out)
    else:
        out = text[0] + re.sub(r"[^\W_]", "*", text[1:])
    if text in out:
        k = max(1, min(len(text), 8))
        out = "*" * k if text not in "*" * k else "#" * k  # a value made of asterisks gets hashes
    return out


# =========================================================================== sampling


def _sample(col: pd.Series, n: int, seed: int) -> pd.Series:
    """Up to *n* non-null values with the smallest seeded hash of (value, occurrence number):
    the same multiset of values gives the same sample whatever the row order, and
    repeated values are sampled in proportion."""
    s = col[col.notna()]
    if len(s) > n:
        key = f"{seed & 0xFFFFFFFFFFFFFFFF:016x}"[-16:]
        try:
            h = pd.util.hash_pandas_object(s, index=False, hash_key=key).to_numpy()
        except TypeError:  # unhashable cells (lists, dicts): hash their text
            h = pd.util.hash_pandas_object(s.astype(str), index=False, hash_key=key).to_numpy()
        nth = pd.Series(h).groupby(h, sort=False).cumcount().to_numpy()
        h = pd.util.hash_pandas_object(pd.DataFrame({"h": h, "k": nth}), index=False, hash_key=key).to_numpy()
        keep = np.argpartition(h, n - 1)[:n]
        s = s.iloc[np.sort(keep)]
    return s


def _stride_sample(col: pd.Series, n: int) -> pd.Series:
    """Up to *n* non-null values evenly spaced in row order, first and last included: a
    uniform sample when the rows are themselves a random sample of a larger frame (the
    in-cell classification of a row-sampled frame), at none of :func:`_sample`'s hashing."""
    s = col[col.notna()]
    return s.iloc[even_positions(len(s), n)] if len(s) > n else s


#: how :func:`classify_pii` picks the values it examines in a column of more non-null values than its sample
SAMPLINGS = {"hash": "order-independent: the values with the smallest seeded hash",
             "stride": "evenly spaced in row order, for frames that are already a random row sample"}


def numbers_without_pii(dtype: Any, low: Any, high: Any) -> bool:
    """Whether a column of *dtype* whose values all lie in [*low*, *high*] cannot hold a
    numeric info type: a real-number (not bool) column whose bounds stay below
    :data:`MIN_NUMERIC_PII` in magnitude, or whose bounds are both null (no values).

    Lets a caller that already knows a column's bounds (a quality profile) skip it
    without sampling; :func:`classify_pii` finds nothing in such a column either way.
    """
    if isinstance(dtype, np.dtype):  # the common case, without pandas' generic dtype checks
        if dtype.kind not in "iuf":
            return False
    elif pd.api.types.is_bool_dtype(dtype) or not (
        pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype)
    ):
        return False
    if low is None and high is None:
        return True
    try:
        top = max(abs(float(low)), abs(float(high)))
    except (TypeError, ValueError, OverflowError):
        return False
    return top < MIN_NUMERIC_PII  # a NaN bound compares False: not ruled out


def _small_numbers(col: pd.Series) -> bool:
    """Whether *col* is a real-number column whose every value is below
    :data:`MIN_NUMERIC_PII` in magnitude (nulls ignored; an all-null column counts)."""
    dtype = col.dtype
    if pd.api.types.is_bool_dtype(dtype) or not (
        pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype)
    ):
        return False
    try:
        top = col.abs().max(skipna=True)
    except (TypeError, ValueError, OverflowError):
        return False
    return bool(pd.isna(top) or float(top) < MIN_NUMERIC_PII)


def _as_text(s: pd.Series) -> pd.Series:
    """The sampled non-null values as stripped, non-empty text, in an object-dtype Series.

    Object dtype on purpose: the validators run dozens of ``.str`` regex calls per
    column, and on pandas' Arrow-backed ``str`` dtype (the default ``astype(str)`` result
    since pandas 3) each call re-parses its pattern to choose between RE2 and ``re`` and
    then falls back to ``re`` anyway — about twice the cost of the object path, which
    uses ``re``'s compiled-pattern cache. Same values, same results (no missing values
    here, so no ``NaN`` in the boolean results)."""
    if pd.api.types.is_integer_dtype(s.dtype) or pd.api.types.is_float_dtype(s.dtype):
        s = s.astype("Int64")
    out = s.astype(object).astype(str).str.strip()
    out = out[out != ""]
    return out.reset_index(drop=True).astype(object)


# =========================================================================== scoring


def _level(ratio: float) -> int:
    if ratio >= 0.9:
        return 5
    if ratio >= 0.6:
        return 4
    if ratio >= 0.3:
        return 3
    if ratio >= 0.1:
        return 2
    return 1 if ratio > 0 else 0


def _embedded_level(hits: int, n: int) -> int:
    """Likelihood for validated matches embedded in free text (checksummed/structured types)."""
    if hits == 0:
        return 0
    ratio = hits / n
    if ratio >= 0.5:
        return 5
    if hits >= 2 and ratio >= 0.01:
        return 4
    return 3


def _weak_embedded_level(hits: int, n: int) -> int:
    """Likelihood for names/addresses/birth dates found in free text by pattern alone."""
    if hits == 0:
        return 0
    if hits >= 3 and hits / n >= 0.1:
        return 4
    return 3 if hits >= 2 else 2


_NUMERIC_ISH = re.compile(r"[0-9 ()./+\-]+(?:\s*(?:x|ext\.?|extension|#)\s*[0-9]{1,6})?", re.IGNORECASE)


def _scatter(values: np.ndarray, where: np.ndarray) -> np.ndarray:
    out = np.zeros(len(where), dtype=bool)
    out[where] = values
    return out


_LOWER_WORD = re.compile(r"(?<!\S)[a-zß-öø-ÿ]{2,}(?=[\s,.;:!?]|$)")


def _is_free_text(words: np.ndarray, lower: np.ndarray) -> bool:
    """Sentences rather than values: a median of five or more words, a third of them
    lower-case words."""
    if len(words) == 0 or float(np.median(words)) < 5:
        return False
    return float(lower.sum()) / max(1.0, float(words.sum())) >= 0.3


@dataclass
class _Candidate:
    info_type: str
    level: int
    ratio: float
    example: str
    reasons: list[str] = field(default_factory=list)
    needs_context: bool = False


def _mixed_column(cands: list[_Candidate], n: int, hinted: set[str]) -> None:
    """A column that is almost all PII of several types (a ``contact`` column of emails and
    phone numbers): each type with at least 10% of the values (and two of them) is raised
    to one level below what the combined coverage would give on its own. Not when the
    column name names one of the types (``mobile``): then the others are coincidences."""
    whole = [c for c in cands if not c.needs_context and c.level > 0]
    if len(whole) < 2 or hinted & {c.info_type for c in whole}:
        return
    coverage = min(1.0, sum(c.ratio for c in whole))  # validators claim disjoint values
    if coverage < 0.9:
        return
    for c in whole:
        if c.ratio >= 0.1 and c.ratio * n >= 2 and c.level < _level(coverage) - 1:
            c.level = _level(coverage) - 1
            c.reasons.append(f"{coverage:.0%} of the column is PII of {len(whole)} types")


def _example(values: pd.Series, mask: np.ndarray, info_type: str) -> str:
    if not mask.any():
        return ""
    return mask_value(info_type, min(values[mask].tolist()))


@dataclass(frozen=True)
class _CustomPatterns:
    full: re.Pattern[str]  # the identifier's regex as given
    find: re.Pattern[str]  # group 1 = a match anywhere in the value
    near: re.Pattern[str] | None  # group 1 = a match preceded by a keyword within max_distance


def _compile_custom(ident: CustomIdentifier) -> _CustomPatterns:
    body = ident.regex
    m = re.match(r"^\(\?([aiLmsux]+)\)", body)
    prefix = ""
    if m:
        prefix, body = f"(?{m.group(1)})", body[m.end() :]
    near = None
    if ident.keywords:
        kw = "|".join(re.escape(k.strip()) for k in ident.keywords)
        near = re.compile(prefix + rf"(?i:{kw})[\s\S]{{0,{ident.max_distance}}}?({body})")
    return _CustomPatterns(re.compile(prefix + f"(?:{body})"), re.compile(prefix + f"({body})"), near)


class _Classifier:
    def __init__(self, customs: Sequence[CustomIdentifier], today: _dt.date) -> None:
        self.customs = [(c, _compile_custom(c)) for c in customs]
        self.today = today

    # ---------------------------------------------------------------- per column

    def column(self, name: str, col: pd.Series, sample: int, seed: int,
               sampling: str = "hash") -> tuple[int, list[_Candidate]]:
        dtype = col.dtype
        if (
            pd.api.types.is_bool_dtype(dtype)
            or isinstance(dtype, pd.CategoricalDtype)
            and len(dtype.categories) <= 2
            and dtype.categories.isin([True, False, "True", "False"]).all()
        ):
            return int(col.notna().sum()), []
        if _small_numbers(col):
            # Every numeric info type needs at least 7 digits; checked on the whole column
            # first (one vectorised pass), so counts and small codes skip the hashing sample.
            return min(int(col.notna().sum()), sample), []
        s = _sample(col, sample, seed) if sampling == "hash" else _stride_sample(col, sample)
        hint = lex.normalise_column_name(name)
        if pd.api.types.is_datetime64_any_dtype(dtype):
            return len(s), self._dates(s.reset_index(drop=True), None, hint)
        if pd.api.types.is_timedelta64_dtype(dtype) or pd.api.types.is_complex_dtype(dtype):
            return len(s), []
        if pd.api.types.is_float_dtype(dtype):
            vals = s.to_numpy(dtype=float)
            if (
                len(vals) == 0
                or not np.all(np.isfinite(vals) & (vals == np.round(vals)))
                or np.abs(vals).max() >= 2**53
            ):
                return len(s), []
        if (pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_float_dtype(dtype)) and len(s):
            # Every numeric info type needs at least 7 digits (phone numbers; SSNs 9, cards
            # 13+, dates of birth as yyyymmdd 8): counts, small ids and codes cannot match,
            # and skipping them spares the text validators' fixed cost per column.
            if np.abs(s.to_numpy(dtype=float)).max() < MIN_NUMERIC_PII:
                return len(s), []
        if dtype == object and len(s):
            kind = pd.api.types.infer_dtype(s, skipna=True)
            if kind in ("date", "datetime", "datetime64"):
                return len(s), self._dates(
                    pd.to_datetime(s, errors="coerce").reset_index(drop=True), None, hint
                )
            if kind == "boolean":
                return len(s), []
        text = _as_text(s)
        if len(text) == 0:
            return 0, []
        return len(text), self._text(text, hint)

    def _hints(self, hint: str) -> tuple[set[str], bool]:
        pos = {t for t, rx in lex.NAME_HINTS.items() if rx.search(hint)}
        neg = bool(lex.NEGATIVE_HINT.search(hint))
        return pos, neg

    def _dates(
        self, dates: pd.Series, text: pd.Series | None, hint: str, claimed: np.ndarray | None = None
    ) -> list[_Candidate]:
        n = len(dates)
        if n == 0:
            return []
        pos, neg = self._hints(hint)
        ok = v.birth_like(dates, self.today)
        if claimed is not None:
            ok &= ~claimed
        if not ok.any() or neg and "DATE_OF_BIRTH" not in pos:
            return []
        ratio = ok.sum() / n
        shown = text if text is not None else dates.dt.strftime("%Y-%m-%d")
        example = _example(shown, ok, "DATE_OF_BIRTH")
        level = _level(ratio)
        a = v.ages(dates[ok], self.today)
        q1, med, q3 = np.percentile(a, [25, 50, 75])
        if "DATE_OF_BIRTH" in pos:
            return [
                _Candidate(
                    "DATE_OF_BIRTH",
                    min(5, level + 1),
                    ratio,
                    example,
                    [f"{ratio:.0%} plausible birth dates", "column name hint"],
                )
            ]
        if med >= 12 and q3 - q1 >= 5 and a.max() >= 18:
            # Birth-like spread of ages, but no name evidence: needs frame context (a person column).
            return [
                _Candidate(
                    "DATE_OF_BIRTH",
                    min(level, 3),
                    ratio,
                    example,
                    [f"{ratio:.0%} plausible birth dates, median implied age {med:.0f}"],
                    needs_context=True,
                )
            ]
        return [_Candidate("DATE_OF_BIRTH", min(level, 2), ratio, example, [f"{ratio:.0%} past dates"])]

    def _text(self, s: pd.Series, hint: str) -> list[_Candidate]:
        n = len(s)
        pos, neg = self._hints(hint)
        cands: list[_Candidate] = []
        claimed = np.zeros(n, dtype=bool)

        def take(mask: np.ndarray) -> np.ndarray:
            nonlocal claimed
            mask = mask & ~claimed
            claimed |= mask
            return mask

        def strong(info_type: str, mask: np.ndarray, what: str, penalty: int = 1) -> None:
            if not mask.any():
                return
            ratio = mask.sum() / n
            level = _level(ratio)
            reasons = [f"{ratio:.0%} of {n} sampled values are {what}"]
            if info_type in pos:
                level += 1
                reasons.append("column name hint")
            elif neg:
                level -= penalty
                reasons.append("column name suggests an identifier/code")
            cands.append(_Candidate(info_type, level, ratio, _example(s, mask, info_type), reasons))

        # Cheap character-class prefilters; each validator then sees only its candidates
        # that no earlier (stricter) validator has claimed.
        has_at = s.str.contains("@", regex=False).to_numpy(dtype=bool, copy=True)
        has_digit = s.str.contains(r"[0-9]").to_numpy(dtype=bool, copy=True)
        numeric = s.str.fullmatch(_NUMERIC_ISH).to_numpy(dtype=bool, copy=True)
        ipish = s.str.fullmatch(r"[\[\]0-9a-fA-F:./%]+").to_numpy(dtype=bool, copy=True)
        ibanish = s.str.match(r"[A-Za-z]{2}[0-9]{2}").to_numpy(dtype=bool, copy=True)

        def on(fn: Any, cand: np.ndarray) -> Any:
            idx = cand & ~claimed
            if not idx.any():
                z = np.zeros(n, dtype=bool)
                return z
            res = fn(s[idx])
            if isinstance(res, tuple):
                outs = []
                for r in res:
                    full = np.zeros(n, dtype=bool)
                    full[idx] = r
                    outs.append(full)
                return tuple(outs)
            full = np.zeros(n, dtype=bool)
            full[idx] = res
            return full

        def on2(fn: Any, cand: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            res = on(fn, cand)
            return res if isinstance(res, tuple) else (res, res.copy())

        strong("EMAIL_ADDRESS", take(on(v.email, has_at)), "valid email addresses")
        strong("IBAN_CODE", take(on(v.iban, ibanish)), "IBANs with valid length and mod-97 checksum")
        strong(
            "CREDIT_CARD_NUMBER",
            take(on(v.credit_card, numeric)),
            "card numbers with issuer prefix and Luhn checksum",
        )
        ssn_fmt, ssn_bare = on2(v.ssn, numeric)
        ssn_mask = take(ssn_fmt)
        ssn_pos = "US_SOCIAL_SECURITY_NUMBER" in pos
        if ssn_pos:
            ssn_mask |= take(ssn_bare)
        strong("US_SOCIAL_SECURITY_NUMBER", ssn_mask, "SSNs with valid area/group/serial")
        if not ssn_pos and not neg and ssn_bare.any():
            bare = take(ssn_bare)
            if bare.any():
                r = bare.sum() / n
                cands.append(
                    _Candidate(
                        "US_SOCIAL_SECURITY_NUMBER",
                        min(_level(r), 2),
                        r,
                        _example(s, bare, "US_SOCIAL_SECURITY_NUMBER"),
                        [f"{r:.0%} bare 9-digit values pass SSN rules, no corroboration"],
                    )
                )
        strong("IP_ADDRESS", take(on(v.ip_address, ipish)), "IPv4/IPv6 addresses", penalty=2)
        date_cand = has_digit & ~has_at & ~claimed
        if date_cand.any():
            dates = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
            dates[date_cand] = v.parse_dates(s[date_cand])
            is_date = dates.notna().to_numpy()
            if is_date.any():
                cands += self._dates(dates, s, hint, claimed=claimed | ~is_date)
            claimed |= is_date
        ph_fmt, ph_bare = on2(v.phone, numeric)
        ph = take(ph_fmt)
        if "PHONE_NUMBER" in pos:
            ph |= take(ph_bare)
        strong("PHONE_NUMBER", ph, "phone numbers")
        # Sentences (8+ words, half of them lower-case words) are left to the free-text pass.
        words = s.str.count(r"\S+").to_numpy(dtype=float)
        lower = s.str.count(_LOWER_WORD).to_numpy(dtype=float)
        prose = (words >= 8) & (lower >= 0.5 * words)
        spaced = words >= 2
        strong(
            "STREET_ADDRESS",
            take(on(v.street_address, has_digit & spaced & ~has_at & ~prose)),
            "street addresses",
        )
        # Names need two words, unless the column name says "name" (a first-name column).
        one_word = ~spaced if "PERSON_NAME" not in pos else np.zeros(n, dtype=bool)
        self._names(s, hint, pos, neg, claimed | has_digit | has_at | prose | one_word, cands)
        _mixed_column(cands, n, pos)
        if claimed.mean() < 0.5 and _is_free_text(words, lower):
            self._embedded(s, cands)
        for ident, pats in self.customs:
            self._custom(s, hint, ident, pats, cands)
        return cands

    def _names(
        self, s: pd.Series, hint: str, pos: set[str], neg: bool, claimed: np.ndarray, cands: list[_Candidate]
    ) -> None:
        cand = ~claimed
        if not cand.any():
            return
        sub = v.person_name(s[cand])
        ev = v.NameEvidence(*(_scatter(getattr(sub, k), cand) for k in ("shaped", "known", "single")))
        shaped = ev.shaped
        single = ev.single
        has_hint = "PERSON_NAME" in pos
        if has_hint and single.sum() > shaped.sum():
            shaped = shaped | single
        if not shaped.any():
            return
        if v.street_name_share(s[shaped]) >= 0.3:  # "Tina Trail", "Via Roma": street names, not people
            return
        known = (ev.known & shaped).sum() / shaped.sum()
        reasons = []
        if known >= 0.3 or (has_hint and known >= 0.05):
            mask = shaped
            reasons.append(
                f"{mask.mean():.0%} name-like values, {known:.0%} of them with a common given name/surname"
            )
            level = _level(mask.mean())
        else:
            mask = shaped & ev.known
            if not mask.any():
                return
            reasons.append(f"{mask.mean():.0%} name-like values with a common given name/surname")
            level = min(_level(mask.mean()), 3)
        if has_hint:
            level += 1
            reasons.append("column name hint")
        if neg:
            level -= 1
            reasons.append("column name suggests something else")
        cands.append(
            _Candidate("PERSON_NAME", level, float(mask.mean()), _example(s, mask, "PERSON_NAME"), reasons)
        )

    def _embedded(self, s: pd.Series, cands: list[_Candidate]) -> None:
        n = len(s)
        rows = s.index
        checks: list[tuple[str, re.Pattern[str], Any, bool]] = [
            ("EMAIL_ADDRESS", v.EMAIL_EMBEDDED, None, True),
            (
                "CREDIT_CARD_NUMBER",
                v.CC_EMBEDDED,
                lambda m: v.credit_card_digits(m.str.replace(r"[ \-]", "", regex=True)),
                True,
            ),
            (
                "IBAN_CODE",
                v.IBAN_EMBEDDED,
                lambda m: v.iban_compact(m.str.replace(" ", "", regex=False)),
                True,
            ),
            ("US_SOCIAL_SECURITY_NUMBER", v.SSN_EMBEDDED, lambda m: v.ssn(m)[0], True),
            ("IP_ADDRESS", v.IP_EMBEDDED, None, True),
            ("PHONE_NUMBER", v.PHONE_EMBEDDED, lambda m: v.phone(m)[0], True),
            ("DATE_OF_BIRTH", v.DOB_EMBEDDED, lambda m: v.birth_like(v.parse_dates(m), self.today), False),
            ("PERSON_NAME", v.NAME_EMBEDDED, v.embedded_name_ok, False),
            ("STREET_ADDRESS", v.ADDRESS_EMBEDDED, None, False),
        ]
        have = {c.info_type: c for c in cands}
        for info_type, pattern, check, is_strong in checks:
            found = v.find_all(s, pattern)
            if found.empty:
                continue
            ok = np.ones(len(found), dtype=bool) if check is None else check(found.reset_index(drop=True))
            if not ok.any():
                continue
            hit_rows = v.any_by_row(ok, found.index, rows)
            if info_type == "PERSON_NAME":  # "12 Victor Hugo Street" is an address, not a person
                hit_rows &= ~s.str.contains(v.ADDRESS_ANY).to_numpy(dtype=bool, copy=True)
            hits = int(hit_rows.sum())
            level = _embedded_level(hits, n) if is_strong else _weak_embedded_level(hits, n)
            ratio = hits / n
            example = mask_value(info_type, min(found[ok].tolist()))
            prev = have.get(info_type)
            if prev is not None and prev.level >= level:
                continue
            cand = _Candidate(
                info_type, level, ratio, example, [f"found inside free text in {hits} of {n} sampled values"]
            )
            if prev is not None:
                cands.remove(prev)
            cands.append(cand)
            have[info_type] = cand

    def _custom(
        self, s: pd.Series, hint: str, ident: CustomIdentifier, pats: _CustomPatterns, cands: list[_Candidate]
    ) -> None:
        n = len(s)
        col_kw = bool(ident.keywords) and any(
            lex.normalise_column_name(k) in hint or k.strip().lower() in hint for k in ident.keywords
        )
        use_near = bool(ident.keywords) and not col_kw
        found = v.find_all(s, pats.near if use_near else pats.find)  # type: ignore[arg-type]
        if found.empty:
            return
        ok = (found != "").to_numpy(dtype=bool, copy=True)
        if ident.ignore_words:
            ok &= ~found.str.strip().isin(list(ident.ignore_words)).to_numpy(dtype=bool, copy=True)
        if not ok.any():
            return
        hit_rows = v.any_by_row(ok, found.index, s.index)
        hits = int(hit_rows.sum())
        full = int(s[hit_rows].str.fullmatch(pats.full).sum())
        ratio = hits / n
        level = max(_level(full / n), _embedded_level(hits, n))
        if col_kw:
            level += 1
        reasons = [f"custom identifier matched in {hits} of {n} sampled values"]
        if ident.keywords:
            reasons.append(
                "keyword in column name" if col_kw else f"keyword within {ident.max_distance} characters"
            )
        example = mask_value(ident.name, min(found[ok].tolist()))
        cands.append(_Candidate(ident.name, level, ratio, example, reasons))


def _custom_list(
    custom: Iterable[Mapping[str, Any] | CustomIdentifier] | Mapping[str, Any] | None,
) -> list[CustomIdentifier]:
    if custom is None:
        return []
    if isinstance(custom, (Mapping, CustomIdentifier)):
        custom = [custom]
    out = [CustomIdentifier.from_mapping(c, index=i) for i, c in enumerate(custom)]
    names = [c.name for c in out]
    if len(set(names)) != len(names):
        raise PiiConfigError("custom identifier names must be unique", field="custom")
    return out


def classify_pii(
    df: pd.DataFrame,
    *,
    sample: int = 1000,
    custom: Iterable[Mapping[str, Any] | CustomIdentifier] | Mapping[str, Any] | None = None,
    min_likelihood: Likelihood | str | int = "LIKELY",
    seed: int = 0,
    today: _dt.date | None = None,
    sampling: str = "hash",
) -> PiiReport:
    """Classify the columns of *df* by DLP info type.

    Args:
        df: the frame to scan; its values are never stored or returned.
        sample: at most this many non-null values per column are examined (chosen by
            hash, so the result does not depend on row order).
        custom: Macie-style custom identifiers, each a mapping
            ``{"name", "regex", "keywords", "max_distance", "ignore_words"}`` or a
            :class:`CustomIdentifier`.
        min_likelihood: findings below this level are left out.
        seed: changes which values are sampled when a column has more than *sample*.
        today: reference date for implied ages (default: the current date).
        sampling: how the values of a column with more than *sample* are chosen:
            ``"hash"`` (the values with the smallest seeded hash, whatever the row
            order) or ``"stride"`` (evenly spaced in row order: for a frame that is
            already a random sample of rows, as the in-cell classification passes it;
            no hashing, so much cheaper). See :data:`SAMPLINGS`.

    Returns:
        A :class:`PiiReport` with masked examples.

    Raises:
        PiiConfigError: *df* is not a DataFrame, or an argument is invalid.
    """
    if not isinstance(df, pd.DataFrame):
        raise PiiConfigError(f"expected a pandas DataFrame, got {type(df).__name__}", field="df")
    if not isinstance(sample, int) or isinstance(sample, bool) or sample < 1:
        raise PiiConfigError("must be a positive int", field="sample")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise PiiConfigError("must be an int", field="seed")
    if sampling not in SAMPLINGS:
        raise PiiConfigError(f"must be one of {', '.join(map(repr, SAMPLINGS))}, not {sampling!r}", field="sampling")
    threshold = Likelihood.parse(min_likelihood)
    clf = _Classifier(_custom_list(custom), today or _dt.date.today())
    names = [str(c) for c in df.columns]
    per_column: list[tuple[str, int, list[_Candidate]]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pandas' "pattern has match groups" for user regexes
        for i, name in enumerate(names):
            sampled, cands = clf.column(name, df.iloc[:, i], sample, seed, sampling)
            per_column.append((name, sampled, cands))
    person = any(
        c.info_type == "PERSON_NAME" and c.level >= Likelihood.LIKELY for _, _, cs in per_column for c in cs
    )
    findings: list[PiiFinding] = []
    order = {t: i for i, t in enumerate(INFO_TYPES)}
    for name, sampled, cands in per_column:
        for c in sorted(cands, key=lambda c: (order.get(c.info_type, len(order)), c.info_type)):
            level = c.level
            reasons = tuple(c.reasons)
            if c.needs_context and person:
                level = max(level, 4 if c.ratio >= 0.6 else level)
                reasons += ("a person-name column in the same frame",)
            if level <= 0 or level < threshold:
                continue
            findings.append(
                PiiFinding(
                    name, c.info_type, _clamp(level), round(float(c.ratio), 4), sampled, c.example, reasons
                )
            )
    return PiiReport(tuple(findings), tuple(names), len(df), sample, threshold)
