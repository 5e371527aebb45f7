"""Data drift: planted changes are found, noise is not, profiles stand in for old data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import pandas as hpd

from nbgov.errors import NbgovError
from nbgov.governance import DatasetProfile, DriftError, DriftReport, compare, profile
from nbgov.governance.drift import DRIFT_FRAME_COLUMNS, js_distance, ks_statistic, wasserstein


def make(n: int, seed: int) -> pd.DataFrame:
    """A frame of 14 columns of every kind, all drawn from fixed distributions."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "mean_col": rng.normal(50, 5, n),
            "var_col": rng.normal(0, 1, n),
            "amount": rng.lognormal(3, 1, n),
            "user_id": rng.permutation(n) + 1,
            "uuid": [f"{x:016x}" for x in rng.integers(0, 2**62, n)],
            "colour": rng.choice(["red", "green", "blue", "black"], n, p=[0.4, 0.3, 0.2, 0.1]),
            "grade": rng.choice(["A", "B", "C"], n),
            "city": rng.choice([f"city{i}" for i in range(400)], n),
            "when": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 30 * 86400, n), unit="s"),
            "flag": rng.random(n) < 0.3,
            "rating": rng.integers(1, 6, n),
            "nullable": np.where(rng.random(n) < 0.05, np.nan, rng.normal(size=n)),
            "qty": rng.integers(0, 1000, n),
            "legacy": rng.normal(size=n),
        }
    )


