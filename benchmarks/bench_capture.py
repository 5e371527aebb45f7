"""Notebook capture overhead: plain IPython, ``%load_ext nbgov`` and ``%load_ext ipyflow``.

Run from the repository root::

    .venv/bin/python benchmarks/bench_capture.py                       # both workloads
    .venv/bin/python benchmarks/bench_capture.py --peer-python /path/to/venv-with-ipyflow/bin/python
    .venv/bin/python benchmarks/bench_capture.py --rows 200000 --cells 1000 --rounds 1   # quicker
    .venv/bin/python benchmarks/bench_capture.py --only pipeline --set NBGOV_CLASSIFY_OUTPUTS=0
    .venv/bin/python benchmarks/bench_capture.py --only pipeline --data mixed --malloc default

Each measurement runs in its own fresh process with an in-process ``InteractiveShell``
(the shell's and the extension's cost, not a kernel's messaging). Two workloads:

* **trivial cell** — ``x = 1`` run ``--cells`` times in 5 batches; CPU time per cell
  (``time.process_time``): median batch, with the spread (fastest–slowest batch).
  nbgov's target: at most +0.3 ms over plain.
* **reruns** (``--only reruns``) — a small cell run ``--cells`` times in one process, CPU
  per cell in 5 consecutive blocks: whether a cell's cost grows with how often it ran
  (each run adds a version of its outputs to the store).
* **pipeline** — (also run *paired*: one process per round, nbgov loaded and unloaded in
  alternating blocks, so both modes share heap, file cache and modules) one cell reading a ``--rows`` row CSV (int key, float value, bool flag;
  ``--data mixed`` adds customer, email, country and date strings and an int quantity),
  grouping and writing parquet: 2 warm-up runs on a 30,000-row file of the same columns
  (sampled like the large one),
  then a *first run* on the large file (reported apart: nbgov meets this data for the
  first time, nothing classified before can be reused), then ``--repeat`` runs. With nbgov
  the cell's datasets are profiled (schema, quality metrics of the 1M-row input frame and
  of the result, versions) and its two events are stored in SQLite before the cell
  returns (``NBGOV_EMIT=0``: no delivery thread). CPU time and wall time per run: best
  and median, spread (fastest–slowest); also the main thread's CPU time (``thread_time``):
  nbgov does all its work on the main thread, while the CSV reader and the parquet writer
  spread theirs over thread pools whose CPU time swings by ±10 % from run to run, so the
  difference of the main-thread medians is the low-noise estimate of nbgov's added CPU.
  Target: at most +5 % over plain.

* **edits** (``--only edits``) — small edits (a column assignment, one value through
  ``.loc``) to a ``--edit-rows`` x 5 float frame, process CPU per cell: cells whose own
  cost is small, so that any work nbgov does in proportion to the frame would dominate
  them (its whole-column passes stop at ``Nbgov.profile_exact_max_cells``).
* **classify** (``--only classify``) — a cell writing a 6-column frame (e-mail, two int,
  two text, one float) of 1,000 / 100,000 / 1,000,000 rows to Parquet, with nbgov's
  in-cell PII step on and off (``NBGOV_CLASSIFY_OUTPUTS=0``): process CPU of the first
  write of a frame, of writes of the same data again (the report of that frame version is
  reused), and of writes after a one-value change (a new version: classified again).
* **control** (pipeline only) — plain IPython plus one inert ``post_run_cell`` callback that
  captures nothing and only allocates and frees a 1 MiB array (≈ 0.02 ms). This workload
  sits on an edge of glibc's heap trimming: whether the freed top of the heap exceeds the
  trim threshold after the CSV reader's 28 MB buffer decides whether each run trims and
  re-faults tens of MB. Any code that allocates after a cell can tip it, so the control
  shows how much of a difference to plain is the allocator's reaction rather than work;
  "added CPU over the control" is nbgov's difference to it.
* **kernel** (``--only kernel``; also part of the pipeline run) — the same pipeline in real
  IPython kernels (ipykernel started through jupyter_client, as a notebook server starts
  them), one fresh kernel per mode and round: the kernel process's CPU per run, read by the
  kernel itself from a one-line cell after each run — what a notebook user pays, with
  ipykernel's messaging in every mode alike.

**Allocator regimes** (``--malloc``, pipeline and kernel sections). Under glibc's default
settings this workload frees about 32 MB at the top of the heap per run, right at the
dynamic trim threshold: whether it is returned to the system and faulted in again on the
next run (≈ 31 MB through ``brk`` per run, plain included) turns on a few hundred KB of
other allocations, so any code that runs after a cell moves the figures by up to ±2 %
(see the control). The same sections then run again with the trimming pinned for every
mode alike (``PINNED_MALLOC``: freed memory stays in the heap), where the control costs
nothing and the difference is the work nbgov adds. ``--malloc default|pinned`` runs one.

Plain, the control and nbgov alternate for ``--rounds`` rounds (fresh processes each time) and the
runs of all rounds are pooled, so that a change in the shared machine's load hits both
alike. Each "added CPU" line gives a 95 % interval beside its median difference, from
resampling whole processes (a process's runs share its heap and its stretch of the shared
machine's load, so they are not independent samples): how far the same design, repeated,
could move the figure. For nbgov the (main-thread) CPU time spent inside its own ``pre_run_cell``/``post_run_cell``
callbacks (profiles, events, store write) is also shown, per cell; the library hooks'
cost (the wrapper around ``read_csv``/``to_parquet``) is only in the total.

ipyflow runs in whatever interpreter has it: ``--peer-python`` (a separate virtualenv, so
that ipyflow's dependencies never enter nbgov's), else this one if it imports, else it
is reported as not installed. Its overhead is against plain IPython in the *same*
interpreter. No assertion is made here: tests assert behaviour, not time.
"""

