"""Impact analysis on a graph with a diamond and a model at the end, on both store backends.

raw.csv -> clean -> customers (postgres table) -> feat_a -> features_a.parquet --\\
                                               \\-> feat_b -> feat_b (table) --------> train -> churn.pkl -> report -> churn.html

Column lineage: customers.region <- raw.region (IDENTITY); customers.amount <- raw.amount
(IDENTITY) and raw.region (FILTER); customers.id <- raw.id; features_a.total <- customers.amount
(AGGREGATION) and customers.region (GROUP_BY); features_a.region <- customers.region (IDENTITY);
feat_b.amount_z <- customers.amount (TRANSFORMATION). raw.email feeds nothing.
"""

from __future__ import annotations

import json
import uuid

import pytest

from nbgov.emit.events import dataset, facet, run_event, to_dict
from nbgov.errors import NodeNotFoundError
from nbgov.governance import ImpactReport, dataset_kind, impact, set_owners
from nbgov.governance.impact import IMPACT_FRAME_COLUMNS, WALK_DEPTH
from tests.spec import assert_spec_valid

PG = "postgres://db:5432"
RAW = "dataset:file:/data/raw.csv"
CUSTOMERS = f"dataset:{PG}:public.customers"
FEAT_A = "dataset:file:/data/features_a.parquet"
FEAT_B = f"dataset:{PG}:public.feat_b"
MODEL = "dataset:file:/models/churn.pkl"
REPORT = "dataset:file:/reports/churn.html"


def lineage(fields: dict[str, list[tuple[str, str, str, str]]]) -> dict:
    """columnLineage facet: out field -> [(namespace, name, field, subtype)]."""
    direct = {"IDENTITY", "TRANSFORMATION", "AGGREGATION"}
    return facet(
        "columnLineage",
        {
            "fields": {
                out: {
                    "inputFields": [
                        {
                            "namespace": ns,
                            "name": name,
                            "field": f,
                            "transformations": [
                                {"type": "DIRECT" if sub in direct else "INDIRECT", "subtype": sub}
                            ],
                        }
                        for ns, name, f, sub in sources
                    ]
                }
                for out, sources in fields.items()
            }
        },
    )


def run(store, job, inputs, outputs, *, time, state="COMPLETE", owners=None) -> str:
    run_id = str(uuid.uuid4())
    event = to_dict(
        run_event(
            state,
            job_namespace="nb",
            job_name=job,
            run_id=run_id,
            event_time=time,
            owners=owners,
            inputs=[dataset(ns, name, kind="input") for ns, name in inputs],
            outputs=[dataset(ns, name, fields=f, facets=fc, kind="output") for ns, name, f, fc in outputs],
        )
    )
    assert_spec_valid(event)
    store.add_events([event])
    return run_id


