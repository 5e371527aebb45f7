"""nbgov.capture.profile: schema, quality metrics, fingerprints and file versions."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import uuid

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import pandas as hpd

from nbgov.capture.profile import (
    FINGERPRINT_ROWS,
    FileVersion,
    Profile,
    frame_kind,
    profile_file,
    profile_frame,
    quality_facet_applicable,
    take_rows,
    take_sorted,
)
from tests.spec import assert_spec_valid, spec_report

pl = pytest.importorskip("polars")
pa = pytest.importorskip("pyarrow")

PRODUCER = "https://github.com/nbgov/nbgov/tests"
INPUT_URL = "https://openlineage.io/spec/facets/1-0-2/DataQualityMetricsInputDatasetFacet.json"
DATASET_URL = "https://openlineage.io/spec/facets/1-0-0/DataQualityMetricsDatasetFacet.json"


def event_with(quality: dict) -> dict:
    """A minimal RunEvent carrying ``quality`` as the input facet and as the dataset facet."""
    return {
        "eventType": "COMPLETE",
        "eventTime": "2024-01-01T00:00:00Z",
        "producer": PRODUCER,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
        "run": {"runId": str(uuid.uuid4())},
        "job": {"namespace": "test", "name": "profile"},
        "inputs": [
            {
                "namespace": "mem",
                "name": "df",
                "inputFacets": {
                    "dataQualityMetrics": {"_producer": PRODUCER, "_schemaURL": INPUT_URL, **quality}
                },
            }
        ],
        "outputs": [
            {
                "namespace": "mem",
                "name": "df",
                "facets": {
                    "dataQualityMetrics": {"_producer": PRODUCER, "_schemaURL": DATASET_URL, **quality}
                },
            }
        ],
    }


def assert_quality_valid(profile: Profile) -> None:
    __tracebackhide__ = True
    json.dumps(profile.quality, allow_nan=False)  # strict JSON: no NaN / Infinity
    event = event_with(profile.quality)
    assert_spec_valid(event)
    report = spec_report(event)
    assert not report.skipped, report.skipped  # both facets were really checked
    assert sum(f.validated for f in report.facets) == 2


def cm(profile: Profile) -> dict:
    return profile.quality["columnMetrics"]


# --------------------------------------------------------------------------- exact metrics
def test_pandas_exact_metrics_small_frame():
    df = pd.DataFrame(
        {
            "i": [3, 1, 3, 7],
            "f": [0.5, None, -2.0, 0.5],
            "s": ["a", "b", None, "a"],
            "b": [True, False, True, True],
        }
    )
    p = profile_frame(df)
    assert p.kind == "pandas" and p.row_count == 4 and not p.sampled
    assert p.quality == {
        "rowCount": 4,
        "columnMetrics": {
            "i": {"nullCount": 0, "distinctCount": 3, "min": 3 - 2, "max": 7},
            "f": {"nullCount": 1, "distinctCount": 2, "min": -2.0, "max": 0.5},
            "s": {"nullCount": 1, "distinctCount": 2},
            "b": {"nullCount": 0, "distinctCount": 2},
        },
    }
    assert [name for name, _ in p.fields] == ["i", "f", "s", "b"]
    assert (
        dict(p.fields)["i"] == "int64" and dict(p.fields)["f"] == "float64" and dict(p.fields)["b"] == "bool"
    )
    assert isinstance(cm(p)["i"]["min"], int) and isinstance(cm(p)["f"]["max"], float)
    assert quality_facet_applicable(p)
    assert_quality_valid(p)


def test_polars_exact_metrics_small_frame():
    df = pl.DataFrame({"i": [3, 1, 3, 7], "f": [0.5, None, -2.0, 0.5], "s": ["a", "b", None, "a"]})
    p = profile_frame(df)
    assert p.kind == "polars" and p.row_count == 4 and not p.sampled
    assert p.quality == {
        "rowCount": 4,
        "columnMetrics": {
            "i": {"nullCount": 0, "distinctCount": 3, "min": 1, "max": 7},
            "f": {"nullCount": 1, "distinctCount": 2, "min": -2.0, "max": 0.5},
            "s": {"nullCount": 1, "distinctCount": 2},
        },
    }
    assert p.fields == (("i", "Int64"), ("f", "Float64"), ("s", "String"))
    assert_quality_valid(p)


@pytest.mark.parametrize("make", [pa.table, lambda d: pa.RecordBatch.from_pydict(d)], ids=["table", "batch"])
def test_pyarrow_exact_metrics_small_frame(make):
    tbl = make({"i": [3, 1, 3, 7], "f": [0.5, None, -2.0, 0.5], "s": ["a", "b", None, "a"]})
    p = profile_frame(tbl)
    assert p.kind == "pyarrow" and p.row_count == 4 and not p.sampled
    assert p.quality == {
        "rowCount": 4,
        "columnMetrics": {
            "i": {"nullCount": 0, "distinctCount": 3, "min": 1, "max": 7},
            "f": {"nullCount": 1, "distinctCount": 2, "min": -2.0, "max": 0.5},
            "s": {"nullCount": 1, "distinctCount": 2},
        },
    }
    assert p.fields == (("i", "int64"), ("f", "double"), ("s", "string"))
    assert_quality_valid(p)


def test_nan_is_null_in_pandas_but_a_value_in_polars_and_arrow():
    values = [1.0, float("nan"), None, 4.0]
    assert cm(profile_frame(pd.DataFrame({"x": values})))["x"] == {
        "nullCount": 2,
        "distinctCount": 2,
        "min": 1.0,
        "max": 4.0,
    }
    for p in (
        profile_frame(pl.DataFrame({"x": values}, nan_to_null=False)),
        profile_frame(pa.table({"x": values})),
    ):
        assert cm(p)["x"]["nullCount"] == 1
        assert cm(p)["x"]["distinctCount"] == 3  # 1, NaN, 4
        assert (cm(p)["x"]["min"], cm(p)["x"]["max"]) == (1.0, 4.0), p.kind


def test_kinds_agree_on_the_same_data():
    data = {"a": [1, 2, 2, None], "b": ["x", None, "y", "y"]}
    pdf = pd.DataFrame(data).astype({"a": "Int64"})
    a, b, c = profile_frame(pdf), profile_frame(pl.DataFrame(data)), profile_frame(pa.table(data))
    assert cm(a) == cm(b) == cm(c)


def test_unsupported_objects_raise_type_error():
    for obj in (pd.Series([1]), [1, 2], None, np.zeros(3)):
        assert frame_kind(obj) is None
        with pytest.raises(TypeError, match="cannot profile"):
            profile_frame(obj)


# --------------------------------------------------------------------------- sampling
def big_frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(42)
    f = rng.normal(size=n)
    f[::10] = np.nan
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "low": rng.integers(0, 50, n),
            "mid": rng.integers(0, 20_000, n),
            "f": f,
            "s": pd.Series(rng.integers(0, 1000, n)).astype(str),
        }
    )


def test_big_frame_is_sampled_with_exact_counts_and_bounded_estimates():
    n = 200_000
    df = big_frame(n)
    p = profile_frame(df, sample_rows=20_000, exact_cells=n * df.shape[1])  # bounds over every row
    assert p.sampled and not p.bounds_sampled and p.row_count == n and p.quality["rowCount"] == n
    m = cm(p)
    # exact over the whole frame
    assert m["id"]["min"] == 0 and m["id"]["max"] == n - 1
    assert m["f"]["nullCount"] == n // 10
    assert m["f"]["min"] == float(np.nanmin(df["f"])) and m["f"]["max"] == float(np.nanmax(df["f"]))
    # estimates stay within [distinct in the sample, non-null rows] and near the truth
    for col in ("id", "low", "mid", "f", "s"):
        truth = df[col].nunique()
        est = m[col]["distinctCount"]
        assert 0 < est <= n - m[col]["nullCount"]
        assert abs(est - truth) <= 0.25 * truth, (col, est, truth)
    assert m["id"]["distinctCount"] == n  # a unique key is recognised as unique
    assert m["low"]["distinctCount"] == 50  # every value seen in the sample: exact
    assert_quality_valid(p)


def test_sampling_is_deterministic_and_seeded():
    df = big_frame(60_000)
    a = profile_frame(df, sample_rows=5_000)
    b = profile_frame(df, sample_rows=5_000)
    c = profile_frame(df, sample_rows=5_000, seed=1)
    assert a == b and a.quality == b.quality
    assert a.fingerprint == c.fingerprint  # the fingerprint does not depend on the sample
    assert cm(a)["mid"]["distinctCount"] != cm(c)["mid"]["distinctCount"] or cm(a) == cm(c)


def test_at_the_threshold_nothing_is_sampled():
    df = big_frame(5_000)
    p = profile_frame(df, sample_rows=5_000)
    assert not p.sampled
    assert {c: cm(p)[c]["distinctCount"] for c in df} == {c: df[c].nunique() for c in df}


def test_numpy_columns_take_a_fast_path_with_the_generic_paths_numbers():
    """int64/float64/bool columns are profiled from their arrays; the nullable dtypes
    (Int64, Float64, boolean) go through pandas' generic path. Same data, same sample:
    the same metrics, exactly."""
    n = 150_000
    rng = np.random.default_rng(7)
    f = rng.normal(size=n).round(3)
    f[::7] = np.nan
    f[1::11] = -0.0  # -0.0 and 0.0 are one value, as pandas counts them
    f[2::11] = 0.0
    df = pd.DataFrame(
        {
            "dense": rng.integers(-50, 50, n),  # counted by offset (bincount)
            "sparse": rng.integers(0, 2**40, n),  # counted by hashing
            "key": np.arange(n) * 3,  # unique: recognised as unique
            "cont": rng.normal(size=n),  # continuous: every sampled value distinct
            # distinct over the first rows (the uniqueness probe's), repeats after them
            "late": np.concatenate([np.arange(5_000) * 1.5, rng.integers(0, 100, n - 5_000) * 0.25]),
            "ids": np.concatenate([rng.integers(0, 2**40, n - 10), [7] * 10]),  # one repeat in a sea of ids
            "f": f,
            "f32": f.astype(np.float32),
            "b": rng.random(n) > 0.9,
            "u": rng.integers(0, 2**63, n, dtype=np.uint64) * np.uint64(2),
            "i8": rng.integers(-128, 128, n).astype(np.int8),  # offsets from min overflow int8
        }
    )
    nullable = df.astype({"dense": "Int64", "sparse": "Int64", "key": "Int64", "cont": "Float64", "late": "Float64",
                          "ids": "Int64", "f": "Float64",
                          "f32": "Float32", "b": "boolean", "u": "UInt64", "i8": "Int8"})
    for sample_rows, exact_cells in ((20_000, 10**9), (10**6, 10**9), (20_000, 0)):  # sampled, exact, all sampled
        fast = profile_frame(df, sample_rows=sample_rows, exact_cells=exact_cells)
        generic = profile_frame(nullable, sample_rows=sample_rows, exact_cells=exact_cells)
        assert cm(fast) == cm(generic), (sample_rows, exact_cells)
        assert fast.bounds_sampled == generic.bounds_sampled == (exact_cells == 0)
        assert_quality_valid(fast)
    exact = cm(profile_frame(df, sample_rows=10**6))
    assert {c: exact[c]["distinctCount"] for c in df} == {c: df[c].nunique() for c in df}
    assert exact["f"]["nullCount"] == df["f"].isna().sum() and exact["b"] == {"nullCount": 0, "distinctCount": 2}
    sampled = cm(profile_frame(df, sample_rows=20_000, exact_cells=10**9))  # distinct sampled, bounds exact
    assert sampled["key"]["distinctCount"] == n and sampled["dense"]["distinctCount"] == 100
    assert sampled["cont"]["distinctCount"] == n  # all distinct in the sample: estimated as all distinct
    assert 100 < sampled["late"]["distinctCount"] < exact["late"]["distinctCount"] * 3
    assert sampled["i8"] == {"nullCount": 0, "distinctCount": 256, "min": -128, "max": 127}
    assert sampled["b"]["distinctCount"] == 2  # bool: exact even when sampled
    assert (sampled["u"]["min"], sampled["u"]["max"]) == (int(df["u"].min()), int(df["u"].max()))


def test_a_frame_of_more_than_exact_cells_takes_null_counts_and_bounds_from_the_sample():
    """Whole-column passes are bounded: above ``exact_cells`` cells a sampled frame's
    pandas null counts are scaled from the sample and its bounds are the sample's."""
    from nbgov.capture.profile import EXACT_CELLS, sample_positions

    n, k = 120_000, 3_000
    rng = np.random.default_rng(3)
    f = rng.normal(size=n)
    f[rng.random(n) < 0.2] = np.nan
    df = pd.DataFrame({"i": rng.integers(-10**9, 10**9, n), "f": f, "d": rng.integers(0, 40, n),
                       "s": pd.Series(rng.integers(0, 500, n)).astype(str).where(rng.random(n) > 0.1)})
    df.loc[rng.integers(n), "i"] = -(10**12)  # one extreme row: in the whole column, hardly in a sample
    assert n * df.shape[1] <= EXACT_CELLS  # the default keeps a frame this size exact
    exact = profile_frame(df, sample_rows=k)
    assert exact.sampled and not exact.bounds_sampled
    assert cm(exact)["i"]["min"] == -(10**12) and cm(exact)["f"]["nullCount"] == df["f"].isna().sum()

    p = profile_frame(df, sample_rows=k, exact_cells=n * df.shape[1] - 1)
    assert p.sampled and p.bounds_sampled and p.row_count == n
    rows = df.iloc[sample_positions(n, k)]
    m = cm(p)
    for col in ("i", "f", "d"):
        assert (m[col]["min"], m[col]["max"]) == (rows[col].min(), rows[col].max()), col
    for col in ("f", "s"):  # nulls seen in the sample, scaled to the frame
        seen = int(rows[col].isna().sum())
        assert 0 < seen < k and m[col]["nullCount"] == round(seen * n / k), col
        share = df[col].isna().mean()  # within four standard errors of a sample of k rows
        assert abs(m[col]["nullCount"] - df[col].isna().sum()) <= 4 * n * np.sqrt(share * (1 - share) / k), col
    assert m["i"]["nullCount"] == m["d"]["nullCount"] == 0
    assert m["d"]["distinctCount"] == cm(exact)["d"]["distinctCount"] == 40  # no nulls: the same estimate
    assert m["i"]["distinctCount"] == cm(exact)["i"]["distinctCount"]
    assert profile_frame(df, sample_rows=k, exact_cells=0) == p  # deterministic
    assert profile_frame(df, sample_rows=n, exact_cells=0).bounds_sampled is False  # not sampled: all exact
    assert_quality_valid(p)


