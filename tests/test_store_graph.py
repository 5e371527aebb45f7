"""Graph queries on hand-built graphs whose answers are worked out by hand.

Depth rule, from ``Store.lineage``'s docstring: the graph holds the jobs within
``depth`` job-to-job hops of the node (starting from the node itself if it is a job, or
from the jobs that read or write it if it is a dataset) plus every dataset those jobs
read or write. ``upstream``/``downstream`` apply the same rule walking against / along
edge direction only.
"""

from __future__ import annotations

import json

import pytest
import yaml

from nbgov.errors import InvalidNodeIdError, NodeNotFoundError, StoreError
from tests.conftest import REFERENCE
from tests.fixtures.events import column_lineage, dataset, run_event, schema

MARQUEZ = REFERENCE / "marquez"


def ids(graph: dict) -> set[str]:
    return {n["id"] for n in graph["graph"]}


def d(name: str, ns: str = "ns") -> str:
    return f"dataset:{ns}:{name}"


def j(name: str, ns: str = "ns") -> str:
    return f"job:{ns}:{name}"


def edge_set(graph: dict) -> set[tuple[str, str]]:
    return {(e["origin"], e["destination"]) for n in graph["graph"] for e in n["outEdges"]}


def check_shape(graph: dict) -> None:
    """Marquez's LineageGraph: sorted unique nodes, each edge on both of its ends."""
    assert set(graph) == {"graph"}
    nodes = graph["graph"]
    node_ids = [n["id"] for n in nodes]
    assert node_ids == sorted(node_ids)
    assert len(node_ids) == len(set(node_ids))
    by_id = {n["id"]: n for n in nodes}
    for n in nodes:
        assert set(n) == {"id", "type", "data", "inEdges", "outEdges"}
        assert n["type"] == ("JOB" if n["id"].startswith("job:") else "DATASET")
        for e in n["outEdges"]:
            assert set(e) == {"origin", "destination"}
            assert e["origin"] == n["id"]
            assert e in by_id[e["destination"]]["inEdges"]
        for e in n["inEdges"]:
            assert e["destination"] == n["id"]
            assert e in by_id[e["origin"]]["outEdges"]
        # edges alternate dataset -> job -> dataset
        for e in n["outEdges"] + n["inEdges"]:
            assert e["origin"].split(":", 1)[0] != e["destination"].split(":", 1)[0]


# ------------------------------------------------------------------------- chain
# d0 -> j0 -> d1 -> j1 -> d2 -> j2 -> d3 -> j3 -> d4 -> j4 -> d5 -> j5 -> d6
@pytest.fixture
def chain(store):
    store.add_events(
        [run_event(f"j{i}", inputs=[f"d{i}"], outputs=[f"d{i + 1}"], time=f"2024-01-01T00:0{i}:00Z")
         for i in range(6)]
    )
    return store


CHAIN_FROM_D2 = {
    0: {d("d1"), j("j1"), d("d2"), j("j2"), d("d3")},
    1: {d("d0"), j("j0"), d("d1"), j("j1"), d("d2"), j("j2"), d("d3"), j("j3"), d("d4")},
    2: {d("d0"), j("j0"), d("d1"), j("j1"), d("d2"), j("j2"), d("d3"), j("j3"), d("d4"), j("j4"), d("d5")},
}
CHAIN_FROM_J3 = {
    0: {d("d3"), j("j3"), d("d4")},
    1: {d("d2"), j("j2"), d("d3"), j("j3"), d("d4"), j("j4"), d("d5")},
    2: {d("d1"), j("j1"), d("d2"), j("j2"), d("d3"), j("j3"), d("d4"), j("j4"), d("d5"), j("j5"), d("d6")},
}


@pytest.mark.parametrize("depth", [0, 1, 2])
def test_chain_depth_from_dataset(chain, depth):
    graph = chain.lineage(d("d2"), depth)
    check_shape(graph)
    assert ids(graph) == CHAIN_FROM_D2[depth]


@pytest.mark.parametrize("depth", [0, 1, 2])
def test_chain_depth_from_job(chain, depth):
    graph = chain.lineage(j("j3"), depth)
    check_shape(graph)
    assert ids(graph) == CHAIN_FROM_J3[depth]