def plant(df: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(df)
    out = df.copy()
    out["mean_col"] = out["mean_col"] + 2.5  # mean shift of half a standard deviation
    out["var_col"] = out["var_col"] * 1.6  # variance change
    out["colour"] = np.where(rng.random(n) < 0.1, "purple", out["colour"])  # new category
    out["grade"] = out["grade"].replace("C", "B")  # missing category
    out["nullable"] = np.where(rng.random(n) < 0.3, np.nan, out["nullable"])  # null-rate jump
    out["rating"] = out["rating"].astype(str)  # dtype change
    return out.drop(columns=["legacy"]).assign(added=1.0)  # removed + added column


PLANTED = {"mean_col", "var_col", "colour", "grade", "nullable", "rating"}
UNCHANGED = {"amount", "user_id", "uuid", "city", "when", "flag", "qty"}


@pytest.fixture(scope="module")
def planted_report() -> DriftReport:
    return compare(make(20_000, 1), plant(make(20_000, 2), 3))


def test_every_planted_change_is_found(planted_report):
    r = planted_report
    assert set(r.drifted_columns) == PLANTED
    by = {c.column: c for c in r.columns}
    assert by["colour"].new_categories == ("purple",)
    assert by["grade"].missing_categories == ("C",)
    assert by["nullable"].null_rate_reference == pytest.approx(0.05, abs=0.01)
    assert by["nullable"].null_rate_current == pytest.approx(0.335, abs=0.02)
    assert by["rating"].statistic == "type_change" and by["rating"].severity == "ERROR"
    assert by["mean_col"].statistic == "wasserstein_normed" and by["mean_col"].value > 0.4
    assert by["var_col"].value > by["var_col"].threshold


def test_schema_changes(planted_report):
    changes = [c.to_dict() for c in planted_report.schema_changes]
    assert {
        "type": "SCHEMA_ADDITION",
        "column": "added",
        "from": None,
        "to": "float64",
        "severity": "INFO",
    } in changes
    assert {
        "type": "SCHEMA_REMOVAL",
        "column": "legacy",
        "from": "float64",
        "to": None,
        "severity": "WARNING",
    } in changes
    assert {
        "type": "TYPE_CHANGE",
        "column": "rating",
        "from": "int64",
        "to": "str",
        "severity": "ERROR",
    } in changes
    assert planted_report.severity == "ERROR"


def test_unchanged_columns_are_not_flagged(planted_report):
    by = {c.column: c for c in planted_report.columns}
    for name in UNCHANGED:
        assert not by[name].drifted, by[name]
        assert by[name].severity == "INFO"
    assert by["uuid"].statistic == "none"  # identifier-like: only nulls compared
    assert by["user_id"].statistic == "none"


def test_noise_only_100k_rows_no_false_alarm():
    report = compare(make(100_000, 10), make(100_000, 11))
    assert report.drifted_columns == ()
    assert report.schema_changes == ()
    assert not report.has_drift
    assert report.severity == "INFO"


def test_small_samples_use_ks_and_large_ones_wasserstein():
    small = compare(make(300, 1), make(300, 2))
    by = {c.column: c for c in small.columns}
    assert by["amount"].statistic == "ks"
    assert not small.drifted_columns
    shifted = compare(make(300, 1), make(300, 2).assign(amount=lambda d: d["amount"] * 2))
    assert "amount" in shifted.drifted_columns
    large = compare(make(5000, 1), make(5000, 2))
    assert {c.column: c for c in large.columns}["amount"].statistic == "wasserstein_normed"


def test_datetime_shift_is_found():
    ref = make(5000, 1)
    cur = make(5000, 2)
    cur["when"] = cur["when"] + pd.Timedelta(days=10)
    assert compare(ref, cur).drifted_columns == ("when",)


def test_rare_category_noise_is_not_drift():
    rng = np.random.default_rng(0)
    cats = ["a", "b", "c", "rare"]
    p = [0.5, 0.3, 0.1998, 0.0002]
    ref = pd.DataFrame({"c": rng.choice(cats, 5000, p=p)})
    cur = pd.DataFrame({"c": rng.choice(cats, 5000, p=p)})
    assert compare(ref, cur).drifted_columns == ()


def test_frames_with_different_columns_and_hints():
    rng = np.random.default_rng(0)
    x = rng.normal(size=2000)
    ref = pd.DataFrame({"a": x, "b": rng.integers(0, 9, 2000), "full": rng.normal(size=2000)})
    cur = pd.DataFrame({"a_renamed": x, "b": rng.integers(0, 9, 2000), "full": rng.normal(size=2000)})
    cur.loc[::10, "full"] = np.nan
    report = compare(ref, cur)
    kinds = {(c.type, c.column, c.from_, c.to, c.severity) for c in report.schema_changes}
    assert ("SCHEMA_REMOVAL", "a", "float64", None, "WARNING") in kinds
    assert ("SCHEMA_ADDITION", "a_renamed", None, "float64", "INFO") in kinds
    assert ("RENAME_HINT", "a_renamed", "a", "a_renamed", "INFO") in kinds
    assert ("NULLABILITY_CHANGE", "full", "non-null", "nullable", "WARNING") in kinds
    assert [c.column for c in report.columns] == ["b", "full"]


def test_to_dict_shape_and_json(planted_report):
    d = json.loads(json.dumps(planted_report.to_dict()))
    assert set(d) >= {"schema_changes", "columns", "summary"}
    col = d["columns"]["colour"]
    assert set(col) >= {
        "statistic",
        "value",
        "threshold",
        "drifted",
        "null_rate_reference",
        "null_rate_current",
        "new_categories",
        "missing_categories",
    }
    assert col["drifted"] is True and col["new_categories"] == ["purple"]
    for change in d["schema_changes"]:
        assert set(change) == {"type", "column", "from", "to", "severity"}
    assert d["summary"]["rows_reference"] == 20_000


def test_to_frame_repr_html(planted_report):
    frame = planted_report.to_frame()
    assert tuple(frame.columns) == DRIFT_FRAME_COLUMNS
    assert frame["drifted"].dtype == bool
    assert set(frame.loc[frame["drifted"], "column"]) == PLANTED
    text = repr(planted_report)
    assert " at 0x" not in text and text == repr(planted_report)
    assert text.startswith("DriftReport(rows 20000 -> 20000, 6 of 13 columns drifted")
    page = planted_report._repr_html_()
    assert "<script" not in page and "purple" in page


def test_html_escapes_names():
    df = pd.DataFrame({"<i>x</i>": [1.0, 2.0, 3.0]})
    page = compare(df, df.rename(columns={"<i>x</i>": "<b>y</b>"}))._repr_html_()
    assert "<i>x</i>" not in page and "&lt;b&gt;y&lt;/b&gt;" in page


# ----------------------------------------------------------------- profiles


def test_profile_round_trip_gives_the_same_report():
    ref, cur = make(20_000, 1), plant(make(20_000, 2), 3)
    stored = json.loads(json.dumps(profile(ref).to_dict()))
    restored = DatasetProfile.from_dict(stored)
    assert restored == profile(ref)
    assert compare(restored, cur).to_dict() == compare(ref, cur).to_dict()
    assert compare(stored, profile(cur)).to_dict() == compare(ref, cur).to_dict()


def test_profile_holds_no_identifiers_or_high_cardinality_values():
    ref = make(2000, 1)
    text = json.dumps(profile(ref).to_dict())
    assert not any(u in text for u in ref["uuid"])
    assert not any(f'"{c}"' in text for c in ref["city"].unique())  # hashed: 400 distinct values
    assert '"red"' in text  # low-cardinality categories are kept as text


def test_profile_is_bounded():
    p = profile(make(50_000, 1), sample=10_000)
    assert all(c.sampled <= 10_000 for c in p.columns)
    assert {c.name: c for c in p.columns}["nullable"].nulls > 2000  # exact on all rows
    assert len(json.dumps(p.to_dict())) < 100_000


def test_errors():
    df = make(10, 1)
    with pytest.raises(DriftError) as info:
        compare(df, [1, 2])  # type: ignore[arg-type]
    assert info.value.field == "current" and isinstance(info.value, NbgovError)
    with pytest.raises(DriftError):
        DatasetProfile.from_dict({"version": 99, "rows": 1, "columns": [], "sample": 1})
    with pytest.raises(DriftError):
        DatasetProfile.from_dict({"version": 1})
    with pytest.raises(DriftError):
        profile(df, sample=0)
    with pytest.raises(DriftError):
        profile(pd.DataFrame([[1, 2]], columns=["a", "a"]))


def test_empty_and_all_null_columns():
    ref = pd.DataFrame({"a": [np.nan] * 5, "b": pd.Series([], dtype=float).reindex(range(5))})
    cur = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 5.0], "b": [np.nan] * 5})
    report = compare(ref, cur)
    by = {c.column: c for c in report.columns}
    assert by["a"].drifted and not by["b"].drifted
    assert compare(pd.DataFrame(), pd.DataFrame()).to_dict()["columns"] == {}