@pytest.mark.parametrize("to", ["polars", "pyarrow"])
def test_polars_and_arrow_keep_stored_null_counts_when_bounds_are_sampled(to):
    from nbgov.capture.profile import sample_positions

    n, k = 50_000, 2_000
    df = big_frame(n)
    obj = pl.from_pandas(df) if to == "polars" else pa.Table.from_pandas(df, preserve_index=False)
    p = profile_frame(obj, sample_rows=k, exact_cells=0)
    assert p.bounds_sampled
    rows = df.iloc[sample_positions(n, k)]
    m = cm(p)
    assert (m["id"]["min"], m["id"]["max"]) == (rows["id"].min(), rows["id"].max()) != (0, n - 1)
    whole = cm(profile_frame(obj, sample_rows=k))
    assert m["f"]["nullCount"] == whole["f"]["nullCount"]  # stored with the column: exact either way
    assert (whole["id"]["min"], whole["id"]["max"]) == (0, n - 1)
    assert_quality_valid(p)


def test_scaled_null_counts_stay_consistent_with_what_the_sample_saw():
    from nbgov.capture.profile import _scaled_nulls

    assert _scaled_nulls(0, 100, 10_000) == 0
    assert _scaled_nulls(100, 100, 10_000) == 10_000
    assert _scaled_nulls(10, 100, 10_000) == 1_000
    assert _scaled_nulls(1, 3, 4) == 1  # round(4/3) = 1: at least the one seen
    assert _scaled_nulls(2, 3, 3) == 2  # the one non-null seen keeps its row
    assert _scaled_nulls(5, 0, 10) == 0