def test_chain_whole_and_edges(chain):
    graph = chain.lineage(d("d0"), 20)
    check_shape(graph)
    expected_edges = {(d(f"d{i}"), j(f"j{i}")) for i in range(6)} | {(j(f"j{i}"), d(f"d{i + 1}")) for i in range(6)}
    assert edge_set(graph) == expected_edges
    by_id = {n["id"]: n for n in graph["graph"]}
    assert by_id[d("d3")]["inEdges"] == [{"origin": j("j2"), "destination": d("d3")}]
    assert by_id[d("d3")]["outEdges"] == [{"origin": d("d3"), "destination": j("j3")}]
    assert by_id[d("d0")]["inEdges"] == []
    assert by_id[d("d6")]["outEdges"] == []


def test_chain_upstream_and_downstream_only(chain):
    assert ids(chain.upstream(d("d4"), 1)) == {d("d2"), j("j2"), d("d3"), j("j3"), d("d4")}
    assert ids(chain.downstream(d("d4"), 1)) == {d("d4"), j("j4"), d("d5"), j("j5"), d("d6")}
    assert ids(chain.upstream(j("j3"), 0)) == {d("d3"), j("j3")}
    assert ids(chain.downstream(j("j3"), 0)) == {j("j3"), d("d4")}
    assert ids(chain.downstream(d("d6"), 5)) == {d("d6")}
    assert ids(chain.upstream(d("d0"), 5)) == {d("d0")}
    check_shape(chain.upstream(d("d4"), 1))


def test_upstream_excludes_siblings(store):
    # j writes both a and b; upstream of a must not contain b, lineage of a must.
    store.add_events([run_event("j", inputs=["src"], outputs=["a", "b"]), run_event("k", inputs=["b"], outputs=["c"])])
    assert ids(store.upstream(d("a"), 5)) == {d("src"), j("j"), d("a")}
    assert ids(store.downstream(d("src"), 0)) == {d("src"), j("j"), d("a"), d("b")}
    assert ids(store.downstream(d("src"), 1)) == {d("src"), j("j"), d("a"), d("b"), j("k"), d("c")}
    assert ids(store.lineage(d("a"), 0)) == {d("src"), j("j"), d("a"), d("b")}


def test_negative_depth_is_an_error(chain):
    with pytest.raises(StoreError):
        chain.lineage(d("d2"), -1)


# ------------------------------------------------------------------ diamond, cycle
def test_diamond(store):
    store.add_events([
        run_event("left", inputs=["top"], outputs=["l"]),
        run_event("right", inputs=["top"], outputs=["r"]),
        run_event("join", inputs=["l", "r"], outputs=["bottom"]),
    ])
    graph = store.lineage(d("bottom"), 20)
    check_shape(graph)
    assert [n["id"] for n in graph["graph"]] == [
        d("bottom"), d("l"), d("r"), d("top"), j("join"), j("left"), j("right"),
    ]
    assert edge_set(graph) == {
        (d("top"), j("left")), (d("top"), j("right")), (j("left"), d("l")), (j("right"), d("r")),
        (d("l"), j("join")), (d("r"), j("join")), (j("join"), d("bottom")),
    }
    by_id = {n["id"]: n for n in graph["graph"]}
    assert [e["origin"] for e in by_id[j("join")]["inEdges"]] == [d("l"), d("r")]
    assert [e["destination"] for e in by_id[d("top")]["outEdges"]] == [j("left"), j("right")]
    assert ids(store.upstream(d("bottom"), 0)) == {d("l"), d("r"), j("join"), d("bottom")}
    assert ids(store.downstream(d("top"), 0)) == {d("top"), j("left"), j("right"), d("l"), d("r")}


def test_cycle_terminates_with_every_node_once(store):
    store.add_events([
        run_event("forward", inputs=["a"], outputs=["b"]),
        run_event("back", inputs=["b"], outputs=["a"]),
        run_event("self", inputs=["c"], outputs=["c"]),
    ])
    for query in (store.lineage, store.upstream, store.downstream):
        graph = query(d("a"), 50)
        check_shape(graph)
        assert [n["id"] for n in graph["graph"]] == [d("a"), d("b"), j("back"), j("forward")]
        assert len(edge_set(graph)) == 4
    graph = store.lineage(d("c"), 50)
    check_shape(graph)
    assert [n["id"] for n in graph["graph"]] == [d("c"), j("self")]
    assert edge_set(graph) == {(d("c"), j("self")), (j("self"), d("c"))}


