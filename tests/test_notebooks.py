"""The tutorial notebooks and the quickstart job.

nbval itself re-executes every tutorial and compares its outputs (``notebooks/conftest.py``,
collected because ``testpaths`` includes ``notebooks/``). These tests check what nbval cannot:
that the tutorials are committed in the shape the docs promise, that the sanitize patterns
normalise exactly the volatile values, that the collection wiring picks the tutorials and not
the fixtures in ``tests/notebooks/``, and that ``nbgov quickstart`` — the README's first
command — leaves a store, a self-contained report and the executed notebook.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import get_sanitize_patterns

from nbgov import quickstart
from nbgov.store import open_store

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
TUTORIALS = [
    "01_quickstart", "02_sql_column_lineage", "03_pii_and_policy_tags", "04_drift_and_schema_alerts",
    "05_models_and_model_cards", "06_governance_in_ci", "07_export_to_marquez",
]


def _read(name: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def test_the_tutorials_are_the_documented_ones() -> None:
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == TUTORIALS
    docs = (ROOT / "docs" / "tutorials.md").read_text(encoding="utf-8")
    listing = (NOTEBOOKS / "README.md").read_text(encoding="utf-8")
    for name in TUTORIALS:
        assert f"{name}.ipynb" in docs and f"{name}.ipynb" in listing, name


@pytest.mark.parametrize("name", TUTORIALS)
def test_tutorial_is_committed_executed_self_contained_and_isolated(name: str) -> None:
    nb = _read(name)
    nbformat.validate(nb)
    assert "widgets" not in nb.metadata, "widget state must not be stored (--ExecutePreprocessor.store_widget_state=False)"
    code = [c for c in nb.cells if c.cell_type == "code"]
    # executed top to bottom in one run, so the stored outputs are what nbval compares against
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    assert sum(1 for c in code if c.outputs) >= 3
    for cell in code:
        assert all(o.output_type != "error" for o in cell.outputs), cell.source
        text = json.dumps(cell.outputs)
        assert "Traceback" not in text, cell.source
        if "suppressed internal errors" in text:  # %nbgov status: nbgov itself failed nowhere
            assert "suppressed internal errors: none" in text
        for line in cell.source.splitlines():
            if "NBVAL_IGNORE_OUTPUT" in line:  # alone on its line, with the reason on the line above
                assert line.strip() == "# NBVAL_IGNORE_OUTPUT", line
                before = cell.source.splitlines()[cell.source.splitlines().index(line) - 1]
                assert before.strip().startswith("#"), f"{name}: say why the output is not compared"
    first = code[0].source
    # its own scratch folder, store and job name, set before nbgov is loaded
    assert 'tempfile.mkdtemp(prefix="nbgov-tutorial-")' in first
    assert 'os.environ["NBGOV_STORE"] = str(work / "lineage.db")' in first
    assert f'os.environ["NBGOV_NOTEBOOK"] = "{name}"' in first
    assert not any(line.startswith("%load_ext nbgov") for line in first.splitlines())
    assert "http://" not in first and "https://" not in first
    last = code[-1].source
    assert "%unload_ext nbgov" in last and "shutil.rmtree(work)" in last


def test_packaged_quickstart_is_the_tutorial() -> None:
    packaged = ROOT / "nbgov" / "data" / quickstart.NOTEBOOK
    assert packaged.read_bytes() == (NOTEBOOKS / quickstart.NOTEBOOK).read_bytes(), (
        "cp notebooks/01_quickstart.ipynb nbgov/data/01_quickstart.ipynb"
    )


def test_sanitize_patterns_replace_volatile_values_only() -> None:
    patterns = get_sanitize_patterns((NOTEBOOKS / "nbval_sanitize.cfg").read_text(encoding="utf-8"))
    assert len(patterns) >= 6

    def sanitize(text: str) -> str:
        for regex, replace in patterns:
            text = re.sub(regex, replace, text)
        return text

    def line(work: str, run: str, when: str, version: str, port: int) -> str:
        return (f"dataset:file:{work}/features.csv  (5 fields)  run {run} at {when}, version {version}, "
                f"<obj at 0x7f{port:08x}> http://127.0.0.1:{port}/api/v1/lineage")

    scratch = f"{tempfile.gettempdir()}/nbgov-tutorial-{uuid.uuid4().hex[:8]}"  # as mkdtemp names it
    a = line(scratch, str(uuid.uuid4()), "2025-01-02T03:04:05.678901Z",
             "4487-1795716727891436832", 40001)
    b = line("/var/folders/x1/abc/T/nbgov-tutorial-k_ebsw85", str(uuid.uuid4()), "2026-11-26T18:12:08+00:00",
             "4487-1795716728071436839", 51234)
    assert a != b and sanitize(a) == sanitize(b)
    assert sanitize(a) == ("dataset:file:WORK/features.csv|(5 fields)|run UUID at TIMESTAMP, version FILE-VERSION, "
                           "<obj at 0xADDRESS> http://127.0.0.1:PORT/api/v1/lineage")
    # what the tutorials check stays: counts, names, states, numbers
    kept = "8 nodes, 8 edges; job:notebook:01_quickstart/cell-80bfee918265  [COMPLETED]; (50, 300); 0.747"
    assert sanitize(kept) == kept.replace("  [", "|[")
    assert sanitize("8 nodes, 8 edges") != sanitize("8 nodes, 9 edges")


def test_plain_pytest_collects_the_tutorials_and_not_the_fixtures() -> None:
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                          "notebooks", "tests/notebooks"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    ids = [line for line in out.stdout.splitlines() if "::" in line]
    assert {i.split("::")[0] for i in ids} == {f"notebooks/{n}.ipynb" for n in TUTORIALS}, out.stdout + out.stderr
    cells = sum(sum(1 for c in _read(n).cells if c.cell_type == "code") for n in TUTORIALS)
    assert len(ids) == cells


@pytest.mark.slow
def test_quickstart_leaves_store_report_and_executed_notebook(tmp_path: Path) -> None:
    folder = tmp_path / "qs"
    done = subprocess.run([sys.executable, "-m", "nbgov", "quickstart", "--dir", str(folder)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"store:    {folder / 'lineage.db'}" in done.stdout
    assert f"report:   {folder / 'report.html'}" in done.stdout
    assert "Traceback" not in done.stderr and "WARNING" not in done.stderr, done.stderr

    with open_store(str(folder / "lineage.db")) as store:
        jobs = {j["name"] for j in store.jobs("notebook")}
    assert "01_quickstart" in jobs and len([j for j in jobs if j.startswith("01_quickstart/cell-")]) == 2

    page = (folder / "report.html").read_text(encoding="utf-8")
    assert f"{folder}/features.csv" in page and "job:notebook:01_quickstart/cell-" in page
    assert not re.search(r"""<(script|img|iframe)[^>]+src=["']?https?:|<link[^>]+href=["']?https?:|@import""", page)

    executed = nbformat.read(folder / "01_quickstart.ipynb", as_version=4)
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    assert outputs and all(o.output_type != "error" for o in outputs)
    assert any("7 nodes, 7 edges" in o.get("text", "") for o in outputs)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [".nbgov-quickstart", "01_quickstart.ipynb", "customers.csv", "features.csv", "lineage.db", "orders.csv",
         "report.html"])

    # a second run empties its own folder first: one session, not two
    again = quickstart.run_quickstart(folder)
    assert again.store == str(folder / "lineage.db") and again.report == folder / "report.html"
    with open_store(str(again.store)) as store:
        assert [r["state"] for r in store.runs("notebook", "01_quickstart")] == ["COMPLETED"]

    # a folder it did not make is never emptied
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("keep me")
    refused = subprocess.run([sys.executable, "-m", "nbgov", "quickstart", "--dir", str(foreign)],
                             cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines()[-1].startswith(f"Error: {foreign} is not empty")
    assert (foreign / "thesis.tex").read_text() == "keep me"