def test_sample_positions_are_a_seeded_simple_random_sample():
    from nbgov.capture.profile import _sample_index

    for n, k in ((1_000_000, 100_000), (100_001, 100_000), (12_345, 678), (10, 10)):
        idx = _sample_index(n, k, 0)
        assert len(idx) == k and idx[0] >= 0 and idx[-1] < n and idx.dtype == np.int64
        assert np.all(np.diff(idx) > 0)  # sorted, distinct
        assert not idx.flags.writeable
        assert np.array_equal(idx, _sample_index(n, k, 0).copy())
    assert not np.array_equal(_sample_index(1_000_000, 1000, 0), _sample_index(1_000_000, 1000, 1))
    # Every row equally likely, and neighbours drawn together as often as any two rows: a
    # stratified draw (one row per stratum of 10) gives about 1 adjacent pair per draw.
    n, k, draws = 1_000, 100, 400
    hits = np.zeros(n)
    adjacent = []
    for seed in range(draws):
        idx = _sample_index(n, k, 1_000 + seed)
        hits[idx] += 1
        adjacent.append(int(np.count_nonzero(np.diff(idx) == 1)))
    expected = draws * k / n
    assert ((hits - expected) ** 2 / expected).sum() < 1_120  # chi-square, 999 dof: p ≈ 0.005
    assert abs(np.mean(adjacent) - k * (k - 1) / n) < 1.0  # 9.9 adjacent pairs per draw