# ------------------------------------------------------------------------- fan-out
def test_fan_out_one_job_writes_1000_datasets(store):
    outputs = [f"out_{i:04d}" for i in range(1000)]
    store.add_events([run_event("fan", inputs=["in"], outputs=outputs)])
    graph = store.lineage(j("fan"), 0)
    check_shape(graph)
    assert ids(graph) == {j("fan"), d("in")} | {d(o) for o in outputs}
    fan = next(n for n in graph["graph"] if n["id"] == j("fan"))
    assert len(fan["outEdges"]) == 1000
    assert fan["inEdges"] == [{"origin": d("in"), "destination": j("fan")}]
    assert ids(store.upstream(d("out_0500"), 3)) == {d("in"), j("fan"), d("out_0500")}


def test_fan_in_1000_jobs_read_one_dataset(store):
    store.add_events([run_event(f"reader_{i:04d}", inputs=["hub"]) for i in range(1000)])
    graph = store.lineage(d("hub"), 0)
    check_shape(graph)
    assert ids(graph) == {d("hub")} | {j(f"reader_{i:04d}") for i in range(1000)}
    hub = next(n for n in graph["graph"] if n["id"] == d("hub"))
    assert len(hub["outEdges"]) == 1000 and hub["inEdges"] == []
    assert ids(store.upstream(d("hub"), 3)) == {d("hub")}


# ------------------------------------------------------------ colons in namespaces
COLON_NODES = [
    ("postgres://host:5432", "public.t"),
    ("s3://bucket", "path/to/file.parquet"),
    ("file", "/tmp/a:b.csv"),
    ("kafka://broker:9092", "topic:v1"),
]


def test_colons_in_namespaces_and_names(store):
    pg, s3, fs, kafka = COLON_NODES
    store.add_events([
        run_event("copy", namespace="airflow://prod:8080",
                  inputs=[dataset(pg[1], pg[0]), dataset(fs[1], fs[0])],
                  outputs=[dataset(s3[1], s3[0]), dataset(kafka[1], kafka[0])]),
    ])
    expected = {f"dataset:{ns}:{name}" for ns, name in COLON_NODES} | {"job:airflow://prod:8080:copy"}
    for node in expected:
        graph = store.lineage(node, 0)
        check_shape(graph)
        assert ids(graph) == expected, node
    graph = store.lineage("dataset:postgres://host:5432:public.t", 0)
    pg_node = next(n for n in graph["graph"] if n["id"] == "dataset:postgres://host:5432:public.t")
    assert pg_node["data"]["namespace"] == "postgres://host:5432"
    assert pg_node["data"]["name"] == "public.t"
    assert pg_node["outEdges"] == [
        {"origin": "dataset:postgres://host:5432:public.t", "destination": "job:airflow://prod:8080:copy"}
    ]
    fs_node = next(n for n in graph["graph"] if n["id"] == "dataset:file:/tmp/a:b.csv")
    assert fs_node["data"]["id"] == {"namespace": "file", "name": "/tmp/a:b.csv"}


def test_unknown_and_malformed_nodes(store):
    store.add_events([run_event("j", inputs=["a"], outputs=["b"])])
    for query in (store.lineage, store.upstream, store.downstream):
        with pytest.raises(NodeNotFoundError) as info:
            query(d("nope"), 1)
        assert info.value.node_id == d("nope")
        with pytest.raises(NodeNotFoundError):
            query(j("a"), 1)  # a is a dataset, not a job
    for bad in ("nope", "table:ns:a", "dataset:a", "dataset::", "", "job:"):
        with pytest.raises(InvalidNodeIdError):
            store.lineage(bad, 1)


