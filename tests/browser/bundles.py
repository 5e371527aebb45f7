"""Lineage mimebundles and notebooks for the browser tests, written by hand to the contract
in labextension/README.md (no dependency on nbgov.views, so these tests pin the contract
from the front end's side)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat

MIME = "application/vnd.nbgov.lineage+json"
HOSTILE = "<img src=x onerror=alert(1)>"

RAW = "dataset:file:/data/raw_orders.csv"
CLEAN_JOB = "job:notebook:etl.ipynb/clean"
CLEAN = "dataset:sqlite:/tmp/shop.db:clean_orders"
TRAIN_JOB = "job:notebook:etl.ipynb/train"
MODEL = "dataset:model:churn_model.joblib"
REPORT_JOB = "job:notebook:etl.ipynb/report"
EVIL = f"dataset:file:{HOSTILE}"

TABLE_NODES = [RAW, CLEAN_JOB, CLEAN, TRAIN_JOB, MODEL, REPORT_JOB, EVIL]
TABLE_EDGES = [(RAW, CLEAN_JOB), (CLEAN_JOB, CLEAN), (CLEAN, TRAIN_JOB), (TRAIN_JOB, MODEL),
               (CLEAN, REPORT_JOB), (REPORT_JOB, EVIL)]

RAW_FIELDS = [("order_id", "INTEGER"), ("customer_email", "VARCHAR"), ("amount", "DOUBLE")]
CLEAN_FIELDS = [("order_id", "INTEGER"), ("amount_eur", "DOUBLE"), ("email_hash", "VARCHAR")]
EVIL_FIELDS = [("total", "DOUBLE"), (HOSTILE, "VARCHAR")]


def field(dataset: str, name: str) -> str:
    """Marquez id of a dataset field: ``datasetField:<namespace>:<name>:<field>``."""
    return "datasetField:" + dataset.removeprefix("dataset:") + ":" + name


COLUMN_EDGES = [
    (field(RAW, "order_id"), field(CLEAN, "order_id")),
    (field(RAW, "amount"), field(CLEAN, "amount_eur")),
    (field(RAW, "customer_email"), field(CLEAN, "email_hash")),
    (field(CLEAN, "amount_eur"), field(EVIL, "total")),
    (field(CLEAN, "email_hash"), field(EVIL, HOSTILE)),
]
COLUMN_NODES = sorted({n for edge in COLUMN_EDGES for n in edge})


def q(text: str) -> str:
    """A DOT double-quoted string."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def label_of(node_id: str) -> str:
    return node_id.rsplit(":", 1)[-1].rsplit("/", 1)[-1] if node_id.startswith("job:") else node_id.split(":", 2)[-1]


def kind_of(node_id: str) -> str:
    if node_id.startswith("job:"):
        return "JOB"
    if node_id.startswith("datasetField:"):
        return "DATASET_FIELD"
    return "MODEL" if node_id == MODEL else "DATASET"