# ----------------------------------------------------------------- statistics


def test_statistics_on_sketches():
    q = np.linspace(0, 1, 201)
    assert ks_statistic(q, q) == 0.0
    assert wasserstein(q, q + 0.5) == pytest.approx(0.5)
    assert ks_statistic(q, q + 2.0) == 1.0
    assert js_distance(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(1.0)
    assert js_distance(np.array([5.0, 5.0]), np.array([1.0, 1.0])) == 0.0


# ----------------------------------------------------------------- properties


_columns = [
    hpd.column("i", elements=st.integers(-1000, 1000)),
    hpd.column("f", elements=st.one_of(st.floats(-1e6, 1e6), st.just(float("nan")))),
    hpd.column("s", elements=st.sampled_from(["a", "b", "c", "d"])),
    hpd.column("t", elements=st.text(max_size=8)),
    hpd.column("b", elements=st.booleans()),
]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hpd.data_frames(_columns, index=hpd.range_indexes(min_size=0, max_size=60)))
def test_a_frame_compared_with_itself_shows_no_drift(df):
    report = compare(df, df)
    assert report.drifted_columns == ()
    assert report.schema_changes == ()
    assert not report.has_drift
    json.dumps(report.to_dict())
    assert compare(profile(df), df).to_dict() == report.to_dict()