# ----------------------------------------------------------------- Marquez shapes
def test_node_data_keys_follow_marquez(store):
    store.add_events([
        run_event("writer", inputs=["src"], outputs=[dataset("out", facets={"schema": schema(("a", "INT"))})]),
    ])
    graph = store.lineage(d("out"), 1)
    example = json.loads((MARQUEZ / "examples" / "lineage_node.json").read_text())
    openapi = yaml.safe_load((MARQUEZ / "openapi.yml").read_text())
    dataset_props = set(openapi["components"]["schemas"]["Dataset"]["properties"])
    job_props = set(openapi["components"]["schemas"]["Job"]["properties"])
    # The Job example also shows ``context`` (deprecated), ``latestRuns`` and ``currentVersion``,
    # which Marquez's lineage JobData does not carry; the rest must be there.
    job_example = set(openapi["components"]["schemas"]["Job"]["example"]) - {"context", "latestRuns", "currentVersion"}
    by_id = {n["id"]: n for n in graph["graph"]}
    ds = by_id[d("out")]["data"]
    assert set(example["data"]) <= set(ds) <= dataset_props
    assert ds["fields"] == [{"name": "a", "type": "INT", "tags": [], "description": None}]
    assert set(ds["fields"][0]) == set(example["data"]["fields"][0])
    job = by_id[j("writer")]["data"]
    assert job_example <= set(job) <= job_props
    assert job["id"] == {"namespace": "ns", "name": "writer"}
    assert job["inputs"] == [{"namespace": "ns", "name": "src"}]
    assert job["outputs"] == [{"namespace": "ns", "name": "out"}]
    assert job["latestRun"]["state"] == "COMPLETED"


# ----------------------------------------------------------------- column lineage
def field_id(name: str, col: str, ns: str = "ns") -> str:
    return f"datasetField:{ns}:{name}:{col}"


@pytest.fixture
def columns(store):
    """raw.orders -> stg.orders -> mart.revenue -> report.kpi, with a fork stg -> mart.audit.

    stg.orders.id         <- raw.orders.id
    stg.orders.amount_usd <- raw.orders.amount
    mart.revenue.total    <- stg.orders.amount_usd
    mart.revenue.n        <- stg.orders.id
    report.kpi.total_k    <- mart.revenue.total
    mart.audit.amount     <- stg.orders.amount_usd
    """
    raw = dataset("raw.orders", facets={"schema": schema(("id", "INT"), ("amount", "DECIMAL"), ("cust", "TEXT"))})
    stg_facets = {
        "schema": schema(("id", "INT"), ("amount_usd", "DECIMAL")),
        "columnLineage": column_lineage({"id": [("ns", "raw.orders", "id")],
                                         "amount_usd": [("ns", "raw.orders", "amount")]}),
    }
    mart_facets = {
        "schema": schema(("total", "DECIMAL"), ("n", "BIGINT")),
        "columnLineage": column_lineage({"total": [("ns", "stg.orders", "amount_usd")],
                                         "n": [("ns", "stg.orders", "id")]}, subtype="AGGREGATION"),
    }
    kpi_facets = {"columnLineage": column_lineage({"total_k": [("ns", "mart.revenue", "total")]})}
    audit_facets = {"columnLineage": column_lineage({"amount": [("ns", "stg.orders", "amount_usd")]})}
    store.add_events([
        run_event("stage", inputs=[raw], outputs=[dataset("stg.orders", facets=stg_facets)]),
        run_event("aggregate", inputs=["stg.orders"], outputs=[dataset("mart.revenue", facets=mart_facets)]),
        run_event("report", inputs=["mart.revenue"], outputs=[dataset("report.kpi", facets=kpi_facets)]),
        run_event("audit", inputs=["stg.orders"], outputs=[dataset("mart.audit", facets=audit_facets)]),
    ])
    return store


def check_column_shape(graph: dict) -> None:
    assert set(graph) == {"graph"}
    node_ids = [n["id"] for n in graph["graph"]]
    assert node_ids == sorted(node_ids) and len(node_ids) == len(set(node_ids))
    for n in graph["graph"]:
        assert set(n) == {"id", "type", "data", "inEdges", "outEdges"}
        assert n["type"] == "DATASET_FIELD"
        # Marquez: inEdges go from the node to its inputs, outEdges from the node to its consumers.
        assert all(e["origin"] == n["id"] for e in n["inEdges"] + n["outEdges"])
        inputs = {field_id(f["dataset"], f["field"], f["namespace"]) for f in n["data"]["inputFields"]}
        assert inputs == {e["destination"] for e in n["inEdges"]}
        assert n["id"] == field_id(n["data"]["dataset"], n["data"]["field"], n["data"]["namespace"])


