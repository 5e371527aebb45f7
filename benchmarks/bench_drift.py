"""Drift benchmark: nbgov.compare side by side with evidently's DataDriftPreset.

Two 100,000 x 20 frames from the same generator; the current one carries 6 planted
changes (mean shift, variance change, new category, missing category, null-rate jump,
dtype change). Prints CPU-s (time.process_time), planted changes found and false alarms
on the 14 unchanged columns, then a noise-only comparison and a schema change (a column
removed, one added).

    .venv/bin/python benchmarks/bench_drift.py
    .venv/bin/python benchmarks/bench_drift.py --peer-python /path/to/venv-with-evidently/bin/python
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PLANTED = {
    "income": "mean shift (+0.25 sd)",
    "latency_ms": "variance change (x1.5 sd)",
    "channel": "new category (8%)",
    "segment": "missing category",
    "discount": "null rate 2% -> 15%",
    "store_no": "dtype change int -> str",
}


def make(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "order_id": rng.permutation(n) + 1_000_000,
            "customer_uuid": [f"{x:016x}" for x in rng.integers(0, 2**62, n)],
            "income": rng.normal(52_000, 12_000, n),
            "latency_ms": rng.gamma(4.0, 25.0, n),
            "amount": rng.lognormal(3.5, 1.1, n),
            "age": rng.integers(18, 90, n),
            "score": rng.beta(2, 5, n),
            "items": rng.poisson(3, n),
            "discount": np.where(rng.random(n) < 0.02, np.nan, rng.uniform(0, 0.3, n)),
            "store_no": rng.integers(1, 40, n),
            "channel": rng.choice(["web", "app", "store", "phone"], n, p=[0.5, 0.3, 0.15, 0.05]),
            "segment": rng.choice(["A", "B", "C", "D"], n),
            "country": rng.choice(["DE", "FR", "ES", "IT", "NL", "PT", "BE", "AT"], n),
            "city": rng.choice([f"city_{i}" for i in range(600)], n),
            "product": rng.choice([f"sku_{i}" for i in range(5000)], n),
            "is_member": rng.random(n) < 0.4,
            "created": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 90 * 86400, n), unit="s"),
            "rating": rng.choice([1, 2, 3, 4, 5], n, p=[0.05, 0.1, 0.2, 0.35, 0.3]),
            "weight_kg": rng.normal(2.0, 0.5, n).clip(0.05),
            "notes_len": rng.integers(0, 400, n),
        }
    )


def plant(df: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(df)
    out = df.copy()
    out["income"] = out["income"] + 0.25 * 12_000
    mean = out["latency_ms"].mean()
    out["latency_ms"] = (out["latency_ms"] - mean) * 1.5 + mean
    out["channel"] = np.where(rng.random(n) < 0.08, "partner", out["channel"])
    out["segment"] = out["segment"].replace("D", "C")
    out["discount"] = np.where(rng.random(n) < 0.13, np.nan, out["discount"])
    out["store_no"] = out["store_no"].astype(str)
    return out


def _frames(rows: int):
    ref = make(rows, 1)
    cur = plant(make(rows, 2), 3)
    noise = make(rows, 4)
    return ref, cur, noise


def run_nbgov(rows: int) -> None:
    from nbgov.governance import compare

    ref, cur, noise = _frames(rows)
    compare(ref.head(1000), cur.head(1000))  # warm-up
    t0 = time.process_time()
    report = compare(ref, cur)
    cpu = time.process_time() - t0
    drifted = set(report.drifted_columns)
    found = sorted(set(PLANTED) & drifted)
    false = sorted(drifted - set(PLANTED))
    t0 = time.process_time()
    quiet = compare(ref, noise)
    cpu_noise = time.process_time() - t0
    schema = compare(ref, cur.drop(columns=["notes_len"]).assign(channel_v2=cur["channel"]))
    print(f"nbgov.compare  {rows:,} rows x {ref.shape[1]} columns, sample={report.sample:,}")
    print(f"  CPU-s (planted)       : {cpu:.3f}")
    print(f"  planted found         : {len(found)} of {len(PLANTED)}  {found}")
    missing = sorted(set(PLANTED) - drifted)
    if missing:
        print(f"  planted missed        : {missing}")
    print(f"  false alarms          : {len(false)}  {false if false else ''}")
    print(f"  schema changes        : {[(c.type, c.column, c.severity) for c in report.schema_changes]}")
    print(
        f"  noise-only: CPU-s {cpu_noise:.3f}, drifted {list(quiet.drifted_columns)}, "
        f"schema changes {len(quiet.schema_changes)}"
    )
    print(f"  columns differ        : {[(c.type, c.column, c.severity) for c in schema.schema_changes]}")
    for c in report.columns:
        if c.drifted:
            v = "" if c.value is None else f"{c.statistic}={c.value:.3g} (thr {c.threshold:.3g})"
            print(f"    {c.column:<12} {c.severity:<7} {v} {'; '.join(c.reasons)}")


def evidently_available() -> bool:
    try:
        import evidently  # noqa: F401
        from evidently.presets import DataDriftPreset  # noqa: F401
    except Exception:  # noqa: BLE001 - evidently fails to import on some pandas versions
        return False
    return True


def _evidently_drifted(snapshot) -> set[str]:
    drifted = set()
    for m in snapshot.dict()["metrics"]:
        cfg = m.get("config", {})
        if not cfg.get("type", "").endswith("ValueDrift"):
            continue
        method, thr, value = cfg.get("method", ""), cfg.get("threshold"), m.get("value")
        if value is None or thr is None:
            continue
        is_p = "p_value" in method.lower() or "p-value" in method.lower() or "test" in method.lower()
        if (value < thr) if is_p else (value >= thr):
            drifted.add(cfg["column"])
    return drifted


def run_evidently(rows: int) -> None:
    from importlib.metadata import version

    from evidently import Report
    from evidently.presets import DataDriftPreset

    ref, cur, noise = _frames(rows)
    t0 = time.process_time()
    snap = Report([DataDriftPreset()]).run(reference_data=ref, current_data=cur)
    cpu = time.process_time() - t0
    drifted = _evidently_drifted(snap)
    found = sorted(set(PLANTED) & drifted)
    false = sorted(drifted - set(PLANTED))
    print(f"evidently {version('evidently')} DataDriftPreset  {rows:,} rows x {ref.shape[1]} columns")
    print(f"  CPU-s (planted)       : {cpu:.3f}")
    print(f"  planted found         : {len(found)} of {len(PLANTED)}  {found}")
    print(f"  false alarms          : {len(false)}  {false if false else ''}")
    t0 = time.process_time()
    quiet = _evidently_drifted(Report([DataDriftPreset()]).run(reference_data=ref, current_data=noise))
    print(f"  noise-only: CPU-s {time.process_time() - t0:.3f}, drifted {sorted(quiet)}")
    try:
        Report([DataDriftPreset()]).run(reference_data=ref, current_data=cur.drop(columns=["notes_len"]))
        print("  columns differ        : accepted")
    except Exception as exc:  # noqa: BLE001
        print(f"  columns differ        : refused ({type(exc).__name__}: {str(exc)[:80]})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--peer-python", help="an interpreter where evidently is installed")
    ap.add_argument("--peer-only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if not args.peer_only:
        run_nbgov(args.rows)
        print()
    if evidently_available():
        run_evidently(args.rows)
    elif args.peer_python and not args.peer_only:
        subprocess.run([args.peer_python, __file__, "--peer-only", "--rows", str(args.rows)], check=False)
    else:
        print("evidently: not installed (or does not import with this pandas)")


if __name__ == "__main__":
    main()
