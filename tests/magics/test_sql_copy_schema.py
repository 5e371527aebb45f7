"""``%%sql COPY … TO 'file'``: the written file gets a ``schema`` facet (the query's result
columns, typed as DuckDB reads the file back), and pii-flow sees a tagged column copied out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nbgov.governance.policy import RULES, check
from nbgov.store import open_store
from tests.capture.conftest import run, stored_events
from tests.spec import assert_spec_valid

pytest.importorskip("duckdb")


def _file_outputs(events: list[dict]) -> dict[str, dict]:
    return {o["name"]: o for e in events if e.get("eventType") == "COMPLETE" for o in e.get("outputs", [])
            if o["namespace"] == "file"}


def _schema(output: dict) -> list[tuple[str, str]]:
    return [(f["name"], f["type"]) for f in output["facets"]["schema"]["fields"]]


def test_copy_to_files_records_their_schema(shell: Any, tmp_path: Path) -> None:
    run(shell, "%load_ext nbgov")
    run(shell, "%config Nbgov.classify_outputs = False")
    run(shell, "import pandas as pd\nraw = pd.DataFrame({'id': [1, 2], 'email': ['a@x.io', 'b@y.io'], "
               "'zip': ['01234', '99999']})")
    run(shell, "%%sql\nCOPY (SELECT id, email, zip, id * 2.5 AS score FROM raw) TO 'out.csv' (HEADER)")
    run(shell, "%%sql\nCOPY (SELECT id, lower(email) AS mail FROM raw) TO 'out.parquet' (FORMAT parquet)")
    run(shell, "%unload_ext nbgov")
    events = stored_events(tmp_path / "lineage.db")
    assert_spec_valid(events)
    outputs = _file_outputs(events)
    assert _schema(outputs[str(tmp_path / "out.parquet")]) == [("id", "BIGINT"), ("mail", "VARCHAR")]
    # CSV as DuckDB reads it back: the zip codes keep their leading zero, so they stay text
    assert _schema(outputs[str(tmp_path / "out.csv")]) == [
        ("id", "BIGINT"), ("email", "VARCHAR"), ("zip", "VARCHAR"), ("score", "DOUBLE")]
    assert set(outputs[str(tmp_path / "out.parquet")]["facets"]["columnLineage"]["fields"]) == {"id", "mail"}


def test_pii_flow_sees_a_tagged_column_copied_to_a_file(shell: Any, tmp_path: Path) -> None:
    run(shell, "%load_ext nbgov")
    run(shell, "import pandas as pd\nraw = pd.DataFrame({'id': [1, 2, 3], "
               "'email': ['ana@example.com', 'bo@example.org', 'cy@example.net']})")  # classified: email tagged
    run(shell, "%%sql\nCOPY (SELECT id, email AS contact, md5(email) AS digest FROM raw) TO 'export.parquet' "
               "(FORMAT parquet)")
    run(shell, "%unload_ext nbgov")
    with open_store(str(tmp_path / "lineage.db")) as store:
        report = check(store, {"rules": {name: name == "pii-flow" for name in RULES}})
    frame = "datasetField:dataframe://notebook:test.ipynb/raw:email"
    target = f"datasetField:file:{tmp_path / 'export.parquet'}:contact"
    assert {(v.node, v.path) for v in report.violations} == {(target, (frame, target))}  # not the md5 digest
