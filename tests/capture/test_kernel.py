"""The truth: a real kernel runs tests/notebooks/capture_pandas.ipynb through nbclient,
the way papermill and CI run notebooks (no cell ids are sent), and the store holds
exactly file → cell → file plus the %%lineage runs."""

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

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "capture_pandas.ipynb"


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    work = tmp_path_factory.mktemp("kernel")
    (work / "sales.csv").write_text("region,qty,price\nnorth,2,1.5\nsouth,1,4.0\nnorth,3,2.0\n")
    env = clean_environment()
    env["NBGOV_STORE"] = str(work / "lineage.db")
    nb = run_notebook(NOTEBOOK, work, env)
    return work, nb


def _text(cell) -> str:
    return "".join(o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in cell.outputs)


def test_kernel_runs_the_notebook_unchanged(executed) -> None:
    _work, nb = executed
    assert _text(nb.cells[1]).strip() == sys.executable  # the kernel is this venv's python
    assert "north" in _text(nb.cells[3]) and "9.0" in _text(nb.cells[3])  # the frame's display
    assert _text(nb.cells[4]).strip() == "1"
    (error,) = [o for o in nb.cells[5].outputs if o.output_type == "error"]
    assert (error.ename, error.evalue) == ("ValueError", "bad rate")
    status = _text(nb.cells[7])
    assert "runs captured: 4" in status and "suppressed internal errors: none" in status
    assert not any(o.get("name") == "stderr" and "nbgov:" in o.get("text", "") for c in nb.cells for o in c.outputs)


def test_kernel_lineage_in_the_store(executed) -> None:
    work, _ = executed
    events = stored_events(work / "lineage.db")
    assert_spec_valid(events)
    notebook = "notebook-" + hashlib.sha1(str(work).encode(), usedforsecurity=False).hexdigest()[:8]
    session = [e for e in events if e["job"]["name"] == notebook]
    assert [e["eventType"] for e in session] == ["START", "COMPLETE"]
    runs = cell_runs(events)
    data_jobs = sorted(j for j in runs if j.startswith(f"{notebook}/cell-"))
    assert set(runs) - set(data_jobs) == {"fetch-rates", "failing-step"}
    assert len(data_jobs) == 2  # the two pandas cells; the others touched no data
    datasets = {}
    for job in data_jobs:
        final = runs[job][-1]
        assert final["eventType"] == "COMPLETE"
        assert final["run"]["facets"]["parent"]["run"]["runId"] == session[0]["run"]["runId"]
        datasets[job] = ({(d["namespace"], d["name"]) for d in final["inputs"]},
                         {(d["namespace"], d["name"]) for d in final["outputs"]})
    csv, parquet = ("file", str(work / "sales.csv")), ("file", str(work / "summary.parquet"))
    frame = lambda name: ("dataframe://notebook", f"{notebook}/{name}")
    read_cell = next(j for j, (i, o) in datasets.items() if csv in i)
    write_cell = next(j for j, (i, o) in datasets.items() if parquet in o)
    assert datasets[read_cell] == ({csv}, {frame("sales")})
    assert datasets[write_cell] == ({frame("sales")}, {parquet, frame("summary")})
    assert runs["failing-step"][-1]["eventType"] == "FAIL"
    assert runs["failing-step"][-1]["run"]["facets"]["errorMessage"]["message"] == "ValueError: bad rate"

    cli = [sys.executable, "-m", "nbgov", "lineage", f"dataset:file:{work / 'summary.parquet'}",
           "--store", str(work / "lineage.db"), "--format", "json"]
    graph = json.loads(subprocess.run(cli, capture_output=True, text=True, check=True).stdout)
    ids = {n["id"] for n in graph["graph"]}
    assert {f"dataset:file:{work / 'sales.csv'}", f"job:notebook:{read_cell}", f"job:notebook:{write_cell}",
            f"dataset:file:{work / 'summary.parquet'}"} <= ids