@pytest.fixture
def graph(store):
    raw = ("file", "/data/raw.csv")
    run(
        store,
        "clean",
        [raw],
        [
            (
                PG,
                "public.customers",
                [("id", "int"), ("amount", "float"), ("region", "text")],
                {
                    "columnLineage": lineage(
                        {
                            "id": [("file", "/data/raw.csv", "id", "IDENTITY")],
                            "amount": [
                                ("file", "/data/raw.csv", "amount", "IDENTITY"),
                                ("file", "/data/raw.csv", "region", "FILTER"),
                            ],
                            "region": [("file", "/data/raw.csv", "region", "IDENTITY")],
                        }
                    )
                },
            )
        ],
        time="2024-01-01T01:00:00Z",
        owners=["team:data"],
    )
    run(
        store,
        "feat_a",
        [(PG, "public.customers")],
        [
            (
                "file",
                "/data/features_a.parquet",
                [("total", "float"), ("region", "text")],
                {
                    "columnLineage": lineage(
                        {
                            "total": [
                                (PG, "public.customers", "amount", "AGGREGATION"),
                                (PG, "public.customers", "region", "GROUP_BY"),
                            ],
                            "region": [(PG, "public.customers", "region", "IDENTITY")],
                        }
                    )
                },
            )
        ],
        time="2024-01-01T02:00:00Z",
    )
    run(
        store,
        "feat_b",
        [(PG, "public.customers")],
        [
            (
                PG,
                "public.feat_b",
                [("amount_z", "float")],
                {
                    "columnLineage": lineage(
                        {"amount_z": [(PG, "public.customers", "amount", "TRANSFORMATION")]}
                    )
                },
            )
        ],
        time="2024-01-01T02:30:00Z",
    )
    run(
        store,
        "train",
        [("file", "/data/features_a.parquet"), (PG, "public.feat_b")],
        [("file", "/models/churn.pkl", None, {})],
        time="2024-01-01T03:00:00Z",
        state="FAIL",
        owners=["team:ml", "user:ada"],
    )
    latest_train = run(
        store,
        "train",
        [("file", "/data/features_a.parquet"), (PG, "public.feat_b")],
        [("file", "/models/churn.pkl", None, {})],
        time="2024-01-01T04:00:00Z",
        owners=["team:ml", "user:ada"],
    )
    run(
        store,
        "report",
        [("file", "/models/churn.pkl")],
        [("file", "/reports/churn.html", None, {})],
        time="2024-01-01T05:00:00Z",
    )
    set_owners(store, FEAT_B, ["team:data", "user:bo"])
    set_owners(store, MODEL, ["team:ml"])
    return latest_train


def test_dataset_impact_diamond_model_owners_paths(store, graph) -> None:
    report = impact(store, RAW)
    assert isinstance(report, ImpactReport) and report.node == RAW
    assert {k: [d.id for d in v] for k, v in report.datasets_by_kind().items()} == {
        "table": [CUSTOMERS, FEAT_B],
        "file": [FEAT_A],
        "model": [MODEL],
        "report": [REPORT],
        "other": [],
    }
    assert [j.id for j in report.jobs] == [
        "job:nb:clean",
        "job:nb:feat_a",
        "job:nb:feat_b",
        "job:nb:train",
        "job:nb:report",
    ]
    paths = {n.id: list(n.path) for n in (*report.datasets, *report.jobs)}
    assert paths[MODEL] == [RAW, "job:nb:clean", CUSTOMERS, "job:nb:feat_a", FEAT_A, "job:nb:train", MODEL]
    assert paths[FEAT_B] == [RAW, "job:nb:clean", CUSTOMERS, "job:nb:feat_b", FEAT_B]
    assert paths[REPORT] == [*paths[MODEL], "job:nb:report", REPORT]
    assert {n.id: n.distance for n in report.datasets} == {
        CUSTOMERS: 2,
        FEAT_A: 4,
        FEAT_B: 4,
        MODEL: 6,
        REPORT: 8,
    }
    # owners from job facets (run events) and dataset facets (DatasetEvents), deduplicated
    assert [(o.name, list(o.nodes)) for o in report.owners] == [
        ("team:data", ["job:nb:clean", FEAT_B]),
        ("team:ml", ["job:nb:train", MODEL]),
        ("user:ada", ["job:nb:train"]),
        ("user:bo", [FEAT_B]),
    ]
    # the latest run of each job: train's second (successful) run
    train = next(j for j in report.jobs if j.id == "job:nb:train")
    assert train.latest_run["id"] == graph and train.latest_run["state"] == "COMPLETED"
    assert [(r.job, r.state) for r in report.runs] == [
        ("job:nb:clean", "COMPLETED"),
        ("job:nb:feat_a", "COMPLETED"),
        ("job:nb:feat_b", "COMPLETED"),
        ("job:nb:report", "COMPLETED"),
        ("job:nb:train", "COMPLETED"),
    ]
    assert report.columns == ()

    # from a job, and from the middle of the diamond
    assert [d.id for d in impact(store, "job:nb:feat_b").datasets] == [FEAT_B, MODEL, REPORT]
    assert [d.id for d in impact(store, MODEL).datasets] == [REPORT]
    assert impact(store, REPORT).datasets == () and impact(store, REPORT).owners == ()


