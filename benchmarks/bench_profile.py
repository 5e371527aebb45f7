"""Capture-side costs: dataset profiles and namespace frame tracking.

Prints, as CPU time (time.process_time; median of several repeats):

* ``profile_frame`` on 1,000,000 rows x 10 columns (ints, floats with NaN, strings,
  a unique key, a datetime, a nullable Int64, a categorical …) with sample_rows=100,000,
  for pandas, polars and pyarrow — target: a few tens of ms — and on 1,000,000 rows of an
  int, a float and a bool column (the shape of ``bench_capture.py``'s input); beside it the naive
  full-frame alternatives (``df.nunique()`` + ``df.describe()``, and a full
  ``hash_pandas_object``) so the sampling saving is visible;
* ``FrameTracker`` before+after per cell with 20 small frames (and 150 other variables)
  in the namespace — target <= 0.1 ms — and with one 1,000,000-row frame added, to show
  the cost does not grow with frame size.

    .venv/bin/python benchmarks/bench_profile.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nbgov.capture.frames import FrameTracker
from nbgov.capture.profile import profile_frame


def cpu(fn, repeat: int = 5, number: int = 1) -> float:
    """Median CPU seconds per call."""
    runs = []
    for _ in range(repeat):
        t = time.process_time()
        for _ in range(number):
            fn()
        runs.append((time.process_time() - t) / number)
    return statistics.median(runs)


def big(n: int = 1_000_000) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    f = rng.normal(size=n)
    f[::20] = np.nan
    return pd.DataFrame(
        {
            "id": np.arange(n),
            "small": rng.integers(0, 100, n),
            "wide": rng.integers(0, 1_000_000, n),
            "x": f,
            "y": rng.random(n),
            "city": pd.Series(rng.integers(0, 5000, n)).map("city{}".format),
            "flag": rng.random(n) > 0.5,
            "ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 10**9, n), unit="s"),
            "maybe": pd.array(np.where(rng.random(n) < 0.1, None, rng.integers(0, 50, n)), dtype="Int64"),
            "cat": pd.Categorical.from_codes(rng.integers(0, 8, n), list("abcdefgh")),
        }
    )


def main() -> None:
    print("profile_frame, 1,000,000 rows x 10 columns, sample_rows=100,000 (CPU ms, median)")
    df = big()
    rows = [("pandas  profile_frame", cpu(lambda: profile_frame(df)))]
    try:
        import polars as pl

        pdf = pl.from_pandas(df)
        rows.append(("polars  profile_frame", cpu(lambda: profile_frame(pdf))))
    except ImportError:
        rows.append(("polars  (not installed)", float("nan")))
    try:
        import pyarrow as pa

        tbl = pa.Table.from_pandas(df, preserve_index=False)
        rows.append(("pyarrow profile_frame", cpu(lambda: profile_frame(tbl))))
    except ImportError:
        rows.append(("pyarrow (not installed)", float("nan")))
    narrow = df[["small", "y", "flag"]]  # int, float, bool: the shape of bench_capture's input frame
    rows.append(("pandas  1M x 3 (int, float, bool)", cpu(lambda: profile_frame(narrow), repeat=9)))
    rows.append(
        ("pandas  unsampled (sample_rows=10**7)", cpu(lambda: profile_frame(df, sample_rows=10**7), repeat=3))
    )
    rows.append(
        ("naive   df.nunique() + df.describe()", cpu(lambda: (df.nunique(), df.describe()), repeat=3))
    )
    rows.append(
        ("naive   full hash_pandas_object(df)", cpu(lambda: pd.util.hash_pandas_object(df), repeat=3))
    )
    for name, sec in rows:
        print(f"  {name:<42} {sec * 1e3:9.1f} ms")

    print()
    print("FrameTracker before+after per cell (CPU us, median of 2000 cells)")
    small = {
        f"frame{i}": pd.DataFrame(
            {"a": np.arange(50), "b": np.arange(50.0), "s": [str(j) for j in range(50)]}
        )
        for i in range(20)
    }
    others = {f"v{i}": i for i in range(100)} | {f"_i{i}": "x = 1" for i in range(50)}
    code = "x = frame3.a.sum() + frame7.b.mean()"
    tracker = FrameTracker()

    def per_cell(ns):
        def run():
            tracker.after(tracker.before(ns, code), ns)

        return cpu(run, repeat=5, number=400)

    ns = {**others, **small}
    base = per_cell(ns)
    ns_big = {**ns, "huge": df}
    with_big = per_cell(ns_big)
    none = per_cell(others)
    print(f"  {'150 non-frame variables only':<42} {none * 1e6:9.1f} us")
    print(f"  {'+ 20 small frames (3 columns x 50 rows)':<42} {base * 1e6:9.1f} us   target <= 100 us")
    print(f"  {'+ one 1,000,000 x 10 frame':<42} {with_big * 1e6:9.1f} us")


if __name__ == "__main__":
    main()