from __future__ import annotations

import argparse
import inspect
import itertools
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PIPELINE = (
    "df = pd.read_csv('data.csv')\n"
    "out = df.groupby('key', as_index=False).agg(total=('value', 'sum'), n=('value', 'size'))\n"
    "out.to_parquet('out.parquet')"
)

#: rows of the warm-up file (``warm.csv``, same columns as ``data.csv``): more than the profile's
#: and the PII step's samples (20,000 rows), so that their sampled paths have run before the first
#: measured run, which then shows what new data costs rather than what a first large frame does
WARM_ROWS = 30_000

#: a small cell re-run many times: the same job, a new version of its outputs each time
RERUN = "d = pd.read_csv('small.csv'); d['c'] = d.a + 1; d.to_parquet('small.parquet')"


# ----------------------------------------------------------------------------- child
def _shell(mode: str):
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    if mode == "control":
        shell.events.register("post_run_cell", _inert_callback())
    if mode in ("nbgov", "ipyflow"):
        result = shell.run_cell(f"%load_ext {mode}")
        if result.error_in_exec or result.error_before_exec:
            raise RuntimeError(f"{mode} did not load")
    return shell


def _inert_callback():
    """The control's ``post_run_cell`` callback: no capture, no profile, no store — it only
    allocates and frees one 1 MiB array (≈ 0.02 ms), as any code that runs after a cell does.
    What the pipeline loses to it is the allocator's reaction, not work."""
    import numpy as np

    def after(result) -> None:
        np.ones(1 << 20, np.uint8)

    return after


def _callback_timer(shell) -> list[float]:
    """Re-register nbgov's cell callbacks wrapped in a CPU timer; returns the sample list."""
    from nbgov.magics import extension_for

    ext = extension_for(shell)
    spent: list[float] = []
    for event in ("pre_run_cell", "post_run_cell"):
        callback = getattr(ext, event)

        def timed(arg, _callback=callback):
            start = time.thread_time()
            try:
                _callback(arg)
            finally:
                spent.append(time.thread_time() - start)

        shell.events.unregister(event, callback)
        shell.events.register(event, timed)
    return spent


