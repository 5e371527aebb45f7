"""The truth: a real kernel (nbclient) runs tests/notebooks/sql_magic.ipynb — two %%sql
cells, a pandas step between them and a parameterised query — and `nbgov column-lineage`
walks the stored column lineage across all of them at once."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.capture.conftest import cell_runs, stored_events
from tests.kernels import clean_environment, run_notebook
from tests.spec import assert_spec_valid

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")
pytest.importorskip("ipykernel")

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "sql_magic.ipynb"


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    work = tmp_path_factory.mktemp("sqlkernel")
    (work / "orders.csv").write_text("id,cust,amount\n1,1,2.5\n2,2,3.0\n3,1,1.0\n")
    (work / "customers.csv").write_text("id,name\n1,ana\n2,bo\n")
    env = clean_environment()
    env["NBGOV_STORE"] = str(work / "lineage.db")
    env["NBGOV_EMIT"] = "0"
    nb = run_notebook(NOTEBOOK, work, env)
    return work, nb


def _text(cell) -> str:
    return "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in cell.outputs)


def test_sql_cells_run_and_column_lineage_walks_across_them(executed) -> None:
    work, nb = executed
    assert "ana" in _text(nb.cells[5]) and "3.5" in _text(nb.cells[5])  # the query's result is shown
    status = _text(nb.cells[6])
    assert "runs captured: 4" in status and "suppressed internal errors: none" in status
    assert not any(o.get("name") == "stderr" and "nbgov:" in o.get("text", "") for c in nb.cells for o in c.outputs)

    events = stored_events(work / "lineage.db")
    assert_spec_valid(events)
    sql_runs = [r[-1] for r in cell_runs(events).values() if "sql" in r[-1]["job"]["facets"]]
    assert len(sql_runs) == 3 and all(e["job"]["facets"]["sql"]["dialect"] == "duckdb" for e in sql_runs)

    notebook = "notebook-" + hashlib.sha1(str(work).encode(), usedforsecurity=False).hexdigest()[:8]
    wh = f"duckdb://{work / 'warehouse.duckdb'}"
    csv = f"file:{work / 'orders.csv'}"
    frame = f"dataframe://notebook:{notebook}/customers"
    cli = [sys.executable, "-m", "nbgov", "column-lineage", f"datasetField:{wh}:main.report:total",
           "--store", str(work / "lineage.db"), "--format", "json"]
    graph = json.loads(subprocess.run(cli, capture_output=True, text=True, check=True).stdout)
    edges = {(e["origin"], e["destination"]) for n in graph["graph"] for e in n["inEdges"]}
    assert edges == {
        (f"datasetField:{wh}:main.report:total", f"datasetField:{wh}:main.orders:amount"),
        (f"datasetField:{wh}:main.orders:amount", f"datasetField:{csv}:amount"),
    }
    cli[4] = f"dataset:{wh}:main.report"
    graph = json.loads(subprocess.run(cli, capture_output=True, text=True, check=True).stdout)
    edges = {(e["origin"], e["destination"]) for n in graph["graph"] for e in n["inEdges"]}
    assert edges == {
        (f"datasetField:{wh}:main.report:total", f"datasetField:{wh}:main.orders:amount"),
        (f"datasetField:{wh}:main.orders:amount", f"datasetField:{csv}:amount"),
        (f"datasetField:{wh}:main.report:name", f"datasetField:{frame}:name"),  # the pandas step's frame
        # ... which is the very object pd.read_csv returned: an IDENTITY edge to the file
        (f"datasetField:{frame}:name", f"datasetField:file:{work / 'customers.csv'}:name"),
    }
