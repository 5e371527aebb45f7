"""Notebook capture overhead: plain IPython, ``%load_ext nbgov`` and ``%load_ext ipyflow``.

Run from the repository root::

    .venv/bin/python benchmarks/bench_capture.py              # both workloads
    .venv/bin/python benchmarks/bench_capture.py --rows 200000 --cells 1000   # quicker

Two workloads, each mode in its own fresh process (an in-process ``InteractiveShell``,
so the figures are the shell's and nbgov's cost, not a kernel's messaging):

* **trivial cell** — ``x = 1`` run ``--cells`` times; CPU time per cell
  (``time.process_time``; median of 5 batches). nbgov's target: at most +0.3 ms over plain.
* **pipeline** — one cell reading a ``--rows`` row CSV, grouping and writing parquet;
  wall time, best of ``--repeat``. With nbgov the cell's datasets are profiled (schema,
  quality metrics, versions) and stored: target at most +5 % over plain.

ipyflow is measured when importable (``pip install ipyflow``), else reported as not
installed. No assertion is made here: tests assert behaviour, not time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODES = ("plain", "nbgov", "ipyflow")

PIPELINE = (
    "df = pd.read_csv('data.csv')\n"
    "out = df.groupby('key', as_index=False).agg(total=('value', 'sum'), n=('value', 'size'))\n"
    "out.to_parquet('out.parquet')"
)


def _shell(mode: str):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    if mode == "nbgov":
        shell.run_cell("%load_ext nbgov")
    elif mode == "ipyflow":
        result = shell.run_cell("%load_ext ipyflow")
        if result.error_in_exec or result.error_before_exec:
            raise RuntimeError("ipyflow did not load")
    return shell


def _child(mode: str, workload: str, cells: int, repeat: int) -> dict:
    shell = _shell(mode)
    if workload == "trivial":
        shell.run_cell("x = 1")
        batches = []
        per = max(cells // 5, 1)
        for _ in range(5):
            start = time.process_time()
            for _ in range(per):
                shell.run_cell("x = 1")
            batches.append((time.process_time() - start) / per * 1000)
        return {"ms_per_cell": statistics.median(batches)}
    shell.run_cell("import pandas as pd")
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = shell.run_cell(PIPELINE)
        times.append(time.perf_counter() - start)
        if result.error_in_exec:
            raise result.error_in_exec
    return {"seconds": min(times)}


def _run(mode: str, workload: str, args: argparse.Namespace, work: Path) -> dict | str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NBGOV_", "OPENLINEAGE"))}
    env.update(NBGOV_STORE=str(work / f"{mode}-{workload}.db"), NBGOV_EMIT="0",
               NBGOV_PROFILE_MAX_ROWS=str(args.profile_rows))
    cmd = [sys.executable, __file__, "--child", mode, workload, "--cells", str(args.cells),
           "--repeat", str(args.repeat)]
    proc = subprocess.run(cmd, check=False, cwd=work, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        return "not installed" if mode == "ipyflow" and "ipyflow" in proc.stderr else f"failed: {proc.stderr[-300:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cells", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--profile-rows", type=int, default=100_000)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "WORKLOAD"))
    args = parser.parse_args()
    if args.child:
        mode, workload = args.child
        print(json.dumps(_child(mode, workload, args.cells, args.repeat)))
        return
    import numpy as np
    import pandas as pd

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rng = np.random.default_rng(0)
        pd.DataFrame({
            "key": rng.integers(0, 1000, args.rows).astype(str),
            "value": rng.normal(size=args.rows),
            "flag": rng.integers(0, 2, args.rows).astype(bool),
        }).to_csv(work / "data.csv", index=False)
        print(f"trivial cell, CPU ms per cell ({args.cells} cells, median of 5 batches)")
        trivial = {m: _run(m, "trivial", args, work) for m in MODES}
        base = trivial["plain"]["ms_per_cell"]
        for mode, res in trivial.items():
            if isinstance(res, str):
                print(f"  {mode:8} {res}")
            else:
                extra = res["ms_per_cell"] - base
                print(f"  {mode:8} {res['ms_per_cell']:8.3f} ms" + (f"  (+{extra:.3f} ms)" if mode != "plain" else ""))
        print(f"read CSV -> groupby -> write parquet, {args.rows:,} rows (wall s, best of {args.repeat})")
        pipeline = {m: _run(m, "pipeline", args, work) for m in MODES}
        base = pipeline["plain"]["seconds"]
        for mode, res in pipeline.items():
            if isinstance(res, str):
                print(f"  {mode:8} {res}")
            else:
                pct = (res["seconds"] / base - 1) * 100
                print(f"  {mode:8} {res['seconds']:8.3f} s" + (f"  ({pct:+.1f} %)" if mode != "plain" else ""))


if __name__ == "__main__":
    main()