def _paired(repeat: int) -> dict:
    """The pipeline in ONE process, nbgov loaded and unloaded in alternating blocks of 3 runs
    (``%unload_ext`` restores every hooked function): both modes share the heap, the file
    cache and the imported modules, so their difference is free of process-to-process
    variation."""
    shell = _shell("plain")
    shell.run_cell("import pandas as pd")
    out: dict[str, list[float]] = {}
    for _ in range(2):
        shell.run_cell(PIPELINE)
    for block in range(max(repeat // 3, 1) * 2):
        mode = "nbgov" if block % 2 else "plain"
        if mode == "nbgov":
            shell.run_cell("%load_ext nbgov")
        shell.run_cell(PIPELINE)  # settle after the switch
        for _ in range(3):
            c0, t0 = time.process_time(), time.thread_time()
            result = shell.run_cell(PIPELINE)
            out.setdefault(f"{mode}_main_ms", []).append((time.thread_time() - t0) * 1000)
            out.setdefault(f"{mode}_cpu_ms", []).append((time.process_time() - c0) * 1000)
            if result.error_in_exec:
                raise result.error_in_exec
        if mode == "nbgov":
            shell.run_cell("%unload_ext nbgov")
    return out


def _child(mode: str, workload: str, cells: int, repeat: int, rows: int = 0) -> dict:
    if workload == "paired":
        return _paired(repeat)
    shell = _shell(mode)
    if workload == "edits":
        return _edits(shell, rows, repeat)
    if workload == "classify":
        return _classify(shell, repeat)
    spent = _callback_timer(shell) if mode == "nbgov" else None
    if workload == "trivial":
        shell.run_cell("x = 1")
        batches = []
        per = max(cells // 5, 1)
        for _ in range(5):
            start = time.process_time()
            for _ in range(per):
                shell.run_cell("x = 1")
            batches.append((time.process_time() - start) / per * 1000)
        return {"cpu_ms": batches}
    shell.run_cell("import pandas as pd")
    if workload == "reruns":
        shell.run_cell(RERUN)
        blocks = []
        per = max(cells // 5, 1)
        for _ in range(5):
            start = time.process_time()
            for _ in range(per):
                shell.run_cell(RERUN)
            blocks.append((time.process_time() - start) / per * 1000)
        return {"cpu_ms": blocks}
    for _ in range(2):  # imports and first calls, on a small file of the same columns
        shell.run_cell(PIPELINE.replace("data.csv", "warm.csv"))
    first = _first_run(shell)
    cpu, wall, main, hooks, faults = [], [], [], [], []
    for _ in range(repeat):
        if spent is not None:
            spent.clear()
        f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        c0, t0, w0 = time.process_time(), time.thread_time(), time.perf_counter()
        result = shell.run_cell(PIPELINE)
        wall.append((time.perf_counter() - w0) * 1000)
        main.append((time.thread_time() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f0)
        if result.error_in_exec:
            raise result.error_in_exec
        if spent is not None:
            hooks.append(sum(spent) * 1000)
    out = {"cpu_ms": cpu, "main_ms": main, "wall_ms": wall, "faults": faults, **first}
    if hooks:
        out["callbacks_cpu_ms"] = hooks
    return out


def _first_run(shell) -> dict:
    """CPU of the process's first run on the large file (imports, first calls and the sampled
    paths already run on ``warm.csv``): what nbgov costs the first time it meets this data, before any
    report of an earlier classification can be reused."""
    c0, t0 = time.process_time(), time.thread_time()
    result = shell.run_cell(PIPELINE)
    if result.error_in_exec:
        raise result.error_in_exec
    return {"first_cpu_ms": [(time.process_time() - c0) * 1000], "first_main_ms": [(time.thread_time() - t0) * 1000]}


#: rows of the frames ``--only classify`` writes
CLASSIFY_ROWS = (1_000, 100_000, 1_000_000)


def _classify_frame(rows: int):
    """Six columns — an e-mail address, two integers, two text, one float — as ``read_csv``
    gives strings since pandas 3 (Arrow-backed when pyarrow is installed)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(rows)
    ids = rng.integers(0, 50_000, rows)
    return pd.DataFrame({
        "email": pd.array([f"user{i}@example.com" for i in ids], dtype="str"),
        "customer_id": ids + 10_000_000,
        "qty": rng.integers(1, 10, rows),
        "city": pd.array(rng.choice(["Berlin", "Paris", "Lyon", "Oslo", "Porto"], rows), dtype="str"),
        "sku": pd.array([f"SKU-{i % 977:04d}" for i in range(rows)], dtype="str"),
        "price": rng.gamma(2.0, 20.0, rows).round(2),
    })


def _classify(shell, repeat: int) -> dict:
    """Process CPU of a cell writing a frame to Parquet, per size: its first write (a frame
    version nbgov has not seen), then ``repeat`` writes of the same data, then ``repeat``
    writes after a one-value change to a sampled row each time (a new version each run).
    The frames are built and changed outside the measured cells."""
    shell.run_cell("import pandas as pd")
    out: dict[str, list[float]] = {}

    def timed(key: str, cell: str) -> None:
        start, main = time.process_time(), time.thread_time()
        result = shell.run_cell(cell)
        out.setdefault(key, []).append((time.process_time() - start) * 1000)
        out.setdefault(f"{key} main", []).append((time.thread_time() - main) * 1000)
        if result.error_in_exec:
            raise result.error_in_exec

    shell.user_ns["warm"] = _classify_frame(WARM_ROWS)
    shell.run_cell("warm.to_parquet('warm.parquet')")
    for rows in CLASSIFY_ROWS:
        frame = shell.user_ns["f"] = _classify_frame(rows)
        cell = "f.to_parquet('c.parquet')"
        timed(f"first {rows}", cell)
        for _ in range(repeat):
            timed(f"again {rows}", cell)
        for i in range(repeat):
            frame.iloc[0, 2] = 100 + i  # qty of the first row: in every sample and fingerprint
            timed(f"changed {rows}", cell)
    return out


def _classify_section(args: argparse.Namespace, work: Path) -> None:
    """nbgov with and without its in-cell PII step (``NBGOV_CLASSIFY_OUTPUTS``), alternating."""
    runs: dict[str, list] = {"classification on": [], "classification off": []}
    base_set = list(args.set)
    for _ in range(args.rounds):
        for label, results in runs.items():
            args.set = base_set + (["NBGOV_CLASSIFY_OUTPUTS=0"] if label.endswith("off") else [])
            results.append(_run(sys.executable, "nbgov", "classify", args, work))
    args.set = base_set
    res = {label: _pool(r) for label, r in runs.items()}
    for label, r in res.items():
        if isinstance(r, str):
            print(f"  {label}: {r}")
            return
    on, off = res["classification on"], res["classification off"]
    print(f"  {'rows':>9}  {'write':8}  {'process CPU without / with':>27}  {'main thread without / with':>27}"
          f"  {'classification (main thread)':>28}")
    for rows in CLASSIFY_ROWS:
        for kind in ("first", "again", "changed"):
            key = f"{kind} {rows}"
            a, b = statistics.median(off[key]), statistics.median(on[key])
            c, d = statistics.median(off[f"{key} main"]), statistics.median(on[f"{key} main"])
            print(f"  {rows:>9,}  {kind:8}  {a:10.1f} / {b:7.1f} ms  {c:13.1f} / {d:7.1f} ms  {d - c:+25.1f} ms")


#: cells that change a large frame a little: their own cost is small, so any work nbgov does
#: in proportion to the frame's size would dominate them
EDITS = {"column assignment": "df['a'] = {i}.0", "one-value edit": "df.loc[{i}, 'b'] = 2.0"}


def _edits(shell, rows: int, repeat: int) -> dict:
    """Process CPU per cell of small edits to a ``rows`` x 5 float frame (made before the
    measurement; nbgov, when loaded, sees it changed in place by every cell)."""
    shell.run_cell(f"import numpy as np, pandas as pd\n"
                   f"df = pd.DataFrame(np.random.default_rng(0).random(({rows}, 5)), columns=list('abcde'))")
    out: dict[str, list[float]] = {}
    for label, code in EDITS.items():
        shell.run_cell(code.format(i=0))
        for i in range(1, repeat + 1):
            c0 = time.process_time()
            result = shell.run_cell(code.format(i=i))
            out.setdefault(label, []).append((time.process_time() - c0) * 1000)
            if result.error_in_exec:
                raise result.error_in_exec
    return out


# ----------------------------------------------------------------------------- kernel
#: run after each measured pipeline run in a kernel: the kernel's own clocks, read inside it
_CLOCKS = ("_nbgov_bench_t.append((_nbgov_bench_time.process_time(), _nbgov_bench_time.thread_time(), "
           "_nbgov_bench_time.perf_counter(), _nbgov_bench_res.getrusage(_nbgov_bench_res.RUSAGE_SELF).ru_minflt))")


def _kernel(mode: str, args: argparse.Namespace, work: Path) -> dict | str:
    """The pipeline in a real IPython kernel (ipykernel, started by jupyter_client as a
    notebook server would): CPU of the whole kernel process and of its main thread per run,
    read by the kernel itself between runs, so messaging and IPython's own per-cell work are
    in every mode's figure alike (and, with nbgov, its work on the one-line clock cell)."""
    import ast

    from nbgov.quickstart import _kernel_manager

    env = _measured_env(args, work / f"{mode}-kernel.db")
    km = _kernel_manager()
    km.start_kernel(env=env, cwd=str(work))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)

        def run(code: str, **kw) -> dict:
            reply = kc.execute_interactive(code, timeout=300, output_hook=lambda msg: None, **kw)
            if reply["content"]["status"] != "ok":
                raise RuntimeError(f"{mode}: {reply['content'].get('ename')}: {reply['content'].get('evalue')}")
            return reply["content"]

        run("import pandas as pd, resource as _nbgov_bench_res, time as _nbgov_bench_time; _nbgov_bench_t = []")
        if mode == "control":
            run(inspect.getsource(_inert_callback)
                + "get_ipython().events.register('post_run_cell', _inert_callback())")
        elif mode == "nbgov":
            run("%load_ext nbgov")
        for _ in range(2):
            run(PIPELINE)
        run(_CLOCKS)
        for _ in range(args.repeat):
            run(PIPELINE)
            run(_CLOCKS)
        got = run("", user_expressions={"t": "__import__('json').dumps(_nbgov_bench_t)"})["user_expressions"]["t"]
        clocks = json.loads(ast.literal_eval(got["data"]["text/plain"]))
    except Exception as exc:  # noqa: BLE001 - reported in the table, the other modes still run
        return f"failed: {exc}"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    steps = list(itertools.pairwise(clocks))
    return {"cpu_ms": [(b[0] - a[0]) * 1000 for a, b in steps],
            "main_ms": [(b[1] - a[1]) * 1000 for a, b in steps],
            "wall_ms": [(b[2] - a[2]) * 1000 for a, b in steps],
            "faults": [b[3] - a[3] for a, b in steps]}


# ----------------------------------------------------------------------------- parent
#: glibc malloc with its heap trimming pinned: freed memory stays in the heap (no trim below
#: 1 GiB of free top) and blocks up to 64 MiB come from the heap, not from fresh mappings
PINNED_MALLOC = {"MALLOC_TRIM_THRESHOLD_": str(1 << 30), "MALLOC_MMAP_THRESHOLD_": str(64 << 20)}
#: ``--malloc`` → the allocator settings of each measured regime, in the order they run
MALLOC_REGIMES = {"default": [{}], "pinned": [PINNED_MALLOC], "both": [{}, PINNED_MALLOC]}


def _measured_env(args: argparse.Namespace, store: Path) -> dict[str, str]:
    """The environment of one measured process (shell or kernel), every mode alike: this
    one's without nbgov's and OpenLineage's variables, then nbgov's settings for the run
    (its store, no delivery, the sample size), the current allocator regime's, ``--set``'s."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NBGOV_", "OPENLINEAGE"))}
    env.update(NBGOV_STORE=str(store), NBGOV_EMIT="0", NBGOV_PROFILE_MAX_ROWS=str(args.profile_rows))
    env.update(args.malloc_env)
    env.update(_overrides(args))
    return env


def _overrides(args: argparse.Namespace) -> dict[str, str]:
    """``--set``'s variables, as the measured processes get them."""
    return dict(item.split("=", 1) for item in args.set)


def _run(python: str, mode: str, workload: str, args: argparse.Namespace, work: Path) -> dict | str:
    env = _measured_env(args, work / f"{mode}-{workload}.db")
    cmd = [python, os.path.abspath(__file__), "--child", mode, workload, "--cells", str(args.cells),
           "--repeat", str(args.repeat), "--edit-rows", str(args.edit_rows)]
    proc = subprocess.run(cmd, check=False, cwd=work, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        if mode == "ipyflow" and ("No module named" in proc.stderr or "did not load" in proc.stderr):
            return "not installed"
        return f"failed: {proc.stderr.strip()[-300:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _pool(results: list[dict | str]) -> dict | str:
    """The processes' samples pooled per key; ``PROCESS`` maps each key to the process every
    value came from (for :func:`_interval`)."""
    for res in results:
        if isinstance(res, str):
            return res
    pooled: dict = {PROCESS: {}}
    for process, res in enumerate(results):
        for key, values in res.items():
            pooled.setdefault(key, []).extend(values)
            pooled[PROCESS].setdefault(key, []).extend([process] * len(values))
    return pooled


#: key of a pooled result holding, per sample key, the process of each value
PROCESS = "_process"
#: resamples behind each interval
RESAMPLES = 2000


def _samples(res: dict, key: str) -> tuple[list[float], list[int]]:
    """A pooled result's values under ``key`` and the process each came from."""
    return res[key], res[PROCESS][key]


def _interval(mine: tuple[list[float], list[int]], other: tuple[list[float], list[int]], *,
              paired: bool = False) -> tuple[float, float]:
    """A 95 % interval of ``median(mine) - median(other)`` (:func:`_samples`), resampling whole processes (a
    process's runs share its heap and its stretch of the machine's load, so runs are not
    independent; processes are). ``paired``: both modes ran in each process, so a resample
    takes the same processes for both. Seeded: the same samples give the same interval."""
    def by_process(values: list[float], procs: list[int]) -> dict[int, list[float]]:
        groups: dict[int, list[float]] = {}
        for value, proc in zip(values, procs):
            groups.setdefault(proc, []).append(value)
        return groups

    def pooled(groups: dict[int, list[float]], picked: list[int]) -> list[float]:
        return [v for proc in picked for v in groups[proc]]

    rng = random.Random(0)
    a, b = by_process(*mine), by_process(*other)
    diffs = []
    for _ in range(RESAMPLES):
        picked_a = rng.choices(list(a), k=len(a))
        picked_b = picked_a if paired else rng.choices(list(b), k=len(b))
        diffs.append(statistics.median(pooled(a, picked_a)) - statistics.median(pooled(b, picked_b)))
    diffs.sort()
    return diffs[int(RESAMPLES * 0.025)], diffs[int(RESAMPLES * 0.975) - 1]


def _measure(args: argparse.Namespace, work: Path, workload: str) -> dict[str, dict | str]:
    """Pooled samples per mode; plain and nbgov alternate, the peer's pair after them."""
    me = sys.executable
    runs: dict[str, list] = {"plain": [], "control": [], "nbgov": [], "ipyflow": [], "plain (peer)": []}
    peer = args.peer_python
    if peer is None:
        probe = subprocess.run([me, "-c", "import ipyflow"], capture_output=True, check=False)
        peer = me if probe.returncode == 0 else None
    for _ in range(args.rounds):
        runs["plain"].append(_run(me, "plain", workload, args, work))
        if workload == "pipeline":
            runs["control"].append(_run(me, "control", workload, args, work))
        runs["nbgov"].append(_run(me, "nbgov", workload, args, work))
        if peer is not None and workload != "edits":
            runs["ipyflow"].append(_run(peer, "ipyflow", workload, args, work))
            if peer != me:
                runs["plain (peer)"].append(_run(peer, "plain", workload, args, work))
    out = {mode: _pool(res) for mode, res in runs.items() if res}
    out.setdefault("ipyflow", "not installed")
    return out


def _fmt(values: list[float]) -> str:
    return (f"best {min(values):8.2f}  median {statistics.median(values):8.2f}  "
            f"spread {min(values):.2f}–{max(values):.2f}")


def _print_trivial(res: dict[str, dict | str]) -> None:
    for mode, r in res.items():
        if isinstance(r, str):
            print(f"  {mode:13} {r}")
            continue
        med = statistics.median(r["cpu_ms"])
        base_key = "plain (peer)" if mode == "ipyflow" and "plain (peer)" in res else "plain"
        base = res[base_key]
        extra = "" if mode.startswith("plain") or isinstance(base, str) else \
            f"  ({med - statistics.median(base['cpu_ms']):+.3f} ms vs {base_key})"
        print(f"  {mode:13} {med:8.3f} ms  spread {min(r['cpu_ms']):.3f}–{max(r['cpu_ms']):.3f}{extra}")


def _print_pipeline(res: dict[str, dict | str]) -> None:
    for mode, r in res.items():
        if isinstance(r, str):
            print(f"  {mode:13} {r}")
            continue
        base_key = "plain (peer)" if mode == "ipyflow" and "plain (peer)" in res else "plain"
        base = res[base_key]
        for metric, label in (("cpu_ms", "CPU "), ("main_ms", "main"), ("wall_ms", "wall")):
            line = f"  {mode:13} {label} ms  {_fmt(r[metric])}"
            if not mode.startswith("plain") and not isinstance(base, str):
                best = (min(r[metric]) / min(base[metric]) - 1) * 100
                med = (statistics.median(r[metric]) / statistics.median(base[metric]) - 1) * 100
                line += f"   ({best:+.1f} % best, {med:+.1f} % median vs {base_key})"
            print(line)
        if "first_cpu_ms" in r:  # one per process: the first run on the large file
            print(f"  {mode:13} first run in each process, CPU ms  {_fmt(r['first_cpu_ms'])}")
            if not mode.startswith("plain") and not isinstance(base, str) and "first_cpu_ms" in base:
                for key, label in (("first_main_ms", "main-thread"), ("first_cpu_ms", "whole-process")):
                    _print_added(label, _samples(r, key), _samples(base, key), base["first_cpu_ms"],
                                 " to the first run", of="plain's first-run median CPU")
        if "faults" in r:  # pages faulted in per run: the heap's trim-and-regrow shows here
            print(f"  {mode:13} page faults per run: median {statistics.median(r['faults']):,.0f}")
        if "callbacks_cpu_ms" in r:
            print(f"  {'':13} in nbgov's cell callbacks, CPU ms  {_fmt(r['callbacks_cpu_ms'])}")
        if mode in ("nbgov", "control") and not isinstance(base, str):
            # nbgov works on the main thread only (no delivery thread here): its added CPU is the
            # main thread's difference, free of the readers' and writers' thread-pool noise
            _print_added("main-thread", _samples(r, "main_ms"), _samples(base, "main_ms"), base["cpu_ms"])
            if mode == "nbgov":
                _print_added("whole-process", _samples(r, "cpu_ms"), _samples(base, "cpu_ms"), base["cpu_ms"])
        control = res.get("control")
        if mode == "nbgov" and isinstance(control, dict) and not isinstance(base, str):
            _print_added("main-thread", _samples(r, "main_ms"), _samples(control, "main_ms"), base["cpu_ms"],
                         " over the control")


def _print_added(label: str, mine: tuple[list[float], list[int]], other: tuple[list[float], list[int]],
                 plain_cpu: list[float], against: str = "", *, paired: bool = False,
                 of: str = "plain's median CPU") -> None:
    """Added CPU as the median difference of two :func:`_samples`, in ms and as a share of
    plain's median CPU, with its 95 % interval over processes (``paired``: see :func:`_interval`)."""
    added = statistics.median(mine[0]) - statistics.median(other[0])
    lo, hi = _interval(mine, other, paired=paired)
    base = statistics.median(plain_cpu)
    print(f"  {'':13} added CPU{against} ({label} median difference) {added:.2f} ms = "
          f"{added / base * 100:+.1f} % of {of} "
          f"(95 % interval over processes {lo / base * 100:+.1f} … {hi / base * 100:+.1f} %)")


def _print_paired(res: dict | str) -> None:
    if isinstance(res, str):
        print(f"  {res}")
        return
    for mode in ("plain", "nbgov"):
        print(f"  {mode:13} CPU  ms  {_fmt(res[f'{mode}_cpu_ms'])}")
        print(f"  {mode:13} main ms  {_fmt(res[f'{mode}_main_ms'])}")
    for metric, label in (("cpu_ms", "whole-process"), ("main_ms", "main-thread")):
        _print_added(label, _samples(res, f"nbgov_{metric}"), _samples(res, f"plain_{metric}"),
                     res["plain_cpu_ms"], paired=True)


def _print_reruns(res: dict[str, dict | str]) -> None:
    for mode, r in res.items():
        if isinstance(r, str):
            print(f"  {mode:13} {r}")
            continue
        blocks = r["cpu_ms"]
        rounds = max(len(blocks) // 5, 1)
        mean = [statistics.mean(blocks[i::5]) for i in range(5)] if len(blocks) >= 5 else blocks
        print(f"  {mode:13} " + "  ".join(f"{b:7.2f}" for b in mean)
              + f"   (last/first {mean[-1] / mean[0]:.2f}, {rounds} process(es))")


def _sample_rows(args: argparse.Namespace) -> str:
    """The profile's sample size the measured processes get: ``--set``'s wins over ``--profile-rows``."""
    given = _overrides(args).get("NBGOV_PROFILE_MAX_ROWS")
    return given if given is not None else f"{args.profile_rows:,}"


def _pipeline_sections(args: argparse.Namespace, work: Path) -> None:
    """The pipeline in fresh shells, paired in one process and in real kernels (``--only
    kernel``: kernels alone), under the allocator regime in ``args.malloc_env``."""
    regime = " ".join(f"{k}={v}" for k, v in args.malloc_env.items())
    print(f"allocator: {'glibc malloc, ' + regime + ' (every mode alike)' if regime else 'glibc malloc defaults'}")
    if args.set:
        print(f"environment: {' '.join(args.set)}")
    if args.only in (None, "pipeline"):
        print(f"read CSV -> groupby -> write parquet, {args.rows:,} rows of {args.data} data, quality metrics on "
              f"(sample {_sample_rows(args)} rows): ms per run ({args.repeat} runs x {args.rounds} "
              f"process(es) per mode)")
        _print_pipeline(_measure(args, work, "pipeline"))
        paired = _pool([_run(sys.executable, "nbgov", "paired", args, work) for _ in range(args.rounds)])
        print(f"the same pipeline in one process per round, nbgov loaded / unloaded in alternating "
              f"blocks of 3 runs ({args.rounds} process(es)):")
        _print_paired(paired)
    kernels: dict[str, list] = {"plain": [], "control": [], "nbgov": []}
    for _ in range(args.rounds):
        for mode, results in kernels.items():
            results.append(_kernel(mode, args, work))
    print(f"the same pipeline in real IPython kernels (ipykernel; a fresh kernel per mode and round, "
          f"{args.repeat} runs x {args.rounds} kernel(s); CPU of the kernel process per run, read "
          f"inside it):")
    _print_pipeline({mode: _pool(results) for mode, results in kernels.items()})


def _data(kind: str, rows: int):
    """The pipeline's input: three numeric columns, or (``mixed``) those and five more, four
    of them strings as a typical extract has them — ids, an email address (PII), a country
    code, an ISO date."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({
        "key": rng.integers(0, 1000, rows),
        "value": rng.normal(size=rows),
        "flag": rng.integers(0, 2, rows).astype(bool),
    })
    if kind == "mixed":
        customer = rng.integers(0, 50_000, rows)
        frame["customer"] = [f"C{c:06d}" for c in customer]
        frame["email"] = [f"user{c}@example.com" for c in customer]
        frame["country"] = rng.choice(["DE", "FR", "US", "GB", "NL", "ES", "IT", "PL", "SE", "JP"], rows)
        frame["order_date"] = (pd.Timestamp("2025-01-01")
                               + pd.to_timedelta(rng.integers(0, 365, rows), unit="D")).strftime("%Y-%m-%d")
        frame["qty"] = rng.integers(1, 10, rows)
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cells", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile-rows", type=int, default=20_000)  # the extension's default
    parser.add_argument("--peer-python", help="an interpreter where ipyflow is installed")
    parser.add_argument("--only", choices=("trivial", "pipeline", "kernel", "reruns", "edits", "classify"))  # pipeline: + paired, kernel
    parser.add_argument("--edit-rows", type=int, default=10_000_000, help="rows of the frame --only edits changes")
    parser.add_argument("--malloc", choices=tuple(MALLOC_REGIMES), default="both",
                        help="allocator regime(s) of the pipeline and kernel sections: glibc's defaults, "
                             "its heap trimming pinned (PINNED_MALLOC, every mode alike), or both in turn")
    parser.add_argument("--set", action="append", default=[], metavar="NBGOV_X=VALUE",
                        help="an environment variable for every measured process (repeatable), "
                             "e.g. NBGOV_CLASSIFY_OUTPUTS=0")
    parser.add_argument("--data", choices=("numeric", "mixed"), default="numeric",
                        help="the pipeline's CSV: numeric (int key, float value, bool flag) or mixed (the "
                             "same plus customer, email, country and date strings and an int quantity)")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "WORKLOAD"))
    parser.set_defaults(malloc_env={})  # the allocator regime being measured (see _pipeline_sections)
    args = parser.parse_args()
    if args.child:
        mode, workload = args.child
        print(json.dumps(_child(mode, workload, args.cells, args.repeat, args.edit_rows)))
        return
    import numpy as np
    import pandas as pd

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, rows in (("data.csv", args.rows), ("warm.csv", WARM_ROWS)):
            _data(args.data, rows).to_csv(work / name, index=False)
        if args.only in (None, "trivial"):
            print(f"trivial cell 'x = 1': CPU ms per cell ({args.cells} cells in 5 batches, "
                  f"{args.rounds} process(es) per mode; median batch, spread of batches)")
            _print_trivial(_measure(args, work, "trivial"))
        if args.only in (None, "pipeline", "kernel"):
            for regime in MALLOC_REGIMES[args.malloc]:
                args.malloc_env = regime
                _pipeline_sections(args, work)
            args.malloc_env = {}
        if args.only == "edits":  # not in the default run: 400 MB per process
            print(f"small edits to a {args.edit_rows:,} x 5 float frame: process CPU ms per cell, median of "
                  f"{args.repeat} cells x {args.rounds} process(es) per mode")
            res = _measure(args, work, "edits")
            for label in EDITS:
                base = res["plain"]
                for mode in ("plain", "nbgov"):
                    r = res[mode]
                    if isinstance(r, str):
                        print(f"  {label:18} {mode:6} {r}")
                        continue
                    med = statistics.median(r[label])
                    extra = "" if mode == "plain" or isinstance(base, str) else \
                        f"  ({med - statistics.median(base[label]):+.1f} ms vs plain)"
                    print(f"  {label:18} {mode:6} {med:8.1f}{extra}")
        if args.only == "reruns":  # not in the default run: it takes a while
            pd.DataFrame({"a": np.arange(1000), "b": np.arange(1000) * 0.5}).to_csv(work / "small.csv", index=False)
            print(f"one small cell (1,000-row CSV -> new column -> parquet) re-run {args.cells} times: "
                  f"CPU ms per cell in 5 consecutive blocks ({args.rounds} process(es) per mode)")
            _print_reruns(_measure(args, work, "reruns"))
        if args.only == "classify":
            print(f"a cell writing a 6-column frame (e-mail, two int, two text, one float) to Parquet with nbgov, "
                  f"in-cell PII classification on and off: CPU per cell (nbgov works on the main thread; "
                  f"the Parquet writer also on others), median of {args.rounds} "
                  f"process(es) (first write: 1; again, changed: {args.repeat} each)")
            _classify_section(args, work)


if __name__ == "__main__":
    main()