def table_dot(nodes: list[str], edges: list[tuple[str, str]]) -> str:
    lines = ["digraph lineage {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=11];']
    for n in nodes:
        shape = {"JOB": "box", "MODEL": "hexagon"}.get(kind_of(n), "cylinder")
        lines.append(f"  {q(n)} [id={q(n)}, label={q(label_of(n))}, shape={shape}];")
    lines += [f"  {q(a)} -> {q(b)};" for a, b in edges]
    lines.append("}")
    return "\n".join(lines) + "\n"


def columns_dot() -> str:
    lines = ["digraph columns {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=10, shape=box];']
    for dataset, fields in ((RAW, RAW_FIELDS), (CLEAN, CLEAN_FIELDS), (EVIL, EVIL_FIELDS)):
        lines.append(f"  subgraph {q('cluster_' + dataset)} {{ id={q(dataset)}; label={q(label_of(dataset))};")
        for name, _ in fields:
            lines.append(f"    {q(field(dataset, name))} [id={q(field(dataset, name))}, label={q(name)}];")
        lines.append("  }")
    lines += [f"  {q(a)} -> {q(b)};" for a, b in COLUMN_EDGES]
    lines.append("}")
    return "\n".join(lines) + "\n"


def dataset_card(fields: list[tuple[str, str]], *, pii: set[str] = frozenset()) -> dict[str, Any]:
    return {
        "fields": [{"name": n, "type": t, "tags": ["PII:EMAIL"] if n in pii else []} for n, t in fields],
        "quality": {"rowCount": 1200, "bytes": 48_213, "columns": {fields[0][0]: {"nullCount": 0, "distinctCount": 1200}}},
        "versions": [{"version": "3f2a", "createdAt": "2025-01-02T10:00:00Z"},
                     {"version": "9b1c", "createdAt": "2025-01-01T09:00:00Z"}],
        "owners": [{"name": "data-team", "type": "team"}],
        "tags": ["PII"] if pii else [],
    }


def sample_data() -> dict[str, Any]:
    """The contract's data for a small pipeline with a model and a hostile dataset name."""
    nodes: dict[str, Any] = {}
    for n in TABLE_NODES:
        nodes[n] = {"kind": kind_of(n), "label": label_of(n), "card": {}}
    nodes[RAW]["card"] = dataset_card(RAW_FIELDS, pii={"customer_email"})
    nodes[CLEAN]["card"] = dataset_card(CLEAN_FIELDS)
    nodes[EVIL]["card"] = dataset_card(EVIL_FIELDS)
    nodes[MODEL]["card"] = {"owners": ["ml-team"], "tags": ["model"], "versions": [{"version": "1"}]}
    for job in (CLEAN_JOB, TRAIN_JOB, REPORT_JOB):
        nodes[job]["card"] = {
            "latestRun": {"id": "0190f2d4-5f1c-7cc1-9d6e-5e1b1c1f0a01", "state": "FAIL" if job == REPORT_JOB else "COMPLETE",
                          "startedAt": "2025-01-02T10:00:00Z", "endedAt": "2025-01-02T10:00:03Z"},
            "owners": ["alice"],
        }
    for dataset, fields in ((RAW, RAW_FIELDS), (CLEAN, CLEAN_FIELDS), (EVIL, EVIL_FIELDS)):
        for name, type_ in fields:
            nodes[field(dataset, name)] = {"kind": "DATASET_FIELD", "label": name,
                                           "card": {"fields": [{"name": name, "type": type_, "tags": []}]}}
    return {"version": 1, "title": "Lineage of etl.ipynb", "dot": table_dot(TABLE_NODES, TABLE_EDGES),
            "columns_dot": columns_dot(), "nodes": nodes, "notice": None}


def chain_data(n: int) -> dict[str, Any]:
    """A layered graph of ``n`` nodes (alternating dataset and job layers, fan-in 2)."""
    ids = [("dataset:bench:d%d" if (i // 25) % 2 == 0 else "job:bench:j%d") % i for i in range(n)]
    edges = []
    for i in range(25, n):
        layer_start = (i // 25 - 1) * 25
        edges.append((ids[layer_start + i % 25], ids[i]))
        edges.append((ids[layer_start + (i * 7 + 3) % 25], ids[i]))
    edges = sorted(set(edges))
    nodes = {i: {"kind": kind_of(i), "label": label_of(i), "card": {}} for i in ids}
    return {"version": 1, "title": f"{n} nodes", "dot": table_dot(ids, edges), "columns_dot": None,
            "nodes": nodes, "notice": f"{n} nodes drawn"}


def bundle(data: dict[str, Any]) -> dict[str, Any]:
    """A full mimebundle as the Python side writes it: the rich type plus text/plain and text/html."""
    names = ", ".join(sorted(v["label"] for v in data["nodes"].values() if v["kind"] != "DATASET_FIELD"))
    return {
        MIME: data,
        "text/plain": f"<nbgov lineage: {data['title']}: {names}>",
        "text/html": '<p class="nbgov-fallback">nbgov lineage (static fallback)</p>',
    }


def saved_notebook(path: Path, datas: list[dict[str, Any]], *, kernelspec: str | None = None) -> Path:
    """Write a notebook whose saved outputs hold one lineage bundle per item (not signed: untrusted)."""
    nb = nbformat.v4.new_notebook()
    if kernelspec is not None:
        nb.metadata["kernelspec"] = {"name": kernelspec, "display_name": kernelspec, "language": "python"}
    nb.cells.append(nbformat.v4.new_markdown_cell("# Lineage"))
    for i, data in enumerate(datas):
        cell = nbformat.v4.new_code_cell("%lineage", execution_count=i + 1)
        cell.outputs.append(nbformat.v4.new_output("display_data", data=bundle(data), metadata={}))
        nb.cells.append(cell)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return path


def display_notebook(path: Path, data: dict[str, Any]) -> Path:
    """A notebook with one code cell that displays the bundle from a real kernel (no outputs yet)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    source = (
        "import json\n"
        "from IPython.display import display\n"
        f"bundle = json.loads({json.dumps(json.dumps(bundle(data)))})\n"
        "display(bundle, raw=True)"
    )
    nb.cells.append(nbformat.v4.new_code_cell(source))
    nbformat.write(nb, path)
    return path