def test_report_renders_everywhere(store, graph) -> None:
    report = impact(store, RAW)
    d = report.to_dict()
    assert list(d) == ["node", "summary", "datasets", "jobs", "runs", "owners", "columns", "notes"]
    assert list(d["datasets"]) == ["table", "file", "model", "report", "other"]
    assert d["summary"] == {
        "datasets": 5,
        "datasets_by_kind": {"table": 2, "file": 1, "model": 1, "report": 1, "other": 0},
        "jobs": 5,
        "runs": 5,
        "owners": 4,
        "columns_direct": 0,
        "columns_indirect": 0,
    }
    assert json.loads(json.dumps(d)) == d
    assert d["datasets"]["model"][0] == {
        "id": MODEL,
        "type": "DATASET",
        "kind": "model",
        "namespace": "file",
        "name": "/models/churn.pkl",
        "distance": 6,
        "path": [RAW, "job:nb:clean", CUSTOMERS, "job:nb:feat_a", FEAT_A, "job:nb:train", MODEL],
        "owners": ["team:ml"],
    }
    frame = report.to_frame()
    assert tuple(frame.columns) == IMPACT_FRAME_COLUMNS and len(frame) == 10
    assert repr(report) == (
        "ImpactReport(dataset:file:/data/raw.csv: 5 datasets (table 2, file 1, model 1, "
        "report 1), 5 jobs, 5 runs, 4 owners)"
    )
    assert repr(impact(store, RAW)) == repr(report)
    text = report.to_text()
    assert "Owners to notify:" in text and "team:ml  (job:nb:train, dataset:file:/models/churn.pkl)" in text
    # HTML is escaped
    set_owners(store, REPORT, ["user:<script>alert(1)</script>"])
    page = impact(store, RAW)._repr_html_()
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_column_impact_only_through_derived_columns(store, graph) -> None:
    report = impact(store, "datasetField:file:/data/raw.csv:region")
    cols = {c.id: (c.dependency, c.transformations, list(c.path)) for c in report.columns}
    start = "datasetField:file:/data/raw.csv:region"
    assert cols == {
        f"datasetField:{PG}:public.customers:region": (
            "DIRECT",
            ("IDENTITY",),
            [start, f"datasetField:{PG}:public.customers:region"],
        ),
        "datasetField:file:/data/features_a.parquet:region": (
            "DIRECT",
            ("IDENTITY", "IDENTITY"),
            [
                start,
                f"datasetField:{PG}:public.customers:region",
                "datasetField:file:/data/features_a.parquet:region",
            ],
        ),
        f"datasetField:{PG}:public.customers:amount": (
            "INDIRECT",
            ("FILTER",),
            [start, f"datasetField:{PG}:public.customers:amount"],
        ),
        "datasetField:file:/data/features_a.parquet:total": (
            "INDIRECT",
            ("FILTER", "AGGREGATION"),
            [
                start,
                f"datasetField:{PG}:public.customers:amount",
                "datasetField:file:/data/features_a.parquet:total",
            ],
        ),
        f"datasetField:{PG}:public.feat_b:amount_z": (
            "INDIRECT",
            ("FILTER", "TRANSFORMATION"),
            [
                start,
                f"datasetField:{PG}:public.customers:amount",
                f"datasetField:{PG}:public.feat_b:amount_z",
            ],
        ),
    }
    assert [c.id for c in report.direct_columns] == [
        f"datasetField:{PG}:public.customers:region",
        "datasetField:file:/data/features_a.parquet:region",
    ]
    # datasets and jobs: only those carrying a derivation (not the model, the report or train)
    assert [d.id for d in report.datasets] == [CUSTOMERS, FEAT_A, FEAT_B]
    assert [j.id for j in report.jobs] == ["job:nb:clean", "job:nb:feat_a", "job:nb:feat_b"]
    assert list(next(d for d in report.datasets if d.id == FEAT_B).path) == [
        start,
        "job:nb:clean",
        CUSTOMERS,
        "job:nb:feat_b",
        FEAT_B,
    ]
    assert [o.name for o in report.owners] == ["team:data", "user:bo"]
    d = report.to_dict()
    assert [c["field"] for c in d["columns"]["direct"]] == ["region", "region"]
    assert [c["field"] for c in d["columns"]["indirect"]] == ["amount", "total", "amount_z"]

    # amount flows only directly; id only into customers.id; email nowhere
    amount = impact(store, "datasetField:file:/data/raw.csv:amount")
    assert {c.id: c.dependency for c in amount.columns} == {
        f"datasetField:{PG}:public.customers:amount": "DIRECT",
        "datasetField:file:/data/features_a.parquet:total": "DIRECT",
        f"datasetField:{PG}:public.feat_b:amount_z": "DIRECT",
    }
    ident = impact(store, "datasetField:file:/data/raw.csv:id")
    assert [c.id for c in ident.columns] == [f"datasetField:{PG}:public.customers:id"]
    assert [d.id for d in ident.datasets] == [CUSTOMERS] and [j.id for j in ident.jobs] == ["job:nb:clean"]