@pytest.mark.parametrize(
    "depth, expected",
    [
        (0, {field_id("report.kpi", "total_k")}),
        (1, {field_id("report.kpi", "total_k"), field_id("mart.revenue", "total")}),
        (2, {field_id("report.kpi", "total_k"), field_id("mart.revenue", "total"),
             field_id("stg.orders", "amount_usd")}),
        (3, {field_id("report.kpi", "total_k"), field_id("mart.revenue", "total"),
             field_id("stg.orders", "amount_usd"), field_id("raw.orders", "amount")}),
        (10, {field_id("report.kpi", "total_k"), field_id("mart.revenue", "total"),
              field_id("stg.orders", "amount_usd"), field_id("raw.orders", "amount")}),
    ],
)
def test_column_lineage_upstream_depth(columns, depth, expected):
    graph = columns.column_lineage(field_id("report.kpi", "total_k"), depth)
    check_column_shape(graph)
    assert ids(graph) == expected


def test_column_lineage_edges_follow_marquez(columns):
    graph = columns.column_lineage(field_id("report.kpi", "total_k"), 10)
    by_id = {n["id"]: n for n in graph["graph"]}
    stg = by_id[field_id("stg.orders", "amount_usd")]
    assert stg["inEdges"] == [{"origin": field_id("stg.orders", "amount_usd"),
                               "destination": field_id("raw.orders", "amount")}]
    # upstream-only: the fork to mart.audit was not walked
    assert stg["outEdges"] == [{"origin": field_id("stg.orders", "amount_usd"),
                                "destination": field_id("mart.revenue", "total")}]
    assert [(f["namespace"], f["dataset"], f["field"]) for f in stg["data"]["inputFields"]] == [
        ("ns", "raw.orders", "amount")
    ]
    assert stg["data"]["fieldType"] == "DECIMAL"
    assert by_id[field_id("raw.orders", "amount")]["inEdges"] == []
    assert by_id[field_id("report.kpi", "total_k")]["outEdges"] == []


def test_column_lineage_with_downstream(columns):
    graph = columns.column_lineage(field_id("raw.orders", "amount"), 10, with_downstream=True)
    check_column_shape(graph)
    assert ids(graph) == {
        field_id("raw.orders", "amount"), field_id("stg.orders", "amount_usd"), field_id("mart.revenue", "total"),
        field_id("report.kpi", "total_k"), field_id("mart.audit", "amount"),
    }
    by_id = {n["id"]: n for n in graph["graph"]}
    assert {e["destination"] for e in by_id[field_id("stg.orders", "amount_usd")]["outEdges"]} == {
        field_id("mart.revenue", "total"), field_id("mart.audit", "amount"),
    }
    assert ids(columns.column_lineage(field_id("raw.orders", "amount"), 10)) == {field_id("raw.orders", "amount")}
    assert ids(columns.column_lineage(field_id("raw.orders", "amount"), 1, with_downstream=True)) == {
        field_id("raw.orders", "amount"), field_id("stg.orders", "amount_usd"),
    }


def test_column_lineage_of_a_dataset_covers_all_its_columns(columns):
    graph = columns.column_lineage(d("stg.orders"), 1)
    check_column_shape(graph)
    assert ids(graph) == {
        field_id("stg.orders", "id"), field_id("stg.orders", "amount_usd"),
        field_id("raw.orders", "id"), field_id("raw.orders", "amount"),
    }
    graph = columns.column_lineage(d("mart.revenue"), 10)
    assert ids(graph) == {
        field_id("mart.revenue", "total"), field_id("mart.revenue", "n"), field_id("stg.orders", "id"),
        field_id("stg.orders", "amount_usd"), field_id("raw.orders", "id"), field_id("raw.orders", "amount"),
    }


def test_column_lineage_unknown(columns):
    with pytest.raises(NodeNotFoundError):
        columns.column_lineage(field_id("raw.orders", "no_such_column"), 3)
    with pytest.raises(NodeNotFoundError):
        columns.column_lineage(field_id("no.table", "id"), 3)
    with pytest.raises(InvalidNodeIdError):
        columns.column_lineage("datasetField:ns:raw.orders", 3)
