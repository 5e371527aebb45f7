"""Hand-written lineage cases: every fixture in ``cases/*.yaml`` must come out exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nbgov.sql import column_lineage

CASES_DIR = Path(__file__).resolve().parent / "cases"


def _cases() -> list[dict]:
    cases = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text()):
            case["file"] = path.name
            cases.append(case)
    return cases


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict) -> None:
    lineage = column_lineage(case["sql"], dialect=case["dialect"], schema=case.get("schema"))

    assert lineage.to_facet() == case["expected_facet"]
    assert list(lineage.inputs) == case["expected_inputs"]
    assert list(lineage.outputs) == case["expected_outputs"]
    unresolved = [[u.reference, u.column] for u in lineage.unresolved]
    assert unresolved == case.get("expected_unresolved", [])
    last = lineage.last
    tables = {c.name: list(c.tables) for c in (last.columns if last else ()) if c.tables}
    assert tables == case.get("expected_tables", {})


def test_case_ids_are_unique() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))


def test_cases_cover_the_dialects() -> None:
    dialects = {c["dialect"] for c in CASES}
    assert {"duckdb", "postgres", "snowflake", "bigquery", "spark", "sqlite"} <= dialects


@pytest.mark.parametrize(
    "construct, keyword",
    [
        ("WITH", "WITH "),
        ("recursive CTE", "WITH RECURSIVE"),
        ("derived table column list", ") AS d ("),
        ("UNION", "UNION"),
        ("INTERSECT", "INTERSECT"),
        ("EXCEPT", "EXCEPT"),
        ("correlated subquery", "EXISTS"),
        ("window", "OVER"),
        ("QUALIFY", "QUALIFY"),
        ("* EXCLUDE", "* EXCLUDE"),
        ("* REPLACE", "REPLACE ("),
        ("UNNEST", "UNNEST"),
        ("LATERAL", "LATERAL"),
        ("INSERT", "INSERT INTO"),
        ("CREATE TABLE AS", "CREATE OR REPLACE TABLE"),
        ("CREATE VIEW", "CREATE VIEW"),
        ("MERGE", "MERGE INTO"),
        ("UPDATE", "UPDATE "),
        ("COUNT(*)", "count(*)"),
    ],
)
def test_cases_cover_the_constructs(construct: str, keyword: str) -> None:
    assert any(keyword.lower() in c["sql"].lower() for c in CASES), construct