def test_column_without_lineage_and_unknown_nodes(store, graph) -> None:
    with pytest.raises(NodeNotFoundError):
        impact(store, "datasetField:file:/data/raw.csv:nope")
    with pytest.raises(NodeNotFoundError):
        impact(store, "dataset:file:/nope.csv")
    email_event = to_dict(
        run_event(
            "COMPLETE",
            job_namespace="nb",
            job_name="clean",
            event_time="2024-01-01T06:00:00Z",
            inputs=[dataset("file", "/data/raw.csv", fields=[("email", "text")], kind="input")],
        )
    )
    store.add_events([email_event])
    report = impact(store, "datasetField:file:/data/raw.csv:email")
    assert report.columns == () and report.datasets == () and report.jobs == ()
    assert report.notes and "nbgov impact dataset:file:/data/raw.csv" in report.notes[0]


def test_any_depth_and_cycles(store) -> None:
    """A chain longer than one recursive query, with a job that rewrites its own input."""
    n = WALK_DEPTH + 6
    for i in range(n):
        col = {"v": [("file", f"/c{i}", "v", "IDENTITY")]}
        run(
            store,
            f"step{i}",
            [("file", f"/c{i}")],
            [("file", f"/c{i + 1}", [("v", "int")], {"columnLineage": lineage(col)})],
            time=f"2024-01-02T00:{i:02d}:00Z",
        )
    run(
        store,
        "rewrite",
        [("file", "/c3")],
        [("file", "/c3", [("v", "int")], {})],
        time="2024-01-02T01:00:00Z",
    )
    report = impact(store, "dataset:file:/c0")
    assert [d.id for d in report.datasets] == [f"dataset:file:/c{i}" for i in range(1, n + 1)]
    assert report.datasets[-1].distance == 2 * n and len(report.datasets[-1].path) == 2 * n + 1
    cols = impact(store, "datasetField:file:/c0:v").columns
    assert [c.id for c in cols] == [f"datasetField:file:/c{i}:v" for i in range(1, n + 1)]
    assert cols[-1].distance == n


@pytest.mark.parametrize(
    ("namespace", "name", "facets", "kind"),
    [
        ("file", "/m/model.joblib", None, "model"),
        ("s3://bucket", "models/x.onnx", None, "model"),
        ("model://nb", "nb/clf", None, "model"),
        ("file", "/r/summary.pdf", None, "report"),
        ("file", "/d/x.parquet", None, "file"),
        ("s3://bucket", "raw/2024/", None, "file"),
        ("postgres://h:5432", "db.public.t", None, "table"),
        ("dataframe://nb", "nb/df", None, "table"),
        ("kafka://broker:9092", "events", {"datasetType": {"datasetType": "TOPIC"}}, "other"),
        ("file", "/x/model.pkl", {"datasetType": {"datasetType": "FILE"}}, "model"),
        ("bigquery", "p.d.scores", {"datasetType": {"datasetType": "MODEL"}}, "model"),
        ("file", "/x/data.csv", {"datasetType": {"datasetType": "VIEW"}}, "table"),
    ],
)
def test_dataset_kind(namespace, name, facets, kind) -> None:
    assert dataset_kind(namespace, name, facets) == kind
