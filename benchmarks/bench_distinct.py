"""Accuracy of the sampled ``distinctCount`` in dataset profiles, by data shape and sample size.

For each column shape below (1,000,000 rows by default, string values, a pandas frame of
one column) it prints the truth (``nunique``) and the median ratio error
``max(estimate / truth, truth / estimate)`` over several seeds of:

* nbgov's profile (``profile_frame(df, sample_rows=k)``: a simple random sample, then the
  Haas–Naughton–Seshadri–Stokes hybrid — Shlosser's estimator when a chi-square test finds
  the sample's frequencies skewed, ``Duj1`` otherwise) at several sample sizes ``k``;
* the peers, on the same 20,000-row sample: ``Duj1`` alone (PostgreSQL's ``ANALYZE``) and
  Shlosser's estimator alone, and ``Duj1`` on a stratified sample (one row drawn in each of
  ``k`` consecutive strata — what nbgov used before).

1.00 is exact; 2.00 is a factor of two either way.

    .venv/bin/python benchmarks/bench_distinct.py [--rows 1000000] [--seeds 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nbgov.capture.profile import _duj1, _sample_index, _shlosser, profile_frame

SHAPES = {
    "uniform, 100 values": lambda r, n: r.integers(0, 100, n),
    "uniform, 10,000 values": lambda r, n: r.integers(0, 10_000, n),
    "uniform, n/10 values": lambda r, n: r.integers(0, n // 10, n),
    "uniform, n/2 values": lambda r, n: r.integers(0, n // 2, n),
    "unique (a key)": lambda r, n: r.permutation(n),
    "every value twice": lambda r, n: r.permutation(np.repeat(np.arange(n // 2), 2)),
    "sorted, runs of 5": lambda r, n: np.repeat(np.arange(n // 5 + 1), 5)[:n],
    "sorted, runs of 50": lambda r, n: np.repeat(np.arange(n // 50 + 1), 50)[:n],
    "Zipf, a = 1.2": lambda r, n: r.zipf(1.2, n),
    "Zipf, a = 2.0": lambda r, n: r.zipf(2.0, n),
    "90 % one value, rest unique": lambda r, n: np.where(r.random(n) < 0.9, -1, np.arange(n)),
    "half 1,000 values, half unique": lambda r, n: np.where(r.random(n) < 0.5, r.integers(0, 1_000, n), np.arange(n)),
    "log-normal group sizes": lambda r, n: np.repeat(np.arange(n), np.maximum(1, r.lognormal(1.5, 1.2, n).astype(int)))[:n],
}


def _duj1_alone(counts: np.ndarray, total: int) -> float:
    n, d, f1 = int(counts.sum()), counts.size, int(np.count_nonzero(counts == 1))
    return _duj1(n, d, f1, n / total)


def _stratified(n: int, k: int, seed: int) -> np.ndarray:
    edges = np.arange(k + 1, dtype=np.int64) * n // k
    return edges[:-1] + np.floor(np.random.default_rng(seed).random(k) * np.diff(edges)).astype(np.int64)


def _counts(values: np.ndarray) -> np.ndarray:
    return np.unique(values, return_counts=True)[1]


def _error(est: float, truth: int, seen: int, total: int) -> float:
    est = min(max(est, seen), total)
    return max(est / truth, truth / est)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--sizes", type=int, nargs="+", default=[5_000, 10_000, 20_000, 50_000])
    ap.add_argument("--peer-sample", type=int, default=20_000)
    args = ap.parse_args()
    n, k = args.rows, args.peer_sample
    print(f"sampled distinctCount, {n:,} rows of strings: median ratio error over {args.seeds} seeds (1.00 = exact)")
    head = ["shape", "truth"] + [f"nbgov {s:,}" for s in args.sizes] + [
        f"Duj1 {k:,}", f"Shlosser {k:,}", f"stratified+Duj1 {k:,}"]
    print(" | ".join(head))
    for name, make in SHAPES.items():
        errs: dict[str, list[float]] = {h: [] for h in head[2:]}
        truth = 0
        for seed in range(args.seeds):
            values = make(np.random.default_rng(seed), n).astype(str)
            truth = len(set(values.tolist()))
            df = pd.DataFrame({"c": pd.Series(values, dtype="str")})
            for s in args.sizes:
                est = profile_frame(df, sample_rows=s, seed=seed).quality["columnMetrics"]["c"]["distinctCount"]
                errs[f"nbgov {s:,}"].append(max(est / truth, truth / est))
            counts = _counts(values[_sample_index(n, k, seed)])
            q = k / n
            errs[f"Duj1 {k:,}"].append(_error(_duj1_alone(counts, n), truth, counts.size, n))
            errs[f"Shlosser {k:,}"].append(
                _error(_shlosser(counts, q, counts.size, int(np.count_nonzero(counts == 1))), truth, counts.size, n))
            strat = _counts(values[_stratified(n, k, seed)])
            errs[f"stratified+Duj1 {k:,}"].append(_error(_duj1_alone(strat, n), truth, strat.size, n))
        print(" | ".join([name, f"{truth:,}"] + [f"{statistics.median(v):.2f}" for v in errs.values()]))


if __name__ == "__main__":
    main()