def test_distinct_estimator_switches_to_shlosser_on_skewed_frequencies():
    from nbgov.capture.profile import _estimate_distinct, _skewed

    counts = np.array([1] * 100 + [2] * 100)  # near uniform: Duj1, n·d / (n − f1 + f1·q)
    n, d, f1, total = 300, 200, 100, 10_000
    assert not _skewed(counts, n, d)
    assert _estimate_distinct(counts, total) == round(n * d / (n - f1 + f1 * n / total))
    skew = np.array([18_000] + [1] * 2_000)  # one value in 90 % of the rows, the rest unique
    assert _skewed(skew, 20_000, 2_001)
    assert _estimate_distinct(skew, 1_000_000) == 100_001  # Shlosser: 2,001 + 2,000 · 1,960 / 40
    assert _estimate_distinct(np.ones(500, dtype=np.int64), 10**6) == 10**6  # every value unique
    assert _estimate_distinct(np.array([2, 3, 7]), 10**6) == 3  # no singletons: what was seen
    assert _estimate_distinct(np.array([1, 1, 2]), 4) == 3  # the sample is every value: exact
    assert _estimate_distinct(np.array([], dtype=np.int64), 10) == 0
    assert not _skewed(np.array([5]), 5, 1)


def test_profiling_wakes_no_other_thread():
    """A profile runs on the cell's thread and must not wake a thread pool: ``np.dot`` over
    a 20,000-value vector woke OpenBLAS's threads, which then spin for milliseconds after
    each call (+85 ms of process CPU per run of a 1M-row pipeline, none on the main thread).
    Measured in a fresh interpreter: process CPU against the calling thread's CPU."""
    code = """
import time, numpy as np, pandas as pd
from nbgov.capture.profile import profile_frame
rng = np.random.default_rng(0)
n = 200_000
df = pd.DataFrame({"s": pd.Series(rng.integers(0, 10**6, n).astype(str), dtype="str"),
                   "skew": np.where(rng.random(n) < 0.9, -1, np.arange(n)), "x": rng.random(n).round(2)})
profile_frame(df, sample_rows=20_000)
time.sleep(0.3)  # whatever imports started has settled
p, t = time.process_time(), time.thread_time()
for _ in range(10):
    profile_frame(df.copy(deep=False), sample_rows=20_000)
    time.sleep(0.01)
print(time.process_time() - p, time.thread_time() - t)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    process, thread = map(float, out.stdout.split())
    assert process - thread < max(0.02, 0.25 * thread), (process, thread)


@pytest.mark.parametrize("to", ["pandas", "polars", "pyarrow"])
def test_sampled_distinct_counts_hold_on_sorted_runs_and_skewed_columns(to):
    """Data that defeated the earlier sampler and estimator: a column sorted in runs of 5
    rows (stratified rows never share a run: every value looked unique, 5× the truth), one
    value in 90 % of the rows (Duj1 gave a tenth of the truth), a Zipf tail (a fifth)."""
    n = 200_000
    rng = np.random.default_rng(5)
    runs = np.repeat(np.arange(n // 5), 5)
    skew = np.where(rng.random(n) < 0.9, -1, np.arange(n))
    df = pd.DataFrame({"runs": runs, "skew": skew, "zipf": rng.zipf(1.3, n),
                       "runs_s": runs.astype(str), "skew_s": skew.astype(str)})
    obj = {"pandas": df, "polars": pl.from_pandas(df), "pyarrow": pa.Table.from_pandas(df, preserve_index=False)}[to]
    p = profile_frame(obj, sample_rows=20_000)
    assert p.sampled
    for col, est in ((c, m["distinctCount"]) for c, m in cm(p).items()):
        truth = df[col].nunique()
        assert abs(est - truth) <= 0.1 * truth, (col, est, truth)


@pytest.mark.parametrize("to", ["polars", "pyarrow"])
def test_polars_and_arrow_sample_too(to):
    df = big_frame(100_000)
    obj = pl.from_pandas(df) if to == "polars" else pa.Table.from_pandas(df, preserve_index=False)
    p = profile_frame(obj, sample_rows=10_000)
    assert p.sampled and p.row_count == 100_000
    assert cm(p)["id"]["distinctCount"] == 100_000
    assert cm(p)["low"]["distinctCount"] == 50
    assert cm(p)["id"]["max"] == 99_999
    assert_quality_valid(p)


# --------------------------------------------------------------------------- fingerprints
def test_fingerprint_is_stable_and_content_based():
    df = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    fp = profile_frame(df).fingerprint
    assert len(fp) == 32 and int(fp, 16) >= 0
    assert profile_frame(df).fingerprint == fp
    assert profile_frame(df.copy()).fingerprint == fp
    assert profile_frame(pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})).fingerprint == fp


@pytest.mark.parametrize("row", [0, 1, 2])
@pytest.mark.parametrize("col", [0, 1])
def test_fingerprint_changes_on_one_cell_edit(row, col):
    df = pd.DataFrame({"a": [1, 2, 3], "b": ["x", "y", "z"]})
    before = profile_frame(df).fingerprint
    df.iat[row, col] = 99 if col == 0 else "changed"
    assert profile_frame(df).fingerprint != before


def test_fingerprint_sees_schema_index_and_shape():
    df = pd.DataFrame({"a": [1, 2, 3]})
    fps = {
        profile_frame(df).fingerprint,
        profile_frame(df.rename(columns={"a": "b"})).fingerprint,
        profile_frame(df.astype("int32")).fingerprint,
        profile_frame(df.set_axis([10, 11, 12])).fingerprint,
        profile_frame(df.iloc[:2]).fingerprint,
        profile_frame(pl.DataFrame({"a": [1, 2, 3]})).fingerprint,
        profile_frame(pa.table({"a": [1, 2, 3]})).fingerprint,
    }
    assert len(fps) == 7


@pytest.mark.parametrize("dtype", ["int8", "int64", "uint8", "uint64", "float16", "float32", "float64", "bool"])
def test_fingerprint_of_number_columns_sees_every_value_and_only_the_value(dtype):
    """NumPy number and bool columns are fingerprinted by their values' bits (no call into
    pandas): one changed value changes it, a copy does not; -0.0 is 0.0 and every NaN is
    the same NaN, as for pandas' hash_array (the other columns' route)."""
    values = [True, False, True] if dtype == "bool" else [0, 1, 2]
    df = pd.DataFrame({"a": np.array(values, dtype=dtype)})
    fp = profile_frame(df).fingerprint
    assert profile_frame(df.copy()).fingerprint == fp
    for row in range(3):
        edited = df.copy()
        edited.iat[row, 0] = (not values[row]) if dtype == "bool" else 7
        assert profile_frame(edited).fingerprint != fp, row
    if dtype.startswith("float"):
        zero = df.copy()
        zero.iat[0, 0] = -0.0
        assert profile_frame(zero).fingerprint == fp
        a = df.copy()
        a.iat[1, 0] = np.nan
        b = pd.DataFrame({"a": np.array([0, np.copysign(np.nan, -1), 2], dtype=dtype)})  # NaN, sign bit set
        assert np.signbit(b["a"].to_numpy()[1]) and not np.signbit(a["a"].to_numpy()[1])  # two NaN bit patterns
        assert profile_frame(a).fingerprint == profile_frame(b).fingerprint != fp


def test_fingerprint_sees_a_range_index_start_and_step():
    df = pd.DataFrame({"a": np.arange(200)})
    fps = {profile_frame(df.set_axis(pd.RangeIndex(start, start + 200 * step, step))).fingerprint
           for start, step in [(0, 1), (1, 1), (0, 2), (-5, 3)]}
    assert len(fps) == 4
    assert profile_frame(df.set_axis(pd.RangeIndex(0, 200))).fingerprint == profile_frame(df).fingerprint


def test_fingerprint_of_a_large_frame_covers_fixed_rows_only():
    n = 10 * FINGERPRINT_ROWS * 100
    df = pd.DataFrame({"a": np.arange(n)})
    fp = profile_frame(df).fingerprint
    df.iat[0, 0] = -1  # the first row is always fingerprinted
    assert profile_frame(df).fingerprint != fp
    df.iat[0, 0] = 0
    assert profile_frame(df).fingerprint == fp
    df.iat[1, 0] = -1  # between two fingerprinted rows: by design not seen
    assert profile_frame(df).fingerprint == fp


@pytest.mark.parametrize("kind", ["polars", "pyarrow"])
def test_polars_and_arrow_fingerprints(kind):
    def make(values):
        return pl.DataFrame({"a": values}) if kind == "polars" else pa.table({"a": values})

    fp = profile_frame(make([1, 2, 3])).fingerprint
    assert profile_frame(make([1, 2, 3])).fingerprint == fp
    assert profile_frame(make([1, 5, 3])).fingerprint != fp


def test_lazyframe_is_profiled_from_its_schema_without_collecting():
    calls = []

    def boom(s):
        calls.append(1)
        raise RuntimeError("collected")

    lf = pl.LazyFrame({"a": [1, 2], "t": ["x", "y"]}).with_columns(
        pl.col("a").map_batches(boom, return_dtype=pl.Int64)
    )
    p = profile_frame(lf)
    assert calls == []
    assert p.kind == "polars-lazy" and p.fields == (("a", "Int64"), ("t", "String"))
    assert p.row_count is None and p.quality == {} and not quality_facet_applicable(p)
    assert p.fingerprint == profile_frame(lf).fingerprint
    assert p.fingerprint != profile_frame(lf.filter(pl.col("a") > 1)).fingerprint


# --------------------------------------------------------------------------- odd frames
def _odd_frames() -> dict[str, pd.DataFrame]:
    mi = pd.DataFrame([[1, 2, 3]], columns=pd.MultiIndex.from_tuples([("a", "b"), ("a", "c"), ("d", "")]))
    dup = pd.DataFrame([[1, "x", 2.5]], columns=["a", "a", "a.1"])
    return {
        "empty": pd.DataFrame(),
        "empty-rows": pd.DataFrame({"a": pd.Series([], dtype="int64"), "b": pd.Series([], dtype=object)}),
        "duplicate-names": dup,
        "multiindex-columns": mi,
        "non-string-names": pd.DataFrame({0: [1, 2], 1.5: [3, 4], None: [5, 6], ("t",): [7, 8]}),
        "mixed-object": pd.DataFrame({"m": pd.Series([1, "1", 2.5, b"x", None, (1, 2)], dtype=object)}),
        "unhashable": pd.DataFrame(
            {"u": pd.Series([[1, 2], {"k": 1}, [1, 2], None, {1}, np.array([1])], dtype=object)}
        ),
        "all-null": pd.DataFrame(
            {
                "o": [None, None],
                "f": [np.nan, np.nan],
                "i": pd.array([None, None], dtype="Int64"),
                "t": pd.to_datetime([None, None]),
            }
        ),
        "categorical": pd.DataFrame(
            {"c": pd.Categorical(["x", "y", None, "x"], categories=["x", "y", "unused"])}
        ),
        "tz-datetime": pd.DataFrame(
            {
                "t": pd.date_range("2024-01-01", periods=3, freq="h", tz="Europe/Paris"),
                "d": pd.to_timedelta([1, 2, None], unit="s"),
            }
        ),
        "nullable": pd.DataFrame(
            {
                "i": pd.array([1, None, 3], dtype="Int64"),
                "b": pd.array([True, None, False], dtype="boolean"),
                "s": pd.array(["a", None, "a"], dtype="string[pyarrow]"),
                "p": pd.array(["a", None, "b"], dtype="string[python]"),
                "f": pd.array([1.5, None, 2.5], dtype="Float64"),
            }
        ),
        "huge-ints": pd.DataFrame(
            {
                "big": pd.Series([2**100, -(2**70), 1], dtype=object),
                "u": np.array([2**64 - 1, 0, 5], dtype=np.uint64),
            }
        ),
        "nan-inf": pd.DataFrame({"x": [np.inf, -np.inf, np.nan, 1.0], "y": [np.inf, 1.0, 2.0, np.nan]}),
        "complex": pd.DataFrame({"z": [1 + 2j, 3j]}),
        "arrow-nested": pd.DataFrame(
            {
                "l": pd.Series([[1], [2, 3], None], dtype=pd.ArrowDtype(pa.list_(pa.int64()))),
                "st": pd.Series(
                    [{"a": 1}, {"a": 2}, {"a": 1}], dtype=pd.ArrowDtype(pa.struct([("a", pa.int64())]))
                ),
            }
        ),
        "multiindex-rows": pd.DataFrame({"v": [1, 2]}, index=pd.MultiIndex.from_tuples([("a", 1), ("b", 2)])),
    }


ODD = _odd_frames()


@pytest.mark.parametrize("name", list(ODD))
def test_odd_pandas_frames_never_raise(name):
    df = ODD[name]
    p = profile_frame(df)
    assert p.row_count == len(df)
    assert len(p.fields) == df.shape[1]
    names = [n for n, _ in p.fields]
    assert len(set(names)) == len(names) and all(isinstance(n, str) for n in names)
    assert list(cm(p)) == names
    assert profile_frame(df).fingerprint == p.fingerprint
    assert_quality_valid(p)


def test_odd_frame_details():
    assert profile_frame(ODD["empty"]).quality == {"rowCount": 0, "columnMetrics": {}}
    assert cm(profile_frame(ODD["empty-rows"])) == {
        "a": {"nullCount": 0, "distinctCount": 0},
        "b": {"nullCount": 0, "distinctCount": 0},
    }
    assert [n for n, _ in profile_frame(ODD["duplicate-names"]).fields] == ["a", "a.2", "a.1"]
    assert [n for n, _ in profile_frame(ODD["multiindex-columns"]).fields] == ["a.b", "a.c", "d"]
    assert [n for n, _ in profile_frame(ODD["non-string-names"]).fields] == ["0", "1.5", "None", "t"]
    assert cm(profile_frame(ODD["mixed-object"]))["m"] == {"nullCount": 1, "distinctCount": 5}
    # [1, 2] twice, {"k": 1}, {1}, array([1]): compared by repr
    assert cm(profile_frame(ODD["unhashable"]))["u"] == {"nullCount": 1, "distinctCount": 4}
    assert cm(profile_frame(ODD["all-null"])) == {c: {"nullCount": 2, "distinctCount": 0} for c in "ofit"}
    cat = profile_frame(ODD["categorical"])
    assert cat.fields == (("c", "category"),) and cm(cat)["c"] == {"nullCount": 1, "distinctCount": 2}
    tz = profile_frame(ODD["tz-datetime"])
    assert dict(tz.fields)["t"].startswith("datetime64[") and dict(tz.fields)["t"].endswith(", Europe/Paris]")
    assert cm(tz) == {"t": {"nullCount": 0, "distinctCount": 3}, "d": {"nullCount": 1, "distinctCount": 2}}
    nullable = profile_frame(ODD["nullable"])
    assert dict(nullable.fields) == {
        "i": "Int64",
        "b": "boolean",
        "s": "string",
        "p": "string",
        "f": "Float64",
    }
    assert cm(nullable) == {
        "i": {"nullCount": 1, "distinctCount": 2, "min": 1, "max": 3},
        "b": {"nullCount": 1, "distinctCount": 2},
        "s": {"nullCount": 1, "distinctCount": 1},
        "p": {"nullCount": 1, "distinctCount": 2},
        "f": {"nullCount": 1, "distinctCount": 2, "min": 1.5, "max": 2.5},
    }
    huge = cm(profile_frame(ODD["huge-ints"]))
    assert huge["big"] == {"nullCount": 0, "distinctCount": 3}  # object column: no min/max
    assert huge["u"] == {"nullCount": 0, "distinctCount": 3, "min": 0, "max": 2**64 - 1}
    nan = cm(profile_frame(ODD["nan-inf"]))
    assert nan["x"] == {"nullCount": 1, "distinctCount": 3}  # infinite bounds have no key
    assert nan["y"] == {"nullCount": 1, "distinctCount": 3, "min": 1.0}
    assert cm(profile_frame(ODD["complex"]))["z"] == {"nullCount": 0, "distinctCount": 2}
    nested = profile_frame(ODD["arrow-nested"])
    assert dict(nested.fields) == {"l": "list<item: int64>[pyarrow]", "st": "struct<a: int64>[pyarrow]"}
    assert cm(nested)["l"]["nullCount"] == 1 and cm(nested)["st"]["distinctCount"] == 2


def test_multiindex_rows_are_part_of_the_fingerprint():
    df = ODD["multiindex-rows"]
    other = df.set_axis(pd.MultiIndex.from_tuples([("a", 1), ("b", 3)]))
    assert profile_frame(df).fingerprint != profile_frame(other).fingerprint


def test_odd_polars_and_arrow_frames():
    frames = [
        pl.DataFrame(),
        pl.DataFrame({"a": pl.Series([], dtype=pl.Int64)}),
        pl.DataFrame({"l": [[1], [1], None], "s": [{"a": 1}, {"a": 2}, {"a": 1}], "n": [None, None, None]}),
        pl.DataFrame(
            {
                "t": pl.Series(["2024-01-01", None]).str.to_datetime().dt.replace_time_zone("UTC"),
                "c": pl.Series(["x", "y"], dtype=pl.Categorical),
                "x": [float("inf"), 1.0],
            }
        ),
        pa.table({}),
        pa.table(
            {
                "l": pa.array([[1], [1], None]),
                "m": pa.array([[("k", 1)], None, [("k", 1)]], pa.map_(pa.string(), pa.int64())),
            }
        ),
        pa.Table.from_arrays([pa.array([1, 2]), pa.array([3, 4])], names=["a", "a"]),
        pa.table({"d": pa.array([1, 1, None]).dictionary_encode(), "n": pa.nulls(3)}),
    ]
    for obj in frames:
        p = profile_frame(obj)
        names = [n for n, _ in p.fields]
        assert len(set(names)) == len(names) and list(cm(p)) == names
        assert_quality_valid(p)
    nested = cm(profile_frame(frames[2]))
    assert nested["l"] == {"nullCount": 1, "distinctCount": 1} and nested["s"]["distinctCount"] == 2
    assert nested["n"] == {"nullCount": 3, "distinctCount": 0}
    assert cm(profile_frame(frames[3]))["x"] == {"nullCount": 0, "distinctCount": 2, "min": 1.0}
    assert cm(profile_frame(frames[5]))["m"] == {"nullCount": 1, "distinctCount": 1}
    assert [n for n, _ in profile_frame(frames[6]).fields] == ["a", "a.1"]


# --------------------------------------------------------------------------- hypothesis
_DTYPES = st.sampled_from(
    [
        np.dtype("int64"),
        np.dtype("float64"),
        np.dtype("bool"),
        np.dtype("object"),
        np.dtype("uint8"),
        np.dtype("datetime64[ns]"),
        np.dtype("complex128"),
        np.dtype("float32"),
    ]
)


@st.composite
def frames(draw):
    names = draw(st.lists(st.one_of(st.text(max_size=3), st.integers(-2, 2)), max_size=4, unique_by=repr))
    cols = [hpd.column(name=name, dtype=draw(_DTYPES)) for name in names]
    df = draw(hpd.data_frames(cols, index=hpd.range_indexes(max_size=12)))
    if draw(st.booleans()) and len(df.columns):  # sprinkle nulls
        col = df.iloc[:, 0].astype(object)
        col.iloc[:: draw(st.integers(1, 3))] = None
        df.isetitem(0, col)
    return df


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames(), st.integers(1, 8), st.sampled_from([0, 10**9]))
def test_profile_never_raises_on_arbitrary_frames(df, sample_rows, exact_cells):
    p = profile_frame(df, sample_rows=sample_rows, exact_cells=exact_cells)
    assert p.row_count == len(df) and p.sampled == (len(df) > sample_rows)
    for name, metrics in cm(p).items():
        assert 0 <= metrics["nullCount"] <= len(df)
        assert 0 <= metrics.get("distinctCount", 0) <= len(df) - metrics["nullCount"]
        if "min" in metrics and "max" in metrics:
            assert metrics["min"] <= metrics["max"], name
    assert_quality_valid(p)
    assert profile_frame(df, sample_rows=sample_rows, exact_cells=exact_cells) == p


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.integers(-(10**20), 10**20),
            st.floats(),
            st.text(max_size=2),
            st.lists(st.integers(), max_size=2),
        ),
        max_size=10,
    )
)
def test_profile_never_raises_on_arbitrary_object_columns(values):
    s = pd.Series(values, dtype=object)
    p = profile_frame(s.to_frame("v"))
    assert_quality_valid(p)


# --------------------------------------------------------------------------- files
def test_profile_file_versions_by_size_and_mtime(tmp_path):
    f = tmp_path / "data.csv"
    f.write_text("a,b\n1,2\n")
    os.utime(f, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    v = profile_file(f)
    assert v == FileVersion(
        size=8, mtime_ns=1_700_000_000_000_000_000, version="8-1700000000000000000", files=1
    )
    assert profile_file(str(f)) == v
    os.utime(f, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_001))
    assert profile_file(f).version != v.version
    f.write_text("a,b\n1,3\n")
    os.utime(f, ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    assert profile_file(f).version == v.version  # same size and mtime: same version, by design


def test_profile_file_never_reads_content(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # opening it for reading would block until a writer comes
    v = profile_file(fifo)
    assert v is not None and v.size == 0


def test_profile_file_on_directories_and_missing_paths(tmp_path):
    d = tmp_path / "dataset"
    (d / "part=1").mkdir(parents=True)
    (d / "part=1" / "a.parquet").write_bytes(b"x" * 10)
    (d / "b.parquet").write_bytes(b"y" * 5)
    v = profile_file(d)
    assert (v.size, v.files) == (15, 2) and v.version.endswith("-2")
    (d / "part=1" / "c.parquet").write_bytes(b"z")
    assert profile_file(d).version != v.version
    assert profile_file(tmp_path / "missing.csv") is None
    assert profile_file("s3://bucket/key.csv") is None


# --------------------------------------------------------------------------- imports
def test_profiling_pandas_does_not_import_polars():
    code = (
        "import sys, pandas as pd\n"
        "from nbgov.capture.profile import profile_frame\n"
        "from nbgov.capture.frames import FrameTracker\n"
        "df = pd.DataFrame({'a': [1, 2]})\n"
        "profile_frame(df)\n"
        "t = FrameTracker(); t.after(t.before({'df': df}, 'df'), {'df': df})\n"
        "bad = [m for m in ('polars', 'IPython', 'openlineage') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_column_labels_are_converted_once_per_index_object():
    from nbgov.capture.profile import column_labels

    df = pd.DataFrame({"a": [1], "b": [2]})
    first = column_labels(df)
    assert first == ("a", "b") and column_labels(df) is first  # the same Index: no new conversion
    df["c"] = 3  # pandas replaces the Index
    assert column_labels(df) == ("a", "b", "c")
    df.columns = ["x", "y", "z"]
    assert column_labels(df) == ("x", "y", "z")
    frames = [pd.DataFrame({f"c{i}": [i]}) for i in range(40)]  # more Index objects than it keeps
    assert [column_labels(f) for f in frames] == [(f"c{i}",) for i in range(40)]


@pytest.mark.parametrize("tables", [True, False], ids=["pandas-hash-table", "index-fallback"])
def test_all_distinct_check_agrees_with_pandas(monkeypatch, tables):
    """The uniqueness check behind the all-distinct shortcut, through pandas' hash table of
    the dtype or (without one) ``Index.is_unique``: the same answer either way."""
    from nbgov.capture import profile

    if not tables:
        monkeypatch.setattr(profile, "_hash_tables", dict)
    rng = np.random.default_rng(3)
    ids = rng.integers(0, 2**62, 5_000)
    cases = [ids, np.append(ids, ids[17]), ids.astype(np.uint64), rng.normal(size=4_000).view(np.int64),
             np.arange(3_000, dtype=np.int32), np.append(np.arange(3_000, dtype=np.int32), 5),
             ids[::3], np.array([], dtype=np.int64), ids.astype(np.int16)]
    for values in cases:
        assert profile._all_distinct(values) == pd.Index(values).is_unique, values.dtype


# --------------------------------------------------------------------------- Arrow chunks
def _rechunked(values: list, cuts: list[int], pa_type=None):
    """A pyarrow ChunkedArray of ``values`` split at ``cuts`` (empty chunks allowed)."""
    whole = pa.array(values, type=pa_type)
    bounds = [0, *cuts, len(values)]
    return pa.chunked_array([whole.slice(a, b - a) for a, b in itertools.pairwise(bounds)], type=whole.type)


_CHUNK_VALUES = [None if i % 7 == 3 else f"v{i % 23}" for i in range(200)]
_CHUNK_CUTS = [0, 1, 50, 50, 51, 120, 199]  # empty chunks, one-row chunks, a cut at the last row


@pytest.mark.parametrize("pos", [
    [0, 1, 49, 50, 51, 119, 120, 198, 199],  # both sides of every cut
    list(range(0, 200, 3)),
    [7],
    [5, 5, 6],  # repeated positions
    [],
])
def test_take_sorted_gathers_across_chunks_exactly_as_take(pos):
    pos = np.array(pos, dtype=np.int64)
    chunked = _rechunked(_CHUNK_VALUES, _CHUNK_CUTS)
    assert chunked.num_chunks == len(_CHUNK_CUTS) + 1
    assert take_sorted(chunked, pos).to_pylist() == chunked.take(pa.array(pos)).to_pylist()
    for dtype in ("str", "string[pyarrow]"):
        arr = pd.array(_CHUNK_VALUES, dtype=dtype)
        arr = type(arr)(_rechunked(_CHUNK_VALUES, _CHUNK_CUTS, pa.large_string()
                                   if dtype == "str" else pa.string()), dtype=arr.dtype)
        got = take_sorted(arr, pos)
        assert type(got) is type(arr) and got.dtype == arr.dtype
        pd.testing.assert_extension_array_equal(got, arr.take(pos))
    ints = pd.arrays.ArrowExtensionArray(_rechunked([None if i % 5 == 0 else i for i in range(200)], _CHUNK_CUTS))
    pd.testing.assert_extension_array_equal(take_sorted(ints, pos), ints.take(pos))


def test_take_sorted_leaves_unsorted_positions_and_other_arrays_to_take():
    pos = np.array([150, 3, 60], dtype=np.int64)
    chunked = _rechunked(_CHUNK_VALUES, _CHUNK_CUTS)
    assert take_sorted(chunked, pos).to_pylist() == [_CHUNK_VALUES[i] for i in pos]
    floats = np.arange(200, dtype=float)
    assert take_sorted(floats, pos).tolist() == [150.0, 3.0, 60.0]
    masked = pd.array(list(range(200)), dtype="Int64")
    pd.testing.assert_extension_array_equal(take_sorted(masked, np.array([1, 2])), masked.take([1, 2]))
    with pytest.raises(IndexError):
        take_sorted(chunked, np.array([10, 200], dtype=np.int64))
    negative = np.array([-3, 5], dtype=np.int64)  # counted from the end, as take counts them
    arr = pd.arrays.ArrowStringArray(chunked, dtype=pd.StringDtype("pyarrow"))
    pd.testing.assert_extension_array_equal(take_sorted(arr, negative), arr.take(negative))


def test_take_rows_keeps_labels_dtypes_and_index():
    n = 200
    df = pd.DataFrame({
        "s": pd.arrays.ArrowStringArray(_rechunked(_CHUNK_VALUES, _CHUNK_CUTS, pa.large_string()), dtype=pd.StringDtype("pyarrow", na_value=np.nan)),
        "i": np.arange(n),
        "d": pd.date_range("2024-01-01", periods=n, tz="UTC"),
        "c": pd.Categorical(["a", "b"] * (n // 2)),
    }, index=pd.Index(np.arange(n) * 2, name="k"))
    df.columns = pd.MultiIndex.from_tuples([("x", "s"), ("x", "i"), ("y", "d"), ("x", "s")])  # a repeated label
    pos = np.array([0, 1, 50, 51, 120, 199], dtype=np.int64)
    pd.testing.assert_frame_equal(take_rows(df, pos), df.take(pos))


def test_profiles_do_not_depend_on_how_arrow_data_is_chunked():
    """Chunk boundaries are a storage detail: the same values profile the same (metrics
    and fingerprint), for pandas' Arrow-backed columns and for pyarrow tables."""
    n = 5000
    rng = np.random.default_rng(3)
    values = [None if i % 11 == 0 else f"u{int(x)}" for i, x in enumerate(rng.integers(0, 900, n))]
    numbers = [None if i % 13 == 0 else int(x) for i, x in enumerate(rng.integers(0, 10**6, n))]
    cuts = sorted(rng.choice(np.arange(1, n), 9, replace=False).tolist())
    one = pa.table({"s": pa.chunked_array([pa.array(values)]), "n": pa.chunked_array([pa.array(numbers)])})
    many = pa.table({"s": _rechunked(values, cuts), "n": _rechunked(numbers, cuts, pa.int64())})
    assert many.column("s").num_chunks == 10
    for make in (lambda t: t, lambda t: t.to_pandas(types_mapper=pd.ArrowDtype)):
        a = profile_frame(make(one), sample_rows=700, exact_cells=1000)
        b = profile_frame(make(many), sample_rows=700, exact_cells=1000)
        assert a.sampled and b.sampled
        assert (a.quality, a.fingerprint, a.fields) == (b.quality, b.fingerprint, b.fields)
