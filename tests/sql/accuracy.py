"""Accuracy of nbgov's SQL column lineage on the shared corpus, as figures.

Run ``.venv/bin/python -m tests.sql.accuracy`` (from the repository root) to print the
report quoted in ``docs/sql-lineage.md``; the tests in ``test_corpus.py`` assert the same
figures.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from nbgov.sql import ColumnLineage, column_lineage

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "sql"

#: sqllineage's dialect names, as sqlglot calls them (``ansi`` is sqlglot's default dialect).
DIALECTS = {"ansi": None, "sparksql": "spark", "non-validating": None}


@dataclass(frozen=True)
class BenchmarkFigures:
    """Resolution of one benchmark (TPC-H or TPC-DS)."""

    queries: int
    fully_resolved: int
    columns: int
    with_direct: int
    with_source: int
    unresolved: tuple[str, ...]


@cache
def benchmark_queries(name: str) -> tuple[tuple[str, str], ...]:
    folder = CORPUS / name
    return tuple((p.stem, p.read_text()) for p in sorted(folder.glob("q*.sql")))


@cache
def benchmark_schema(name: str) -> dict:
    return json.loads((CORPUS / name / "schema.json").read_text())


def has_source(column) -> bool:
    """A column has a source when a field flows into it, decides it, or it counts a table."""
    return bool(column.inputs or column.indirect or column.tables)


def benchmark_figures(name: str) -> BenchmarkFigures:
    schema = benchmark_schema(name)
    fully = columns = direct = sourced = 0
    unresolved: list[str] = []
    queries = benchmark_queries(name)
    for query_id, sql in queries:
        lineage = column_lineage(sql, schema=schema)
        statement = lineage.last
        if not lineage.unresolved:
            fully += 1
        unresolved.extend(f"{query_id}: {u.reference} ({u.reason})" for u in lineage.unresolved)
        for column in statement.columns:
            columns += 1
            direct += bool(column.inputs)
            sourced += has_source(column)
    return BenchmarkFigures(len(queries), fully, columns, direct, sourced, tuple(unresolved))


# --------------------------------------------------------------------------- sqllineage


@cache
def sqllineage_cases() -> tuple[dict, ...]:
    return tuple(json.loads((CORPUS / "sqllineage_cases.json").read_text())["cases"])


def sqllineage_pairs(lineage: ColumnLineage) -> set[tuple[str, str]]:
    """nbgov's lineage in sqllineage's terms: (first, last) node of every column path.

    The conventions are mapped, not changed: a column that depends on a table as a whole
    (``COUNT(*)``) reads ``table.*``; a ``*`` that could not be expanded maps ``t.*`` to
    ``target.*``; a column that could not be attributed to one table is its bare name.
    Column-specific INDIRECT inputs (CASE conditions, window partitions) count as sources,
    as they do for sqllineage; row-level ones (joins, filters) do not.
    """
    edges: set[tuple[str, str]] = set()
    for statement in lineage:
        if statement.output is None:
            continue
        for column in statement.columns:
            target = f"{statement.output}.{column.name}"
            for field in column.inputs:
                edges.add((f"{field.name}.{field.field}", target))
            for field in column.indirect:
                if any(t.subtype in ("CONDITIONAL", "WINDOW") for t in field.transformations):
                    edges.add((f"{field.name}.{field.field}", target))
            for table in column.tables:
                edges.add((f"{table}.*", target))
        for problem in statement.unresolved:
            if problem.column is None and problem.reference.endswith(".*"):
                edges.add((problem.reference, f"{statement.output}.*"))
            elif problem.column is not None and problem.reason.startswith("ambiguous"):
                edges.add((problem.reference, f"{statement.output}.{problem.column}"))
    return _endpoints(edges)


def _endpoints(edges: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """First and last node of every path through ``edges`` (self-loops kept as pairs)."""
    children: dict[str, set[str]] = defaultdict(set)
    has_parent: set[str] = set()
    nodes: set[str] = set()
    pairs = {(a, b) for a, b in edges if a == b}
    for a, b in edges:
        nodes.update((a, b))
        if a != b:
            children[a].add(b)
            has_parent.add(b)
    for root in nodes - has_parent:
        stack, seen = [root], {root}
        while stack:
            node = stack.pop()
            if not children.get(node) and node != root:
                pairs.add((root, node))
            for child in children.get(node, ()):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
    return {(a.lower(), b.lower()) for a, b in pairs}


def sqllineage_result(case: dict) -> tuple[set, set]:
    """(expected pairs, nbgov's pairs) for one sqllineage case."""
    dialect = DIALECTS.get(case["dialect"], case["dialect"])
    lineage = column_lineage(case["sql"], dialect=dialect, schema=case.get("schema"))
    expected = {(a.lower(), b.lower()) for a, b in case["expected"]}
    return expected, sqllineage_pairs(lineage)


def sqllineage_agreement() -> tuple[int, int, list[tuple[str, set, set]]]:
    """(cases in exact agreement, all cases, [(id, expected, got) for the others])."""
    agree = 0
    different = []
    cases = sqllineage_cases()
    for case in cases:
        try:
            expected, got = sqllineage_result(case)
        except Exception as exc:  # noqa: BLE001 - a parse error counts as a disagreement
            expected, got = {(a.lower(), b.lower()) for a, b in case["expected"]}, {("error", repr(exc))}
        if expected == got:
            agree += 1
        else:
            different.append((case["id"], expected, got))
    return agree, len(cases), different


def main() -> None:
    for name in ("tpch", "tpcds"):
        f = benchmark_figures(name)
        print(
            f"{name}: {f.fully_resolved}/{f.queries} queries fully resolved; "
            f"{f.with_source}/{f.columns} output columns with a source "
            f"({f.with_direct} with a DIRECT input field)"
        )
        for line in f.unresolved:
            print("   unresolved:", line)
    agree, total, different = sqllineage_agreement()
    print(f"sqllineage cases: {agree}/{total} in exact agreement ({100 * agree / total:.1f}%)")
    for case_id, expected, got in different:
        print(
            f"  {case_id}\n     only sqllineage: {sorted(expected - got)}\n     only nbgov:      {sorted(got - expected)}"
        )


if __name__ == "__main__":
    main()
