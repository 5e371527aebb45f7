"""A generated, labelled PII benchmark: one frame per Faker locale, 24 columns.

Locales are split in two sets that are never mixed:

* ``TUNING_LOCALES`` — used while writing and tuning the classifier's rules and thresholds;
* ``HELDOUT_LOCALES`` — only ever used to *measure* (tests and ``benchmarks/bench_pii.py``).

Columns mix plain names (``email``), opaque names (``f_07``, ``col_a``), misleading names
(``customer_id`` holding emails, ``ref_code`` holding SSNs) and decoys that must stay
clean (order ids, product codes, tracking numbers, versions, UUIDs, booleans, non-birth
dates, country codes). Faker builds a pool of at most 1,000 values per column; rows are
drawn from the pool with a seeded NumPy generator, so a 10,000-row frame is quick to make.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np
import pandas as pd

TUNING_LOCALES = ("en_US", "en_GB", "de_DE", "fr_FR")
HELDOUT_LOCALES = ("es_ES", "it_IT", "nl_NL", "pt_BR")

DOB_FORMATS = {
    "en_US": "%m/%d/%Y",
    "en_GB": "%d/%m/%Y",
    "de_DE": "%d.%m.%Y",
    "fr_FR": "%d/%m/%Y",
    "es_ES": "%d/%m/%Y",
    "it_IT": "%d/%m/%Y",
    "nl_NL": "%d-%m-%Y",
    "pt_BR": "%d/%m/%Y",
}
TODAY = dt.date(2025, 6, 1)

Gen = Callable[["object", np.random.Generator, str], object]


def _grouped_card(f, rng, loc):
    d = f.credit_card_number(card_type=rng.choice(["visa16", "mastercard", "discover", "jcb16"]))
    return " ".join(d[i : i + 4] for i in range(0, len(d), 4))


def _bare_ssn(f, rng, loc):
    return _US.ssn().replace("-", "")


def _ssn(f, rng, loc):
    return _US.ssn()


def _ip(f, rng, loc):
    return f.ipv4_public() if rng.random() < 0.5 else f.ipv6()


def _dob(f, rng, loc):
    return f.date_of_birth(minimum_age=18, maximum_age=90).strftime(DOB_FORMATS[loc])


def _notes(f, rng, loc):
    s = f.sentence(nb_words=10)
    r = rng.random()
    if r < 0.3:
        return f"{s} Contact {f.email()} for details."
    if r < 0.6:
        return f"{s} Call back on {f.phone_number()} tomorrow."
    return s


def _tracking(f, rng, loc):
    k = rng.integers(3)
    if k == 0:
        alnum = "".join(rng.choice(list("ABCDEFGHJKLMNPRSTUVWXYZ0123456789"), 6))
        return f"1Z{alnum}{rng.integers(10**9, 10**10)}"
    if k == 1:
        return "9400" + "".join(str(x) for x in rng.integers(0, 10, 18))
    return str(rng.integers(10**11, 10**12))


def _sku(f, rng, loc):
    if rng.random() < 0.5:
        return f.ean13()
    return f"{rng.choice(['SKU', 'PRD', 'ART'])}-{rng.integers(10000, 99999)}-{rng.choice(['BLK', 'WHT', 'RED', 'XL'])}"


def _version(f, rng, loc):
    v = f"{rng.integers(0, 12)}.{rng.integers(0, 30)}.{rng.integers(0, 50)}"
    return v if rng.random() < 0.8 else f"v{v}-beta.{rng.integers(1, 5)}"


def _order_date(f, rng, loc):
    return (TODAY - dt.timedelta(days=int(rng.integers(0, 3 * 365)))).isoformat()


# column name -> (labels, generator). 16 PII columns, 8 decoys.
COLUMNS: dict[str, tuple[frozenset[str], Gen]] = {
    "email": (frozenset({"EMAIL_ADDRESS"}), lambda f, rng, loc: f.email()),
    "customer_id": (frozenset({"EMAIL_ADDRESS"}), lambda f, rng, loc: f.company_email()),
    "phone": (frozenset({"PHONE_NUMBER"}), lambda f, rng, loc: f.phone_number()),
    "f_07": (frozenset({"PHONE_NUMBER"}), lambda f, rng, loc: f.phone_number()),
    "card_number": (frozenset({"CREDIT_CARD_NUMBER"}), lambda f, rng, loc: f.credit_card_number()),
    "v_22": (frozenset({"CREDIT_CARD_NUMBER"}), _grouped_card),
    "ssn": (frozenset({"US_SOCIAL_SECURITY_NUMBER"}), _bare_ssn),
    "ref_code": (frozenset({"US_SOCIAL_SECURITY_NUMBER"}), _ssn),
    "full_name": (frozenset({"PERSON_NAME"}), lambda f, rng, loc: f.name()),
    "col_a": (frozenset({"PERSON_NAME"}), lambda f, rng, loc: f.name()),
    "address": (frozenset({"STREET_ADDRESS"}), lambda f, rng, loc: f.street_address()),
    "field_9": (frozenset({"STREET_ADDRESS"}), lambda f, rng, loc: f.address()),
    "blob_3": (frozenset({"IP_ADDRESS"}), _ip),
    "iban": (frozenset({"IBAN_CODE"}), lambda f, rng, loc: f.iban()),
    "dob": (frozenset({"DATE_OF_BIRTH"}), _dob),
    "notes": (frozenset({"EMAIL_ADDRESS", "PHONE_NUMBER"}), _notes),
    # decoys
    "order_id": (frozenset(), lambda f, rng, loc: int(rng.integers(100_000_000, 999_999_999))),
    "sku": (frozenset(), _sku),
    "k_11": (frozenset(), _tracking),
    "version": (frozenset(), _version),
    "z_4": (frozenset(), lambda f, rng, loc: f.uuid4()),
    "is_active": (frozenset(), lambda f, rng, loc: bool(rng.random() < 0.5)),
    "d_2": (frozenset(), _order_date),
    "country": (frozenset(), lambda f, rng, loc: f.country_code()),
}
DECOYS = tuple(c for c, (labels, _) in COLUMNS.items() if not labels)

_US = None


def make_frame(
    locale: str, rows: int = 1000, seed: int = 0, pool: int = 1000
) -> tuple[pd.DataFrame, dict[str, frozenset[str]]]:
    """A labelled frame for *locale*: ``(frame, {column: expected info types})``."""
    global _US
    from faker import Faker

    fake = Faker(locale)
    fake.seed_instance(seed)
    if _US is None:
        _US = Faker("en_US")
    _US.seed_instance(seed + 1)
    rng = np.random.default_rng(seed)
    size = min(rows, pool)
    data = {}
    for name, (_, gen) in COLUMNS.items():
        values = [gen(fake, rng, locale) for _ in range(size)]
        if rows > size:
            values = [values[i] for i in rng.integers(0, size, rows)]
        data[name] = values
    frame = pd.DataFrame(data)
    frame["is_active"] = frame["is_active"].astype(bool)
    frame["order_id"] = frame["order_id"].astype("int64")
    return frame, {name: labels for name, (labels, _) in COLUMNS.items()}


def score(
    predicted: dict[str, set[str]], expected: dict[str, frozenset[str]], info_types: tuple[str, ...]
) -> dict[str, dict[str, float]]:
    """Column-level precision/recall/F1 counts per info type (summed over the given columns)."""
    out: dict[str, dict[str, float]] = {}
    for t in info_types:
        tp = sum(1 for c in expected if t in expected[c] and t in predicted.get(c, set()))
        fp = sum(1 for c in expected if t not in expected[c] and t in predicted.get(c, set()))
        fn = sum(1 for c in expected if t in expected[c] and t not in predicted.get(c, set()))
        out[t] = {"tp": tp, "fp": fp, "fn": fn}
    return out


def macro_f1(counts: dict[str, dict[str, float]]) -> float:
    f1s = []
    for c in counts.values():
        denom = 2 * c["tp"] + c["fp"] + c["fn"]
        if denom:
            f1s.append(2 * c["tp"] / denom)
    return float(np.mean(f1s)) if f1s else 1.0


def evaluate(locales, rows: int = 1000, seed: int = 0, classify=None):
    """Run *classify* (default nbgov's) on one frame per locale.

    Returns ``(macro_f1, decoys_flagged, details)`` where details lists every mistake as
    ``(locale, column, missing, extra)``.
    """
    from nbgov.governance import INFO_TYPES, classify_pii

    classify = classify or (lambda df: classify_pii(df, today=TODAY))
    totals = {t: {"tp": 0, "fp": 0, "fn": 0} for t in INFO_TYPES}
    decoys = 0
    details = []
    for i, loc in enumerate(locales):
        frame, labels = make_frame(loc, rows=rows, seed=seed + i)
        report = classify(frame)
        pred = {c: set(report.info_types(c)) for c in frame.columns}
        for t, c in score(pred, labels, INFO_TYPES).items():
            for k in c:
                totals[t][k] += c[k]
        for c in frame.columns:
            if pred[c] != set(labels[c]):
                details.append((loc, c, sorted(labels[c] - pred[c]), sorted(pred[c] - labels[c])))
            if not labels[c] and pred[c]:
                decoys += 1
    return macro_f1(totals), decoys, details
