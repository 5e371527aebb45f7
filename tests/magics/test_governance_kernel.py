"""The truth: a real kernel (nbclient) runs tests/notebooks/governance_pipeline.ipynb — pandas
writes a parquet file with an e-mail column (nbgov tags it), ``%%sql`` copies it into a
DuckDB table, ``%%sql`` hashes one copy and keeps another — and the PII tag follows the
copy along DIRECT column edges (source LINEAGE, with its path), not the hash.

The derivation step here is ``%%sql``; the pandas step's output is tagged by the classifier
itself (pandas steps' own column lineage is covered by tests/magics/test_pandas_tags_kernel.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nbgov.governance import effective_tags
from nbgov.store import open_store
from tests.capture.conftest import stored_events
from tests.kernels import clean_environment, run_notebook
from tests.spec import assert_spec_valid

nbclient = pytest.importorskip("nbclient")
nbformat = pytest.importorskip("nbformat")
pytest.importorskip("ipykernel")
pytest.importorskip("duckdb")

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "governance_pipeline.ipynb"
EMAILS = ["ana.lima@example.com", "bo.berg@example.org", "cy.ng@example.net", "di.ko@example.com"]


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    work = tmp_path_factory.mktemp("govkernel")
    (work / "customers.csv").write_text(
        "id,email,amount\n" + "".join(f"{i},{e},{i * 10}\n" for i, e in enumerate(EMAILS, 1)))
    env = clean_environment()
    env.update(NBGOV_STORE=str(work / "lineage.db"), NBGOV_EMIT="0", NBGOV_NOTEBOOK="pipeline.ipynb")
    nb = run_notebook(NOTEBOOK, work, env)
    return work, nb


def _stream(cell, name: str) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == name)


def _result(cell) -> str:
    return "".join(o.get("data", {}).get("text/plain", "") for o in cell.outputs)


def _tags_cli(work: Path, node: str) -> list[dict]:
    cli = [sys.executable, "-m", "nbgov", "tags", node, "--store", str(work / "lineage.db"), "--format", "json"]
    return json.loads(subprocess.run(cli, capture_output=True, text=True, check=True).stdout)["tags"]


def test_pii_tags_follow_the_copy_not_the_hash(executed) -> None:
    work, nb = executed
    code = [c for c in nb.cells if c.cell_type == "code"]
    notices = [(i, line) for i, c in enumerate(code) for line in _stream(c, "stderr").splitlines()
               if line.startswith("nbgov: ")]
    # step 1 tags the parquet file (one notice); steps 2 and 3 inherit the tag: no notice
    assert notices == [
        (1, "nbgov: PII in features.parquet: email (EMAIL_ADDRESS, PII) — tagged; see %pii features.parquet"),
        (6, "nbgov: schema change in features.parquet: amount int64 → str (TYPE_CHANGE, ERROR)"),
    ]
    shown = _result(code[4])  # %pii features.parquet: the stored finding, its masked example
    assert "EMAIL_ADDRESS" in shown and "a***@e***.com" in shown
    status = _stream(code[7], "stdout")
    assert "runs captured: 4" in status and "suppressed internal errors: none" in status

    events = stored_events(work / "lineage.db")
    assert_spec_valid(events)
    assert not any(e in json.dumps(events) for e in EMAILS)  # no raw value in any stored event

    parquet = f"datasetField:file:{work / 'features.parquet'}:email"
    table = f"datasetField:duckdb://{work / 'warehouse.duckdb'}:main.contacts:email"
    final = "datasetField:dataframe://notebook:pipeline.ipynb/final"
    tags = _tags_cli(work, "dataset:dataframe://notebook:pipeline.ipynb/final")  # every column of `final`
    inherited = [t for t in tags if t["source"] == "LINEAGE"]
    assert {(t["node"], t["key"], t["value"]) for t in inherited} == {
        (f"{final}:contact", "pii", "EMAIL_ADDRESS"), (f"{final}:contact", "policy_tag", "PII")}
    assert all(t["origin"] == parquet and t["path"] == [parquet, table, f"{final}:contact"] for t in inherited)
    # `contact` also holds e-mails itself (own classifier tags); md5 masks `email_hash`: no tag at all
    assert {t["node"] for t in tags} == {f"{final}:contact"}

    with open_store(str(work / "lineage.db")) as store:  # the API agrees with the CLI
        assert [t.to_dict() for t in effective_tags(store, "dataset:dataframe://notebook:pipeline.ipynb/final")] \
            == tags
        on_table = effective_tags(store, f"dataset:duckdb://{work / 'warehouse.duckdb'}:main.contacts")
        assert {(t.node, t.value, t.source) for t in on_table} == {  # inherited only: nbgov never read it
            (table, "EMAIL_ADDRESS", "LINEAGE"), (table, "PII", "LINEAGE")}
    shown = _result(code[5])  # %pii dataset:…final — own finding on contact, the inherited path
    assert "inherited via" in shown and "contacts:email" in shown and "email_hash" not in shown
