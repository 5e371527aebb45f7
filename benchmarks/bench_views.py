"""View benchmarks: building DOT for large lineage graphs, and a notebook view end to end.

Usage:
    python benchmarks/bench_views.py [--nodes 10000] [--repeat 5]

Prints one table: DOT for an in-memory Marquez-shaped graph of ``--nodes`` nodes built by
``nbgov.views.lineage_dot`` (all nodes, and collapsed at the default 200), the older
``nbgov.render.lineage_dot`` text builder, and the ``graphviz`` package's per-call
``Digraph.node``/``edge`` API on the same shape (plain ids: the package's quoting would
split Marquez ids on ':' into ports). Then ``nbgov.show`` on a SQLite store (150 nodes
with cards; 500 nodes collapsed) and the size of its MIME payload, i.e. what one graph
adds to a saved notebook; ``nbgov.explore`` re-querying on a control change and the size
of the Output widget state it sends; ``nbgov.build_report`` with the packaged WebAssembly
Graphviz inlined and without, and the size of each page. Target (issue 6): DOT for
10,000 nodes < 200 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import graphviz

from nbgov import render
from nbgov.store import open_store
from nbgov.views import MIME_TYPE, build_report, explore, lineage_dot, show

PRODUCER = "https://github.com/nbgov/nbgov/tree/bench"
SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"


def marquez_graph(n: int, seed: int = 0) -> dict:
    """``n`` nodes: alternating datasets and jobs in 20 namespaces, each job reading two
    earlier datasets and writing the next one."""
    rng = random.Random(seed)
    nodes: dict[str, dict] = {}
    datasets: list[str] = []
    edges = set()
    for i in range(n):
        ns = f"ns{i % 20}"
        if i % 2 == 0:
            nid = f"dataset:{ns}:warehouse.table_{i}"
            nodes[nid] = {"id": nid, "type": "DATASET", "data": {"namespace": ns, "name": f"warehouse.table_{i}",
                                                                  "fields": [], "tags": [], "facets": {}}}
            if i and (i - 1) % 2 == 1:
                edges.add((f"job:ns{(i - 1) % 20}:step_{i - 1}", nid))
            datasets.append(nid)
        else:
            nid = f"job:{ns}:step_{i}"
            nodes[nid] = {"id": nid, "type": "JOB", "data": {"namespace": ns, "name": f"step_{i}",
                                                              "latestRun": {"state": "COMPLETED"}, "facets": {}}}
            for src in rng.sample(datasets, min(2, len(datasets))):
                edges.add((src, nid))
    for nid, node in nodes.items():
        node["inEdges"] = []
        node["outEdges"] = []
    for a, b in sorted(edges):
        if a in nodes and b in nodes:
            nodes[a]["outEdges"].append({"origin": a, "destination": b})
            nodes[b]["inEdges"].append({"origin": a, "destination": b})
    return {"graph": list(nodes.values())}


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times) * 1000  # the least disturbed run: the machine is shared


def digraph_api(graph: dict) -> str:
    dot = graphviz.Digraph("lineage", graph_attr={"rankdir": "LR"})
    ids = {n["id"]: f"n{i}" for i, n in enumerate(graph["graph"])}
    for n in graph["graph"]:
        data = n["data"]
        dot.node(ids[n["id"]], label=f"{data['name']}\n{data['namespace']}",
                 shape="box" if n["type"] == "JOB" else "cylinder")
    for n in graph["graph"]:
        for e in n["outEdges"]:
            dot.edge(ids[e["origin"]], ids[e["destination"]])
    return dot.source


def store_events(n_jobs: int, fan: int = 1) -> list[dict]:
    """One hub dataset read by ``n_jobs`` jobs in 5 namespaces, each writing its own output."""
    events = []
    for i in range(n_jobs):
        events.append({
            "eventType": "COMPLETE", "eventTime": "2024-01-01T00:00:00Z", "producer": PRODUCER, "schemaURL": SCHEMA,
            "run": {"runId": str(uuid.uuid4()), "facets": {}},
            "job": {"namespace": f"team{i % 5}", "name": f"job{i}", "facets": {}},
            "inputs": [{"namespace": "hub", "name": "src"}],
            "outputs": [{"namespace": f"team{i % 5}", "name": f"out{i}", "facets": {}}],
        })
    return events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    graph = marquez_graph(args.nodes)
    root = graph["graph"][0]["id"]
    rows = [
        (f"views.lineage_dot, {args.nodes} nodes, all drawn", timed(lambda: lineage_dot(graph, root, max_nodes=None),
                                                                    args.repeat)),
        (f"views.lineage_dot, {args.nodes} nodes, collapsed at 200", timed(lambda: lineage_dot(graph, root),
                                                                            args.repeat)),
        (f"render.lineage_dot (plain text builder), {args.nodes} nodes",
         timed(lambda: render.lineage_dot(graph, root), args.repeat)),
        (f"graphviz.Digraph node()/edge() calls, {args.nodes} nodes", timed(lambda: digraph_api(graph), args.repeat)),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        small = open_store(str(Path(tmp) / "small.db"))
        small.add_events(store_events(75))  # 75 jobs + 76 datasets = 151 nodes, all with cards
        big = open_store(str(Path(tmp) / "big.db"))
        big.add_events(store_events(250))  # 501 nodes: collapsed
        view_small = show("dataset:hub:src", depth=1, store=small)
        view_big = show("dataset:hub:src", depth=1, store=big)
        rows += [
            (f"nbgov.show, SQLite, {len(view_small.graph['graph'])} nodes with cards",
             timed(lambda: show("dataset:hub:src", depth=1, store=small), args.repeat)),
            (f"nbgov.show, SQLite, {len(view_big.graph['graph'])} nodes collapsed",
             timed(lambda: show("dataset:hub:src", depth=1, store=big), args.repeat)),
        ]
        sizes = [(f"MIME payload of a {label}", len(json.dumps(v._repr_mimebundle_()[MIME_TYPE]).encode()))
                 for label, v in (("151-node view", view_small), ("501-node view (collapsed)", view_big))]
        explorer = explore("dataset:hub:src", depth=1, store=small)

        def flip() -> None:
            explorer.direction.value = "down" if explorer.direction.value == "both" else "both"

        rows.append(("nbgov.explore: a control change re-queries and re-renders, 151 nodes", timed(flip, args.repeat)))
        sizes.append(("Output widget state per re-render, 151-node view",
                      len(json.dumps(explorer.output.get_state()["outputs"]).encode())))
        for engine, label in ((None, "with the WebAssembly Graphviz inlined"), (False, "without an engine")):
            built = build_report(small, ["dataset:hub:src"], depth=1, engine=engine)
            rows.append((f"nbgov.build_report, 151 nodes, {label} ({built.drawing})",
                         timed(lambda e=engine: build_report(small, ["dataset:hub:src"], depth=1, engine=e),
                               args.repeat)))
            sizes.append((f"report page, 151 nodes, {label}", len(built.html.encode())))
        small.close()
        big.close()
    width = max(len(r[0]) for r in rows)
    print(f"{'what':<{width}}  best of N, ms")
    for label, ms in rows:
        print(f"{label:<{width}}  {ms:9.1f}")
    print()
    for label, size in sizes:
        print(f"{label}: {size / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
