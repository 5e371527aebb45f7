"""Issue 5's pipeline test, in a real kernel (nbclient): PII tags propagate along column
lineage across a pipeline mixing ``%%sql`` and pandas —

    customers.csv (scanned: email, full_name tagged)
      → pandas: ``customers = pd.read_csv(…)``            (frame)
      → %%sql:  ``SELECT customer_id, email, upper(full_name) … WHERE country = 'DE'`` (frame ``eu``)
      → pandas: ``assign(email_domain=…, email_hash=sha256(…))``, ``drop(columns=["name"])``
      → final.parquet (customer_id, email, email_domain, email_hash)

— and the final file's tagged columns are exactly ``email`` and ``email_domain`` (source
LINEAGE, with the path from the file), never ``email_hash`` (a masking edge). The tags arrive
by lineage alone: the kernel does not classify (``NBGOV_CLASSIFY_OUTPUTS=0``), so every
tag's origin is the scanned file. The same store answers ``nbgov tags``, ``nbgov
column-lineage`` and ``nbgov impact``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nbgov.governance import effective_tags, scan_files, tagged_columns
from nbgov.store import open_store
from tests.capture.conftest import stored_events
from tests.kernels import clean_environment, run_notebook
from tests.spec import assert_spec_valid

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("duckdb")
pytest.importorskip("pyarrow")

PEOPLE = [("Ana Lima", "ana.lima@example.com", "DE"), ("Bo Berg", "bo.berg@example.org", "DE"),
          ("Cy Ng", "cy.ng@example.net", "FR"), ("Di Ko", "di.ko@example.com", "DE"),
          ("Eva Roth", "eva.roth@example.org", "DE"), ("Finn Wolf", "finn.wolf@example.com", "AT")]
CELLS = [
    "%load_ext nbgov",
    "import hashlib\nimport pandas as pd\ncustomers = pd.read_csv('customers.csv')",
    "%%sql --out eu\nSELECT customer_id, email, upper(full_name) AS name FROM customers WHERE country = 'DE'",
    ("final = eu.assign(\n"
    "    email_domain=eu['email'].str.split('@').str[1],\n"
    "    email_hash=eu['email'].map(lambda e: hashlib.sha256(e.encode()).hexdigest()),\n"
    ").drop(columns=['name'])\n"
    "final.to_parquet('final.parquet')\n"
    "final.shape"),
    "%nbgov status",
]


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    work = tmp_path_factory.mktemp("pandastags")
    (work / "customers.csv").write_text("customer_id,full_name,email,country\n" + "".join(
        f"{i},{n},{e},{c}\n" for i, (n, e, c) in enumerate(PEOPLE, 1)))
    with open_store(str(work / "lineage.db")) as store:  # the origin: a Macie-style scan of the file
        scan = scan_files([work / "customers.csv"], store=store)
    assert {f.column for f in scan.files[0].report.findings} == {"full_name", "email"}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    path = work / "pipeline.ipynb"
    nbformat.write(nb, path)
    env = clean_environment()
    env.update(NBGOV_STORE=str(work / "lineage.db"), NBGOV_EMIT="0", NBGOV_NOTEBOOK="pipeline.ipynb",
               NBGOV_CLASSIFY_OUTPUTS="0")
    return work, run_notebook(path, work, env)


def _cli(work: Path, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-m", "nbgov", *args, "--store", str(work / "lineage.db"),
                          "--format", "json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_the_cells_run_as_without_nbgov(executed) -> None:
    _work, nb = executed
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not any(o.output_type == "error" for c in code for o in c.outputs)
    assert "".join(o.get("data", {}).get("text/plain", "") for o in code[3].outputs) == "(4, 4)"
    status = "".join(o.get("text", "") for o in code[4].outputs)
    assert "runs captured: 3" in status and "suppressed internal errors: none" in status


def test_tags_reach_the_final_file_by_lineage_and_stop_at_the_hash(executed) -> None:
    work, _nb = executed
    events = stored_events(work / "lineage.db")
    assert_spec_valid(events)
    csv = f"datasetField:file:{work / 'customers.csv'}"
    frame = "datasetField:dataframe://notebook:pipeline.ipynb"
    parquet = f"datasetField:file:{work / 'final.parquet'}"
    with open_store(str(work / "lineage.db")) as store:
        found = effective_tags(store, f"dataset:file:{work / 'final.parquet'}")
        table = {c.field: c for c in tagged_columns(store, "file") if c.dataset == str(work / "final.parquet")}
    by_column: dict[str, set[tuple]] = {}
    for t in found:
        by_column.setdefault(t.node.rsplit(":", 1)[1], set()).add((t.key, t.value, t.source, t.origin, t.path))
    email_path = (f"{csv}:email", f"{frame}/customers:email", f"{frame}/eu:email", f"{frame}/final:email",
                  f"{parquet}:email")
    domain_path = (*email_path[:3], f"{frame}/final:email_domain", f"{parquet}:email_domain")
    assert by_column == {
        "email": {("pii", "EMAIL_ADDRESS", "LINEAGE", f"{csv}:email", email_path),
                  ("policy_tag", "PII", "LINEAGE", f"{csv}:email", email_path)},
        "email_domain": {("pii", "EMAIL_ADDRESS", "LINEAGE", f"{csv}:email", domain_path),
                         ("policy_tag", "PII", "LINEAGE", f"{csv}:email", domain_path)},
    }
    assert set(table) == {"email", "email_domain"}  # nothing on email_hash, customer_id
    # the SQL's upper(full_name) carried PERSON_NAME to eu.name; the pandas step dropped it
    with open_store(str(work / "lineage.db")) as store:
        name = effective_tags(store, f"{frame}/eu:name")
    assert {(t.value, t.path) for t in name} == {
        (v, (f"{csv}:full_name", f"{frame}/customers:full_name", f"{frame}/eu:name")) for v in ("PERSON_NAME", "PII")}


def test_the_hash_edge_is_stored_as_masking(executed) -> None:
    work, _nb = executed
    events = stored_events(work / "lineage.db")
    (final,) = [o for e in events if e.get("eventType") == "COMPLETE" for o in e.get("outputs", [])
                if o["name"] == "pipeline.ipynb/final"]
    fields = final["facets"]["columnLineage"]["fields"]
    assert {f: [(i["name"], i["field"], [(t["subtype"], t.get("masking")) for t in i["transformations"]])
                for i in spec["inputFields"]] for f, spec in fields.items()} == {
        "customer_id": [("pipeline.ipynb/eu", "customer_id", [("IDENTITY", False)])],
        "email": [("pipeline.ipynb/eu", "email", [("IDENTITY", False)])],
        "email_domain": [("pipeline.ipynb/eu", "email", [("TRANSFORMATION", False)])],
        "email_hash": [("pipeline.ipynb/eu", "email", [("TRANSFORMATION", True)])],
    }


def test_the_cli_walks_across_cells(executed) -> None:
    work, _nb = executed
    parquet = f"datasetField:file:{work / 'final.parquet'}"
    csv = f"datasetField:file:{work / 'customers.csv'}:email"
    tags = _cli(work, "tags", f"dataset:file:{work / 'final.parquet'}")["tags"]
    assert {(t["node"], t["value"]) for t in tags} == {
        (f"{parquet}:{c}", v) for c in ("email", "email_domain") for v in ("EMAIL_ADDRESS", "PII")}
    graph = _cli(work, "column-lineage", f"{parquet}:email_domain")["graph"]
    assert csv in {n["id"] for n in graph}  # upstream through the pandas, %%sql and pandas steps
    impact = _cli(work, "impact", csv)
    direct = {c["id"] for c in impact["columns"]["direct"]}
    assert {f"{parquet}:email", f"{parquet}:email_domain", f"{parquet}:email_hash"} <= direct
    assert f"{parquet}:customer_id" not in direct
